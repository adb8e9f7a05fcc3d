"""Names folded for comparison, and split into the words that CURP derivation reads.

Comparison form: upper case, accents removed (Ñ → N), ``MA.``/``MA`` → MARIA and ``J.`` → JOSE in
given names, punctuation and whitespace folded to single spaces. Particles (DE, DEL, LA, …) stay in
``value`` but are left out of ``key_tokens`` / ``key``, which are what blocking keys are built from.
Paternal and maternal surnames are separate values and are never concatenated.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# RENAPO's particles, skipped when a CURP is derived and dropped from comparison keys.
# fmt: off
PARTICLES: frozenset[str] = frozenset({
    "DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS", "LAS",
    "LE", "LES", "MAC", "MC", "VAN", "VON", "Y",
})
# fmt: on

# First given names that RENAPO skips when a second given name follows; the comparison form
# has already expanded MA/MA. to MARIA and J. to JOSE, the bare J stays as written.
SKIPPED_GIVEN_NAMES: frozenset[str] = frozenset({"MARIA", "MA", "MA.", "JOSE", "J", "J."})

# What extracts write in place of an absent surname (compared after folding, so "N/A" is "N A").
MISSING_VALUES: frozenset[str] = frozenset(
    {
        "NO APLICA",
        "N A",
        "NA",
        "NINGUNO",
        "NINGUNA",
        "SIN APELLIDO",
        "SIN SEGUNDO APELLIDO",
        "SIN DATO",
        "SIN DATOS",
        "S D",
        "NO TIENE",
        "NO PROPORCIONADO",
        "DESCONOCIDO",
        "NULL",
        "NONE",
        "NULO",
    }
)

_ENYE = "Ñ"
_ENYE_STANDIN = "\ue000"  # private-use character: survives NFKD untouched
_APOSTROPHES = str.maketrans("", "", "'’‘`´")
_NON_LETTERS = re.compile(r"[^A-ZÑ ]+")
_ONLY_X = re.compile(r"X*")
# MA / MA. as a word of its own, also glued to the next name ("MA.GUADALUPE"); J. only with its period.
_MA = re.compile(r"(?<![A-ZÑ])MA(?:\.|(?![A-ZÑ]))")
_J_DOT = re.compile(r"(?<![A-ZÑ])J\.")
# CURP derivation splits words on whitespace and commas, and after a period ("MA.GUADALUPE").
_CURP_WORD_SPLIT = re.compile(r"[\s,]+|(?<=\.)")


# Two-character sequences that UTF-8 text shows when it was read as Windows-1252 ("PEÃ‘A").
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u2018-\u203a\u0152-\u017e\u02c6\u02dc\u20ac\u2122]")


def repair_mojibake(raw: str) -> str:
    """Undo UTF-8 read as Windows-1252 (PEÃ‘A → PEÑA, JOSÃ‰ → JOSÉ), a common fault of extracts;
    text without such sequences, or that does not round-trip, is returned unchanged."""
    if _MOJIBAKE.search(raw) is None:
        return raw
    for encoding in ("cp1252", "latin-1"):
        try:
            return raw.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
    return raw


def strip_accents(raw: str, *, keep_enye: bool = False) -> str:
    """Upper-cased ``raw`` without diacritics; Ñ survives when ``keep_enye`` (CURP derivation needs it)."""
    text = unicodedata.normalize("NFC", repair_mojibake(raw)).upper()
    if keep_enye:
        text = text.replace(_ENYE, _ENYE_STANDIN)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace(_ENYE_STANDIN, _ENYE) if keep_enye else text


def fold_name(raw: str, *, given: bool = False, keep_enye: bool = False) -> str:
    """The comparison form of one name field; idempotent (``fold_name(fold_name(x)) == fold_name(x)``)."""
    text = strip_accents(raw, keep_enye=keep_enye)
    if given:
        text = _J_DOT.sub(" JOSE ", _MA.sub(" MARIA ", text))
    text = _NON_LETTERS.sub(" ", text.translate(_APOSTROPHES))
    if not keep_enye:
        text = text.replace(_ENYE, "N")
    return " ".join(text.split())


def is_missing(folded: str) -> bool:
    """True when a folded value says the field is absent ("", "XXXX", "NO APLICA", …)."""
    return _ONLY_X.fullmatch(folded.replace(" ", "")) is not None or folded in MISSING_VALUES


def key_tokens_of(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """``tokens`` without particles; all of them when nothing but particles remains ("DE LA")."""
    kept = tuple(t for t in tokens if t not in PARTICLES)
    return kept or tokens


@dataclass(frozen=True, slots=True)
class GivenNames:
    """Given names in comparison form. ``main`` is the name a person is called by: the first one,
    or the second when the first is MARIA/JOSE and another follows (RENAPO's rule)."""

    value: str
    tokens: tuple[str, ...]
    key_tokens: tuple[str, ...]
    first: str
    main: str


@dataclass(frozen=True, slots=True)
class Surname:
    """One surname in comparison form; ``key`` drops particles ("DE LA CRUZ" → "CRUZ")."""

    value: str
    tokens: tuple[str, ...]
    key: str


def main_given_name(key_tokens: tuple[str, ...]) -> str:
    """RENAPO's choice among given names: skip MARIA/JOSE (or MA, J …) when another follows."""
    if len(key_tokens) > 1 and key_tokens[0] in SKIPPED_GIVEN_NAMES:
        return key_tokens[1]
    return key_tokens[0]


def normalize_given_names(raw: str | None) -> GivenNames | None:
    """Given names for comparison, or None when absent or junk."""
    if raw is None:
        return None
    value = fold_name(raw, given=True)
    if is_missing(value):
        return None
    tokens = tuple(value.split())
    keys = key_tokens_of(tokens)
    return GivenNames(
        value=value, tokens=tokens, key_tokens=keys, first=tokens[0], main=main_given_name(keys)
    )


def normalize_surname(raw: str | None) -> Surname | None:
    """One surname for comparison, or None when absent or junk ("XXXX", "NO APLICA", ".", "-")."""
    if raw is None:
        return None
    value = fold_name(raw)
    if is_missing(value):
        return None
    tokens = tuple(value.split())
    return Surname(value=value, tokens=tokens, key=" ".join(key_tokens_of(tokens)))


def curp_words(raw: str | None) -> tuple[str, ...]:
    """The words CURP derivation reads: accents removed but Ñ and special characters kept (they turn
    into X where they land), split on whitespace, commas and after periods
    ("MA.GUADALUPE" → "MA.", "GUADALUPE"). Empty for absent or junk values."""
    if raw is None or is_missing(fold_name(raw)):
        return ()
    text = strip_accents(raw, keep_enye=True)
    return tuple(w for w in _CURP_WORD_SPLIT.split(text) if w)


# Surnames of several words that are one surname, though their first word is a surname on its own too:
# "PONCE DE LEON GARCIA" is Ponce de León + García. Compared in folded form.
COMPOUND_SURNAMES: tuple[tuple[str, ...], ...] = tuple(
    tuple(s.split())
    for s in (
        "ESPINOSA DE LOS MONTEROS",
        "PONCE DE LEON",
        "MONTES DE OCA",
        "DIAZ DE LEON",
        "SANCHEZ DE TAGLE",
        "FERNANDEZ DE LARA",
    )
)


def _compound_at(folded: list[str], start: int) -> int:
    """The length of a known compound surname starting at ``start``, or 0."""
    for compound in COMPOUND_SURNAMES:
        if tuple(folded[start : start + len(compound)]) == compound:
            return len(compound)
    return 0


def split_family(family: str | None) -> tuple[str | None, str | None]:
    """Both surnames written as one ``family`` → (paternal, maternal), each as written.

    Rules, in order: a known compound surname (PONCE DE LEON, MONTES DE OCA …) is one surname; particles
    bind to the word after them (DE LA CRUZ is one surname); while more than two surnames remain, one that
    starts with a particle joins the surname before it (GARCIA DE LEON LOPEZ → GARCIA DE LEON + LOPEZ).
    The first surname is the paternal one and the rest the maternal one. A family of one surname has
    no maternal surname."""
    words = (family or "").split()
    if not words:
        return None, None
    folded = [fold_name(w) for w in words]
    units: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        end = i + (_compound_at(folded, i) or 1)
        if end == i + 1:
            while end < len(words) and folded[end - 1] in PARTICLES:
                end += 1
        units.append((i, end))
        i = end
    while len(units) > 2:
        joins = next((k for k in range(1, len(units)) if folded[units[k][0]] in PARTICLES), None)
        if joins is None:
            break
        units[joins - 1 : joins + 1] = [(units[joins - 1][0], units[joins][1])]
    paternal = " ".join(words[units[0][0] : units[0][1]])
    maternal = " ".join(words[units[0][1] :]) or None
    return paternal, maternal
