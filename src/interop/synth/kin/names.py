"""The kin generator's own name tables: explicit weights (per 10,000 people, rounded from published
Mexican surname and given-name rankings), not the first generator's Zipf lists.

Given names change by birth cohort (before 1955, 1955–1984, from 1985). Nicknames are the
hypocoristics clerks write when the person says them (PANCHO for FRANCISCO, LUPE for GUADALUPE).
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate


class Table:
    """A weighted list; ``draw`` is one bisect on cumulative weights."""

    def __init__(self, entries: list[tuple[str, int]]) -> None:
        self.values = [v for v, _ in entries]
        self.cum = list(accumulate(w for _, w in entries))

    def draw(self, rng: random.Random) -> str:
        return self.values[bisect(self.cum, rng.random() * self.cum[-1])]


def _parse(text: str) -> list[tuple[str, int]]:
    out = []
    for item in text.split(","):
        name, weight = item.strip().rsplit(" ", 1)
        out.append((name.replace("_", " "), int(weight)))
    return out


SURNAMES = Table(
    _parse(
        """HERNÁNDEZ 511, GARCÍA 342, MARTÍNEZ 317, LÓPEZ 297, GONZÁLEZ 290, RODRÍGUEZ 208, PÉREZ 202,
        SÁNCHEZ 195, RAMÍREZ 186, CRUZ 140, FLORES 125, GÓMEZ 123, MORALES 95, VÁZQUEZ 90, JIMÉNEZ 89,
        REYES 88, DÍAZ 80, TORRES 78, GUTIÉRREZ 76, RUIZ 74, MENDOZA 72, AGUILAR 70, ORTIZ 68,
        MORENO 66, CASTILLO 64, ROMERO 62, ÁLVAREZ 60, MÉNDEZ 58, CHÁVEZ 56, RIVERA 54, JUÁREZ 52,
        RAMOS 50, DOMÍNGUEZ 48, HERRERA 47, MEDINA 46, CASTRO 45, VARGAS 44, GUZMÁN 42,
        VELÁZQUEZ 41, MUÑOZ 40, ROJAS 39, DE_LA_CRUZ 38, CONTRERAS 37, SALAZAR 36, LUNA 35,
        ORTEGA 34, SANTIAGO 33, GUERRERO 32, BAUTISTA 31, ESTRADA 30, CORTÉS 29, ÁVILA 28,
        SOTO 27, CERVANTES 26, VEGA 26, NAVARRO 25, CARRILLO 25, LARA 24, SANDOVAL 24, CAMPOS 23,
        DELGADO 23, MOLINA 22, ROSAS 22, LEÓN 21, MÁRQUEZ 21, SOLÍS 20, OROZCO 20, ESPINOZA 20,
        PEÑA 19, IBARRA 19, VALENCIA 18, TAPIA 18, FUENTES 18, MIRANDA 17, SERRANO 17, ACOSTA 17,
        PACHECO 16, ZAVALA 16, ESCOBAR 15, NÚÑEZ 15, VALDEZ 15, TREJO 14, CABRERA 14, DEL_ÁNGEL 14,
        NOLASCO 12, ZÁRATE 12, VILLEGAS 12, CORONA 12, BECERRA 11, OLVERA 11, BARRERA 11,
        ESPINOSA_DE_LOS_MONTEROS 4, MONTES_DE_OCA 9, DE_LOS_SANTOS 9, PONCE_DE_LEÓN 6, GALVÁN 11,
        CAMACHO 11, ARELLANO 10, VILLALOBOS 10, QUINTERO 10, PADILLA 10, MEJÍA 10, CARDENAS 10,
        SALINAS 9, GALLEGOS 9, OCHOA 9, MACÍAS 9, VILLANUEVA 9, ALVARADO 9, ZAMORA 8, BELTRÁN 8,
        TOLEDO 8, OLIVARES 8, ARIAS 8, MONTOYA 8, BRAVO 8, ANAYA 7, GALINDO 7, MALDONADO 7,
        CISNEROS 7, OSORIO 7, TREVIÑO 6, IBÁÑEZ 5, YÁÑEZ 6, ZÚÑIGA 6, ARGÜELLO 4, PECH 6, CHAN 6,
        CANUL 5, MAY 5, UC 4, POOT 4, TZEC 3, XOLALPA 3, TLAPALE 3, HUERTA 7, PINEDA 7, ALCÁNTARA 5"""
    )
)

_WOMEN_OLD = """MARÍA 900, MARÍA_DE_JESÚS 160, MARÍA_GUADALUPE 150, GUADALUPE 120, MARGARITA 110,
    JUANA 110, JOSEFINA 100, FRANCISCA 95, ROSA 90, TERESA 85, CARMEN 80, MARÍA_DEL_CARMEN 110,
    ELENA 70, PETRA 60, CONCEPCIÓN 60, REFUGIO 45, SOCORRO 50, MARÍA_ELENA 70, MARÍA_TERESA 55,
    MARÍA_LUISA 55, ANTONIA 60, DOLORES 55, ROSARIO 50, MARÍA_DE_LOURDES 35, ESPERANZA 50,
    CONSUELO 45, MERCEDES 40, AURORA 40, OFELIA 35, CATALINA 40, MARÍA_DE_LA_LUZ 50, ISABEL 45,
    LUCÍA 40, EVA 35, MARTHA 60, ALICIA 55, MARÍA_DE_LOS_ÁNGELES 45, AMELIA 30, AGUSTINA 30"""
_WOMEN_MID = """MARÍA_GUADALUPE 170, PATRICIA 150, MARTHA 110, ROSA_MARÍA 100, LETICIA 100, MARÍA_ELENA 80,
    VERÓNICA 90, ELIZABETH 85, GUADALUPE 90, MARÍA_DEL_CARMEN 90, ALEJANDRA 60, SILVIA 80,
    ARACELI 60, NORMA 60, LAURA 70, MARÍA_DE_LOURDES 60, GABRIELA 60, ADRIANA 70, CLAUDIA 70,
    MARÍA_ISABEL 50, BEATRIZ 45, ANA_MARÍA 55, MARÍA_TERESA 45, YOLANDA 50, LORENA 45, SANDRA 50,
    ROCÍO 50, SUSANA 40, ANGÉLICA 40, MÓNICA 40, MARIBEL 45, JUANA 50, MARGARITA 45"""
_WOMEN_YOUNG = """GUADALUPE 80, DANIELA 90, FERNANDA 70, ANDREA 80, KARLA 70, JESSICA 60, ALEJANDRA 80,
    MARÍA_FERNANDA 90, DIANA 70, ANA_KAREN 50, MARÍA_JOSÉ 60, BRENDA 60, MARISOL 40, VALERIA 70,
    JAZMÍN 40, ITZEL 50, XIMENA 60, MARÍA_GUADALUPE 60, YESENIA 40, ANA_LAURA 35, LUCERO 35,
    MONSERRAT 40, STEPHANIE 25, NANCY 40, ERIKA 50"""
_MEN_OLD = """JOSÉ 700, JUAN 500, JESÚS 160, FRANCISCO 180, ANTONIO 170, PEDRO 130, MANUEL 130,
    JOSÉ_LUIS 120, MIGUEL 110, JOSÉ_ANTONIO 80, JUAN_CARLOS 30, PABLO 80, RAFAEL 90, SALVADOR 80,
    JOSÉ_GUADALUPE 60, JOSÉ_DE_JESÚS 60, ALFONSO 60, RAMÓN 80, ENRIQUE 70, JAVIER 70, IGNACIO 50,
    ROBERTO 60, FELIPE 60, AGUSTÍN 50, LUIS 60, JORGE 60, GUILLERMO 50, ALBERTO 50, MARIO 50,
    REFUGIO 30, JUAN_MANUEL 40, JOSÉ_MANUEL 35, ANDRÉS 40, GREGORIO 35, MARGARITO 20, CIRILO 15,
    JOSÉ_MARÍA 30, FIDEL 25"""
_MEN_MID = """JOSÉ_LUIS 180, JUAN_CARLOS 110, FRANCISCO_JAVIER 90, JOSÉ_ANTONIO 100, MIGUEL_ÁNGEL 130,
    JORGE 90, JESÚS 100, ALEJANDRO 90, ROBERTO 70, MARIO 60, RICARDO 60, EDUARDO 60, FERNANDO 60,
    JUAN 110, JOSÉ 120, ARTURO 60, SERGIO 60, VÍCTOR_MANUEL 60, RAÚL 50, JAVIER 60, MARTÍN 50,
    OSCAR 50, HÉCTOR 50, JUAN_MANUEL 60, JOSÉ_MANUEL 50, LUIS_ALBERTO 30, GERARDO 40,
    GUILLERMO 40, ENRIQUE 40, ALFREDO 40, PEDRO 40, JOSÉ_GUADALUPE 30"""
_MEN_YOUNG = """LUIS_ÁNGEL 70, JOSÉ_LUIS 60, JUAN_CARLOS 60, JESÚS 60, DANIEL 80, DAVID 70, JORGE_LUIS 40,
    MIGUEL_ÁNGEL 80, ALEJANDRO 70, CARLOS 60, FERNANDO 50, EDUARDO 50, BRANDON 30, KEVIN 30,
    ÁNGEL 60, OMAR 40, CRISTIAN 40, JONATHAN 40, JUAN_PABLO 40, JOSÉ_ANTONIO 40, DIEGO 50,
    OSCAR 40, IVÁN 40, ULISES 20"""

GIVEN = {
    ("M", 0): Table(_parse(_WOMEN_OLD)),
    ("M", 1): Table(_parse(_WOMEN_MID)),
    ("M", 2): Table(_parse(_WOMEN_YOUNG)),
    ("H", 0): Table(_parse(_MEN_OLD)),
    ("H", 1): Table(_parse(_MEN_MID)),
    ("H", 2): Table(_parse(_MEN_YOUNG)),
}
# Second names a sibling can take beside a shared first one (MARÍA ELENA / MARÍA TERESA).
SECOND = {
    "M": (
        "ELENA",
        "TERESA",
        "LUISA",
        "ISABEL",
        "DEL CARMEN",
        "GUADALUPE",
        "DE JESÚS",
        "ESTHER",
        "CRISTINA",
        "EUGENIA",
        "AURORA",
        "FÉLIX",
        "INÉS",
        "ANTONIA",
        "CONCEPCIÓN",
    ),
    "H": (
        "ANTONIO",
        "LUIS",
        "MANUEL",
        "GUADALUPE",
        "DE JESÚS",
        "CARLOS",
        "ÁNGEL",
        "ALBERTO",
        "RAMÓN",
        "FRANCISCO",
        "ENRIQUE",
        "JAVIER",
        "ARTURO",
        "ALFREDO",
        "MARTÍN",
    ),
}

NICKNAMES = {
    "FRANCISCO": "PANCHO",
    "GUADALUPE": "LUPE",
    "JESÚS": "CHUY",
    "JOSÉ": "PEPE",
    "ROSARIO": "CHAYO",
    "CONCEPCIÓN": "CONCHA",
    "REFUGIO": "CUCA",
    "SOCORRO": "COCO",
    "IGNACIO": "NACHO",
    "ENRIQUE": "QUIQUE",
    "DOLORES": "LOLA",
    "MERCEDES": "MECHE",
    "ANTONIO": "TOÑO",
    "ROBERTO": "BETO",
    "ALBERTO": "BETO",
    "GUILLERMO": "MEMO",
    "EDUARDO": "LALO",
    "CONSUELO": "CHELO",
    "MARGARITA": "MAGO",
    "ALEJANDRO": "ALEX",
    "JAVIER": "JAVI",
    "ALFREDO": "FREDO",
    "SALVADOR": "CHAVA",
    "RAMÓN": "MONCHO",
    "ISABEL": "CHABELA",
}

STREETS = (
    "HIDALGO",
    "MORELOS",
    "JUÁREZ",
    "ZARAGOZA",
    "ALLENDE",
    "GUERRERO",
    "MADERO",
    "INDEPENDENCIA",
    "REFORMA",
    "5 DE MAYO",
    "16 DE SEPTIEMBRE",
    "20 DE NOVIEMBRE",
    "NIÑOS HÉROES",
    "ALDAMA",
    "MATAMOROS",
    "OCAMPO",
    "IGNACIO RAMÍREZ",
    "LAS FLORES",
    "EL ROSARIO",
    "DEL PANTEÓN",
    "LOS PINOS",
    "FRESNO",
    "SAUCES",
    "NOGAL",
    "PRIMAVERA",
    "AMADO NERVO",
    "SOR JUANA",
    "LÁZARO CÁRDENAS",
    "CUAUHTÉMOC",
    "XICOTÉNCATL",
    "BUGAMBILIAS",
    "JACARANDAS",
)
COLONIAS = (
    "CENTRO",
    "EL CALVARIO",
    "SAN JOSÉ",
    "LA LOMA",
    "GUADALUPE",
    "SAN ANTONIO",
    "EL MIRADOR",
    "LAS PALMAS",
    "EMILIANO ZAPATA",
    "LA ESTACIÓN",
    "BENITO JUÁREZ",
    "SANTA CRUZ",
)

# Keys next to each other on a Spanish QWERTY keyboard, for the clerks' slips.
KEYBOARD = {
    "A": "SQZ",
    "B": "VNG",
    "C": "XVD",
    "D": "SFE",
    "E": "WRD",
    "F": "DGR",
    "G": "FHT",
    "H": "GJY",
    "I": "UOK",
    "J": "HKU",
    "K": "JLI",
    "L": "KÑO",
    "M": "N",
    "N": "BM",
    "Ñ": "LP",
    "O": "IPL",
    "P": "OÑ",
    "Q": "WA",
    "R": "ETF",
    "S": "ADW",
    "T": "RYG",
    "U": "YIJ",
    "V": "CB",
    "W": "QES",
    "X": "ZC",
    "Y": "TUH",
    "Z": "XA",
}
