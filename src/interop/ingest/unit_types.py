"""The units CSV's optional ``tipo_unidad``: the words found in CLUES extracts and state catalogues, folded
to one code each (the codes routing knows, and the message catalogue's ``unit_type.*`` names)."""

from __future__ import annotations

import unicodedata

_ALIASES: dict[str, tuple[str, ...]] = {
    "centro-salud": (
        "CENTRO DE SALUD", "CENTRO SALUD", "CS", "CSR", "CSU", "CENTRO DE SALUD RURAL",
        "CENTRO DE SALUD URBANO", "CENTRO DE SALUD CON SERVICIOS AMPLIADOS", "CESSA", "HEALTH CENTRE",
        "HEALTH CENTER",
    ),
    "umr": ("UMR", "UNIDAD MEDICA RURAL", "RURAL MEDICAL UNIT"),
    "umu": ("UMU", "UNIDAD MEDICA URBANA", "URBAN MEDICAL UNIT"),
    "hospital-rural": ("HR", "HOSPITAL RURAL", "RURAL HOSPITAL"),
    "hospital-general": (
        "HG", "HOSPITAL GENERAL", "HOSPITAL INTEGRAL", "HOSPITAL COMUNITARIO", "GENERAL HOSPITAL",
    ),
    "hospital-especialidad": (
        "HOSPITAL DE ESPECIALIDAD", "HOSPITAL DE ESPECIALIDADES", "HOSPITAL DE ALTA ESPECIALIDAD", "HAE",
        "SPECIALTY HOSPITAL",
    ),
    "unidad-movil": (
        "UNIDAD MOVIL", "UNIDAD MEDICA MOVIL", "UMM", "CARAVANA DE LA SALUD", "MOBILE UNIT",
        "MOBILE MEDICAL UNIT",
    ),
    "brigada": ("BRIGADA", "BRIGADA DE SALUD", "BRIGADA MOVIL", "HEALTH BRIGADE"),
    "uneme": ("UNEME", "UNIDAD DE ESPECIALIDADES MEDICAS"),
    "caro": ("CARO", "CENTRO DE ATENCION RURAL OBSTETRICA"),
}  # fmt: skip


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().upper())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace(".", " ").split())


_CODES: dict[str, str] = {_fold(code): code for code in _ALIASES} | {
    _fold(alias): code for code, aliases in _ALIASES.items() for alias in aliases
}
UNIT_TYPES = frozenset(_ALIASES)


def unit_type(raw: str) -> str | None:
    """The code for a ``tipo_unidad`` value, or None when it names no type we know (``UNEME-EC`` and
    other UNEME variants are UNEME)."""
    folded = _fold(raw)
    if folded.startswith("UNEME"):
        return "uneme"
    return _CODES.get(folded)
