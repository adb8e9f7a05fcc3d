"""Word lists of the third population (``third_population.py``): places, names, streets, nicknames.

Written blind — from public knowledge of Mexican names and places, not from the project's generators —
so that a population built from them tests the matcher on names and places it was not tuned on.
"""

from __future__ import annotations


def words(text: str, sep: str | None = None) -> list[str]:
    """A list written as one string (long word lists stay readable)."""
    return text.split(sep)


# entidad -> (weight, surname region, approximate centre (lat, lon), municipios). A municipio is
# (name, postcode base, localidades); the first localidad is the head town, the others are small
# rural places (DOMICILIO CONOCIDO addresses, neighbours who share a name).
PLACES: dict[str, tuple[int, str, tuple[float, float], list[tuple[str, int, list[str]]]]] = {
    "YN": (
        6,
        "maya",
        (20.9, -89.3),
        [
            ("MERIDA", 97000, ["MERIDA", "CAUCEL", "KOMCHEN"]),
            ("VALLADOLID", 97780, ["VALLADOLID", "POPOLA", "TIKUCH"]),
            ("TICUL", 97860, ["TICUL", "PUSTUNICH"]),
            ("TEKAX", 97970, ["TEKAX DE ALVARO OBREGON", "KINIL"]),
        ],
    ),
    "QR": (
        3,
        "maya",
        (19.6, -88.1),
        [
            ("FELIPE CARRILLO PUERTO", 77200, ["FELIPE CARRILLO PUERTO", "TIHOSUCO", "X-HAZIL SUR"]),
            ("OTHON P. BLANCO", 77000, ["CHETUMAL", "CALDERITAS"]),
            ("JOSE MARIA MORELOS", 77890, ["JOSE MARIA MORELOS", "SABAN"]),
        ],
    ),
    "OC": (
        8,
        "oaxaca",
        (17.1, -96.7),
        [
            ("OAXACA DE JUAREZ", 68000, ["OAXACA DE JUAREZ", "SAN FELIPE DEL AGUA"]),
            ("SANTA MARIA TLAHUITOLTEPEC", 70780, ["SANTA MARIA TLAHUITOLTEPEC", "SANTA ANA"]),
            ("HEROICA CIUDAD DE JUCHITAN DE ZARAGOZA", 70000, ["JUCHITAN DE ZARAGOZA", "LA VENTA"]),
            ("HEROICA CIUDAD DE TLAXIACO", 69800, ["HEROICA CIUDAD DE TLAXIACO", "EL BOQUERON"]),
            ("SAN JUAN BAUTISTA TUXTEPEC", 68300, ["SAN JUAN BAUTISTA TUXTEPEC", "OJITAL"]),
        ],
    ),
    "CS": (
        7,
        "chiapas",
        (16.7, -92.6),
        [
            ("CHAMULA", 29320, ["SAN JUAN CHAMULA", "ROMERILLO", "ICALUMTIC"]),
            ("OCOSINGO", 29950, ["OCOSINGO", "LA GARRUCHA"]),
            ("TUXTLA GUTIERREZ", 29000, ["TUXTLA GUTIERREZ", "COPOYA"]),
            ("ZINACANTAN", 29350, ["ZINACANTAN", "NACHIG"]),
        ],
    ),
    "PL": (
        8,
        "nahua",
        (19.5, -97.7),
        [
            ("CUETZALAN DEL PROGRESO", 73560, ["CUETZALAN", "SAN MIGUEL TZINACAPAN", "YOHUALICHAN"]),
            ("ZACAPOAXTLA", 73680, ["ZACAPOAXTLA", "XALTETELA"]),
            ("PUEBLA", 72000, ["HEROICA PUEBLA DE ZARAGOZA", "SAN MIGUEL CANOA"]),
            ("TEHUACAN", 75700, ["TEHUACAN", "SAN DIEGO CHALMA"]),
        ],
    ),
    "VZ": (
        9,
        "nahua",
        (18.9, -97.0),
        [
            ("ZONGOLICA", 95000, ["ZONGOLICA", "TEPETLAMPA"]),
            ("PAPANTLA", 93400, ["PAPANTLA DE OLARTE", "EL CHOTE"]),
            ("XALAPA", 91000, ["XALAPA-ENRIQUEZ", "EL CASTILLO"]),
            ("TANTOYUCA", 92100, ["TANTOYUCA", "TAMPACAN"]),
        ],
    ),
    "GR": (
        6,
        "nahua",
        (17.6, -99.2),
        [
            ("CHILAPA DE ALVAREZ", 41100, ["CHILAPA DE ALVAREZ", "ACATLAN"]),
            ("TLAPA DE COMONFORT", 41300, ["TLAPA DE COMONFORT", "TLAQUILZINAPA"]),
            ("ACAPULCO DE JUAREZ", 39300, ["ACAPULCO DE JUAREZ", "KILOMETRO 30"]),
        ],
    ),
    "MC": (
        12,
        "centro",
        (19.4, -99.6),
        [
            ("NEZAHUALCOYOTL", 57000, ["CIUDAD NEZAHUALCOYOTL"]),
            ("TOLUCA", 50000, ["TOLUCA DE LERDO", "SAN PABLO AUTOPAN"]),
            ("SAN FELIPE DEL PROGRESO", 50640, ["SAN FELIPE DEL PROGRESO", "SAN PEDRO EL ALTO"]),
            ("ECATEPEC DE MORELOS", 55000, ["ECATEPEC DE MORELOS"]),
        ],
    ),
    "DF": (
        9,
        "centro",
        (19.4, -99.1),
        [
            ("IZTAPALAPA", 9000, ["IZTAPALAPA"]),
            ("MILPA ALTA", 12000, ["VILLA MILPA ALTA", "SAN PEDRO ATOCPAN"]),
            ("GUSTAVO A. MADERO", 7000, ["GUSTAVO A. MADERO"]),
        ],
    ),
    "JC": (
        7,
        "centro",
        (20.6, -103.3),
        [
            ("GUADALAJARA", 44100, ["GUADALAJARA"]),
            ("TEOCALTICHE", 47200, ["TEOCALTICHE", "MECHOACANEJO"]),
            ("MEZQUITIC", 46040, ["MEZQUITIC", "SAN ANDRES COHAMIATA"]),
            ("SAN PEDRO TLAQUEPAQUE", 45500, ["SAN PEDRO TLAQUEPAQUE"]),
        ],
    ),
    "GT": (
        6,
        "centro",
        (21.0, -101.3),
        [
            ("DOLORES HIDALGO CUNA DE LA INDEPENDENCIA NACIONAL", 37800, ["DOLORES HIDALGO", "RIO LAJA"]),
            ("LEON", 37000, ["LEON DE LOS ALDAMA", "SANTA ANA DEL CONDE"]),
            ("SAN LUIS DE LA PAZ", 37900, ["SAN LUIS DE LA PAZ", "MISION DE CHICHIMECAS"]),
        ],
    ),
    "MN": (
        5,
        "purepecha",
        (19.6, -101.6),
        [
            ("CHERAN", 60270, ["CHERAN", "TANACO"]),
            ("PATZCUARO", 61600, ["PATZCUARO", "IHUATZIO"]),
            ("URUAPAN", 60000, ["URUAPAN", "ANGAHUAN"]),
        ],
    ),
    "CH": (
        4,
        "norte",
        (28.6, -106.1),
        [
            ("GUACHOCHI", 33180, ["GUACHOCHI", "NOROGACHI"]),
            ("JUAREZ", 32000, ["JUAREZ"]),
            ("BOCOYNA", 33200, ["CREEL", "SAN IGNACIO DE ARAREKO"]),
        ],
    ),
    "NL": (
        4,
        "norte",
        (25.7, -100.3),
        [
            ("MONTERREY", 64000, ["MONTERREY"]),
            ("GALEANA", 67850, ["GALEANA", "SAN JOSE DE RAICES"]),
            ("LINARES", 67700, ["LINARES", "HACIENDA GUADALUPE"]),
        ],
    ),
    "SR": (
        3,
        "norte",
        (29.1, -110.9),
        [
            ("HERMOSILLO", 83000, ["HERMOSILLO", "MIGUEL ALEMAN"]),
            ("ETCHOJOA", 85280, ["ETCHOJOA", "BASCONCOBE"]),
            ("ALAMOS", 85760, ["ALAMOS", "LOS TANQUES"]),
        ],
    ),
}
# Birth states of people born away from where they live (CURP positions 12–13), beyond PLACES.
OTHER_BIRTH_STATES = [
    "AS",
    "BC",
    "BS",
    "CC",
    "CL",
    "CM",
    "DG",
    "HG",
    "MS",
    "NT",
    "QT",
    "SP",
    "SL",
    "TC",
    "TS",
    "TL",
    "ZS",
]

