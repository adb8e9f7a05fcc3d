"""Relatives' look-alikes: two records whose birth dates differ in the year alone, under names a parent
and child or two siblings share. Pure; used by the hard conflicts' callers (``conflict``) wherever a
birth date would anchor an automatic link.

Birth dates with the same day and month and another year (``year_only_differs``) are scored at their
trained typo levels; but with the same surnames, given names one of which holds the other's, at the
same address (``relatives_lookalike``) they are what relatives look like (a parent and child with one
name, or siblings sharing a given name, under one roof), and then the birth date never anchors an
automatic link (``spec.ANCHOR_COMPARISONS``): such a pair goes to review unless its CURPs agree (a
CURP kept despite the slip in the year counts: the same valid CURP on both records is how one person
with a mistyped year looks, and a relative's CURP reads years apart). A record whose birth date is
the year-only placeholder (``YYYY-01-01``) of its CURP's year keeps that CURP the same way.

Any year difference counts, a one-digit one included (issue 13 item 1): most false links the rule was
made for joined relatives or namesakes with one name at one address, the same day and month, born 1 to
10 years apart — no smallest gap between a parent's and a child's birth can tell them from a slip.

Nor is the pair a look-alike when one record's CURP states the other record's birth date, the other
carries none and the given names are the same (``curp_states_other``): that CURP was kept despite its own
record's year (a slip, ``features.date_unsure``), so the record's own document dates it to the other's day
— the evidence the same CURP on both records gives, read where the other record has no CURP to repeat it
(a clinic record with the maternal surname missing, whose recomputed CURP cannot match). For two people,
the record would have to carry the other's CURP on top of the other's very names, day and month: the
coincidence the same CURP on both records is already taken not to be (siblings sharing one name of two do
carry each other's CURPs: that case stays a look-alike). A relative's own CURP dates its own year, and a
CURP a generation off is not kept at all (``features.year_mistyped``).
"""

from __future__ import annotations

from interop.matching.features import MatchFeatures, curp_birth_date, curp_birth_date_sql
from interop.matching.guarded_sql import only_when
from interop.matching.short_names import by_nickname, by_nickname_sql
from interop.matching.spec import damerau_levenshtein

# Words a clerk adds to or leaves out of one address (a street's kind, the number's mark, the colonia's
# mark, "domicilio conocido" abbreviated): CALLE ALDAMA 343 and ALDAMA 343, DOM CONOCIDO and DOMICILIO
# CONOCIDO S N are one place.
_ADDRESS_NOISE = frozenset(
    (
        "CALLE",
        "C",
        "CLL",
        "AV",
        "AVE",
        "AVENIDA",
        "BLVD",
        "BOULEVARD",
        "CALZ",
        "CALZADA",
        "PRIV",
        "PRIVADA",
        "CDA",
        "CERRADA",
        "AND",
        "ANDADOR",
        "CARR",
        "CARRETERA",
        "NO",
        "NUM",
        "NUMERO",
        "N",
        "S",
        "SN",
        "SIN",
        "COL",
        "COLONIA",
        "FRACC",
        "FRACCIONAMIENTO",
        "BARRIO",
        "BO",
        "DOM",
        "DOMICILIO",
        "CONOCIDO",
        "CON",
    )
)
_ADDRESS_NOISE_SQL = "[" + ", ".join(f"'{w}'" for w in sorted(_ADDRESS_NOISE)) + "]"


def address_key(domicilio: str | None) -> str | None:
    """``domicilio`` (as stored: upper case, no accents, one space between words) without the words
    a clerk adds or leaves out; "" when nothing else is written."""
    if domicilio is None:
        return None
    return " ".join(w for w in domicilio.split(" ") if w not in _ADDRESS_NOISE)


def address_key_sql(column: str) -> str:
    """``address_key`` in DuckDB SQL."""
    return (
        f"array_to_string(list_filter(string_split({column}, ' '), "
        f"lambda w: NOT list_contains({_ADDRESS_NOISE_SQL}, w)), ' ')"
    )


def same_address(a: str | None, b: str | None) -> bool:
    """One address however a clerk wrote it: the same words once the added ones are left out, or one
    the other's beginning (the colonia left out: REFORMA 235, REFORMA 235 LAS PALMAS)."""
    ka, kb = address_key(a), address_key(b)
    if ka is None or kb is None:
        return False
    return ka == kb or (bool(ka) and bool(kb) and (kb.startswith(ka + " ") or ka.startswith(kb + " ")))


def same_address_sql(a: str, b: str) -> str:
    """``same_address`` of two SQL expressions (DuckDB; null when either is null)."""
    ka, kb = address_key_sql(a), address_key_sql(b)
    return (
        f"({ka} = {kb} OR ({ka} <> '' AND {kb} <> '' "
        f"AND (starts_with({kb}, {ka} || ' ') OR starts_with({ka}, {kb} || ' '))))"
    )


