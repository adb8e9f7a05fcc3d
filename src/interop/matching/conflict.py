"""Hard conflicts: two records that cannot be one person, whatever else agrees. Pure.

Used where a score alone would decide: the batch never puts two conflicting records into one person
automatically (``assign``), and the online path never grades such a pair ``certain``. Such pairs still
reach the review queue when they score high enough — a reviewer settles them.
"""

from __future__ import annotations

from dataclasses import dataclass

from interop.identity.keys import phonetic_word
from interop.identity.names import PARTICLES, SKIPPED_GIVEN_NAMES
from interop.matching.features import MatchFeatures
from interop.matching.spec import days_apart, fuzzy, levenshtein


@dataclass(frozen=True, slots=True)
class Signature:
    """What the hard-conflict check reads of a record (``given_full``: all given names, folded)."""

    curp: str | None
    dob: str | None
    given_main: str | None
    given_rest: str | None
    given_full: str | None = None
    sexo: str | None = None

    @classmethod
    def of(cls, f: MatchFeatures) -> Signature:
        return cls(f.curp, f.dob, f.given_main, f.given_rest, f.given_full, f.sexo)


def _tokens(full: str) -> list[str]:
    words = full.split()
    return [w for w in words if w not in PARTICLES] or words


def _same_name(x: str, y: str, *, exact: bool = False) -> bool:
    """One given name written two ways: equal, mistyped, spelt alike, or an initial of the other
    (``exact``: equal or an initial only)."""
    if x == y:
        return True
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]
    return not exact and (fuzzy(x, y) or phonetic_word(x) == phonetic_word(y))


def given_variants(a: str, b: str, *, exact: bool = False) -> bool:
    """True when one set of given names can be a way of writing the other: every name of the shorter
    one (a dropped name, an abbreviation, a typo, another order) is found in the longer one, or the
    two differ by a typo or a misplaced space as a whole. MARIA or JOSE alone is found only as the
    other's first name (RENAPO's rule: they say little unless first). JUAN CARLOS and CARLOS are
    variants; JUAN CARLOS and JUAN JOSE, or DULCE MARIA and MARIA, are not — that is how twins and
    siblings are told apart, whatever the surnames, birth date and address say. ``exact`` admits no
    misspelling (for records of different sexes: LUIS and LUISA are a brother and a sister)."""
    if a == b:
        return True
    ta, tb = _tokens(a), _tokens(b)
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if all(x in SKIPPED_GIVEN_NAMES for x in short) and any(y not in SKIPPED_GIVEN_NAMES for y in long_):
        found = short[0] == long_[0]
    else:
        found = all(any(_same_name(x, y, exact=exact) for y in long_) for x in short)
    return found or (not exact and fuzzy(a.replace(" ", ""), b.replace(" ", "")))


def _given_conflict(a: Signature, b: Signature) -> bool:
    # Gendered forms of one name differ by a letter or two (LUIS / LUISA, GABRIEL / GABRIELA): with
    # the sexes on record apart too, a near spelling is a sibling's name, not a typo.
    exact = bool(a.sexo and b.sexo and a.sexo != b.sexo)
    if a.given_full and b.given_full:
        return not given_variants(a.given_full, b.given_full, exact=exact)
    if a.given_main and b.given_main:
        same = a.given_main == b.given_main or (not exact and fuzzy(a.given_main, b.given_main))
        shared = bool(a.given_rest and b.given_rest and set(a.given_rest.split()) & set(b.given_rest.split()))
        return not same and not shared
    return False


def hard_conflict(a: Signature, b: Signature) -> bool:
    """Trusted CURPs more than one edit apart, birth dates more than about a year apart (not a
    day/month swap, not one mistyped digit), or given names that are not variants of each other
    (spelt the same, for records of different sexes)."""
    if a.curp and b.curp and a.curp != b.curp and levenshtein(a.curp, b.curp) > 1:
        return True
    if a.dob and b.dob and a.dob != b.dob:
        swapped = a.dob[:4] == b.dob[:4] and a.dob[5:7] == b.dob[8:10] and a.dob[8:10] == b.dob[5:7]
        if not swapped and levenshtein(a.dob, b.dob) > 1 and days_apart(a.dob, b.dob) > 400:
            return True
    return _given_conflict(a, b)
