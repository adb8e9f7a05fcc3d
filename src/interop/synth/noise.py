"""String-level noise: the ways clerks and systems change a name, a date or a CURP.

Each function takes one value and the chunk's random generator; ``Noise`` names every kind that
can be recorded against a record. Which records get which noise is decided in ``rendering``.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CURP_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y"})
MATERNAL_PLACEHOLDERS = ("X", "XX", "XXX", "NO APLICA", "SIN SEGUNDO APELLIDO", "N/A", ".")


class Noise(IntEnum):
    """Recorded noise kinds, as bits of a record's noise mask."""

    missing_curp = 0
    curp_typo = 1
    curp_of_relative = 2
    abbreviated_given = 3
    dropped_second_given = 4
    missing_maternal = 5
    swapped_surnames = 6
    name_typo = 7
    spurious_accent = 8
    enye_as_n = 9
    mojibake = 10
    lowercase = 11
    mixed_case = 12
    extra_spaces = 13
    day_month_swap = 14
    year_off_by_one = 15
    missing_birth_date = 16
    moved = 17
    missing_phone = 18
    formatted_phone = 19
    sex_flipped = 20
    duplicate = 21


STRIP_ACCENTS = str.maketrans("ÁÉÍÓÚÜáéíóúü", "AEIOUUaeiouu")
ACUTE = str.maketrans("AEIOU", "ÁÉÍÓÚ")
_PHONETIC = (
    ("V", "B"),
    ("B", "V"),
    ("Z", "S"),
    ("S", "Z"),
    ("CE", "SE"),
    ("CI", "SI"),
    ("LL", "Y"),
    ("Y", "LL"),
    ("H", ""),
    ("J", "G"),
    ("GE", "JE"),
    ("X", "J"),
    ("QU", "K"),
)


def typo(value: str, rng: np.random.Generator) -> str:
    """One edit: a Spanish sound-alike swap, or insert / delete / substitute / transpose a letter."""
    if len(value) < 2:
        return value + LETTERS[int(rng.integers(26))]
    op = int(rng.integers(5))
    if op == 0:
        start = int(rng.integers(len(_PHONETIC)))
        for k in range(len(_PHONETIC)):
            old, new = _PHONETIC[(start + k) % len(_PHONETIC)]
            at = value.find(old, 1)
            if at > 0:
                return value[:at] + new + value[at + len(old) :]
        op = 3
    at = int(rng.integers(1, len(value)))
    letter = LETTERS[int(rng.integers(26))]
    if op == 1:
        return value[:at] + letter + value[at:]
    if op == 2 and len(value) > 3:
        return value[:at] + value[at + 1 :]
    if op == 4 and at < len(value) - 1 and value[at] != value[at + 1]:
        return value[:at] + value[at + 1] + value[at] + value[at + 2 :]
    if value[at] == letter:
        letter = LETTERS[(LETTERS.find(letter) + 1) % 26]
    return value[:at] + letter + value[at + 1 :]


def abbreviate(given: str, rng: np.random.Generator) -> str:
    """MARÍA → MA. / MA, JOSÉ → J. when another given name follows."""
    first, _, rest = given.partition(" ")
    plain = first.translate(STRIP_ACCENTS)
    if plain == "MARIA":
        short = ("MA.", "MA", "MA.")[int(rng.integers(3))]
        # Some systems glue the abbreviation to the next name ("MA.GUADALUPE").
        return f"{short}{rest}" if short == "MA." and rng.random() < 0.1 else f"{short} {rest}"
    if plain == "JOSE":
        return f"J. {rest}"
    return given


def can_abbreviate(given: str) -> bool:
    first, sep, _ = given.partition(" ")
    return bool(sep) and first.translate(STRIP_ACCENTS) in ("MARIA", "JOSE")


def drop_second(given: str, rng: np.random.Generator) -> str:
    """Keep one given name: the first, or (for MARÍA/JOSÉ + name) often the name they go by."""
    words = [w for w in given.split() if w not in PARTICLES]
    if len(words) < 2:
        return given
    if words[0].translate(STRIP_ACCENTS) in ("MARIA", "JOSE") and rng.random() < 0.5:
        return words[-1]
    return words[0]


def maternal_missing(rng: np.random.Generator, placeholder_share: float) -> str:
    if rng.random() < placeholder_share:
        return MATERNAL_PLACEHOLDERS[int(rng.integers(len(MATERNAL_PLACEHOLDERS)))]
    return ""


def spurious_accent(value: str, rng: np.random.Generator) -> str:
    vowels = [i for i, c in enumerate(value) if c in "AEIOU"]
    if not vowels:
        return value
    at = vowels[int(rng.integers(len(vowels)))]
    return value[:at] + value[at].translate(ACUTE) + value[at + 1 :]


def mojibake(value: str) -> str:
    """UTF-8 bytes read as Windows-1252, as a mis-configured export writes them."""
    return value.encode("utf-8").decode("cp1252", errors="replace")


def extra_spaces(value: str, rng: np.random.Generator) -> str:
    kind = int(rng.integers(3))
    if kind == 0:
        return f" {value}"
    if kind == 1 or " " not in value:
        return f"{value} "
    return value.replace(" ", "  ", 1)


def curp_typo(curp: str, rng: np.random.Generator) -> str:
    """One character substituted (often a look-alike: 0/O, 1/I, 5/S, 8/B) or two swapped."""
    at = int(rng.integers(len(curp)))
    look_alike = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8"}
    if rng.random() < 0.2 and at < len(curp) - 1 and curp[at] != curp[at + 1]:
        return curp[:at] + curp[at + 1] + curp[at] + curp[at + 2 :]
    new = look_alike.get(curp[at]) if rng.random() < 0.4 else None
    if new is None:
        new = CURP_CHARS[int(rng.integers(len(CURP_CHARS)))]
        if new == curp[at]:
            new = CURP_CHARS[(CURP_CHARS.find(new) + 1) % len(CURP_CHARS)]
    return curp[:at] + new + curp[at + 1 :]


def formatted_phone(digits: str, rng: np.random.Generator) -> str:
    if len(digits) != 10:
        return digits
    kind = int(rng.integers(3))
    if kind == 0:
        return f"{digits[:2]} {digits[2:6]} {digits[6:]}"
    if kind == 1:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return f"+52 {digits}"
