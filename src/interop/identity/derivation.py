"""Characters 1–16 of a CURP computed from a person's data by RENAPO's rules.

The rules (Instructivo Normativo para la Asignación de la CURP), in the order applied here:

- Given names: the first one is used, except that MARIA / JOSE (also written MA., MA, J., J) as the
  first of several is skipped. Particles (DE, DEL, LA, …) are skipped in names and surnames.
- Positions 1–2: the first letter of the first surname and its first internal vowel (X when none).
- Position 3: the first letter of the second surname, X when there is none. A person with only one
  surname recorded as the mother's (no paternal) has it used as the first surname.
- Position 4: the first letter of the given name used.
- If positions 1–4 spell a word on the published list of inconvenient words, position 2 becomes X.
- Positions 5–10: birth date YYMMDD; 11: sex H/M/X; 12–13: entidad of birth (NE born abroad).
- Positions 14–16: the first internal consonant of the first surname, of the second (X when there is
  none) and of the given name used (X when the word has none).
- Ñ becomes X; any character that is not A–Z (a slash, a hyphen, a digit) in a position becomes X.
  The same holds when such a character comes before the internal vowel or consonant sought
  (D/AMICO → DX…). Accents are removed first (Á → A, Ü → U).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from interop.identity.names import PARTICLES, SKIPPED_GIVEN_NAMES, curp_words
from interop.identity.sex import Sex, require_sex
from interop.identity.states import state_code

VOWELS = frozenset("AEIOU")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CONSONANTS = LETTERS - VOWELS

# Published by RENAPO; when positions 1–4 form one of these, position 2 is replaced by X.
# fmt: off
INCONVENIENT_WORDS: frozenset[str] = frozenset({
    "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE", "COGI",
    "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI", "GUEY", "JETA",
    "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI", "KOJA", "KOJE", "KOJI",
    "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO", "MAME", "MAMO", "MEAR", "MEAS",
    "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO", "NACA", "NACO", "PEDA", "PEDO", "PENE",
    "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO", "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO",
    "TETA", "VACA", "VAGA", "VAGO", "VAKA", "VUEI", "VUEY", "WUEI", "WUEY",
})
# fmt: on

MISSING = "X"


@dataclass(frozen=True, slots=True)
class CurpNamePart:
    """The characters of a CURP that come from names: positions 1–4 and 14–16."""

    initials: str
    consonants: str

    @property
    def characters(self) -> str:
        """The seven name characters in CURP order of appearance (1–4 then 14–16)."""
        return self.initials + self.consonants


def _letter(char: str) -> str:
    return char if char in LETTERS else MISSING


def _first_letter(word: str) -> str:
    return _letter(word[0]) if word else MISSING


def _internal(word: str, wanted: frozenset[str]) -> str:
    """The first character after the first that is of the ``wanted`` kind, X when none.

    Ñ is a consonant, written X. A special character (/, -, ., ') met first gives X: RENAPO
    writes X when such a character lands in the position (instructivo: D/AMICO ALVAREZ → DXA…).
    """
    for char in word[1:]:
        if char in wanted:
            return char
        if char == "Ñ":
            if wanted is CONSONANTS:
                return MISSING
        elif char not in LETTERS:
            return MISSING
    return MISSING


def _without_particles(words: tuple[str, ...]) -> tuple[str, ...]:
    kept = tuple(w for w in words if w.rstrip(".") not in PARTICLES)
    return kept or words


def _surname_word(raw: str | None) -> str:
    """The word of a surname that the CURP reads ("DE LA CRUZ" → "CRUZ"); "" when absent."""
    words = _without_particles(curp_words(raw))
    return words[0] if words else ""


def _given_word(raw: str | None) -> str:
    words = _without_particles(curp_words(raw))
    if not words:
        return ""
    if len(words) > 1 and words[0] in SKIPPED_GIVEN_NAMES:
        return words[1]
    return words[0]


def derive_name_part(
    *, given_names: str | None, paternal_surname: str | None, maternal_surname: str | None
) -> CurpNamePart:
    """Positions 1–4 and 14–16 from names alone; raises ``ValueError`` without a given name and a surname."""
    given = _given_word(given_names)
    first = _surname_word(paternal_surname)
    second = _surname_word(maternal_surname)
    if not first:
        first, second = second, ""
    if not given or not first:
        raise ValueError("a CURP needs a given name and at least one surname")
    initials = _first_letter(first) + _internal(first, VOWELS) + _first_letter(second) + _first_letter(given)
    if initials in INCONVENIENT_WORDS:
        initials = initials[0] + MISSING + initials[2:]
    consonants = (
        _internal(first, CONSONANTS)
        + (_internal(second, CONSONANTS) if second else MISSING)
        + _internal(given, CONSONANTS)
    )
    return CurpNamePart(initials=initials, consonants=consonants)


def encode_birth_date(birth_date: date) -> str:
    """YYMMDD; raises ``ValueError`` outside 1900–2099, which character 17 cannot tell apart."""
    if not 1900 <= birth_date.year <= 2099:
        raise ValueError("a CURP encodes birth dates from 1900 to 2099 only")
    return birth_date.strftime("%y%m%d")


def require_state(raw: str) -> str:
    code = state_code(raw)
    if code is None:
        raise ValueError("unknown entidad; expected a two-letter CURP code such as DF or NE")
    return code


def derive_curp16(
    *,
    given_names: str,
    paternal_surname: str | None,
    maternal_surname: str | None,
    birth_date: date,
    sex: Sex | str,
    state: str,
) -> str:
    """Characters 1–16 of the CURP for these data. ``state`` is the entidad of birth (code, INEGI
    number or name; NE when born abroad). Raises ``ValueError`` when a part cannot be encoded."""
    part = derive_name_part(
        given_names=given_names, paternal_surname=paternal_surname, maternal_surname=maternal_surname
    )
    return (
        part.initials
        + encode_birth_date(birth_date)
        + require_sex(sex).value
        + require_state(state)
        + part.consonants
    )
