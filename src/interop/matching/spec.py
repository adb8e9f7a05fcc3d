"""The model's shape: comparisons and their levels, each written twice — as SQL for Splink on DuckDB
(batch) and as a Python predicate for the online scorer — side by side, so the two cannot drift apart
unnoticed (tests score the same pairs both ways). Blocking rules are in ``blocking``; given names written
short (MARIA alone, a nickname), which the given-name levels read, in ``short_names``.

Pure: no Splink import here (``linkage`` turns this into a Splink settings dictionary).
"""

from __future__ import annotations

from interop.identity.hypocoristics import same_by_nickname
from interop.matching.distances import EditUnit as EditUnit
from interop.matching.distances import count_edits_in as count_edits_in
from interop.matching.distances import damerau_levenshtein as damerau_levenshtein
from interop.matching.distances import days_apart as days_apart
from interop.matching.distances import edit_unit as edit_unit
from interop.matching.distances import fuzzy as fuzzy
from interop.matching.distances import levenshtein as levenshtein
from interop.matching.features import PLACEHOLDER_MD
from interop.matching.levels import Comparison as Comparison
from interop.matching.levels import F as F
from interop.matching.levels import Level as Level
from interop.matching.levels import Predicate as Predicate
from interop.matching.levels import else_level as _else
from interop.matching.levels import null_level as _null
from interop.matching.places import ADDRESS as ADDRESS
from interop.matching.places import ADDRESS_LOCAL as ADDRESS_LOCAL
from interop.matching.places import PLACE as PLACE
from interop.matching.places import PLACE_LOCAL as PLACE_LOCAL
from interop.matching.short_names import FIRST_ALONE_SQL, MAIN_NICKNAME_SQL, NICKNAME_SQL
from interop.matching.short_names import by_nickname as by_nickname
from interop.matching.short_names import first_name_alone as first_name_alone


def _fuzzy_sql(col: str) -> str:
    return (
        f"damerau_levenshtein({col}_l, {col}_r) <= "
        f"CASE WHEN least(length({col}_l), length({col}_r)) >= 8 THEN 2 ELSE 1 END"
    )