def year_only_differs(a_dob: str | None, b_dob: str | None) -> bool:
    """Two birth dates with the same day and month and another year (ISO dates)."""
    return a_dob is not None and b_dob is not None and a_dob[5:] == b_dob[5:] and a_dob[:4] != b_dob[:4]


def names_contained(a: str | None, b: str | None) -> bool:
    """Every given name of one record is among the other's, each as written or one edit off (JUAN and
    JUAN ANTONIO, FERNADA DEL CARMEN and FERNANDA, or the same names): how a sibling named after a
    shared name looks, as well as a dropped second name — a typo must not hide the likeness."""
    if a is None or b is None:
        return False
    ta, tb = a.split(), b.split()
    return _words_within(ta, tb) or _words_within(tb, ta)


def _words_within(xs: list[str], ys: list[str]) -> bool:
    return all(any(x == y or damerau_levenshtein(x, y) <= 1 for y in ys) for x in xs)


def relatives_lookalike(a: MatchFeatures, b: MatchFeatures) -> bool:
    """Birth dates differing in the year only, the same surnames (a second surname missing on one
    side, or one slip in it, counts as the same) and given names one of which holds the other's
    (``names_contained``), and, for the same given names, the same address (``same_address``: however
    written; with a domicilio missing, the same municipio and localidad). Different given names
    (MARTHA / MARTHA EUGENIA) need no address: a sibling named after a shared name lives anywhere,
    while one person's records with a dropped name *and* another year are two slips at once. A
    nickname for the main name (ROBERTO / BETO, ``short_names.by_nickname``) is the same name, at the same
    address: a father and the son named after him, one written as the family calls him."""
    da, db = a.dob, b.dob
    if da is None or db is None or not year_only_differs(da, db):
        return False
    if curp_states_other(a, b) or curp_states_other(b, a):
        return False
    nickname = by_nickname(a, b)
    if not (nickname or names_contained(a.given_full, b.given_full)) or a.ap1 is None or a.ap1 != b.ap1:
        return False
    if a.ap2 is not None and b.ap2 is not None and damerau_levenshtein(a.ap2, b.ap2) > 1:
        return False
    if a.given_full != b.given_full and not nickname:
        return True
    if a.domicilio is not None and b.domicilio is not None:
        return same_address(a.domicilio, b.domicilio)
    return (
        a.municipio is not None
        and a.municipio == b.municipio
        and a.localidad is not None
        and a.localidad == b.localidad
    )


def curp_states_other(a: MatchFeatures, b: MatchFeatures) -> bool:
    """``a`` carries a CURP whose birth date is ``b``'s, ``b`` carries none, and both carry the same
    given names: ``a``'s own document dates it to ``b``'s birth, so a year on ``a`` that differs is a
    slip, not a relative's date. Not for given names one within the other (JESSICA / JESSICA TERESA):
    sisters sharing a name, one record carrying the other's CURP, read just so (kin seed 6)."""
    return (
        a.curp is not None
        and len(a.curp) == 18
        and b.curp is None
        and a.given_full is not None
        and a.given_full == b.given_full
        and curp_birth_date(a.curp) == b.dob
    )


def curp_states_other_sql(a: str, b: str) -> str:
    """``curp_states_other`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL, never null)."""
    return (
        f"coalesce(length({a}.curp) = 18 AND {b}.curp IS NULL AND {a}.given_full = {b}.given_full "
        f"AND {curp_birth_date_sql(f'{a}.curp')} = {b}.dob, false)"
    )


def years_apart_unconfirmed(a: MatchFeatures, b: MatchFeatures) -> bool:
    """Birth dates with the same day and month and years more than one apart, one record without a
    kept CURP (so no CURP comparison can say "one person"), no address the two share (another address,
    or one missing) and no CURP stating the other record's date (``curp_states_other``): what a
    namesake neighbour or a relative living elsewhere born on the same day and month looks like, with
    nothing but the names to make it one person — a reviewer's question, never an automatic link.
    A year one apart (the age miscounted, the commonest slip) keeps its trained level; at one address
    the relatives' rule (``relatives_lookalike``) already holds the date back. A blind population
    (session 14): namesake neighbours JUAN MANUEL ORTIZ ORTIZ 1960 / 1963 at two addresses of one
    town, a father 1944 and namesake son 1964 whose clinic record has no address, linked by the date."""
    da, db = a.dob, b.dob
    if da is None or db is None or not year_only_differs(da, db) or abs(int(da[:4]) - int(db[:4])) < 2:
        return False
    if a.curp is not None and b.curp is not None:
        return False
    if curp_states_other(a, b) or curp_states_other(b, a):
        return False
    return not same_address(a.domicilio, b.domicilio)


