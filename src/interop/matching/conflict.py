"""Hard conflicts: two records that cannot be one person, whatever else agrees. Pure.

Used where a score alone would decide: the batch never puts two conflicting records into one person
automatically (``assign``), and the online path never grades such a pair ``certain``. Such pairs still
reach the review queue when they score high enough — a reviewer settles them — except pairs a rule
settles (``settled_apart``): two pension-roll records whose settled CURPs differ (``kept_apart``:
RENAPO validates the roll's CURPs and issues one per person, so those two are two pensioners), and
birth dates no clerk's slip explains with no CURP saying one person (``dates_settle_apart``). No
reviewer is asked about those — unless one record's CURP names someone else while the other record
carries its names (``curp_names_another``: a record typed from a relative's document, whose birth date
is the relative's); that pair stays a hard conflict, so a reviewer's question.

A CURP *settles* identity when it is trusted (valid check digit, contradicting neither the record's
birth date nor its sex: ``identity.curp.assess_curp``) and the record has its birth date, so the CURP
agrees with it. Names and state play no part: a typo in a name must not cost the CURP its value. A
record whose birth year is mistyped keeps its valid CURP for comparison (``features.year_mistyped``),
but that CURP settles nothing.

Birth dates differing in the year alone under names relatives share anchor nothing (``lookalike``,
re-exported here).

A man's CURP states the initial of his second surname, his mother's, which marriage does not change: a
record whose own second surname contradicts it (not a slip of the CURP holder's own) is another man —
a namesake son or father whose record carries the other's date or CURP (``another_mother``; a hard
conflict, so a reviewer's question, never an automatic link).

The one rule of this family that reads a third record (a record whose given names are another
person's) is in ``names_of_another``.
"""

from __future__ import annotations

from dataclasses import dataclass

from interop.matching.features import (
    MatchFeatures,
    curp_birth_date,
    curp_birth_date_sql,
    date_unsure,
    date_unsure_sql,
)
from interop.matching.given_names import given_conflict, typed_given
from interop.matching.given_names import given_variants as given_variants
from interop.matching.given_names import names_settle_apart as names_settle_apart
from interop.matching.given_names import names_settle_apart_sql as names_settle_apart_sql
from interop.matching.lookalike import names_contained as names_contained
from interop.matching.lookalike import names_contained_sql as names_contained_sql
from interop.matching.lookalike import relatives_lookalike as relatives_lookalike
from interop.matching.lookalike import relatives_lookalike_sql as relatives_lookalike_sql
from interop.matching.lookalike import year_only_differs as year_only_differs
from interop.matching.lookalike import year_only_differs_sql as year_only_differs_sql
from interop.matching.spec import damerau_levenshtein, days_apart, fuzzy, levenshtein


@dataclass(frozen=True, slots=True)
class Signature:
    """What the hard-conflict check reads of a record (``given_full``: all given names, folded)."""

    curp: str | None
    dob: str | None
    given_main: str | None
    given_rest: str | None
    given_full: str | None = None
    sexo: str | None = None
    source: str | None = None
    ap1: str | None = None
    ap2: str | None = None
    curp16_calc: str | None = None

    @classmethod
    def of(cls, f: MatchFeatures) -> Signature:
        names = (f.given_main, f.given_rest, f.given_full)
        return cls(f.curp, f.dob, *names, f.sexo, f.source, f.ap1, f.ap2, f.curp16_calc)


# The columns ``Signature`` is built from, in its field order (batch tables hold them all).
SIGNATURE_COLUMNS: tuple[str, ...] = (
    "curp",
    "dob",
    "given_main",
    "given_rest",
    "given_full",
    "sexo",
    "source",
    "ap1",
    "ap2",
    "curp16_calc",
)
ROLL_SOURCE = "roll"


def signature_sql(alias: str) -> str:
    """The select list of ``alias``'s signature columns, in ``Signature``'s field order (batch SQL)."""
    return ", ".join(f"{alias}.{c}" for c in SIGNATURE_COLUMNS)


def settles(s: Signature) -> bool:
    """The record's CURP settles identity: the record has its birth date, and it is neither a slip in
    the year of the one the CURP states nor that year's year-only placeholder (``features.date_unsure``:
    a CURP kept for comparison despite either settles nothing)."""
    return s.curp is not None and s.dob is not None and not _year_slip(s.curp, s.dob)


