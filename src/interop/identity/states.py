"""The two-letter entidad codes used by the CURP (characters 12–13) and by CLUES."""

from __future__ import annotations

import unicodedata

# RENAPO's codes, with NE for people born abroad (nacido en el extranjero).
STATE_CODES: dict[str, str] = {
    "AS": "Aguascalientes",
    "BC": "Baja California",
    "BS": "Baja California Sur",
    "CC": "Campeche",
    "CL": "Coahuila",
    "CM": "Colima",
    "CS": "Chiapas",
    "CH": "Chihuahua",
    "DF": "Ciudad de México",
    "DG": "Durango",
    "GT": "Guanajuato",
    "GR": "Guerrero",
    "HG": "Hidalgo",
    "JC": "Jalisco",
    "MC": "México",
    "MN": "Michoacán",
    "MS": "Morelos",
    "NT": "Nayarit",
    "NL": "Nuevo León",
    "OC": "Oaxaca",
    "PL": "Puebla",
    "QT": "Querétaro",
    "QR": "Quintana Roo",
    "SP": "San Luis Potosí",
    "SL": "Sinaloa",
    "SR": "Sonora",
    "TC": "Tabasco",
    "TS": "Tamaulipas",
    "TL": "Tlaxcala",
    "VZ": "Veracruz",
    "YN": "Yucatán",
    "ZS": "Zacatecas",
    "NE": "Nacido en el extranjero",
}

BORN_ABROAD = "NE"

# INEGI's numeric entidad keys (01–32), as found in registries that store the number.
INEGI_STATE_CODES: dict[str, str] = {
    f"{number:02d}": code for number, code in enumerate(list(STATE_CODES)[:32], start=1)
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().upper())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# Names and their usual variants, folded, so that "Edo. de México" or "CDMX" resolve.
_NAMES: dict[str, str] = {_fold(name): code for code, name in STATE_CODES.items()} | {
    "CDMX": "DF",
    "DISTRITO FEDERAL": "DF",
    "CIUDAD DE MEXICO": "DF",
    "ESTADO DE MEXICO": "MC",
    "EDO DE MEXICO": "MC",
    "EDO. DE MEXICO": "MC",
    "COAHUILA DE ZARAGOZA": "CL",
    "MICHOACAN DE OCAMPO": "MN",
    "VERACRUZ DE IGNACIO DE LA LLAVE": "VZ",
    "EXTRANJERO": "NE",
}


def state_code(raw: str | None) -> str | None:
    """The two-letter code for a code, an INEGI number (``"09"``, ``"9"``) or a state name."""
    if raw is None:
        return None
    folded = _fold(raw)
    if folded in STATE_CODES:
        return folded
    if folded.isdigit():
        return INEGI_STATE_CODES.get(folded.zfill(2))
    return _NAMES.get(folded)
