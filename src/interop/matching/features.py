"""The comparison form of one identity record: every value the model and the blocking keys read.

Pure. Batch runs compute the name-derived parts once per distinct name (``given_parts``,
``surname_parts``) and join them in DuckDB; the online path calls ``features_of`` per probe. Both go
through the same functions, so a record scores the same way in both.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from interop.identity.curp import assess_curp
from interop.identity.keys import curp16_of, phonetic_key
from interop.identity.names import (
    SKIPPED_GIVEN_NAMES,
    normalize_given_names,
    normalize_surname,
    strip_accents,
)

_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")

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
    rest = " ".join(t for t in names.key_tokens if t not in SKIPPED_GIVEN_NAMES) or None
    return GivenParts(full=names.value, main=names.main, rest=rest, phonetic=phonetic_key(names.main) or None)


def surname_parts(raw: str | None) -> SurnameParts | None:
    surname = normalize_surname(raw)
    if surname is None:
        return None
    return SurnameParts(key=surname.key, phonetic=phonetic_key(surname.key) or None)


def address_form(raw: str | None) -> str | None:
    """Upper case, no accents, runs of other characters as one space; None when nothing remains."""
    if not raw:
        return None
    folded = _NOT_ALNUM.sub(" ", strip_accents(raw.upper())).strip()
    return folded or None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    return value or None


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
    """Features of a record given as written (the online probe). A CURP counts only when trusted."""
    given = given_parts(given_names)
    ap1 = surname_parts(paternal_surname)
    ap2 = surname_parts(maternal_surname)
    sex_c = _clean(sex)
    ent = _clean(entidad)
    trusted: str | None = None
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
        if check.trusted and check.check.value:
            trusted = check.check.value
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
        curp=trusted,
        curp16=trusted[:16] if trusted else None,
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
