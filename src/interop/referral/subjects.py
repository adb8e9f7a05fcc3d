"""Who a visit found: the certainly matched registry Patient, else the person's one provisional Patient
(found again by ``identity_key``, so the same unmatched person found twice is one Patient), or a known
pensioner (certain on the roll alone). A provisional Patient is claimed in one statement, ``INSERT … ON
CONFLICT (identity_key) DO UPDATE … RETURNING id`` on its unique index: two concurrent visits of one
person never create two (the second waits for the first, then gets its Patient).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from interop.config import Settings
from interop.context import RequestContext
from interop.identity.names import fold_name
from interop.matching import service as matching_service
from interop.matching.schemas import OnlineCandidate
from interop.referral.models import ProvisionalPatient
from interop.referral.schemas import (
    MatchRead,
    PersonFound,
)
from interop.registry import service as registry_service
from interop.units import service as units_service
from interop.units.service import Unit

UNCERTAIN = ("probable", "possible")

_PROVISIONALS = cast(Table, ProvisionalPatient.__table__)
# The person's provisional Patient: this one if new, else the one already there (its id comes back; the
# no-op update locks it, as a concurrent visit of the same person waits for this transaction).
_CLAIM_PROVISIONAL = (
    insert(_PROVISIONALS)
    .on_conflict_do_update(
        index_elements=[_PROVISIONALS.c.identity_key],
        set_={"identity_key": insert(_PROVISIONALS).excluded.identity_key},
    )
    .returning(_PROVISIONALS.c.id)
)


@dataclass(frozen=True)
class Subject:
    """Who the visit found: the referral's subject and how sure the service is."""

    patient_id: uuid.UUID
    provisional: bool  # a Patient built from the visit, identity not established
    grade: str
    probability: float | None
    review_queued: bool
    registry_units: list[Unit]
    from_visit: bool = False  # the subject is a Patient built from visits (provisional, or known pensioner)


def identity_key(person: PersonFound) -> str:
    """What makes two unmatched visits the same person: the CURP, else the roll record, else the folded
    names with the birth date (a name alone is too common to join visits on)."""
    if person.curp and len(person.curp) == 18:
        return f"curp:{person.curp}"
    if person.roll_record_id:
        return f"roll:{person.roll_record_id}"
    names = " ".join(
        fold_name(n) for n in (person.nombre, person.primer_apellido, person.segundo_apellido or "")
    )
    return f"name:{names}|{person.fecha_nacimiento}|{person.sexo}|{person.entidad}"


async def match(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    person: PersonFound,
    visit_pk: int,
    now: datetime,
    settings: Settings,
) -> Subject:
    """The certainly matched registry Patient, else this person's provisional Patient (one per person:
    found again by ``identity_key``, or created and, when candidates are uncertain, queued for review)."""
    probe = person.identity_probe()
    candidates = await matching_service.match_online(session, probe=probe, limit=10, settings=settings)
    # A candidate a reviewer declared another person (certainly-not) is never the one found.
    candidates = [c for c in candidates if c.grade != "certainly-not"]
    best = max(candidates, key=lambda c: c.probability, default=None)
    sure = sorted((c for c in candidates if c.grade == "certain"), key=lambda c: -c.probability)
    home = await _registry_units(session, sure)
    certain = [c for c in sure if c.patient_id is not None]
    if certain:
        patient_id = certain[0].patient_id
        assert patient_id is not None
        return Subject(patient_id, False, "certain", certain[0].probability, False, home)
    grade = best.grade if best is not None else "certainly-not"
    probability = best.probability if best is not None else None
    # Certain on the roll alone: a known pensioner, with no clinic record yet; not a person to review.
    pensioner = bool(sure)
    if pensioner:
        grade, probability = "certain", sure[0].probability
    patient_id = uuid.uuid4()
    uncertain = [] if pensioner else [c for c in candidates if c.grade in UNCERTAIN]
    claimed = (
        await session.execute(
            _CLAIM_PROVISIONAL,
            {
                "id": patient_id,
                "visit_pk": visit_pk,
                **person.provisional_fields(),
                "identity_key": identity_key(person),
                "match_grade": grade,
                "review_queued": bool(uncertain),
                "created_at": now,
                "updated_at": now,
            },
        )
    ).scalar_one()
    if claimed != patient_id:  # found again: the person's Patient from an earlier visit
        return Subject(claimed, not pensioner, grade, probability, False, home, from_visit=True)
    if uncertain:
        await matching_service.queue_visit_review(
            session, ctx, provisional_patient_id=patient_id, probe=probe, candidates=uncertain
        )
    return Subject(patient_id, not pensioner, grade, probability, bool(uncertain), home, from_visit=True)


async def _registry_units(session: AsyncSession, candidates: list[OnlineCandidate]) -> list[Unit]:
    """Units where the certainly matched person is already a registry patient (current CLUES): the
    candidates' own registry records, or, when only a roll record matched, the registry records linked to
    the same golden person."""
    codes: set[str] = set()
    for cand in candidates:
        if cand.patient_id is not None:
            record = await registry_service.get_by_patient_id(session, patient_id=cand.patient_id)
            if record is not None:
                codes.add(record.clues_current or record.clues)
    if not codes:
        for cand in candidates:
            if cand.person_id is not None:
                codes.update(await matching_service.registry_units_of(session, person_id=cand.person_id))
    units: dict[str, Unit] = {}
    for code in sorted(codes):
        unit = await units_service.get_unit(session, clues=code)
        if unit is not None:
            units[unit.clues] = unit
    return list(units.values())


def match_read(subject: Subject) -> MatchRead:
    return MatchRead(
        grade=subject.grade,
        probability=subject.probability,
        patient=f"Patient/{subject.patient_id}",
        provisional=subject.provisional,
        review_queued=subject.review_queued,
    )
