"""Reads of clinic registries, and the set-based merge of a staged import batch. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.db.bulk import STAGE_TABLE, MergeCounts
from interop.db.identity_records import COMMON_COLUMNS
from interop.messages import stored
from interop.registry.models import RegistryPatient

_COLUMNS = ", ".join(c for c in COMMON_COLUMNS[1:] if c != "field_issues")
_STAGED = ", ".join(f"s.{c}" for c in COMMON_COLUMNS[1:] if c != "field_issues")
OTHER_UNIT = stored.keep("ingest.reject.other_unit")


async def reject_foreign_units(session: AsyncSession, *, allowed: Collection[str]) -> list[tuple[int, str]]:
    """A clinic imports only its own units' rows: staged rows whose CLUES is not one of the ``allowed``
    codes (every code of its units, from the units service) leave the batch; their (line, record_id)."""
    result = await session.execute(
        text(f"DELETE FROM {STAGE_TABLE} s WHERE NOT s.clues = ANY(:allowed) RETURNING s.line, s.record_id"),
        {"allowed": sorted(allowed)},
    )
    return [(int(line), str(record_id)) for line, record_id in result.all()]


async def staged_clues(session: AsyncSession) -> list[str]:
    """The distinct CLUES the staged batch names (to resolve through the units service)."""
    result = await session.execute(text(f"SELECT DISTINCT clues FROM {STAGE_TABLE} WHERE clues IS NOT NULL"))
    return [str(c) for (c,) in result.all()]


async def merge_staged(
    session: AsyncSession, *, import_id: int, staged: int, current_clues: Mapping[str, str]
) -> MergeCounts:
    """As ``roll_service.merge_staged``; also keeps ``patient_id`` across versions and sets
    ``clues_current`` from ``current_clues`` (a code, current or former → the unit's current CLUES, as the
    units service answers). An unknown CLUES is kept as given, with ``clues_current`` missing and a field
    issue."""
    await session.execute(
        text(
            f"CREATE TEMP TABLE ingest_prev ON COMMIT DROP AS "
            f"SELECT r.record_id, r.version, r.row_digest, r.patient_id FROM registry_patient r "
            f"JOIN {STAGE_TABLE} s ON s.record_id = r.record_id WHERE r.is_current"
        )
    )
    flipped = await session.execute(
        text(
            f"UPDATE registry_patient r SET is_current = false FROM ingest_prev p JOIN {STAGE_TABLE} s "
            f"ON s.record_id = p.record_id "
            f"WHERE r.record_id = p.record_id AND r.version = p.version AND s.row_digest <> p.row_digest"
        )
    )
    inserted = await session.execute(
        text(
            f"INSERT INTO registry_patient (record_id, version, is_current, import_id, {_COLUMNS}, "
            f"field_issues, clues, clues_current, expediente, patient_id) "
            f"SELECT s.record_id, coalesce(p.version, 0) + 1, true, :import_id, {_STAGED}, "
            f"CASE WHEN u.clues IS NULL THEN s.field_issues || jsonb_build_array(jsonb_build_object("
            f"'field', 'clues', 'raw', s.clues, 'reason', 'unknown CLUES: not in the units catalogue')) "
            f"ELSE s.field_issues END, "
            f"s.clues, u.clues, s.expediente, coalesce(p.patient_id, gen_random_uuid()) "
            f"FROM {STAGE_TABLE} s LEFT JOIN ingest_prev p ON p.record_id = s.record_id "
            f"LEFT JOIN unnest(CAST(:codes AS text[]), CAST(:currents AS text[])) AS u(code, clues) "
            f"ON u.code = s.clues "
            f"WHERE p.record_id IS NULL OR p.row_digest <> s.row_digest "
            f"ON CONFLICT (record_id, version) DO NOTHING"
        ),
        {"import_id": import_id, "codes": list(current_clues), "currents": list(current_clues.values())},
    )
    versions = int(flipped.rowcount or 0)  # type: ignore[attr-defined]
    added = int(inserted.rowcount or 0)  # type: ignore[attr-defined]
    return MergeCounts(new_records=added - versions, new_versions=versions, unchanged=staged - added)


async def unresolved_clues(session: AsyncSession) -> list[str]:
    """The CLUES current patients name that no unit answered to when they were stored."""
    result = await session.execute(
        select(RegistryPatient.clues)
        .where(RegistryPatient.is_current, RegistryPatient.clues_current.is_(None))
        .where(RegistryPatient.clues.is_not(None))
        .distinct()
    )
    return [str(c) for (c,) in result.all()]


async def resolve_units(session: AsyncSession, *, current_clues: Mapping[str, str]) -> int:
    """After a units import: fill ``clues_current`` of current patients whose CLUES is now known
    (``current_clues``: code → current CLUES, from the units service)."""
    if not current_clues:
        return 0
    result = await session.execute(
        text(
            "UPDATE registry_patient r SET clues_current = u.clues "
            "FROM unnest(CAST(:codes AS text[]), CAST(:currents AS text[])) AS u(code, clues) "
            "WHERE r.is_current AND r.clues_current IS NULL AND u.code = r.clues"
        ),
        {"codes": list(current_clues), "currents": list(current_clues.values())},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def get_record(
    session: AsyncSession, *, record_id: str, version: int | None = None
) -> RegistryPatient | None:
    """The current version of a registry record, or the given ``version``."""
    query = select(RegistryPatient).where(RegistryPatient.record_id == record_id)
    query = (
        query.where(RegistryPatient.version == version)
        if version is not None
        else query.where(RegistryPatient.is_current)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_patient_id(session: AsyncSession, *, patient_id: uuid.UUID) -> RegistryPatient | None:
    """The current version of the record behind a FHIR Patient.id."""
    query = select(RegistryPatient).where(
        RegistryPatient.patient_id == patient_id, RegistryPatient.is_current
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_patient_ids(
    session: AsyncSession, *, patient_ids: Sequence[uuid.UUID]
) -> Sequence[RegistryPatient]:
    """The current records behind these FHIR Patient ids, in one query (unknown ids are left out)."""
    if not patient_ids:
        return []
    query = select(RegistryPatient).where(
        RegistryPatient.patient_id.in_(sorted(set(patient_ids))), RegistryPatient.is_current
    )
    return (await session.execute(query)).scalars().all()


def current_record_sql(patient_id: str, *, clues_param: str | None = None) -> str:
    """An ``EXISTS`` over the current registry records of the Patient id ``patient_id`` (an SQL
    expression), for another domain's one-statement reads; with ``clues_param``, only a record whose unit
    (current CLUES, else the one imported) is among the bound text array. Served by
    ``ix_registry_patient_patient_id``."""
    unit = f" AND coalesce(r.clues_current, r.clues) = ANY(:{clues_param})" if clues_param else ""
    return (
        f"EXISTS (SELECT 1 FROM registry_patient r WHERE r.patient_id = {patient_id} AND r.is_current{unit})"
    )


async def get_by_pk(session: AsyncSession, *, record_pk: int) -> RegistryPatient | None:
    return await session.get(RegistryPatient, record_pk)


async def list_versions(session: AsyncSession, *, record_id: str) -> Sequence[RegistryPatient]:
    query = (
        select(RegistryPatient)
        .where(RegistryPatient.record_id == record_id)
        .order_by(RegistryPatient.version)
    )
    return (await session.execute(query)).scalars().all()


async def list_current(
    session: AsyncSession, *, after_pk: int = 0, limit: int = 1000, clues: Sequence[str] | None = None
) -> Sequence[RegistryPatient]:
    """Current records in primary-key order; ``clues`` limits to those units (current codes)."""
    query = select(RegistryPatient).where(RegistryPatient.is_current, RegistryPatient.id > after_pk)
    if clues is not None:
        query = query.where(RegistryPatient.clues_current.in_(list(clues)))
    return (await session.execute(query.order_by(RegistryPatient.id).limit(limit))).scalars().all()


async def find_by_curp(session: AsyncSession, *, curp: str) -> Sequence[RegistryPatient]:
    query = select(RegistryPatient).where(RegistryPatient.is_current, RegistryPatient.curp == curp)
    return (await session.execute(query.order_by(RegistryPatient.id))).scalars().all()


async def find_by_curps(session: AsyncSession, *, curps: Sequence[str]) -> Sequence[RegistryPatient]:
    """Current records with any of these CURPs, in one query, in primary-key order."""
    if not curps:
        return []
    query = select(RegistryPatient).where(
        RegistryPatient.is_current, RegistryPatient.curp.in_(sorted(set(curps)))
    )
    return (await session.execute(query.order_by(RegistryPatient.id))).scalars().all()


async def count_current(session: AsyncSession) -> int:
    query = select(func.count()).where(RegistryPatient.is_current)
    return int((await session.execute(query)).scalar_one())
