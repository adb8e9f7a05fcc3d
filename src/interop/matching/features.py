"""The comparison form of one identity record: every value the model and the blocking keys read.

Pure. Batch runs compute the name-derived parts once per distinct name (``given_parts``,
``surname_parts``) and join them in DuckDB; the online path calls ``features_of`` per probe. Both go
through the same functions, so a record scores the same way in both.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from interop.identity.curp import CurpConsistency, Verdict, assess_curp
from interop.identity.keys import curp16_of, phonetic_key
from interop.identity.names import (
    SKIPPED_GIVEN_NAMES,
    normalize_given_names,
    normalize_surname,
    strip_accents,
)

_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")

# Comparison forms are cut to these lengths. The import takes fields of up to 2,000 characters, and the
# edit distances the levels compute grow with the square of the length: with a fifth of the names 500
# characters long a run of 3,667 records took 643 s instead of 34 (1 ms an edit distance). No real name
# comes near (synthetic and FEBRL names: 24 at most; "MARIA DE LOS ANGELES GUADALUPE DEL CARMEN": 41),
# nor an address (51).
MAX_NAME_CHARS = 64
MAX_ADDRESS_CHARS = 120


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit].rstrip() or None if value else value


# Columns of the feature table, in order (DuckDB batch table, ``match_record`` and the online probe).
FEATURE_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "record_id",
    "curp",
    "curp16",
    "curp16_calc",
    "given_full",
    "given_main",
    "given_rest",
    "ap1",
    "ap2",
    "ph_given",
    "ph_ap1",
    "ph_ap2",
    "dob",
    "dob_year",
    "dob_md",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
)


@dataclass(frozen=True, slots=True)
class GivenParts:
    full: str
    main: str
    rest: str | None  # key tokens other than MARIA/JOSE, space-separated
    phonetic: str | None


@dataclass(frozen=True, slots=True)
class SurnameParts:
    key: str
    phonetic: str | None


@dataclass(frozen=True, slots=True)
class MatchFeatures:
    unique_id: str
    source: str
    record_id: str
    curp: str | None
    curp16: str | None
    curp16_calc: str | None
    given_full: str | None
    given_main: str | None
    given_rest: str | None
    ap1: str | None
    ap2: str | None
    ph_given: str | None
    ph_ap1: str | None
    ph_ap2: str | None
    dob: str | None
    dob_year: str | None
    dob_md: str | None
    sexo: str | None
    entidad: str | None
    municipio: str | None
    localidad: str | None
    domicilio: str | None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def unique_id_of(source: str, record_id: str) -> str:
    """The key of a record across sources ("roll|R1"): record ids are unique only within a source."""
    return f"{source}|{record_id}"


def given_parts(raw: str | None) -> GivenParts | None:
    names = normalize_given_names(raw)
    if names is None:
        return None
    # None, not "", when only MARIA or JOSE is written: DuckDB splits "" into one empty word, which two
    # such records then "shared" in the batch while the online scorer saw nothing shared.
    rest = _cut(" ".join(t for t in names.key_tokens if t not in SKIPPED_GIVEN_NAMES), MAX_NAME_CHARS) or None
    main = names.main[:MAX_NAME_CHARS]
    full = _cut(names.value, MAX_NAME_CHARS) or main
    return GivenParts(full=full, main=main, rest=rest, phonetic=phonetic_key(main) or None)


def surname_parts(raw: str | None) -> SurnameParts | None:
    surname = normalize_surname(raw)
    if surname is None:
        return None
    key = _cut(surname.key, MAX_NAME_CHARS) or surname.key[:MAX_NAME_CHARS]
    return SurnameParts(key=key, phonetic=phonetic_key(key) or None)


def address_form(raw: str | None) -> str | None:
    """Upper case, no accents, runs of other characters as one space; None when nothing remains."""
    if not raw:
        return None
    folded = _NOT_ALNUM.sub(" ", strip_accents(raw.upper())).strip()
    return _cut(folded, MAX_ADDRESS_CHARS)


def curp_birth_date(curp: str) -> str:
    """The birth date a well-formed CURP states, as an ISO date string (century from character 17: a
    digit before 2000, a letter from 2000); not checked to be a real date."""
    century = "19" if curp[16].isdigit() else "20"
    return f"{century}{curp[4:6]}-{curp[6:8]}-{curp[8:10]}"


def curp_birth_date_sql(curp: str) -> str:
    """``curp_birth_date`` of the SQL expression ``curp`` (DuckDB)."""
    return (
        f"(CASE WHEN substr({curp}, 17, 1) BETWEEN '0' AND '9' THEN '19' ELSE '20' END "
        f"|| substr({curp}, 5, 2) || '-' || substr({curp}, 7, 2) || '-' || substr({curp}, 9, 2))"
    )


def year_mistyped(stated: str | None, recorded: str | None) -> bool:
    """A recorded birth date that is the stated one with a slip in the year: the same day and month,
    the year one apart or differing in its last digit only (1947 for 1948, 1940 for 1948). A year
    off in its tens (1958 for 1948) is how a parent's or a child's date reads, not a slip."""
    if stated is None or recorded is None or stated[4:] != recorded[4:] or stated[:4] == recorded[:4]:
        return False
    if stated[:3] == recorded[:3]:
        return True
    return stated[:4].isdigit() and recorded[:4].isdigit() and abs(int(stated[:4]) - int(recorded[:4])) == 1


def year_mistyped_sql(stated: str, recorded: str) -> str:
    """``year_mistyped`` of two SQL expressions holding ISO dates (DuckDB; false when either is null)."""
    return (
        f"coalesce(substr({stated}, 5) = substr({recorded}, 5) "
        f"AND substr({stated}, 1, 4) <> substr({recorded}, 1, 4) "
        f"AND (substr({stated}, 1, 3) = substr({recorded}, 1, 3) "
        f"OR abs(try_cast(substr({stated}, 1, 4) AS INTEGER) "
        f"- try_cast(substr({recorded}, 1, 4) AS INTEGER)) = 1), false)"
    )


# The day and month Mexican registries write when only the birth year is known (``YYYY-01-01``).
PLACEHOLDER_MD = "01-01"


def year_only_placeholder(stated: str | None, recorded: str | None) -> bool:
    """A recorded birth date that is the placeholder for "only the year known" (``YYYY-01-01``) in
    the year of the stated one, which is another day: the record does not contradict that date, it
    lacks its day and month."""
    return (
        stated is not None
        and recorded is not None
        and stated != recorded
        and recorded[5:] == PLACEHOLDER_MD
        and stated[:4] == recorded[:4]
    )


def year_only_placeholder_sql(stated: str, recorded: str) -> str:
    """``year_only_placeholder`` of two SQL expressions holding ISO dates (false when either is null)."""
    return (
        f"coalesce({stated} <> {recorded} AND substr({recorded}, 6) = '{PLACEHOLDER_MD}' "
        f"AND substr({stated}, 1, 4) = substr({recorded}, 1, 4), false)"
    )


def date_unsure(stated: str | None, recorded: str | None) -> bool:
    """The record's birth date is the stated one with a slip in the year or with only its year
    known: a CURP stating that date is kept for comparison, but settles nothing."""
    return year_mistyped(stated, recorded) or year_only_placeholder(stated, recorded)


def date_unsure_sql(stated: str, recorded: str) -> str:
    """``date_unsure`` of two SQL expressions holding ISO dates."""
    return f"({year_mistyped_sql(stated, recorded)} OR {year_only_placeholder_sql(stated, recorded)})"


def matching_curp_sql(curp: str, trusted: str, dob: str, sexo: str) -> str:
    """The CURP a record is compared by (``features_of``), over SQL expressions: a valid ``curp``
    (the import keeps only valid ones), when ``trusted`` or when it contradicts the record's birth
    date ``dob`` by a slip in the year only, or the record's date is the year-only placeholder of the
    CURP's year (``date_unsure``), and not its sex ``sexo``."""
    slip = date_unsure_sql(curp_birth_date_sql(curp), dob)
    return (
        f"CASE WHEN length({curp}) = 18 AND ({trusted} OR ({slip} "
        f"AND ({sexo} IS NULL OR substr({curp}, 11, 1) = {sexo}))) THEN {curp} END"
    )


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    return value or None


