"""The 32 entidades as the synthetic population needs them.

Population weights are the 2020 census in millions; bounding boxes (latitude, longitude) are
approximate mainland extents; municipality counts are INEGI's; telephone area codes are the main
ones of each state; ``imb`` marks states whose health services moved to IMSS-Bienestar. Known
municipality names come first, in order of size; the rest are generated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StateFacts:
    code: str
    population: float
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    municipalities: int
    area_codes: tuple[str, ...]
    imb: bool
    known_municipalities: tuple[str, ...]


STATES: tuple[StateFacts, ...] = (
    StateFacts("AS", 1.43, 21.62, 22.46, -102.88, -101.84, 11, ("449",), False,
               ("AGUASCALIENTES", "JESÚS MARÍA", "CALVILLO")),
    StateFacts("BC", 3.77, 28.0, 32.72, -117.12, -112.6, 7, ("664", "686", "646"), True,
               ("TIJUANA", "MEXICALI", "ENSENADA", "TECATE")),
    StateFacts("BS", 0.80, 22.87, 28.0, -115.2, -109.4, 5, ("612", "624"), True,
               ("LA PAZ", "LOS CABOS", "COMONDÚ")),
    StateFacts("CC", 0.93, 17.81, 20.85, -92.47, -89.12, 13, ("981", "938"), True,
               ("CAMPECHE", "CARMEN", "CHAMPOTÓN")),
    StateFacts("CL", 3.15, 24.54, 29.88, -103.96, -99.84, 38, ("844", "871", "866"), False,
               ("SALTILLO", "TORREÓN", "MONCLOVA", "PIEDRAS NEGRAS")),
    StateFacts("CM", 0.73, 18.68, 19.52, -104.7, -103.48, 10, ("312", "314"), True,
               ("COLIMA", "MANZANILLO", "TECOMÁN", "VILLA DE ÁLVAREZ")),
    StateFacts("CS", 5.54, 14.53, 17.98, -94.14, -90.37, 124, ("961", "962", "967"), True,
               ("TUXTLA GUTIÉRREZ", "TAPACHULA", "SAN CRISTÓBAL DE LAS CASAS", "COMITÁN DE DOMÍNGUEZ")),
    StateFacts("CH", 3.74, 25.56, 31.78, -109.07, -103.31, 67, ("656", "614", "627"), False,
               ("JUÁREZ", "CHIHUAHUA", "CUAUHTÉMOC", "DELICIAS")),
    StateFacts("DF", 9.21, 19.05, 19.59, -99.36, -98.94, 16, ("55", "56"), True,
               ("IZTAPALAPA", "GUSTAVO A. MADERO", "ÁLVARO OBREGÓN", "TLALPAN", "COYOACÁN",
                "CUAUHTÉMOC", "VENUSTIANO CARRANZA", "XOCHIMILCO", "BENITO JUÁREZ", "AZCAPOTZALCO",
                "IZTACALCO", "MIGUEL HIDALGO", "TLÁHUAC", "LA MAGDALENA CONTRERAS",
                "CUAJIMALPA DE MORELOS", "MILPA ALTA")),
    StateFacts("DG", 1.83, 22.34, 26.84, -107.21, -102.47, 39, ("618", "871"), False,
               ("DURANGO", "GÓMEZ PALACIO", "LERDO")),
    StateFacts("GT", 6.17, 19.91, 21.84, -102.09, -99.67, 46, ("477", "462", "461", "473"), False,
               ("LEÓN", "IRAPUATO", "CELAYA", "SALAMANCA", "GUANAJUATO")),
    StateFacts("GR", 3.54, 16.32, 18.89, -102.18, -98.0, 85, ("744", "747", "733"), True,
               ("ACAPULCO DE JUÁREZ", "CHILPANCINGO DE LOS BRAVO", "IGUALA DE LA INDEPENDENCIA",
                "TLAPA DE COMONFORT")),
    StateFacts("HG", 3.08, 19.6, 21.4, -99.86, -97.98, 84, ("771", "775"), True,
               ("PACHUCA DE SOTO", "TULANCINGO DE BRAVO", "MINERAL DE LA REFORMA", "HUEJUTLA DE REYES")),
    StateFacts("JC", 8.35, 18.93, 22.75, -105.69, -101.51, 125, ("33", "322", "341"), False,
               ("ZAPOPAN", "GUADALAJARA", "TLAJOMULCO DE ZÚÑIGA", "TLAQUEPAQUE", "TONALÁ",
                "PUERTO VALLARTA")),
    StateFacts("MC", 16.99, 18.37, 20.29, -100.61, -98.6, 125, ("55", "722", "595"), True,
               ("ECATEPEC DE MORELOS", "NEZAHUALCÓYOTL", "TOLUCA", "NAUCALPAN DE JUÁREZ", "CHIMALHUACÁN",
                "TLALNEPANTLA DE BAZ", "IXTAPALUCA", "CHALCO", "TEXCOCO")),
    StateFacts("MN", 4.75, 17.92, 20.39, -103.74, -100.06, 113, ("443", "452", "351"), True,
               ("MORELIA", "URUAPAN", "ZAMORA", "LÁZARO CÁRDENAS", "APATZINGÁN")),
    StateFacts("MS", 1.97, 18.33, 19.13, -99.49, -98.63, 36, ("777", "735"), True,
               ("CUERNAVACA", "JIUTEPEC", "CUAUTLA", "TEMIXCO")),
    StateFacts("NT", 1.24, 20.6, 23.08, -105.77, -103.72, 20, ("311", "319"), True,
               ("TEPIC", "BAHÍA DE BANDERAS", "SANTIAGO IXCUINTLA")),
    StateFacts("NL", 5.78, 23.16, 27.8, -101.21, -98.42, 51, ("81", "821"), False,
               ("MONTERREY", "GUADALUPE", "APODACA", "SAN NICOLÁS DE LOS GARZA", "GENERAL ESCOBEDO")),
    StateFacts("OC", 4.13, 15.65, 18.67, -98.55, -93.87, 570, ("951", "971", "953", "954"), True,
               ("OAXACA DE JUÁREZ", "SAN JUAN BAUTISTA TUXTEPEC", "JUCHITÁN DE ZARAGOZA",
                "SALINA CRUZ", "HEROICA CIUDAD DE HUAJUAPAN DE LEÓN", "SANTA CRUZ XOXOCOTLÁN")),
    StateFacts("PL", 6.58, 17.86, 20.84, -99.07, -96.72, 217, ("222", "238", "244"), True,
               ("PUEBLA", "TEHUACÁN", "SAN MARTÍN TEXMELUCAN", "ATLIXCO", "SAN PEDRO CHOLULA")),
    StateFacts("QT", 2.37, 20.01, 21.67, -100.6, -99.04, 18, ("442", "427"), False,
               ("QUERÉTARO", "SAN JUAN DEL RÍO", "EL MARQUÉS", "CORREGIDORA")),
    StateFacts("QR", 1.86, 17.89, 21.6, -89.3, -86.71, 11, ("998", "983", "984"), True,
               ("BENITO JUÁREZ", "OTHÓN P. BLANCO", "SOLIDARIDAD", "FELIPE CARRILLO PUERTO")),
    StateFacts("SP", 2.82, 21.16, 24.49, -102.3, -98.33, 58, ("444", "481", "489"), True,
               ("SAN LUIS POTOSÍ", "SOLEDAD DE GRACIANO SÁNCHEZ", "CIUDAD VALLES", "MATEHUALA")),
    StateFacts("SL", 3.03, 22.47, 26.94, -109.45, -105.39, 20, ("667", "669", "668"), True,
               ("CULIACÁN", "MAZATLÁN", "AHOME", "GUASAVE")),
    StateFacts("SR", 2.94, 26.3, 32.49, -115.05, -108.42, 72, ("662", "644", "631"), True,
               ("HERMOSILLO", "CAJEME", "NOGALES", "SAN LUIS RÍO COLORADO", "NAVOJOA")),
    StateFacts("TC", 2.40, 17.25, 18.65, -94.13, -90.98, 17, ("993", "937"), True,
               ("CENTRO", "CÁRDENAS", "COMALCALCO", "HUIMANGUILLO")),
    StateFacts("TS", 3.53, 22.2, 27.68, -100.14, -97.14, 43, ("899", "868", "834", "833"), True,
               ("REYNOSA", "MATAMOROS", "NUEVO LAREDO", "VICTORIA", "TAMPICO")),
    StateFacts("TL", 1.34, 19.1, 19.73, -98.71, -97.62, 60, ("246", "241"), True,
               ("TLAXCALA", "HUAMANTLA", "APIZACO", "CHIAUTEMPAN")),
    StateFacts("VZ", 8.06, 17.14, 22.47, -98.68, -93.6, 212, ("229", "228", "921", "271"), True,
               ("VERACRUZ", "XALAPA", "COATZACOALCOS", "CÓRDOBA", "PAPANTLA", "POZA RICA DE HIDALGO")),
    StateFacts("YN", 2.32, 19.55, 21.6, -90.41, -87.53, 106, ("999", "997", "985"), False,
               ("MÉRIDA", "KANASÍN", "VALLADOLID", "TIZIMÍN", "PROGRESO")),
    StateFacts("ZS", 1.62, 21.04, 25.13, -104.37, -100.74, 58, ("492", "493"), True,
               ("ZACATECAS", "GUADALUPE", "FRESNILLO", "JEREZ")),
)  # fmt: skip

STATE_INDEX: dict[str, int] = {state.code: i for i, state in enumerate(STATES)}
# Codes by index; the extra last one is NE, the CURP's code for people born abroad.
STATE_CODES: tuple[str, ...] = (*(s.code for s in STATES), "NE")
BORN_ABROAD = len(STATES)
