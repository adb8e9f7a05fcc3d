"""A record whose given names are *another* person's (``names_of_another``: a third record with exactly
its names, surnames and place, settled apart from the record it would link to, whose given names differ
from its own by a whole name) is never linked automatically to that record: its birth date and CURP
may have been read off a relative's document. The batch applies it to each pair it would link
(``clustering``, through ``edge_name_rules``), ``$match`` with the other candidates as the third records
(``online.pair_grade``). Pure; a rule of the hard conflicts' family (``conflict``), the one that reads a
third record.
"""

from __future__ import annotations

from collections.abc import Iterable

from interop.identity.hypocoristics import same_by_nickname
from interop.identity.names import strip_accents
from interop.matching.conflict import Signature, curps_settle_apart, dates_settle_apart
from interop.matching.features import MatchFeatures
from interop.matching.given_names import given_conflict
from interop.matching.short_names import short_form_of, short_form_of_sql
from interop.matching.spec import damerau_levenshtein


def _word_slip(x: str, y: str) -> bool:
    return x == y or damerau_levenshtein(x, y) <= 1 or same_by_nickname(x, y)


def differ_by_a_name(a: str, b: str) -> bool:
    """One set of given names holds a name the other lacks — not the same name mistyped by a letter,
    nor its nickname (JUAN ANGEL / JUAN MANUEL, JESUS / JESUS ARTURO; not JESU / JESUS, TONO /
    ANTONIO, CARLOS JUAN / JUAN CARLOS)."""
    ta, tb = a.split(), b.split()
    return any(not any(_word_slip(x, y) for y in tb) for x in ta) or any(
        not any(_word_slip(y, x) for x in ta) for y in tb
    )


def names_of_another(r: MatchFeatures, s: MatchFeatures, x: MatchFeatures) -> bool:
    """``r``'s given names are ``x``'s person's, not (only) ``s``'s: ``x`` (a third record) carries ``r``'s
    first surname (a second surname missing on one side counts as the same), in the same municipio and
    localidad, and either exactly ``r``'s given names, or a compound ``r``'s are a short form of
    (``short_names.short_form_of``: MARIA for MARIA ELENA); ``r``'s and ``s``'s given names differ by a whole
    name (``differ_by_a_name``). With the same names, ``x`` is settled apart from ``s`` (birth dates no
    slip explains, or settled CURPs that differ): the birth date or CURP tying ``r`` to ``s`` may be read
    off a relative's document (a brother's, a sister's). With a short form, ``x``'s given names are
    another person's than ``s``'s (``given_conflict``: MARIA ELENA, MARIA GUADALUPE) and nothing settles
    ``r`` apart from ``x``: MARIA fits two sisters (twins share the date too). Either way the pair goes to
    a reviewer, never linked on its own."""
    if x.unique_id in (r.unique_id, s.unique_id) or not (r.given_full and s.given_full and r.ap1):
        return False
    if x.ap1 != r.ap1 or r.given_full == s.given_full:
        return False
    exact = x.given_full == r.given_full
    if not (exact or short_form_of(r, x)):
        return False
    if r.ap2 is not None and x.ap2 is not None and r.ap2 != x.ap2:
        return False
    if not (r.municipio and r.localidad and x.municipio and x.localidad):
        return False
    if (_place(x.municipio), _place(x.localidad)) != (_place(r.municipio), _place(r.localidad)):
        return False
    if not differ_by_a_name(r.given_full, s.given_full):
        return False
    sx, ss = Signature.of(x), Signature.of(s)
    if exact:
        return dates_settle_apart(sx, ss) or curps_settle_apart(sx, ss)
    sr = Signature.of(r)
    return given_conflict(sx, ss) and not (dates_settle_apart(sr, sx) or curps_settle_apart(sr, sx))


def _place(name: str) -> str:
    return strip_accents(name)  # places are stored as written: LEÓN and LEON are one place


def names_owned_elsewhere(a: MatchFeatures, b: MatchFeatures, others: Iterable[MatchFeatures]) -> bool:
    """Either record's given names are another person's (``names_of_another``), by any of ``others``."""
    return any(names_of_another(a, b, x) or names_of_another(b, a, x) for x in others)


def names_of_another_sql(r: str, s: str, x: str) -> str:
    """The cheap part of ``names_of_another`` (the same first surname and place; ``r``'s given names
    ``x``'s or a short form of them; given names that differ), over three feature rows (DuckDB SQL): the
    batch's candidate triples (``edge_name_rules.names_triples``, which reads the same conditions in two
    steps) are checked with ``names_of_another``."""
    short = short_form_of_sql(f"{r}.given_full", f"{r}.given_main", f"{x}.given_full", f"{x}.given_main")
    return (
        f"(({x}.given_full = {r}.given_full OR {short}) AND {x}.ap1 = {r}.ap1 "
        f"AND {place_sql(f'{x}.municipio')} = {place_sql(f'{r}.municipio')} "
        f"AND {place_sql(f'{x}.localidad')} = {place_sql(f'{r}.localidad')} "
        f"AND {x}.unique_id <> {r}.unique_id "
        f"AND {x}.unique_id <> {s}.unique_id AND {r}.given_full <> {s}.given_full)"
    )


def place_sql(column: str) -> str:
    """A place as ``names_of_another`` compares it (accents aside), in DuckDB SQL."""
    return f"upper(strip_accents({column}))"
