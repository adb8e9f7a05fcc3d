"""Blocking and comparison keys that matching builds on.

``phonetic_key`` is a Spanish-aware phonetic code (Soundex and Metaphone model English sounds and
would, for instance, keep B and V apart). It codes Mexican Spanish as spoken:

- H is silent (HERNANDEZ = ERNANDEZ), except in CH, which is coded H because it is its own sound;
- B, V (and W, usually a GU/U sound in names of Nahuatl origin: coded U) merge: VAZQUEZ = BAZQUEZ;
- C before E/I, S and Z merge as S (seseo): GONZALEZ = GONSALES, CELIA = SELIA;
- C elsewhere, K and QU merge as K: QUIROZ = KIROS, CARLOS = KARLOS;
- G before E/I and J merge as J (GERARDO = JERARDO); GU before E/I is a hard G (GUILLERMO);
- X merges with J: in Mexican names it is mostly the /x/ of MEXIA/MEJIA, XIMENA/JIMENA, XAVIER;
- LL and Y before a vowel merge as Y (LLAMAS = YAMAS); Y elsewhere is the vowel I (ROY = ROI);
- accents and Ñ are folded (NUÑEZ = NUNEZ), repeated sounds collapse (RR = R), vowels are kept
  because Spanish spells them as spoken.

Keys are computed on names already in comparison form; particles are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from interop.identity.derivation import derive_curp16, derive_name_part
from interop.identity.names import fold_name, key_tokens_of
from interop.identity.sex import Sex

_VOWELS = frozenset("AEIOU")
_FRONT = frozenset("EI")
# Letters whose code is themselves.
_PLAIN = frozenset("ADEFIMNOPRTU")


def _code(word: str, i: int) -> tuple[str, int]:
    """The code for the sound starting at ``word[i]`` and how many letters it spans."""
    c = word[i]
    nxt = word[i + 1] if i + 1 < len(word) else ""
    after = word[i + 2] if i + 2 < len(word) else ""
    if c in _PLAIN:
        return c, 1
    if c == "H":
        return "", 1
    if c == "C":
        if nxt == "H":
            return "H", 2
        return ("S" if nxt in _FRONT else "K"), 1
    if c == "Q":
        return "K", (2 if nxt == "U" else 1)
    if c == "G":
        if nxt == "U" and after in _FRONT:
            return "G", 2
        return ("J" if nxt in _FRONT else "G"), 1
    if c == "L":
        return ("Y", 2) if nxt == "L" else ("L", 1)
    if c == "Y":
        return ("Y" if nxt in _VOWELS else "I"), 1
    if c in "BV":
        return "B", 1
    if c == "W":
        return "U", 1
    if c in "SZ":
        return "S", 1
    if c in "XJ":
        return "J", 1
    if c == "K":
        return "K", 1
    return "", 1


def phonetic_word(word: str) -> str:
    """The phonetic code of one upper-case, accent-free word (see the module docstring)."""
    out: list[str] = []
    i = 0
    while i < len(word):
        code, span = _code(word, i)
        if code and (not out or out[-1] != code):
            out.append(code)
        i += span
    return "".join(out)


def phonetic_key(name: str | None) -> str:
    """Phonetic code of a name field, word by word without particles; "" when nothing remains."""
    if not name:
        return ""
    tokens = key_tokens_of(tuple(fold_name(name).split()))
    return " ".join(code for code in map(phonetic_word, tokens) if code)


def curp16_of(
    *,
    given_names: str | None,
    paternal_surname: str | None,
    maternal_surname: str | None,
    birth_date: date | None,
    sex: Sex | str | None,
    state: str | None,
) -> str | None:
    """``derive_curp16`` for a record that may lack pieces: None instead of an error."""
    if given_names is None or birth_date is None or sex is None or state is None:
        return None
    try:
        return derive_curp16(
            given_names=given_names,
            paternal_surname=paternal_surname,
            maternal_surname=maternal_surname,
            birth_date=birth_date,
            sex=sex,
            state=state,
        )
    except ValueError:
        return None


def curp10_of(
    *,
    given_names: str | None,
    paternal_surname: str | None,
    maternal_surname: str | None,
    birth_date: date | None,
) -> str | None:
    """CURP characters 1–10 (name initials and YYMMDD): a blocking key that needs neither sex nor
    entidad of birth, which records often lack or get wrong. None when a piece is missing."""
    if birth_date is None or not 1900 <= birth_date.year <= 2099:
        return None
    try:
        part = derive_name_part(
            given_names=given_names, paternal_surname=paternal_surname, maternal_surname=maternal_surname
        )
    except ValueError:
        return None
    return part.initials + birth_date.strftime("%y%m%d")


@dataclass(frozen=True, slots=True)
class BirthDateKeys:
    """Keys of one birth date. ``day_month_swapped`` is the date with day and month exchanged when
    that is another real date (the commonest transcription error between DD/MM and MM/DD)."""

    iso: str
    year: int
    year_month: str
    month_day: str
    day_month_swapped: str | None


def birth_date_keys(birth_date: date) -> BirthDateKeys:
    swapped: str | None = None
    if birth_date.day <= 12 and birth_date.day != birth_date.month:
        swapped = birth_date.replace(month=birth_date.day, day=birth_date.month).isoformat()
    return BirthDateKeys(
        iso=birth_date.isoformat(),
        year=birth_date.year,
        year_month=birth_date.strftime("%Y-%m"),
        month_day=birth_date.strftime("%m-%d"),
        day_month_swapped=swapped,
    )