def years_apart_unconfirmed_sql(a: str, b: str) -> str:
    """``years_apart_unconfirmed`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL, never null;
    the address and CURP tests only on the few pairs with the same day and month and another year)."""
    year = "CAST(substr({x}.dob, 1, 4) AS INTEGER)"
    condition = (
        f"{year_only_differs_sql(a, b)} AND ({a}.curp IS NULL OR {b}.curp IS NULL) "
        f"AND abs({year.format(x=a)} - {year.format(x=b)}) >= 2"
    )
    rule = (
        f"NOT {curp_states_other_sql(a, b)} AND NOT {curp_states_other_sql(b, a)} "
        f"AND NOT coalesce({same_address_sql(f'{a}.domicilio', f'{b}.domicilio')}, false)"
    )
    return f"({only_when(condition, rule)})"


def date_anchors_nothing(a: MatchFeatures, b: MatchFeatures) -> bool:
    """The birth date of the pair anchors no automatic link (``spec.ANCHOR_COMPARISONS``): relatives at
    one address (``relatives_lookalike``) or years apart with nothing else to confirm one person
    (``years_apart_unconfirmed``). Read by the batch (``edge_columns.linkable_sql``), ``$match`` and the
    calibration's grade (``online.pair_grade``)."""
    return relatives_lookalike(a, b) or years_apart_unconfirmed(a, b)


def date_anchors_nothing_sql(a: str, b: str) -> str:
    """``date_anchors_nothing`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL). Both rules
    need the same day and month and another year: asked once, so that the batch reads the rest only on
    those few pairs (``edge_columns.linkable_sql`` asks it of every scored pair whose birth date agrees)."""
    either = f"{relatives_lookalike_sql(a, b)} OR {years_apart_unconfirmed_sql(a, b)}"
    return f"({only_when(year_only_differs_sql(a, b), either)})"


def relatives_lookalike_sql(a: str, b: str) -> str:
    """``relatives_lookalike`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL)."""
    # The word-by-word name test, the nickname table, the CURP's date and the address only where the
    # cheap tests hold (DuckDB evaluates a CASE branch on the rows that reach it); the nickname test
    # once: a nickname is the same name, so it needs the address, as the same given names do.
    nickname = f"coalesce({names_by_nickname_sql(a, b)}, false)"
    contained = f"coalesce({names_contained_sql(a, b)}, false)"
    other_names = f"coalesce({a}.given_full <> {b}.given_full, false)"
    address = (
        f"CASE WHEN {a}.domicilio IS NOT NULL AND {b}.domicilio IS NOT NULL "
        f"THEN {same_address_sql(f'{a}.domicilio', f'{b}.domicilio')} "
        f"ELSE coalesce({a}.municipio = {b}.municipio AND {a}.localidad = {b}.localidad, false) END"
    )
    names = f"CASE WHEN {nickname} THEN {address} ELSE {contained} AND ({other_names} OR {address}) END"
    rule = f"{names} AND NOT {curp_states_other_sql(a, b)} AND NOT {curp_states_other_sql(b, a)}"
    return (
        f"({only_when(f'{year_only_differs_sql(a, b)} AND coalesce({a}.ap1 = {b}.ap1, false)', rule)} "
        f"AND coalesce(damerau_levenshtein({a}.ap2, {b}.ap2) <= 1, true))"
    )


def names_by_nickname_sql(a: str, b: str) -> str:
    """``short_names.by_nickname`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL; null when a name
    is missing): for the look-alike rule, the same name however the family calls it. Read only where
    the year alone differs under one first surname."""
    return by_nickname_sql(f"{a}.given_main", f"{b}.given_main", f"{a}.given_full", f"{b}.given_full")


def names_contained_sql(a: str, b: str) -> str:
    """``names_contained`` over the ``given_full`` of two feature rows aliased ``a`` and ``b``."""
    return f"({names_within_sql(a, b)} OR {names_within_sql(b, a)})"


def names_within_sql(a: str, b: str) -> str:
    """``_words_within`` of the given names of feature rows aliased ``a`` and ``b``: every word of
    ``a``'s is one of ``b``'s, as written or one edit off (DuckDB SQL)."""
    xs, ys = f"string_split({a}.given_full, ' ')", f"string_split({b}.given_full, ' ')"
    return (
        f"list_bool_and(list_transform({xs}, lambda x: list_bool_or(list_transform({ys}, "
        "lambda y: x = y OR damerau_levenshtein(x, y) <= 1))))"
    )


def year_only_differs_sql(a: str, b: str) -> str:
    """``year_only_differs`` over the ``dob`` of two feature rows aliased ``a`` and ``b``."""
    return (
        f"coalesce(substr({a}.dob, 6) = substr({b}.dob, 6) "
        f"AND substr({a}.dob, 1, 4) <> substr({b}.dob, 1, 4), false)"
    )
