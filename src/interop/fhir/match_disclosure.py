"""What ``Patient/$match`` discloses to whom, and the audit of what it disclosed.

``$match`` never tells a caller more than its reads would: a candidate is shown whole or not at all (no
opaque id, no score or grade of a record the caller may not read, so a probe cannot even learn that a person
is on the pension roll or registered at some unit):

- a clinic (any token bound to CLUES): the registry Patients it may already read — those registered at its
  units and the subjects of referrals its units hold (the Patient read rule, ``referral.queries``); never a
  pension-roll record, never another unit's patient;
- Bienestar: the pension-roll records (its own padrón), and the registry Patients it may already read (the
  subjects of its own visits' referrals);
- reviewers and administrators: every candidate, whole (deciding identities needs both sides);
- any other role: what it may read, like a clinic, and never the roll.

Every disclosed record is audited: one event per registry Patient (BALP: one per patient), and one per
roll record (entity ``RollRecord`` in the patient role, by its padrón record id).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.auth.isolation import unit_scope
from interop.context import Actor, RequestContext
from interop.matching.schemas import OnlineCandidate
from interop.referral import service as referral_service

WHOLE_ROLES = frozenset({"admin", "reviewer", "system"})
ROLL_ROLES = frozenset({"bienestar", *WHOLE_ROLES})


def sees_every_candidate(actor: Actor) -> bool:
    """Reviewers and administrators not bound to units: every candidate is disclosed."""
    return actor.role in WHOLE_ROLES and unit_scope(actor) is None


async def disclosed_candidates(
    session: AsyncSession, ctx: RequestContext, candidates: list[OnlineCandidate]
) -> list[OnlineCandidate]:
    """The candidates this caller may see, in the order given (see the module docstring for the rules)."""
    actor = ctx.actor
    if sees_every_candidate(actor):
        return list(candidates)
    roll_allowed = actor.role in ROLL_ROLES and unit_scope(actor) is None
    readable = await _readable_patients(session, ctx, candidates)
    return [
        cand
        for cand in candidates
        if (roll_allowed if cand.source == "roll" else cand.patient_id in readable)
    ]


async def _readable_patients(
    session: AsyncSession, ctx: RequestContext, candidates: list[OnlineCandidate]
) -> set[uuid.UUID]:
    """The registry candidates' Patient ids this caller may read, by the Patient read rule, for all of
    them at once (a read per candidate cost four queries each, and ``$match`` asks about up to
    ``MAX_COUNT`` candidates)."""
    ids = [c.patient_id for c in candidates if c.source != "roll" and c.patient_id is not None]
    if not ids:
        return set()
    scope = await referral_service.scope_for(session, ctx)
    return await referral_service.readable_patient_ids(session, scope=scope, patient_ids=ids)


def _roll_entity(cand: OnlineCandidate) -> AuditEntity:
    # A padrón record id is an identifier; should a roll use CURPs as record ids, the row key stands in
    # (the audit holds no CURP).
    record = cand.record_id
    if audit_service.holds_personal_data(record):
        record = f"pk:{cand.record_pk}"
    return AuditEntity(type="RollRecord", id=record, role="patient")


async def audit_disclosure(
    session: AsyncSession, ctx: RequestContext, candidates: list[OnlineCandidate]
) -> None:
    """One operation event per disclosed registry Patient and per disclosed roll record; one event naming
    nobody when nothing was disclosed (the query itself is still on record)."""
    patients = list(
        dict.fromkeys(str(c.patient_id) for c in candidates if c.source != "roll" and c.patient_id)
    )
    roll = [c for c in candidates if c.source == "roll"]
    if patients or not roll:
        await audit_service.record(
            session,
            ctx,
            action="E",
            subtype="operation",
            entities=[AuditEntity(type="Patient", id=p) for p in patients],
            patients=[f"Patient/{p}" for p in patients],
        )
    for cand in roll:
        await audit_service.record(
            session, ctx, action="E", subtype="operation", entities=[_roll_entity(cand)]
        )
