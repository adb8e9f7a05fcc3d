"""The CURP as RENAPO builds it, written for the third population (``third_population.py``) from the
instructivo, not taken from ``interop``: characters 1–16 from names, birth date, sex and state; the
homoclave; the check digit."""

from __future__ import annotations

import unicodedata
from datetime import date

from third_population_data import words

CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
PARTICLES = {
    "DA",
    "DAS",
    "DE",
    "DEL",
    "DER",
    "DI",
    "DIE",
    "DD",
    "EL",
    "LA",
    "LOS",
    "LAS",
    "LE",
    "LES",
    "MAC",
    "MC",
    "VAN",
    "VON",
    "Y",
}
SKIPPED_GIVEN = {"MARIA", "MA", "MA.", "M", "M.", "JOSE", "J", "J."}
INCONVENIENT = set(
    words(
        "BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO COLA CULO FALO "
        "FETO GETA GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA KOJE KOJI KOJO KOLA "
        "KULO LILO LOCA LOCO LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION MOCO MOKO MULA MULO NACA NACO "
        "PEDA PEDO PENE PIPI PITO POPO PUTA PUTO QULO RATA ROBA ROBE ROBO RUIN SENO TETA VACA VAGA VAGO "
        "VAKA VUEI VUEY WUEI WUEY"
    )
)


# --- CURP (RENAPO) ------------------------------------------------------------------------------------
def _plain(text: str) -> str:
    """Upper case without accents, Ñ kept (RENAPO writes it; the key turns it into X)."""
    out = []
    for ch in text.upper():
        if ch == "Ñ":
            out.append(ch)
        else:
            out.append("".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)))
    return "".join(out)


def _words(text: str, skip: set[str]) -> str:
    """The word a CURP takes its letters from: particles (and for given names MARIA/JOSE first of
    several) left out."""
    words = _plain(text).replace(".", ". ").split()
    if skip and len(words) > 1 and words[0] in skip:
        words = words[1:]
    kept = [w for w in words if w not in PARTICLES]
    return (kept or words or ["X"])[0].replace(".", "")


def _first(word: str) -> str:
    return "X" if not word or word[0] == "Ñ" or not word[0].isalpha() else word[0]


def _inner(word: str, vowels: bool) -> str:
    """First inner vowel or consonant; a special character met first (D/AMICO, O'CONNOR) gives X, as
    RENAPO's instructivo does where such a character takes the position."""
    for ch in word[1:]:
        if not ch.isalpha():
            return "X"
        if (ch in "AEIOU") == vowels:
            return "X" if ch == "Ñ" else ch
    return "X"


def check_digit(first17: str) -> str:
    total = sum(CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(first17))
    return str((10 - total % 10) % 10)


def curp_stem(given: str, first: str, second: str, born: date, sex: str, state: str) -> str:
    """Characters 1–16."""
    p, m, g = (
        _words(first, set()),
        _words(second, set()) if second.strip() else "",
        _words(given, SKIPPED_GIVEN),
    )
    head = _first(p) + _inner(p, True) + (_first(m) if m else "X") + _first(g)
    if head in INCONVENIENT:
        head = head[0] + "X" + head[2:]
    inner = _inner(p, False) + (_inner(m, False) if m else "X") + _inner(g, False)
    return f"{head}{born:%y%m%d}{sex}{state}{inner}"


def make_curp(stem: str, homoclave: str) -> str:
    return stem + homoclave + check_digit(stem + homoclave)


def curp_valid(curp: str) -> bool:
    return len(curp) == 18 and all(c in CURP_ALPHABET for c in curp) and check_digit(curp[:17]) == curp[17]