COMMON = words(
    "HERNANDEZ GARCIA MARTINEZ LOPEZ GONZALEZ PEREZ RODRIGUEZ SANCHEZ RAMIREZ CRUZ FLORES GOMEZ "
    "MORALES VAZQUEZ REYES JIMENEZ TORRES DIAZ GUTIERREZ RUIZ MENDOZA AGUILAR ORTIZ MORENO CASTILLO "
    "ROMERO ALVAREZ MENDEZ CHAVEZ RIVERA JUAREZ RAMOS DOMINGUEZ HERRERA MEDINA CASTRO VARGAS GUZMAN "
    "VELAZQUEZ MUÑOZ ROJAS SALAZAR NUÑEZ IBARRA OCHOA PEÑA CORTES LUNA ESPINOZA CONTRERAS CAMACHO "
    "ESTRADA SOLIS CERVANTES NAVARRO ROSALES CARDENAS CABRERA VALENCIA ZUÑIGA AVILA PACHECO SERRANO "
    "OROZCO"
)
COMPOUND_SURNAMES = [
    "DE LA CRUZ",
    "DE LA ROSA",
    "DEL ANGEL",
    "DE LEON",
    "DE LOS SANTOS",
    "DE LA TORRE",
    "DE JESUS",
    "DEL VALLE",
    "DE LA O",
    "PONCE DE LEON",
    "MONTES DE OCA",
    "DE LA FUENTE",
    "DEL RIO",
]
REGIONAL = {
    "maya": "PECH CHAN CANUL UC KU POOT COCOM EK CHI MAY DZIB TUN BALAM CAUICH XIU KOH HAU NOH UICAB "
    "CAAMAL CANCHE CHUC EUAN TZAB YAM MUKUL CEH PUC TUZ CHALE",
    "oaxaca": "SANTIAGO LUIS FELIPE ANTONIO PABLO MATIAS MARCIAL BAUTISTA JUAN DOMINGO VASQUEZ JOSE "
    "MIGUEL GASPAR NICOLAS ALAVEZ HIPOLITO MARCOS ALONSO TOLEDO",
    "chiapas": "SANTIZ LUNEZ PATISHTAN ENTZIN ICO GIRON COLLAZO HERNANDEZ GOMEZ PEREZ DIAZ LOPEZ MENDEZ",
    "nahua": "XOCHIPA TEPOX CUAUTLE TLAPALE COYOTL XOCHIHUA TECUAPACHO OCOTITLA TLACHI TZOMPANTZI "
    "COCOLETZI TEXIS TEMOXTLE HUERTA TEPANECATL",
    "purepecha": "TZINTZUN HUANOSTO CUIRIZ ECHEVERRIA CAMPANUR SALMERON",
    "norte": "VILLARREAL GARZA TREVIÑO CANTU LEAL QUIROZ ACOSTA LOYA CHACON ESPARZA BUSTILLOS PALMA",
    "centro": "TELLEZ ARELLANO ZAMORA GALINDO OLVERA MONROY BECERRIL",
}

