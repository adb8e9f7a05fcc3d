"""Who a case is about, on the identity side, for the auditor's case view: the source records that share
a CURP, a padrón folio or a patient id, every record of the golden persons they belong to, and the
reviews that decided (or will decide) about any of them. Identifiers only; never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, or_, select, table, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching.models import MatchRecord, MatchReview
from interop.matching.reviews import VISIT_SOURCE

_RECORD = table(
    "identity_record", column("source"), column("record_id"), column("curp"), column("patient_id")
)
MAX_RECORDS = 200  # a case is one person; a CURP shared by more records than this is not a case


@dataclass(frozen=True)
class CaseIdentity:
    records: list[tuple[str, str]] = field(default_factory=list)  # (source, record_id)
    person_ids: list[uuid.UUID] = field(default_factory=list)
    patient_ids: list[uuid.UUID] = field(default_factory=list)  # registry patients' FHIR ids
    review_ids: list[int] = field(default_factory=list)


async def identity_of(
    session: AsyncSession,
    *,
    curp: str | None = None,
    roll_record_ids: Sequence[str] = (),
    patient_ids: Sequence[uuid.UUID] = (),
    visit_record_ids: Sequence[str] = (),
) -> CaseIdentity:
    """The records a case starts from (by CURP, padrón folio or registry patient id), widened to the
    golden persons they belong to; ``visit_record_ids`` (a visit's provisional patient ids) add the
    reviews a visit queued."""
    seeds: list[Any] = []
    if curp:
        seeds.append(_RECORD.c.curp == curp)
    if roll_record_ids:
        seeds.append((_RECORD.c.source == "roll") & _RECORD.c.record_id.in_(list(roll_record_ids)))
    if patient_ids:
        seeds.append(_RECORD.c.patient_id.in_(list(patient_ids)))
    seed_records: list[tuple[str, str]] = []
    if seeds:
        rows = await session.execute(
            select(_RECORD.c.source, _RECORD.c.record_id).where(or_(*seeds)).limit(MAX_RECORDS)
        )
        seed_records = [(str(s), str(r)) for s, r in rows.all()]
    persons: list[uuid.UUID] = []
    if seed_records:
        found_persons = await session.execute(
            select(MatchRecord.person_id).where(
                tuple_(MatchRecord.source, MatchRecord.record_id).in_(seed_records),
                MatchRecord.person_id.is_not(None),
            )
        )
        persons = list(dict.fromkeys(p for p in found_persons.scalars() if p is not None))
    records = list(seed_records)
    if persons:
        rows = await session.execute(
            select(MatchRecord.source, MatchRecord.record_id)
            .where(MatchRecord.person_id.in_(persons))
            .limit(MAX_RECORDS)
        )
        records = list(dict.fromkeys([*seed_records, *((str(s), str(r)) for s, r in rows.all())]))
    patients: list[uuid.UUID] = list(patient_ids)
    if records:
        found = await session.execute(
            select(_RECORD.c.patient_id).where(
                tuple_(_RECORD.c.source, _RECORD.c.record_id).in_(records), _RECORD.c.patient_id.is_not(None)
            )
        )
        patients = list(dict.fromkeys([*patients, *found.scalars()]))
    review_where: list[Any] = []
    if records:
        review_where += [
            tuple_(MatchReview.left_source, MatchReview.left_record_id).in_(records),
            tuple_(MatchReview.right_source, MatchReview.right_record_id).in_(records),
        ]
    if visit_record_ids:
        review_where.append(
            (MatchReview.left_source == VISIT_SOURCE) & MatchReview.left_record_id.in_(list(visit_record_ids))
        )
    reviews: list[int] = []
    if review_where:
        reviews = list(
            (
                await session.execute(
                    select(MatchReview.id)
                    .where(or_(*review_where))
                    .order_by(MatchReview.id)
                    .limit(MAX_RECORDS)
                )
            ).scalars()
        )
    return CaseIdentity(records=records, person_ids=persons, patient_ids=patients, review_ids=reviews)
