"""Given names written short: a compound by its first name alone (MARIA for MARIA GUADALUPE, PEPE for
JOSE LUIS: ``first_name_alone``, ``short_form_of``) and a name by its nickname (BETO for ROBERTO, CHEMA
for JOSE MARIA: ``by_nickname``), each as a Python predicate beside its DuckDB SQL twin. Pure.

Read by the given-name comparison's levels (``spec.GIVEN``), the relatives' look-alike rule
(``lookalike``), the names of another person (``names_of_another``) and the batch's candidate triples
(``edge_name_rules``). The nickname table itself is ``identity.hypocoristics``.
"""

from __future__ import annotations

from interop.identity.hypocoristics import (
    compound_nickname,
    compound_nickname_pairs,
    nickname_pairs,
    same_by_nickname,
)
from interop.matching.levels import F

# MARIA or JOSE written alone, by a nickname, or with the main name's initial for a compound name that
# begins with it (MARIA for MARIA GUADALUPE, PEPE for JOSE LUIS, MARIA P for MARIA DE LA PAZ: how clinics
# often register a person). RENAPO's main name is then the second, so "main exact" cannot see it, and the
# skipped name is in neither record's rest: without the level reading it (``spec.GIVEN``), the commonest
# dropped name in Mexico scored as two unrelated names (the model's veto).
_FIRST_ALONE = {"MARIA": "MARIA", "MA": "MARIA", "JOSE": "JOSE", "J": "JOSE"}
# The first names of the compounds such a short form can stand for.
FIRST_NAMES = frozenset(_FIRST_ALONE)
# The nickname table's pairs whose second name is one of them (PEPE|JOSE): what a short form can be.
_FIRST_NICKNAMES = tuple(p for p in nickname_pairs() if p.split("|")[1] in _FIRST_ALONE)


def _alone_in(x: F, y: F) -> bool:
    if x.given_full is None or y.given_full is None or x.given_main is None or y.given_main is None:
        return False
    ys, xs = y.given_full.split(), x.given_full.split()
    first = _FIRST_ALONE.get(ys[0])
    if len(ys) < 2 or first is None:
        return False
    if len(xs) == 1:
        return _FIRST_ALONE.get(xs[0]) == first or same_by_nickname(xs[0], ys[0])
    return (
        len(xs) == 2
        and _FIRST_ALONE.get(xs[0]) == first
        and len(x.given_main) == 1
        and y.given_main.startswith(x.given_main)
    )


def first_name_alone(a: F, b: F) -> bool:
    """One record's given names are the other's compound name (MARIA …, JOSE …) written by its first
    name alone (MARIA, MA, JOSE, J), by that name's nickname (PEPE, not CHEMA: that is JOSE MARIA as a
    whole), or by the first name and the main name's initial (MARIA P)."""
    return _alone_in(a, b) or _alone_in(b, a)


def short_form_of(short: F, long: F) -> bool:
    """``short``'s given names are ``long``'s compound written as ``first_name_alone`` reads it."""
    return _alone_in(short, long)


def short_form_candidate_sql(full: str, main: str) -> str:
    """Given names that may be a short form (``short_form_of``'s short side), in DuckDB SQL: MARIA or
    JOSE alone or a nickname of either, or either and an initial. The batch reads third records only
    for these (``edge_name_rules.names_triples``)."""
    words = sorted(set(_FIRST_ALONE) | {pair.split("|")[0] for pair in _FIRST_NICKNAMES})
    listed = ", ".join(f"'{w}'" for w in words)
    first = f"split_part({full}, ' ', 1)"
    return (
        f"({full} IN ({listed}) OR (length({main}) = 1 AND {_canon_sql(first)} IS NOT NULL "
        f"AND split_part({full}, ' ', 3) = ''))"
    )


def _canon_sql(x: str) -> str:
    whens = " ".join(f"WHEN {x} = '{k}' THEN '{v}'" for k, v in _FIRST_ALONE.items())
    return f"(CASE {whens} END)"


def short_form_of_sql(xf: str, xm: str, yf: str, ym: str) -> str:
    """``short_form_of`` in DuckDB SQL: the short record's full and main given names, then the long's."""
    first = f"split_part({yf}, ' ', 1)"
    nickname = f"({xf} || '|' || {first}) IN ({_FIRST_NICKNAME_PAIRS})"
    alone = f"({_canon_sql(xf)} = {_canon_sql(first)} OR {nickname})"
    own_first = f"split_part({xf}, ' ', 1)"
    initial = (
        f"(split_part({xf}, ' ', 3) = '' AND {_canon_sql(own_first)} = {_canon_sql(first)} "
        f"AND length({xm}) = 1 AND starts_with({ym}, {xm}))"
    )
    return (
        f"(strpos({yf}, ' ') > 0 AND {_canon_sql(first)} IS NOT NULL AND "
        f"CASE WHEN strpos({xf}, ' ') = 0 THEN {alone} ELSE {initial} END)"
    )


# The nickname table (``identity.hypocoristics``) as an SQL condition on the main given names.
_NICKNAME_PAIRS = ", ".join(f"'{p}'" for p in nickname_pairs())
# The nickname pairs a short form can be (PEPE|JOSE): the other name is MARIA or JOSE written out. The
# whole table in that IN list cost every pair that reached the level.
_FIRST_NICKNAME_PAIRS = ", ".join(f"'{p}'" for p in _FIRST_NICKNAMES)
MAIN_NICKNAME_SQL = f"(given_main_l || '|' || given_main_r) IN ({_NICKNAME_PAIRS})"
FIRST_ALONE_SQL = (
    f"({short_form_of_sql('given_full_l', 'given_main_l', 'given_full_r', 'given_main_r')} "
    f"OR {short_form_of_sql('given_full_r', 'given_main_r', 'given_full_l', 'given_main_l')})"
)
# The given-name level's: the main given names, or the whole given names for a nickname of two names
# (CHEMA: JOSE MARIA). Only there: the CURP levels read no ``given_full`` (a comparison reading a column
# of an EM rule is fixed in that pass, and the CURP's would lose the pass on the three names).
_COMPOUND_NICKNAME_PAIRS = ", ".join(f"'{p}'" for p in compound_nickname_pairs())


def by_nickname(a: F, b: F) -> bool:
    """The main given names one by the nickname table (ROBERTO / BETO), or the whole given names a
    nickname of two names (JOSE MARIA / CHEMA)."""
    return same_by_nickname(a.given_main, b.given_main) or compound_nickname(a.given_full, b.given_full)


def by_nickname_sql(main_a: str, main_b: str, full_a: str, full_b: str) -> str:
    """``by_nickname`` over the SQL expressions of two records' main and whole given names (null when
    a name is missing)."""
    return (
        f"(({main_a} || '|' || {main_b}) IN ({_NICKNAME_PAIRS}) "
        f"OR ({full_a} || '|' || {full_b}) IN ({_COMPOUND_NICKNAME_PAIRS}))"
    )


NICKNAME_SQL = by_nickname_sql("given_main_l", "given_main_r", "given_full_l", "given_full_r")
