"""Given names: when two ways of writing them are one person's, and when they settle two people. Pure.

Read by the hard conflicts (``conflict``): given names that are not variants of each other are a
hard conflict (a reviewer's question, never an automatic link); given names with nothing in common
settle the pair as two people (``conflict.settled_apart``: never a review).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from interop.identity.hypocoristics import NICKNAMES, compound_nickname, same_by_nickname
from interop.identity.keys import phonetic_key, phonetic_word
from interop.identity.names import PARTICLES, SKIPPED_GIVEN_NAMES
from interop.matching.spec import damerau_levenshtein, fuzzy, levenshtein


class Named(Protocol):
    """What these rules read of a record (``conflict.Signature`` has it all)."""

    @property
    def curp(self) -> str | None: ...
    @property
    def given_main(self) -> str | None: ...
    @property
    def given_rest(self) -> str | None: ...
    @property
    def given_full(self) -> str | None: ...
    @property
    def sexo(self) -> str | None: ...
    @property
    def ap1(self) -> str | None: ...


def tokens(full: str) -> list[str]:
    words = full.split()
    return [w for w in words if w not in PARTICLES] or words


def same_name(x: str, y: str, *, exact: bool = False) -> bool:
    """One given name written two ways: equal, mistyped, spelt alike, a nickname of the other
    (``identity.hypocoristics``), or an initial of the other (``exact``: equal or an initial only)."""
    if x == y:
        return True
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]
    return not exact and (fuzzy(x, y) or phonetic_word(x) == phonetic_word(y) or same_by_nickname(x, y))


def given_variants(a: str, b: str, *, exact: bool = False) -> bool:
    """True when one set of given names can be a way of writing the other: every name of the shorter
    one (a dropped name, an abbreviation, a typo, another order) is found in the longer one, or the
    two differ by a typo or a misplaced space as a whole. MARIA or JOSE alone is found only as the
    other's first name (RENAPO's rule: they say little unless first). JUAN CARLOS and CARLOS are
    variants; JUAN CARLOS and JUAN JOSE, or DULCE MARIA and MARIA, are not — that is how twins and
    siblings are told apart, whatever the surnames, birth date and address say. ``exact`` admits no
    misspelling (for records of different sexes: LUIS and LUISA are a brother and a sister)."""
    if a == b or (not exact and compound_nickname(a, b)):
        return True
    ta, tb = tokens(a), tokens(b)
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if all(x in SKIPPED_GIVEN_NAMES for x in short) and any(y not in SKIPPED_GIVEN_NAMES for y in long_):
        found = short[0] == long_[0]
    else:
        found = all(any(same_name(x, y, exact=exact) for y in long_) for x in short)
    return found or (not exact and fuzzy(a.replace(" ", ""), b.replace(" ", "")))


def given_conflict(a: Named, b: Named) -> bool:
    # Gendered forms of one name differ by a letter or two (LUIS / LUISA, GABRIEL / GABRIELA): with
    # the sexes on record apart too, a near spelling is a sibling's name, not a typo.
    exact = bool(a.sexo and b.sexo and a.sexo != b.sexo)
    if a.given_full and b.given_full:
        return not given_variants(a.given_full, b.given_full, exact=exact)
    if a.given_main and b.given_main:
        same = a.given_main == b.given_main or (
            not exact and (fuzzy(a.given_main, b.given_main) or same_by_nickname(a.given_main, b.given_main))
        )
        shared = bool(a.given_rest and b.given_rest and set(a.given_rest.split()) & set(b.given_rest.split()))
        return not same and not shared
    return False


def typed_given(a: Named, b: Named) -> bool:
    """Given names that a clerk's slips explain, without any name table: at most two edits apart
    (a transposition or a misplaced space counting as one), or written in the surname's field."""
    if a.given_full and b.given_full:
        x, y = a.given_full.replace(" ", ""), b.given_full.replace(" ", "")
        if damerau_levenshtein(x, y) <= 2:
            return True
    return bool(
        a.given_main
        and b.given_main
        and a.ap1
        and b.ap1
        and (
            (a.given_main == b.ap1 and fuzzy(a.ap1, b.given_main))
            or (a.ap1 == b.given_main and fuzzy(a.given_main, b.ap1))
        )
    )


def names_settle_apart(a: Named, b: Named) -> bool:
    """Given names with nothing in common: no name of one is the other's written another way (equal,
    an initial, mistyped — two edits or fewer, a transposition counting as one —, spelt alike, a
    nickname, mistyped or not, cut short or part of the other, abbreviated, or sharing its first three
    letters: JAVI / JAVIER, LUPE / GUADALUPE, PEOE / JOSE, GPE / GUADALUPE, ALEX / ALEJANDRO — a name
    table is never complete, and a pair this rule leaves is only a reviewer's question), no given name
    written as the other's first surname, and CURPs that do not say one person
    (not both present and at most one edit apart). Twins, siblings, a parent and a child share
    surnames, a roof and sometimes a birth date; the given names are what tells them apart. JUAN /
    PEDRO, MARIA ELENA / ROSA are two people; JUAN CARLOS / CARLOS, JOSE / PEPE, REYNA / RELLNA are
    not settled by this."""
    if not (a.given_full and b.given_full) or (a.curp and b.curp and levenshtein(a.curp, b.curp) <= 1):
        return False
    if typed_given(a, b) or _name_in_surname(a, b) or _name_in_surname(b, a):
        return False
    if compound_nickname(a.given_full, b.given_full):
        return False
    ta, tb = tokens(a.given_full), tokens(b.given_full)
    return not any(_names_related(x, y) for x in ta for y in tb)