def _year_slip(curp: str, dob: str) -> bool:
    return len(curp) == 18 and date_unsure(curp_birth_date(curp), dob)


def _settles_sql(x: str) -> str:
    slip = date_unsure_sql(curp_birth_date_sql(f"{x}.curp"), f"{x}.dob")
    return f"{x}.curp IS NOT NULL AND {x}.dob IS NOT NULL AND NOT (length({x}.curp) = 18 AND {slip})"


def curps_settle_apart(a: Signature, b: Signature) -> bool:
    """Both CURPs settle identity and they differ: two people, unless a reviewer says otherwise."""
    return settles(a) and settles(b) and a.curp != b.curp


def kept_apart(a: Signature, b: Signature) -> bool:
    """Two pension-roll records whose settled CURPs differ: never one pensioner, and never a review."""
    return a.source == ROLL_SOURCE and b.source == ROLL_SOURCE and curps_settle_apart(a, b)


def kept_apart_sql(a: str, b: str) -> str:
    """``kept_apart`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL)."""
    return (
        f"({a}.source = '{ROLL_SOURCE}' AND {b}.source = '{ROLL_SOURCE}' "
        f"AND {_settles_sql(a)} AND {_settles_sql(b)} AND {a}.curp <> {b}.curp)"
    )


def dates_settle_apart(a: Signature, b: Signature) -> bool:
    """Birth dates no clerk's slips explain — more than a year apart, neither a day/month swap nor
    within two slips (a transposed pair of digits counting as one, or a swap and one slip) —, CURPs
    that do not say one person (not both present and at most one edit apart), and neither record's
    CURP naming someone else under names the other shares (``curp_names_another``). Two people: a
    parent and a child with one name, siblings, a record typed from a relative's document without
    its CURP (which *is* that relative by every field a reviewer could check). Such a pair is never
    reviewed (``settled_apart``)."""
    if not (a.dob and b.dob) or not _dob_conflict(a.dob, b.dob, relatives=False):
        return False
    if damerau_levenshtein(_day_month_swapped(a.dob), b.dob) <= 1:  # a swap and a slip
        return False
    if curp_names_another(a, b) or curp_names_another(b, a):
        return False
    return not (a.curp and b.curp and levenshtein(a.curp, b.curp) <= 1)


def curp_names_another(x: Signature, y: Signature) -> bool:
    """``x`` was typed from another person's document: its CURP's name letters (first surname's two,
    second surname's initial, given name's initial) are not those of ``x``'s own names, and ``y``'s
    names give exactly ``x``'s. A clerk who copies a relative's CURP copies the birth date and sex
    beside it, under the person's own names, so ``x``'s birth date is the relative's and cannot settle
    it apart from a record of its own names (``dates_settle_apart``): a reviewer's question, never an
    automatic link (the dates stay a hard conflict). The letters are compared as the CURP is built
    (``curp16_calc``: the record's own names, its date, sex and state), so a slip in ``x``'s names
    that ``y`` does not share, or a second surname missing on one side, does not count."""
    letters = _name_letters(x, y)
    return letters is not None and letters[1] == letters[2] and letters[0] != letters[1]


def _name_letters(x: Signature, y: Signature) -> tuple[str, str, str] | None:
    """The name letters (the first four) of ``x``'s CURP, of the CURP ``x``'s own names give, and of
    the one ``y``'s give; None when any is missing."""
    curp, own, other = x.curp, x.curp16_calc, y.curp16_calc
    if not (curp and len(curp) == 18 and own and other and len(own) == 16 and len(other) == 16):
        return None
    return curp[:4], own[:4], other[:4]


def curp_names_another_sql(x: str, y: str) -> str:
    """``curp_names_another`` over feature rows ``x`` and ``y`` (DuckDB SQL), never null."""
    return (
        f"coalesce(length({x}.curp) = 18 AND length({x}.curp16_calc) = 16 "
        f"AND length({y}.curp16_calc) = 16 "
        f"AND substr({x}.curp16_calc, 1, 4) = substr({y}.curp16_calc, 1, 4) "
        f"AND substr({x}.curp, 1, 4) <> substr({x}.curp16_calc, 1, 4), false)"
    )


def _day_month_swapped(dob: str) -> str:
    return f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}"


