"""Opening a referral (version 1 of the ServiceRequest and, when placed, of its Task) or adding a repeat
visit to the open referral of the same person and need (a new version carrying every visit id; the open
Task bumped so the unit is notified, or routed now if the visit brings a better address).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.config import Settings
from interop.context import RequestContext
from interop.identity import zones
from interop.referral import records, routing, visit_content
from interop.referral.errors import Unroutable
from interop.referral.models import Referral, ReferralTask
from interop.referral.needs import Need
from interop.referral.placement import origin, route
from interop.referral.routing_queue import assign
from interop.referral.schemas import (
    RoutingRead,
    UnitRead,
    VisitCreate,
    VisitResult,
)
from interop.referral.subjects import Subject, match_read
from interop.units.service import Unit


@dataclass(frozen=True)
class Placement:
    """Where the referral goes: a unit and why, or nothing yet (``unit`` None: waiting to be routed)."""

    decision: routing.Decision | None
    unit: Unit | None
    point: tuple[float, float] | None
    point_is_locality: bool
    # Why no unit could be chosen: its words go to the caller in the request's language (``localised``) and
    # into the stored routing reason in es-MX (``message``).
    why_not: Unroutable | None = None


# Place ---------------------------------------------------------------------------------------------------


def routing_policy(settings: Settings | None) -> routing.Policy:
    if settings is None:
        return routing.Policy()
    adhered = frozenset(settings.routing_adhered_entidades) or routing.ADHERED_ENTIDADES
    return routing.Policy(first_level_km=settings.routing_first_level_km, adhered=adhered)


async def place(
    session: AsyncSession,
    *,
    visit: VisitCreate,
    subject: Subject,
    tried: list[str],
    content: visit_content.VisitContent,
    settings: Settings | None,
) -> Placement:
    point, point_is_locality = await origin(session, person=visit.person)
    try:
        decision, unit = await route(
            session,
            priority=visit.urgency,
            registry_units=subject.registry_units,
            point=point,
            point_is_locality=point_is_locality,
            tried=tried,
            care=content.care_requested,
            home_bound=content.home_bound,
            entidad=visit.person.entidad,
            municipio=visit.person.municipio,
            policy=routing_policy(settings),
        )
    except Unroutable as exc:
        return Placement(None, None, point, point_is_locality, why_not=exc)
    return Placement(decision, unit, point, point_is_locality)


def _waiting_reason(placement: Placement) -> str:
    """The stored reason of a referral waiting to be routed (es-MX, like every stored routing reason)."""
    why = placement.why_not.message if placement.why_not else ""
    return f"en espera de ruta: {why}"


# Persist -------------------------------------------------------------------------------------------------


def content_columns(
    visit: VisitCreate, content: visit_content.VisitContent, placement: Placement
) -> dict[str, Any]:
    """The referral columns of issue 17: findings as found, what is asked, when and where (read in the
    unit's zone, or the visit's place's while it waits for a unit)."""
    unit, person = placement.unit, visit.person
    entidad, municipio = (unit.entidad, unit.municipio) if unit else (person.entidad, person.municipio)
    parts = placement.decision.parts if placement.decision else ()
    return {
        "reasons": content.conditions,
        "observations": content.observations,
        "home_bound": content.home_bound,
        "occurred_at": visit_content.occurred_at(visit),
        "time_zone": zones.zone_for(entidad, municipio) if entidad else None,
        "visit_context": visit_content.context_json(visit, content, parts),
    }


def _finding_key(reason: dict[str, Any]) -> str:
    return str(reason.get("code") or reason.get("text") or reason.get("display") or "")


def found_again(referral: Referral, visit_id: str, conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The referral's findings after a repeat visit: each keeps ``visit_ids``, the visits that found it
    (a finding without them was found by the referral's first visit), so its Condition carries them."""
    reasons = [dict(r) for r in referral.reasons]
    known = {_finding_key(r): r for r in reasons}
    for found in conditions:
        same = known.get(_finding_key(found))
        if same is None:
            same = known[_finding_key(found)] = {**found, "visit_ids": []}
            reasons.append(same)
        seen = same.get("visit_ids", [referral.visit_id])
        same["visit_ids"] = seen if visit_id in seen else [*seen, visit_id]
    return reasons


WAITING_RULE = "waiting-route"


async def persist(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    visit_pk: int,
    subject: Subject,
    need: Need,
    placement: Placement,
    content: visit_content.VisitContent,
    now: datetime,
) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """Version 1 of the ServiceRequest and, when placed, of its Task (the unit notified); None, with
    nothing written, when the person already has an open referral for the need (a concurrent first
    visit's, committed while this one waited on the unique index)."""
    referral_id = uuid.uuid4()
    unit, decision, point = placement.unit, placement.decision, placement.point
    sr_snap = await records.create_open_referral(
        session,
        {
            "id": referral_id,
            "visit_pk": visit_pk,
            "visit_id": visit.visit_id,
            "visit_ids": [visit.visit_id],
            "requester_client_id": ctx.actor.client_id,
            "requester_worker_id": visit.health_worker_id,
            "status": "active",
            "priority": visit.urgency,
            "patient_id": subject.patient_id,
            "patient_provisional": subject.provisional,
            "provisional_patient_id": subject.patient_id if subject.from_visit else None,
            "match_grade": subject.grade,
            "match_probability": subject.probability,
            "performer_clues": unit.clues if unit else None,
            "performer_org_id": unit.organization_id if unit else None,
            "performer_name": unit.nombre if unit else None,
            "tried_clues": [unit.clues] if unit else [],
            "required_level": routing.level_for(visit.urgency, need.care_requested),
            "origin_lat": point[0] if point else None,
            "origin_lon": point[1] if point else None,
            "routing_rule": decision.rule.value if decision else WAITING_RULE,
            "routing_reason": decision.reason if decision else _waiting_reason(placement),
            "distance_km": decision.distance_km if decision else None,
            **content_columns(visit, content, placement),
            "note": visit.note,
            "care_requested": need.care_requested,
            "reason_category": need.reason_category,
            "need_held_by": None,
            "escalation": None,
            "escalated_at": None,
            "outcome": None,
            "status_reason": None,
            "authored_on": now,
            "updated_at": now,
        },
        client_id=ctx.actor.client_id,
    )
    if sr_snap is None:
        return None
    snaps = [("ServiceRequest", sr_snap)]
    task_id: uuid.UUID | None = None
    if unit is not None:
        task_id = uuid.uuid4()
        task_snap = await records.create(
            session,
            ReferralTask,
            records.task_values(
                task_id=task_id,
                referral_id=referral_id,
                visit_id=visit.visit_id,
                client_id=ctx.actor.client_id,
                priority=visit.urgency,
                patient_id=subject.patient_id,
                unit=unit,
                now=now,
                previous=None,
                home_visit=content.home_bound,
            ),
            client_id=ctx.actor.client_id,
            history=False,
        )
        snaps.append(("Task", task_snap))
    await records.first_versions(session, snaps, client_id=ctx.actor.client_id)
    if unit is not None and task_id is not None:
        await records.notify_task_change(
            session, task_id=task_id, task_version=1, owner_clues=unit.clues, trace_id=ctx.trace_id
        )
    return referral_id, task_id


async def add_to_referral(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    visit: VisitCreate,
    referral: Referral,
    subject: Subject,
    content: visit_content.VisitContent,
    settings: Settings | None,
    now: datetime,
) -> VisitResult:
    """A repeat visit: its findings join the open referral (a new version carrying its visit id); the
    open Task gets a new version so the unit is notified and its polling sees the change."""
    notes = [n for n in (referral.note, visit.note and f"{visit.visit_id}: {visit.note}") if n]
    changes: dict[str, Any] = {
        "visit_ids": [*referral.visit_ids, visit.visit_id],
        "reasons": found_again(referral, visit.visit_id, content.conditions),
        "observations": [*referral.observations, *content.observations],
        "note": "\n".join(notes)[:4000] or None,
    }
    await records.bump(session, referral, changes, now=now, client_id=ctx.actor.client_id)
    entities = [AuditEntity(type="ServiceRequest", id=str(referral.id))]
    task = await records.open_task(session, referral_id=referral.id)
    if task is not None:
        await records.bump(session, task, {}, now=now, client_id=ctx.actor.client_id)
        await records.notify_task_change(
            session,
            task_id=task.id,
            task_version=task.version,
            owner_clues=task.owner_clues,
            trace_id=ctx.trace_id,
        )
        entities.append(AuditEntity(type="Task", id=str(task.id)))
    await audit_service.record(
        session,
        ctx,
        action="U",
        subtype="update",
        entities=entities,
        patients=[f"Patient/{referral.patient_id}"],
    )
    if task is None and referral.performer_clues is None:  # waiting: this visit may bring a better address
        placement = await place(
            session,
            visit=visit,
            subject=subject,
            tried=list(referral.tried_clues),
            content=content,
            settings=settings,
        )
        if placement.unit is not None and placement.decision is not None:
            task_id = await assign(
                session,
                ctx,
                referral=referral,
                unit=placement.unit,
                rule=placement.decision.rule.value,
                reason=placement.decision.reason,
                distance_km=placement.decision.distance_km,
                now=now,
            )
            task = await session.get(ReferralTask, task_id)
    unit = None
    if referral.performer_clues is not None:
        unit = UnitRead(
            clues=referral.performer_clues,
            name=referral.performer_name,
            level=None,
            distance_km=referral.distance_km,
        )
    return VisitResult(
        visit_id=visit.visit_id,
        referral="added",
        service_request=f"ServiceRequest/{referral.id}",
        task=f"Task/{task.id}" if task is not None else None,
        unit=unit,
        routing=RoutingRead(rule=referral.routing_rule, reason=referral.routing_reason),
        match=match_read(subject),
        created_at=now,
        warnings=visit_content.warnings_read(content),
    )