def _names_related(x: str, y: str) -> bool:
    return (
        same_name(x, y)
        or damerau_levenshtein(x, y) <= 2
        or x.startswith(y)
        or y.startswith(x)
        or x in y
        or y in x
        or _abbreviated(x, y)
        or _abbreviated(y, x)
        or x[:3] == y[:3]
        or any(same_by_nickname(n, y) for n in _table_names_near(x))
        or any(same_by_nickname(n, x) for n in _table_names_near(y))
    )


def _abbreviated(short: str, full: str) -> bool:
    """``short`` written as a clerk abbreviates ``full``: its first letter, then some of its letters in
    order (GPE: GUADALUPE, FCO: FRANCISCO, JS: JESUS) — the forms of the old registers, not a table."""
    if not (2 <= len(short) < len(full)) or short[0] != full[0]:
        return False
    rest = iter(full[1:])
    return all(letter in rest for letter in short[1:])


_TABLE_NAMES = tuple(sorted(set(NICKNAMES) | {n for formal in NICKNAMES.values() for n in formal}))


@lru_cache(maxsize=8192)
def _table_names_near(x: str) -> tuple[str, ...]:
    """The names of the nickname table one slip from ``x`` (PEOE: PEPE; FRABCISCO: FRANCISCO): a clerk
    mistypes a nickname as any other name."""
    return tuple(n for n in _TABLE_NAMES if damerau_levenshtein(x, n) <= 1)


def _name_in_surname(a: Named, b: Named) -> bool:
    """One of ``a``'s given names written (or sounding, or mistyped) as ``b``'s first surname: a
    clerk's swap, whose other half may be mistyped too (``spec.name_crossed``)."""
    if not (a.given_full and b.ap1):
        return False
    surname = phonetic_key(b.ap1)
    return any(x == b.ap1 or fuzzy(x, b.ap1) or phonetic_key(x) == surname for x in a.given_full.split())


def names_settle_apart_sql(a: str, b: str) -> str:
    """The pairs ``names_settle_apart`` may hold, over two feature rows (DuckDB SQL): given names that
    differ, share no word but particles (a shared name is always a related one) nor a word's first three
    letters, are more than two edits apart as a whole (Levenshtein, never below the rule's distance:
    ``typed_given``), and CURPs that do not say one person. What it lets through is a superset of what
    the rule holds; the batch checks those with ``names_settle_apart``. At 1 M the cheap tests leave
    Python the few pairs it has to judge instead of every pair with a slip in a given name."""
    words = "list_filter(string_split({x}.given_full, ' '), lambda w: w NOT IN ({particles}))"
    particles = ", ".join(f"'{p}'" for p in sorted(PARTICLES))
    wa, wb = (words.format(x=x, particles=particles) for x in (a, b))
    starts = "list_transform({w}, lambda w: w[1:3])"
    both = f"coalesce({a}.curp, '') <> '' AND coalesce({b}.curp, '') <> ''"
    one_curp = f"({both} AND levenshtein({a}.curp, {b}.curp) <= 1)"
    typed = f"levenshtein(replace({a}.given_full, ' ', ''), replace({b}.given_full, ' ', '')) <= 2"
    return (
        f"coalesce({a}.given_full <> {b}.given_full AND NOT list_has_any({wa}, {wb}) "
        f"AND NOT list_has_any({starts.format(w=wa)}, {starts.format(w=wb)}) "
        f"AND NOT {typed} AND NOT {one_curp}, false)"
    )


def slip_at_a_space(a: str | None, b: str | None) -> bool:
    """Two ways of writing one person's given names that differ by one keystroke at a space between two
    names: the space typed as a letter (MARIAQGUADALUPE), left out (ALEJANDRANANCY) or added (JOSE A
    NTONIO), or swapped with a letter beside it (JOSEL UIS). The model's given-name comparison reads
    the first word as the main name and sees two unrelated names (its "else" level, the veto:
    ``spec.VETO_COMPARISONS``), yet every letter of the names is there, in order: no relative's given
    names differ from another's only there. A slip *in* a name (RAUL / SAUL) is not this: the spaces are
    the same and the letters differ. Read by the veto in the batch (``batch.linkable_sql``) and in
    ``online.pair_grade`` (``$match``, visits, the calibration's grade)."""
    if a is None or b is None or a == b or damerau_levenshtein(a, b) > 1:
        return False
    return a.count(" ") != b.count(" ") or a.replace(" ", "") == b.replace(" ", "")


def slip_at_a_space_sql(a: str, b: str) -> str:
    """``slip_at_a_space`` of two SQL expressions (DuckDB; never null)."""
    spaces = "length({x}) - length(replace({x}, ' ', ''))"
    return (
        f"coalesce({a} <> {b} AND damerau_levenshtein({a}, {b}) <= 1 "
        f"AND ({spaces.format(x=a)} <> {spaces.format(x=b)} "
        f"OR replace({a}, ' ', '') = replace({b}, ' ', '')), false)"
    )