F_OLD = words(
    "MARIA GUADALUPE JUANA MARGARITA JOSEFINA ROSA TERESA ELENA CARMEN LETICIA ALICIA PETRA PAULA "
    "ROSARIO ESPERANZA SOCORRO REFUGIO CONCEPCION DOLORES LUZ ANGELA ISABEL ANTONIA FRANCISCA "
    "CATALINA EUFEMIA ANASTASIA MERCEDES CELIA AURORA EVA LUCIA IRMA OFELIA"
)
F_OLD_COMPOUND = [
    "MARIA GUADALUPE",
    "MARIA ELENA",
    "MARIA DE LOURDES",
    "MARIA DEL CARMEN",
    "MARIA DE JESUS",
    "MARIA DEL ROSARIO",
    "MARIA TERESA",
    "MARIA LUISA",
    "MARIA DE LA LUZ",
    "ANA MARIA",
    "MARIA ISABEL",
    "MARIA DOLORES",
    "MARIA DEL SOCORRO",
    "MARIA DE LOS ANGELES",
    "MARIA CONCEPCION",
    "MA. DE LA PAZ",
]
F_YOUNG = words(
    "FERNANDA XIMENA VALERIA CAMILA DANIELA ANDREA SOFIA ITZEL MONSERRAT YARELI ARELY BRENDA KARLA "
    "DIANA ALEJANDRA JESSICA ABIGAIL GUADALUPE ADRIANA VERONICA CLAUDIA PATRICIA ERIKA YESENIA NAYELI"
)
F_YOUNG_COMPOUND = ["ANA KAREN", "MARIA FERNANDA", "DULCE MARIA", "LUZ MARIA", "ANA LAURA", "MARIA JOSE"]
M_OLD = words(
    "JOSE JUAN FRANCISCO ANTONIO JESUS PEDRO MANUEL MIGUEL RAFAEL PABLO SANTIAGO FELIPE ISIDRO "
    "MARCELINO CRESCENCIO EUSEBIO FIDEL ROSENDO CIRILO IGNACIO GUILLERMO ALFREDO ENRIQUE ROBERTO "
    "EDUARDO RAMON AGUSTIN MARGARITO REFUGIO CONCEPCION"
)
M_OLD_COMPOUND = [
    "JOSE LUIS",
    "JOSE ANTONIO",
    "JOSE MANUEL",
    "JUAN CARLOS",
    "JUAN JOSE",
    "JOSE DE JESUS",
    "JOSE GUADALUPE",
    "MIGUEL ANGEL",
    "JOSE MARIA",
    "JESUS MANUEL",
    "FRANCISCO JAVIER",
    "JUAN MANUEL",
    "JOSE ALFREDO",
    "J. REFUGIO",
    "PEDRO PABLO",
]
M_YOUNG = words(
    "JORGE ALEJANDRO EDUARDO OSCAR CARLOS DANIEL KEVIN BRANDON ANGEL ISRAEL URIEL EMILIANO SANTIAGO "
    "DIEGO RICARDO MARIO HUGO CESAR OMAR FERNANDO IVAN"
)
M_YOUNG_COMPOUND = ["LUIS ANGEL", "JOSE EDUARDO", "JUAN PABLO", "JESUS ALBERTO", "MIGUEL ANGEL"]