def settled_apart(a: Signature, b: Signature, *, relatives: bool = True, households: bool = True) -> bool:
    """Two people by a rule, not a reviewer's question: two roll records with settled CURPs that differ
    (``kept_apart``), or — where the rules for relatives apply (``households``: data that shows
    relatives) — birth dates that settle it (``dates_settle_apart``), or — where the data can tell
    relatives apart (``relatives``: a CURP or a sex) — given names with nothing in common
    (``names_settle_apart``). Never linked, never a review; ``$match`` grades the pair certainly-not."""
    return (
        kept_apart(a, b)
        or ((relatives or households) and dates_settle_apart(a, b))
        or (relatives and names_settle_apart(a, b))
    )


def settled_apart_sql(a: str, b: str, *, dates: bool = True) -> str:
    """``settled_apart`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL); ``dates``: the
    rules for relatives apply (``layout.relatives_rules_apply``)."""
    if not dates:
        return kept_apart_sql(a, b)
    return f"({kept_apart_sql(a, b)} OR {dates_settle_apart_sql(a, b)})"


def dates_settle_apart_sql(a: str, b: str) -> str:
    """``dates_settle_apart`` over two feature rows aliased ``a`` and ``b`` (DuckDB SQL; ISO dates)."""
    da, db = f"{a}.dob", f"{b}.dob"
    swapped = (
        f"(substr({da}, 1, 4) = substr({db}, 1, 4) AND substr({da}, 6, 2) = substr({db}, 9, 2) "
        f"AND substr({da}, 9, 2) = substr({db}, 6, 2))"
    )
    return (
        f"coalesce({da} <> {db} AND NOT {swapped} "
        f"AND abs(date_diff('day', TRY_CAST({da} AS DATE), TRY_CAST({db} AS DATE))) > 400 "
        f"AND damerau_levenshtein({da}, {db}) > 2 "
        f"AND damerau_levenshtein(substr({da}, 1, 5) || substr({da}, 9, 2) || '-' || substr({da}, 6, 2), "
        f"{db}) > 1 "
        f"AND NOT coalesce(levenshtein({a}.curp, {b}.curp) <= 1, false) "
        f"AND NOT {curp_names_another_sql(a, b)} AND NOT {curp_names_another_sql(b, a)}, false)"
    )


def _dob_conflict(a_dob: str, b_dob: str, *, relatives: bool) -> bool:
    if a_dob == b_dob:
        return False
    swapped = a_dob[:4] == b_dob[:4] and a_dob[5:7] == b_dob[8:10] and a_dob[8:10] == b_dob[5:7]
    if swapped or days_apart(a_dob, b_dob) <= 400:
        return False
    # One mistyped digit; without the rules for relatives, two slips (a transposed pair of digits is one).
    return levenshtein(a_dob, b_dob) > 1 and (relatives or damerau_levenshtein(a_dob, b_dob) > 2)


def two_people_without_relatives(a: Signature, b: Signature) -> bool:
    """Two people by names and birth date alone, with no rule for relatives: both birth dates present
    and more than two slips and a year apart, and given names that are neither a slip of each other
    nor variants (``households``: what tells a household from copies of one person)."""
    return bool(
        a.dob
        and b.dob
        and _dob_conflict(a.dob, b.dob, relatives=False)
        and not typed_given(a, b)
        and given_conflict(a, b)
    )


def roll_curp_of_another(a: Signature, b: Signature) -> bool:
    """Two pension-roll records, one carrying a CURP whose name letters (first surname's two, second
    surname's initial, given name's initial) are not its own names' but the other record's. RENAPO
    validates the roll: a CURP on it names its own pensioner, so this one was copied from the other
    pensioner's (twins MARIA and MARIA GUADALUPE, the second's record under her sister's CURP: M where
    her own would say G); not the other way round (a name dropped). Never linked without a reviewer:
    merging two pensioners is the worst error the service can make. The letters are compared as the
    CURP is built (``curp16_calc``)."""
    return a.source == ROLL_SOURCE and b.source == ROLL_SOURCE and (_curp_of(a, b) or _curp_of(b, a))


def _curp_of(x: Signature, y: Signature) -> bool:
    # Not when ``x`` writes fewer given names than ``y``: MARIA carrying MARIA GUADALUPE's CURP is one
    # pensioner with a name dropped, the CURP hers.
    letters = _name_letters(x, y)
    if letters is None:
        return False
    stated, own, other = letters
    fewer = len((x.given_full or "").split()) < len((y.given_full or "").split())
    return stated != own and stated == other and not fewer and not curp_letters_as_written(x, y)


