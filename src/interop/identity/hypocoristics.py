"""Hypocorísticos: the everyday forms Mexican given names take (PANCHO for FRANCISCO, LUPE for
GUADALUPE), as clerks write them when a person gives the name they are called by. Pure.

A small table of general Mexican usage, not learnt from any data set: each nickname names the
formal names it stands for, in the folded form names are compared in (upper case, no accents,
Ñ→N). A nickname can stand for several names (BETO: ALBERTO, ROBERTO, HUMBERTO …); two formal
names are never the same name through a nickname they share (ALBERTO is not ROBERTO). Forms of
one name for the other sex (FRANCISCA / PANCHA against FRANCISCO) are separate entries, so a
brother's and a sister's names stay apart.

A nickname may stand for two given names as a whole (CHEMA: JOSE MARIA, MAITE: MARIA TERESA): those
formal forms hold a space and are compared against the whole given names (``compound_nickname``),
never name by name (CHEMA is neither JOSE nor MARIA alone).
"""

from __future__ import annotations

from itertools import combinations

# nickname -> the formal given names it stands for (folded; diminutives of one name only).
NICKNAMES: dict[str, tuple[str, ...]] = {
    # men
    "PANCHO": ("FRANCISCO",),
    "PACO": ("FRANCISCO",),
    "PEPE": ("JOSE",),
    "CHEPE": ("JOSE",),
    "CHUY": ("JESUS",),
    "CHUCHO": ("JESUS",),
    "TONO": ("ANTONIO",),
    "MEMO": ("GUILLERMO",),
    "NACHO": ("IGNACIO",),
    "LALO": ("EDUARDO",),
    "BETO": ("ALBERTO", "ROBERTO", "HUMBERTO", "GILBERTO", "HERIBERTO", "NORBERTO", "ADALBERTO"),
    "QUIQUE": ("ENRIQUE",),
    "KIKE": ("ENRIQUE",),
    "CHAVA": ("SALVADOR",),
    "CHAVO": ("SALVADOR",),
    "MONCHO": ("RAMON",),
    "GOYO": ("GREGORIO",),
    "RAFA": ("RAFAEL",),
    "CHAGO": ("SANTIAGO",),
    "PONCHO": ("ALFONSO",),
    "CHALO": ("GONZALO",),
    "CHENTE": ("VICENTE",),
    "CHENCHO": ("CRESCENCIO", "INOCENCIO", "FIDENCIO"),
    "LENCHO": ("LORENZO", "FLORENCIO"),
    "MANDO": ("ARMANDO",),
    "NANDO": ("FERNANDO", "HERNANDO"),
    "NETO": ("ERNESTO",),
    "TACHO": ("ANASTASIO",),
    "POLO": ("LEOPOLDO", "HIPOLITO", "APOLONIO"),
    "FITO": ("ADOLFO", "RODOLFO"),
    "MANOLO": ("MANUEL",),
    "CHEVO": ("EUSEBIO",),
    "NICHO": ("DIONISIO",),
    "CHINTO": ("JACINTO",),
    "CHENDO": ("ROSENDO",),
    "TANO": ("CAYETANO",),
    "TINO": ("AGUSTIN", "CELESTINO", "FAUSTINO"),
    "CUCO": ("REFUGIO",),
    "REY": ("REYNALDO", "REYES"),
    "LUPE": ("GUADALUPE",),
    "LUPILLO": ("GUADALUPE",),
    "CHEMA": ("JOSE MARIA",),
    "RICHI": ("RICARDO",),
    "JUANCHO": ("JUAN",),
    "TEMO": ("CUAUHTEMOC",),
    "TAVO": ("GUSTAVO", "OCTAVIO"),
    # Further forms of general Mexican usage (session 14): a nickname missing here turns one person's
    # records into two given names that contradict each other (a hard conflict), however alike the rest.
    "FREDO": ("ALFREDO",),
    "FREDY": ("ALFREDO",),
    "FREDDY": ("ALFREDO",),
    "GERA": ("GERARDO",),
    "RIGO": ("RIGOBERTO",),
    "CHECO": ("SERGIO",),
    "CHARLY": ("CARLOS",),
    "MUNDO": ("EDMUNDO", "RAYMUNDO", "SEGISMUNDO"),
    "MINGO": ("DOMINGO",),
    "FEDE": ("FEDERICO",),
    "BENJA": ("BENJAMIN",),
    "NICO": ("NICOLAS",),
    "WICHO": ("LUIS",),
    "GUICHO": ("LUIS",),
    "TONY": ("ANTONIO",),
    "ALEX": ("ALEJANDRO",),
    "MAX": ("MAXIMILIANO", "MAXIMINO", "MAXIMO"),
    "TEO": ("TEODORO", "TEOFILO", "TIMOTEO", "DOROTEO", "MATEO"),
    "BONI": ("BONIFACIO",),
    "CHEQUE": ("EZEQUIEL",),
    "CHELINO": ("MARCELINO",),
    "GABO": ("GABRIEL",),
    "JAVI": ("JAVIER",),
    "CHALIO": ("ROSALIO",),
    "LEO": ("LEOPOLDO", "LEONARDO", "LEONEL", "LEOBARDO"),
    # women
    "LUPITA": ("GUADALUPE",),
    "CONCHA": ("CONCEPCION",),
    "CONCHITA": ("CONCEPCION",),
    "CHAYO": ("ROSARIO",),
    "CUCA": ("REFUGIO",),
    "LOLA": ("DOLORES",),
    "LOLITA": ("DOLORES",),
    "MECHE": ("MERCEDES",),
    "CHOLE": ("SOLEDAD",),
    "CHELO": ("CONSUELO",),
    "CHELA": ("GRACIELA",),
    "LICHA": ("ALICIA",),
    "CHABELA": ("ISABEL",),
    "CHAVELA": ("ISABEL",),
    "COCO": ("SOCORRO",),
    "MAGO": ("MARGARITA",),
    "TERE": ("TERESA",),
    "PATY": ("PATRICIA",),
    "PATI": ("PATRICIA",),
    "BETY": ("BEATRIZ",),
    "BETI": ("BEATRIZ",),
    "LETY": ("LETICIA",),
    "CHEPINA": ("JOSEFINA",),
    "FINA": ("JOSEFINA",),
    "PANCHA": ("FRANCISCA",),
    "PAQUITA": ("FRANCISCA",),
    "TONA": ("ANTONIA",),
    "NACHA": ("IGNACIA",),
    "TACHA": ("ANASTASIA",),
    "CHONA": ("ASUNCION", "ENCARNACION"),
    "TENCHA": ("HORTENSIA",),
    "TINA": ("CRISTINA", "AGUSTINA", "CELESTINA"),
    "MINA": ("GUILLERMINA",),
    "TRINI": ("TRINIDAD",),
    "CHARO": ("ROSARIO",),
    "PEPA": ("JOSEFA",),
    "PEPITA": ("JOSEFA",),
    "GABY": ("GABRIELA",),
    "VERO": ("VERONICA",),
    "LULU": ("LOURDES", "LUCIA", "LUISA"),
    "MALENA": ("MAGDALENA", "MARIA ELENA"),
    "MARU": ("MARIA EUGENIA",),
    "MAITE": ("MARIA TERESA",),
    "MAYTE": ("MARIA TERESA",),
    "MALU": ("MARIA LUISA",),
    "MARILU": ("MARIA LUISA", "MARIA DE LOURDES"),
    # Further forms of general Mexican usage (session 14), as for the men's.
    "VICKY": ("VICTORIA", "VIRGINIA"),
    "GINA": ("GEORGINA", "REGINA"),
    "CECI": ("CECILIA",),
    "CHIO": ("ROCIO",),
    "QUETA": ("ENRIQUETA",),
    "CHEVA": ("EUSEBIA",),
    "YOLA": ("YOLANDA",),
    "YOLI": ("YOLANDA",),
    "SUSY": ("SUSANA",),
    "CHANA": ("SUSANA",),
    "CATY": ("CATALINA",),
    "CATA": ("CATALINA",),
    "CLAU": ("CLAUDIA",),
    "MARGA": ("MARGARITA",),
    "ESPE": ("ESPERANZA",),
    "NATI": ("NATIVIDAD", "NATALIA"),
    "LETI": ("LETICIA",),
    "MICA": ("MICAELA",),
    "ANITA": ("ANA",),
    "ROSITA": ("ROSA",),
    "JUANITA": ("JUANA",),
    "ANGIE": ("ANGELICA", "ANGELES", "ANGELA"),
}