NICKNAMES = {
    "FRANCISCO": ["PACO", "PANCHO"],
    "JESUS": ["CHUY"],
    "GUADALUPE": ["LUPE", "LUPITA"],
    "JOSE": ["PEPE"],
    "JOSE MARIA": ["CHEMA"],
    "CONCEPCION": ["CONCHA", "CONCHITA"],
    "ROSARIO": ["CHAYO"],
    "REFUGIO": ["CUCA", "CUCO"],
    "IGNACIO": ["NACHO"],
    "SOCORRO": ["COCO"],
    "DOLORES": ["LOLA"],
    "ENRIQUE": ["QUIQUE"],
    "MERCEDES": ["MECHE"],
    "ANTONIO": ["TOÑO"],
    "GUILLERMO": ["MEMO"],
    "EDUARDO": ["LALO"],
    "ROBERTO": ["BETO"],
    "MARGARITA": ["MAGO"],
    "TERESA": ["TERE"],
    "JOSEFINA": ["CHEPINA"],
    "ALFREDO": ["FREDO"],
    "MARIA GUADALUPE": ["LUPITA"],
}

STREETS = words(
    "HIDALGO|MORELOS|JUAREZ|ZARAGOZA|ALLENDE|GUERRERO|INDEPENDENCIA|5 DE MAYO|16 DE SEPTIEMBRE|"
    "REFORMA|NIÑOS HEROES|EMILIANO ZAPATA|FRANCISCO I. MADERO|VENUSTIANO CARRANZA|LAZARO CARDENAS|"
    "OCAMPO|MATAMOROS|ALDAMA|VICENTE GUERRERO|PRINCIPAL|DEL PANTEON|LAS FLORES|20 DE NOVIEMBRE|"
    "AQUILES SERDAN",
    "|",
)
COLONIAS = words(
    "CENTRO|EL CALVARIO|SAN JOSE|LA LOMA|BARRIO DE SAN ANTONIO|GUADALUPE|EL ROSARIO|LAS PALMAS|"
    "INFONAVIT|BENITO JUAREZ|EMILIANO ZAPATA|SECCION SEGUNDA|SANTA CRUZ|LA PURISIMA",
    "|",
)
# Letters of a Spanish keyboard next to each other (a clerk's slip).
KEYBOARD = ["QWERTYUIOP", "ASDFGHJKLÑ", "ZXCVBNM"]
ACCENTED = {
    "MARIA": "MARÍA",
    "JOSE": "JOSÉ",
    "JESUS": "JESÚS",
    "RAMON": "RAMÓN",
    "CONCEPCION": "CONCEPCIÓN",
    "ANGELA": "ÁNGELA",
    "ANGEL": "ÁNGEL",
    "LUCIA": "LUCÍA",
    "EUSEBIO": "EUSEBIO",
    "AGUSTIN": "AGUSTÍN",
    "HERNANDEZ": "HERNÁNDEZ",
    "GARCIA": "GARCÍA",
    "MARTINEZ": "MARTÍNEZ",
    "LOPEZ": "LÓPEZ",
    "GONZALEZ": "GONZÁLEZ",
    "PEREZ": "PÉREZ",
    "RODRIGUEZ": "RODRÍGUEZ",
    "SANCHEZ": "SÁNCHEZ",
    "RAMIREZ": "RAMÍREZ",
    "GOMEZ": "GÓMEZ",
    "VAZQUEZ": "VÁZQUEZ",
    "JIMENEZ": "JIMÉNEZ",
    "DIAZ": "DÍAZ",
    "GUTIERREZ": "GUTIÉRREZ",
    "RUIZ": "RUÍZ",
    "ALVAREZ": "ÁLVAREZ",
    "MENDEZ": "MÉNDEZ",
    "CHAVEZ": "CHÁVEZ",
    "JUAREZ": "JUÁREZ",
    "DOMINGUEZ": "DOMÍNGUEZ",
    "VELAZQUEZ": "VELÁZQUEZ",
    "CORTES": "CORTÉS",
    "LEON": "LEÓN",
    "MATIAS": "MATÍAS",
    "HIPOLITO": "HIPÓLITO",
    "PATISHTAN": "PATISHTÁN",
    "TELLEZ": "TÉLLEZ",
    "CARDENAS": "CÁRDENAS",
    "AVILA": "ÁVILA",
    "SOLIS": "SOLÍS",
    "TREVIÑO": "TREVIÑO",
    "VERONICA": "VERÓNICA",
    "OSCAR": "ÓSCAR",
    "IVAN": "IVÁN",
    "CESAR": "CÉSAR",
    "RAFAEL": "RAFAEL",
}
