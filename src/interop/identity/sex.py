"""Sex as the CURP records it: H (hombre), M (mujer), X (non-binary, issued since 2023)."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    H = "H"
    M = "M"
    X = "X"


# Spellings found in extracts and in FHIR ``gender``. "M" means mujer here, as in the CURP and
# in Mexican forms; the English "male"/"female" words are mapped explicitly so that no single
# letter is read in the English sense.
_SPELLINGS: dict[str, Sex] = {
    "H": Sex.H,
    "HOMBRE": Sex.H,
    "MASCULINO": Sex.H,
    "MALE": Sex.H,
    "M": Sex.M,
    "MUJER": Sex.M,
    "FEMENINO": Sex.M,
    "FEMALE": Sex.M,
    "F": Sex.M,
    "X": Sex.X,
    "NO BINARIO": Sex.X,
    "NO BINARIE": Sex.X,
    "OTHER": Sex.X,
}


def parse_sex(raw: Sex | str | None) -> Sex | None:
    """The ``Sex`` a raw value names, or None when it is empty or unrecognised."""
    if raw is None:
        return None
    if isinstance(raw, Sex):
        return raw
    return _SPELLINGS.get(" ".join(raw.strip().upper().replace("-", " ").split()))


def require_sex(raw: Sex | str) -> Sex:
    """Like ``parse_sex`` but raises ``ValueError`` when the value names no sex."""
    sex = parse_sex(raw)
    if sex is None:
        raise ValueError("unrecognised sex; expected H, M or X")
    return sex