def _share_token(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and bool(set(a.split()) & set(b.split()))


def _given_compatible(a: F, b: F) -> bool:
    return (
        (a.given_main is not None and a.given_main == b.given_main)
        or fuzzy(a.given_main, b.given_main)
        or same_by_nickname(a.given_main, b.given_main)
        or _share_token(a.given_rest, b.given_rest)
    )


_GIVEN_COMPATIBLE_SQL = (
    f"(given_main_l = given_main_r OR {_fuzzy_sql('given_main')} OR {MAIN_NICKNAME_SQL} "
    "OR list_has_any(string_split(given_rest_l, ' '), string_split(given_rest_r, ' ')))"
)

_NO_STATE_SQL = "(substr({x}, 1, 11) || substr({x}, 14, 3))"


def _same_but_state(curp16: str | None, calc: str | None) -> bool:
    if curp16 is None or calc is None:
        return False
    return curp16[:11] + curp16[13:16] == calc[:11] + calc[13:16]


CURP = Comparison(
    "curp",
    "CURP: exact, same first 16, one edit, or one record's CURP recomputed from the other's data",
    (
        # A CURP copied onto a relative's record (twins: same date, sex and surnames) passes every check
        # but the given names; equal CURPs with unrelated given names are their own level.
        Level(
            "exact, given names unrelated",
            f"curp_l = curp_r AND NOT coalesce({_GIVEN_COMPATIBLE_SQL}, false)",
            lambda a, b: a.curp is not None and a.curp == b.curp and not _given_compatible(a, b),
        ),
        Level("exact", "curp_l = curp_r", lambda a, b: a.curp is not None and a.curp == b.curp),
        Level(
            "same first 16",
            "curp16_l = curp16_r",
            lambda a, b: a.curp16 is not None and a.curp16 == b.curp16,
        ),
        Level(
            "one edit",
            "levenshtein(curp_l, curp_r) <= 1",
            lambda a, b: a.curp is not None and b.curp is not None and levenshtein(a.curp, b.curp) <= 1,
        ),
        # The entidad of the record is where the person lives; the CURP's (characters 12-13) is where
        # they were born: the recomputed CURP is compared without it.
        Level(
            "recomputed from the other record",
            f"{_NO_STATE_SQL.format(x='curp16_l')} = {_NO_STATE_SQL.format(x='curp16_calc_r')} "
            f"OR {_NO_STATE_SQL.format(x='curp16_calc_l')} = {_NO_STATE_SQL.format(x='curp16_r')}",
            lambda a, b: _same_but_state(a.curp16, b.curp16_calc) or _same_but_state(b.curp16, a.curp16_calc),
        ),
        _null("missing", "curp_l IS NULL OR curp_r IS NULL", lambda a, b: a.curp is None or b.curp is None),
        _else(),
    ),
)


def name_swapped(a: F, b: F) -> bool:
    """The given name written in the first surname's field and the first surname in the given name's
    (a clerk's slip in any layout): each record's main given name sounds as the other's first
    surname. Told by the phonetic keys alone: a comparison that reads a column of an EM blocking rule
    (``blocking.EM_BLOCKING_COLUMNS``: given_main, ap1) is left out of that EM pass, and the
    given-name and surname comparisons would never be trained."""
    return (
        a.ph_given is not None and a.ph_ap1 is not None and a.ph_given == b.ph_ap1 and a.ph_ap1 == b.ph_given
    )


_NAME_SWAPPED_SQL = "ph_given_l = ph_ap1_r AND ph_ap1_l = ph_given_r"


def name_crossed(a: F, b: F) -> bool:
    """One record's main given name sounds as the other's first surname (one way): the name written in
    the surname's field while the other field was replaced or mistyped — the half of a swap a clerk
    got wrong twice. Phonetic keys, for the reason of ``name_swapped``. A level of the given-name
    comparison only, so the one fact weighs once."""
    return (a.ph_given is not None and a.ph_given == b.ph_ap1) or (
        a.ph_ap1 is not None and a.ph_ap1 == b.ph_given
    )


_NAME_CROSSED_SQL = "ph_given_l = ph_ap1_r OR ph_ap1_l = ph_given_r"

GIVEN = Comparison(
    "given",
    "Given names: all, the main one (MARIA/JOSE rule), a mistyped or shared one",
    (
        _null(
            "missing",
            "given_full_l IS NULL OR given_full_r IS NULL",
            lambda a, b: a.given_full is None or b.given_full is None,
        ),
        Level(
            "all exact",
            "given_full_l = given_full_r",
            lambda a, b: a.given_full == b.given_full,
            tf_column="given_full",
        ),
        Level(
            "main exact",
            "given_main_l = given_main_r",
            lambda a, b: a.given_main == b.given_main,
            tf_column="given_main",
        ),
        Level(
            "main mistyped",
            f"{_fuzzy_sql('given_main')} OR ph_given_l = ph_given_r",
            lambda a, b: (
                fuzzy(a.given_main, b.given_main) or (a.ph_given is not None and a.ph_given == b.ph_given)
            ),
        ),
        # PANCHO for FRANCISCO, LUPE for GUADALUPE: the name a person is called by, as a clerk wrote it.
        Level(
            "nickname",
            NICKNAME_SQL,
            by_nickname,
        ),
        Level(
            "share a name",
            "list_has_any(string_split(given_rest_l, ' '), string_split(given_rest_r, ' '))",
            lambda a, b: _share_token(a.given_rest, b.given_rest),
        ),
        Level("MARIA or JOSE alone", FIRST_ALONE_SQL, lambda a, b: first_name_alone(a, b)),
        Level("swapped with the first surname", _NAME_SWAPPED_SQL, lambda a, b: name_swapped(a, b)),
        Level("as the surname of the other", _NAME_CROSSED_SQL, lambda a, b: name_crossed(a, b)),
        _else(),
    ),
)


def _swapped(a: F, b: F) -> bool:
    return a.ap1 is not None and a.ap2 is not None and a.ap1 == b.ap2 and a.ap2 == b.ap1


_SWAPPED_SQL = "ap1_l = ap2_r AND ap2_l = ap1_r"

PATERNAL = Comparison(
    "paternal",
    "Primer apellido: exact, swapped with the second, mistyped, or in the other's second place",
    (
        _null("missing", "ap1_l IS NULL OR ap1_r IS NULL", lambda a, b: a.ap1 is None or b.ap1 is None),
        Level("exact", "ap1_l = ap1_r", lambda a, b: a.ap1 == b.ap1, tf_column="ap1"),
        Level("surnames swapped", _SWAPPED_SQL, _swapped),
        Level(
            "mistyped",
            f"{_fuzzy_sql('ap1')} OR ph_ap1_l = ph_ap1_r",
            lambda a, b: fuzzy(a.ap1, b.ap1) or (a.ph_ap1 is not None and a.ph_ap1 == b.ph_ap1),
        ),
        Level(
            "crossed",
            "ap1_l = ap2_r OR ap2_l = ap1_r",
            lambda a, b: (a.ap1 is not None and a.ap1 == b.ap2) or (a.ap2 is not None and a.ap2 == b.ap1),
        ),
        Level("swapped with the given name", _NAME_SWAPPED_SQL, lambda a, b: name_swapped(a, b)),
        _else(),
    ),
)

MATERNAL = Comparison(
    "maternal",
    "Segundo apellido: missing on either side, exact, swapped, mistyped",
    (
        _null(
            "missing maternal surname",
            "ap2_l IS NULL OR ap2_r IS NULL",
            lambda a, b: a.ap2 is None or b.ap2 is None,
        ),
        Level("exact", "ap2_l = ap2_r", lambda a, b: a.ap2 == b.ap2, tf_column="ap2"),
        Level("surnames swapped", _SWAPPED_SQL, _swapped),
        Level(
            "mistyped",
            f"{_fuzzy_sql('ap2')} OR ph_ap2_l = ph_ap2_r",
            lambda a, b: fuzzy(a.ap2, b.ap2) or (a.ph_ap2 is not None and a.ph_ap2 == b.ph_ap2),
        ),
        _else(),
    ),
)


def _dm_swap(a: F, b: F) -> bool:
    if a.dob is None or b.dob is None:
        return False
    return a.dob[:4] == b.dob[:4] and a.dob[5:7] == b.dob[8:10] and a.dob[8:10] == b.dob[5:7]


BIRTH_DATE = Comparison(
    "birth_date",
    "Fecha de nacimiento: exact, day and month swapped, year ±1, within a month, one digit, year only",
    (
        _null("missing", "dob_l IS NULL OR dob_r IS NULL", lambda a, b: a.dob is None or b.dob is None),
        Level("exact", "dob_l = dob_r", lambda a, b: a.dob == b.dob),
        Level(
            "day and month swapped",
            "dob_year_l = dob_year_r AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
            "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
            _dm_swap,
        ),
        Level(
            "year one apart",
            "dob_md_l = dob_md_r AND abs(cast(dob_year_l AS INTEGER) - cast(dob_year_r AS INTEGER)) = 1",
            lambda a, b: a.dob_md == b.dob_md and abs(int(a.dob_year or 0) - int(b.dob_year or 0)) == 1,
        ),
        Level(
            "within a month",
            "abs(date_diff('day', cast(dob_l AS DATE), cast(dob_r AS DATE))) <= 31",
            lambda a, b: days_apart(a.dob or "", b.dob or "") <= 31,
        ),
        Level(
            "one digit",
            "levenshtein(dob_l, dob_r) <= 1",
            lambda a, b: levenshtein(a.dob or "", b.dob or "") <= 1,
        ),
        # ``YYYY-01-01`` is what registries write when only the year is known: on one side, in the
        # other's year, it agrees with every date of that year (``features.year_only_placeholder``).
        Level(
            "year only, same year",
            f"dob_year_l = dob_year_r AND (dob_md_l = '{PLACEHOLDER_MD}' OR dob_md_r = '{PLACEHOLDER_MD}')",
            lambda a, b: a.dob_year == b.dob_year and PLACEHOLDER_MD in (a.dob_md, b.dob_md),
        ),
        _else(),
    ),
)

SEX = Comparison(
    "sex",
    "Sexo",
    (
        _null("missing", "sexo_l IS NULL OR sexo_r IS NULL", lambda a, b: a.sexo is None or b.sexo is None),
        Level("exact", "sexo_l = sexo_r", lambda a, b: a.sexo == b.sexo),
        _else(),
    ),
)

COMPARISONS: tuple[Comparison, ...] = (CURP, GIVEN, PATERNAL, MATERNAL, BIRTH_DATE, SEX, PLACE, ADDRESS)
# Every comparison a saved model may hold, by name (a model holds those of its layout).
# ``ADDRESS_LOCAL`` holds every level of ``ADDRESS``: a model of either layout binds its levels by label.
COMPARISON_BY_NAME: dict[str, Comparison] = {c.name: c for c in (*COMPARISONS, PLACE_LOCAL, ADDRESS_LOCAL)}

# Domain priors applied after EM (``linkage.apply_priors``), because EM alone learns household members
# (twins, spouses sharing a roof) as matches:
# - different trusted CURPs, or entirely different given names, say "another person" strongly;
# - a shared place or address is evidence about a household, not a person: its weight is capped;
# - no single disagreement is a veto: m is never below a floor.
M_CAP: dict[tuple[str, str], float] = {("curp", "else"): 0.0005, ("given", "else"): 0.0005}
WEIGHT_CAP: dict[tuple[str, str], float] = {
    ("curp", "exact, given names unrelated"): 0.0,
    ("curp", "same first 16"): -4.0,
    ("place", "same localidad"): 4.0,
    ("place", "same municipio"): 2.0,
    ("place", "same entidad"): 1.0,
    ("place_local", "same localidad"): 4.0,
    ("place_local", "same municipio"): 2.0,
    ("address", "exact"): 3.0,
    ("address", "close"): 2.0,
    ("address", "same words, another order"): 2.0,
    ("address", "one holds the other"): 1.0,
    ("place_local", "same localidad, another municipio"): 1.0,
}
M_FLOOR = 0.001
# A name written in the other field is no stronger evidence than the same name in its own field, nor an
# address reworded than the same address: each of these levels weighs at most the named level of its
# comparison (EM sees few such pairs, and a swap of a common name has no term-frequency adjustment).
WEIGHT_AT_MOST: dict[tuple[str, str], str] = {
    ("given", "swapped with the first surname"): "all exact",
    ("given", "as the surname of the other"): "all exact",
    ("paternal", "swapped with the given name"): "exact",
    ("address", "same words, another order"): "exact",
    ("address", "one holds the other"): "close",
}
# The caps above that hold a shared roof to a household's weight (``linkage.apply_priors``).
HOUSEHOLD_CAPS: tuple[str, ...] = ("place", "place_local", "address")

# An automatic link needs an anchor: agreement (positive weight) on the CURP or on the birth date.
# Names, place and address alone describe a household as well as a person (a namesake parent and child
# at one address, one of them with neither CURP nor birth date on record): such pairs go to review.
ANCHOR_COMPARISONS: tuple[str, ...] = ("curp", "birth_date")
# Data with no CURP at all (a layout without it) has no identifier to settle a pair whose birth date
# is missing on either side: there, agreement (positive weight) on every one of these comparisons
# anchors instead — given names, first surname and address. Data with CURPs keeps the rule above.
FIELD_ANCHOR_COMPARISONS: tuple[str, ...] = ("given", "paternal", "address")
# Nor is a pair linked automatically when the model's own given-name comparison finds the names
# unrelated (its last, "else" level: MARIA FERNANDA and MARIA, say): surnames, birth date and address
# agreeing then describe twins as well as one person.
VETO_COMPARISONS: tuple[str, ...] = ("given",)

TF_COLUMNS: tuple[str, ...] = ("given_full", "given_main", "ap1", "ap2")