def curp_counts(check: CurpConsistency, curp: str, birth_date: date | None) -> bool:
    """The CURP is compared by: trusted, or contradicting the record's birth date by a slip in the
    year only or by the year-only placeholder (``date_unsure``), and not its sex."""
    if check.trusted:
        return True
    return (
        birth_date is not None
        and check.sex is not Verdict.CONTRADICTS
        and date_unsure(curp_birth_date(curp), birth_date.isoformat())
    )


def features_of(
    *,
    source: str,
    record_id: str,
    curp: str | None,
    given_names: str | None,
    paternal_surname: str | None,
    maternal_surname: str | None,
    birth_date: date | None,
    sex: str | None,
    entidad: str | None,
    municipio: str | None,
    localidad: str | None,
    domicilio: str | None,
) -> MatchFeatures:
    """Features of a record given as written (the online probe). A CURP counts when trusted, or when
    valid and its only contradiction with the record is a slip in the birth year (``year_mistyped``):
    the other record of the same person carries the same CURP, or the birth date it states
    (``lookalike.curp_states_other``), and that is the evidence the year-only rule
    (``conflict.relatives_lookalike``) needs. Such a CURP never *settles* identity
    (``conflict.settles`` wants the record's own date)."""
    given = given_parts(given_names)
    ap1 = surname_parts(paternal_surname)
    ap2 = surname_parts(maternal_surname)
    sex_c = _clean(sex)
    ent = _clean(entidad)
    kept: str | None = None
    if curp:
        check = assess_curp(
            curp,
            given_names=given_names,
            paternal_surname=paternal_surname,
            maternal_surname=maternal_surname,
            birth_date=birth_date,
            sex=sex_c,
            state=ent,
        )
        value = check.check.value
        if value and check.check.valid and curp_counts(check, value, birth_date):
            kept = value
    calc = curp16_of(
        given_names=given_names,
        paternal_surname=paternal_surname,
        maternal_surname=maternal_surname,
        birth_date=birth_date,
        sex=sex_c,
        state=ent,
    )
    dob = birth_date.isoformat() if birth_date else None
    return MatchFeatures(
        unique_id=unique_id_of(source, record_id),
        source=source,
        record_id=record_id,
        curp=kept,
        curp16=kept[:16] if kept else None,
        curp16_calc=calc,
        given_full=given.full if given else None,
        given_main=given.main if given else None,
        given_rest=given.rest if given else None,
        ap1=ap1.key if ap1 else None,
        ap2=ap2.key if ap2 else None,
        ph_given=given.phonetic if given else None,
        ph_ap1=ap1.phonetic if ap1 else None,
        ph_ap2=ap2.phonetic if ap2 else None,
        dob=dob,
        dob_year=dob[:4] if dob else None,
        dob_md=dob[5:] if dob else None,
        sexo=sex_c,
        entidad=ent,
        municipio=_clean(municipio),
        localidad=_clean(localidad),
        domicilio=address_form(domicilio),
    )