def hard_conflict(a: Signature, b: Signature, *, relatives: bool = True, households: bool = True) -> bool:
    """Trusted CURPs more than one edit apart, CURPs that both settle identity and differ
    (``curps_settle_apart``), two roll records, one under the other's CURP (``roll_curp_of_another``), birth
    dates more than about a year apart (not a day/month swap, not one mistyped digit), or given names
    that are not variants of each other (spelt the same, for records of different sexes).

    ``relatives`` False: data with neither CURP nor sex (``layout.tells_relatives``). The name tables
    and the sexes that tell a sibling's given name from a typo are not there to lean on, so given
    names a clerk's slips explain (``_typed_given``) and birth dates two slips apart are no conflict.

    ``households`` False: such data whose records show no households either (``households``): the
    given names and birth dates are then no hard conflict at all — they tell relatives apart, and
    there are none to tell; the model's weights for them decide."""
    if a.curp and b.curp and a.curp != b.curp and levenshtein(a.curp, b.curp) > 1:
        return True
    if curps_settle_apart(a, b) or another_mother(a, b) or another_mother(b, a):
        return True
    if roll_curp_of_another(a, b):
        return True
    if not relatives and not households:
        return False
    if a.dob and b.dob and _dob_conflict(a.dob, b.dob, relatives=relatives):
        return True
    if not relatives and typed_given(a, b):
        return False
    return given_conflict(a, b)


def another_mother(a: Signature, b: Signature) -> bool:
    """``a``'s CURP is a man's (sex letter H) and states the initial of a second surname — his
    mother's — that ``b``'s own second surname does not begin with, while the first surname's and
    given name's letters agree (not surnames written in swapped order, not another given name), and
    ``a``'s own second surname is missing or is not a slip of ``b``'s (a slip in a surname's first
    letter is the clerk's, not the CURP's). A man's second surname does not change with marriage, so
    those are two men — a father and a son with one name, the CURP or birth date of one typed on the
    other's record: a reviewer's question, never an automatic link (a woman's may be her husband's,
    "DE ...", and is not read)."""
    curp, own = a.curp, b.curp16_calc
    if not (curp and len(curp) == 18 and curp[10] == "H" and b.ap2 and own and len(own) == 16):
        return False
    if "X" in (curp[2], own[2]) or curp[2] == own[2] or (curp[:2], curp[3]) != (own[:2], own[3]):
        return False
    return a.ap2 is None or not _surname_slip(a.ap2, b.ap2)


def _surname_slip(x: str, y: str) -> bool:
    """One surname written two ways: mistyped, or with a word more (a particle, a stray letter)."""
    return fuzzy(x, y) or x in y.split() or y in x.split()


def another_mother_sql(a: str, b: str) -> str:
    """Whether ``another_mother`` may hold over feature rows ``a`` and ``b`` (DuckDB SQL): its cheap
    part, for the batch's filter of pairs that need the full check (``clustering``)."""
    return (
        f"coalesce(length({a}.curp) = 18 AND substr({a}.curp, 11, 1) = 'H' AND {b}.ap2 IS NOT NULL "
        f"AND substr({a}.curp, 3, 1) <> substr({b}.curp16_calc, 3, 1), false)"
    )


def curp_letters_as_written(x: Signature, y: Signature) -> bool:
    """``x``'s CURP states its own names as far as ``x`` writes them, the way ``y`` writes them: ``x``'s
    second surname is missing (its names give X where the CURP states the mother's initial; the other
    letters agree), or ``x``'s two surnames are ``y``'s in the other order under ``y``'s very given names.
    Then the CURP is not another pensioner's (``roll_curp_of_another``): one pensioner registered twice,
    once without the second surname or with the surnames swapped, each record under the pensioner's one
    CURP (default seed 2: 57 such roll pairs, all one person; they held the person's other records in
    review). A CURP copied from a relative states another given name's initial or other surnames, which
    this does not excuse."""
    curp, own = x.curp, x.curp16_calc
    if not (curp and own and len(curp) == 18 and len(own) == 16):
        return False
    if x.ap2 is None and own[2] == "X" and curp[:2] + curp[3] == own[:2] + own[3]:
        return True
    swapped = x.ap1 is not None and x.ap2 is not None and (x.ap1, x.ap2) == (y.ap2, y.ap1)
    return swapped and x.given_full is not None and x.given_full == y.given_full
