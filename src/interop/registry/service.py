"""Reads of clinic registries, and the set-based merge of a staged import batch. Never commits.

A record id lives once in ``registry_patient_key`` (its current version and partition, its Patient id
and CURP); every write of a version writes its key row in the same statement, every read by record id,
Patient id or CURP starts there and opens one partition of ``registry_patient``."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.db.bulk import STAGE_TABLE, MergeCounts
from interop.db.identity_records import COMMON_COLUMNS
from interop.messages import stored
from interop.registry.models import RegistryPatient, RegistryPatientKey

_COLUMNS = ", ".join(c for c in COMMON_COLUMNS[1:] if c != "field_issues")
_STAGED = ", ".join(f"s.{c}" for c in COMMON_COLUMNS[1:] if c != "field_issues")
OTHER_UNIT = stored.keep("ingest.reject.other_unit")
# A version's own partition: the key row names it, so the join opens one partition per record.
# (``identity_record_in_one_process()``: planned in one process, as migration 0023 says why.)
_CURRENT = and_(
    RegistryPatient.pkey == RegistryPatientKey.pkey,
    RegistryPatient.record_id == RegistryPatientKey.record_id,
    RegistryPatient.version == RegistryPatientKey.version,
    func.identity_record_in_one_process(),
)


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
            f"SELECT k.record_id, k.version, k.pkey, k.row_digest, k.patient_id FROM registry_patient_key k "
            f"JOIN {STAGE_TABLE} s ON s.record_id = k.record_id"
        )
    )
    flipped = await session.execute(
        text(
            f"UPDATE registry_patient r SET is_current = false FROM ingest_prev p JOIN {STAGE_TABLE} s "
            f"ON s.record_id = p.record_id "
            f"WHERE r.pkey = p.pkey AND r.record_id = p.record_id AND r.version = p.version "
            f"AND s.row_digest <> p.row_digest"
        )
    )
    # The key row first (as in ``roll_service.merge_staged``): it decides which versions are written.
    inserted = await session.execute(
        text(
            f"WITH keyed AS ("
            f"INSERT INTO registry_patient_key AS k (record_id, version, pkey, row_digest, curp, patient_id) "
            f"SELECT s.record_id, coalesce(p.version, 0) + 1, coalesce(s.entidad, '00'), s.row_digest, "
            f"s.curp, coalesce(p.patient_id, gen_random_uuid()) "
            f"FROM {STAGE_TABLE} s LEFT JOIN ingest_prev p ON p.record_id = s.record_id "
            f"WHERE p.record_id IS NULL OR p.row_digest <> s.row_digest "
            f"ON CONFLICT (record_id) DO UPDATE SET version = excluded.version, pkey = excluded.pkey, "
            f"row_digest = excluded.row_digest, curp = excluded.curp "
            f"WHERE k.version = excluded.version - 1 RETURNING k.record_id, k.version, k.pkey, k.patient_id) "
            f"INSERT INTO registry_patient (record_id, version, is_current, import_id, {_COLUMNS}, "
            f"field_issues, clues, clues_current, expediente, patient_id, pkey) "
            f"SELECT s.record_id, w.version, true, :import_id, {_STAGED}, "
            f"CASE WHEN u.clues IS NULL THEN s.field_issues || jsonb_build_array(jsonb_build_object("
            f"'field', 'clues', 'raw', s.clues, 'reason', 'unknown CLUES: not in the units catalogue')) "
            f"ELSE s.field_issues END, "
            f"s.clues, u.clues, s.expediente, w.patient_id, w.pkey "
            f"FROM {STAGE_TABLE} s JOIN keyed w ON w.record_id = s.record_id "
            f"LEFT JOIN unnest(CAST(:codes AS text[]), CAST(:currents AS text[])) AS u(code, clues) "
            f"ON u.code = s.clues"
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
    """The current version of a registry record, or the given ``version`` (an earlier version may live
    in another entidad's partition, so that read looks in each)."""
    if version is None:
        query = select(RegistryPatient).join(RegistryPatientKey, _CURRENT)
        query = query.where(RegistryPatientKey.record_id == record_id)
    else:
        query = select(RegistryPatient).where(
            RegistryPatient.record_id == record_id, RegistryPatient.version == version
        )
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_patient_id(session: AsyncSession, *, patient_id: uuid.UUID) -> RegistryPatient | None:
    """The current version of the record behind a FHIR Patient.id."""
    query = (
        select(RegistryPatient)
        .join(RegistryPatientKey, _CURRENT)
        .where(RegistryPatientKey.patient_id == patient_id)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_patient_ids(
    session: AsyncSession, *, patient_ids: Sequence[uuid.UUID]
) -> Sequence[RegistryPatient]:
    """The current records behind these FHIR Patient ids, in one query (unknown ids are left out)."""
    if not patient_ids:
        return []
    query = (
        select(RegistryPatient)
        .join(RegistryPatientKey, _CURRENT)
        .where(RegistryPatientKey.patient_id.in_(sorted(set(patient_ids))))
    )
    return (await session.execute(query)).scalars().all()


def current_record_sql(patient_id: str, *, clues_param: str | None = None) -> str:
    """An ``EXISTS`` over the current registry records of the Patient id ``patient_id`` (an SQL
    expression), for another domain's one-statement reads; with ``clues_param``, only a record whose unit
    (current CLUES, else the one imported) is among the bound text array. Served by
    the key table's Patient id index, then (for the unit) one partition by its primary key."""
    if not clues_param:
        return f"EXISTS (SELECT 1 FROM registry_patient_key k WHERE k.patient_id = {patient_id})"
    return (
        f"EXISTS (SELECT 1 FROM registry_patient_key k JOIN registry_patient r ON r.pkey = k.pkey "
        f"AND r.record_id = k.record_id AND r.version = k.version AND identity_record_in_one_process() "
        f"WHERE k.patient_id = {patient_id} "
        f"AND coalesce(r.clues_current, r.clues) = ANY(:{clues_param}))"
    )


async def get_by_pk(session: AsyncSession, *, record_pk: int) -> RegistryPatient | None:
    query = select(RegistryPatient).where(RegistryPatient.id == record_pk)
    return (await session.execute(query)).scalar_one_or_none()


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
    query = select(RegistryPatient).join(RegistryPatientKey, _CURRENT).where(RegistryPatient.id > after_pk)
    if clues is not None:
        query = query.where(RegistryPatient.clues_current.in_(list(clues)))
    return (await session.execute(query.order_by(RegistryPatient.id).limit(limit))).scalars().all()


async def find_by_curp(session: AsyncSession, *, curp: str) -> Sequence[RegistryPatient]:
    query = select(RegistryPatient).join(RegistryPatientKey, _CURRENT).where(RegistryPatientKey.curp == curp)
    return (await session.execute(query.order_by(RegistryPatient.id))).scalars().all()


async def find_by_curps(session: AsyncSession, *, curps: Sequence[str]) -> Sequence[RegistryPatient]:
    """Current records with any of these CURPs, in one query, in primary-key order."""
    if not curps:
        return []
    query = (
        select(RegistryPatient)
        .join(RegistryPatientKey, _CURRENT)
        .where(RegistryPatientKey.curp.in_(sorted(set(curps))))
    )
    return (await session.execute(query.order_by(RegistryPatient.id))).scalars().all()


async def count_current(session: AsyncSession) -> int:
    query = select(func.count()).select_from(RegistryPatientKey)
    return int((await session.execute(query)).scalar_one())