def _forms(name: str) -> frozenset[str]:
    return frozenset(NICKNAMES.get(name, (name,)))


def same_by_nickname(a: str | None, b: str | None) -> bool:
    """Two different given names (folded) that one nickname table entry makes one: a nickname and a
    formal name it stands for, or two nicknames of one formal name (PACO, PANCHO)."""
    if not a or not b or a == b or (a not in NICKNAMES and b not in NICKNAMES):
        return False
    return bool(_forms(a) & _forms(b))


def compound_nickname(a: str | None, b: str | None) -> bool:
    """Whole given names (folded) that a nickname makes one, one of them two names or more: CHEMA and
    JOSE MARIA (the formal form of a nickname entry compared as a whole)."""
    return bool(a and b and (" " in a or " " in b) and same_by_nickname(a, b))


def compound_nickname_pairs() -> tuple[str, ...]:
    """The pairs of ``nickname_pairs`` that ``compound_nickname`` joins (a name with a space)."""
    return tuple(p for p in nickname_pairs() if " " in p)


def nickname_pairs() -> tuple[str, ...]:
    """Every ordered pair of names ``same_by_nickname`` joins, as ``"A|B"`` (the batch's SQL level
    reads this list: the same table in both scorers)."""
    names = set(NICKNAMES) | {n for formal in NICKNAMES.values() for n in formal}
    out = []
    for a, b in combinations(sorted(names), 2):
        if same_by_nickname(a, b):
            out += [f"{a}|{b}", f"{b}|{a}"]
    return tuple(sorted(out))
