"""One case end to end, for an auditor: from a CURP, padrón folio, visit id, referral id or trace id to
the visits and referrals (referral service), the records and reviews of the person (matching service),
one timeline of audit events across both institutions (audit service) and the proof that the log
holding them is intact (audit case proofs). Composition only: every read goes through a domain service.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import case_proof
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEventRead, AuditSearch
from interop.matching import cases as matching_cases
from interop.referral import cases as referral_cases
from interop.web.case_words import word

Kind = Literal["curp", "folio", "visita", "referencia", "traza"]
KINDS: tuple[Kind, ...] = ("curp", "folio", "visita", "referencia", "traza")
_CURP = re.compile(r"^[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$")
_TRACE = re.compile(r"^[0-9a-f]{32}$")
MAX_TRACES = 20
MAX_EVENTS = 2000


class CaseKeyInvalid(ValueError):
    """What was typed cannot be a search key; ``key`` names the catalogue's explanation."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def classify(value: str, kind: str | None) -> tuple[Kind, str]:
    """What the auditor typed: the chosen kind, or guessed (trace id, referral UUID, CURP, else a visit
    id or a padrón folio, tried both ways)."""
    value = value.strip()
    if not value or len(value) > 128:
        raise CaseKeyInvalid("casefile.key.empty")
    if kind in KINDS:
        chosen: Kind = kind  # type: ignore[assignment]
    elif _TRACE.match(value):
        chosen = "traza"
    elif _is_uuid(value):
        chosen = "referencia"
    elif _CURP.match(value.upper()):
        chosen = "curp"
    else:
        chosen = "visita"
    if chosen == "curp":
        value = value.upper()
        if not _CURP.match(value):
            raise CaseKeyInvalid("casefile.key.curp")
    if chosen == "traza" and not _TRACE.match(value):
        raise CaseKeyInvalid("casefile.key.trace")
    if chosen == "referencia" and not _is_uuid(value):
        raise CaseKeyInvalid("casefile.key.referral")
    return chosen, value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class TimelineEntry:
    event: AuditEventRead
    institution: str
    who: str
    what: str
    resources: str
    reads_person: bool


@dataclass(frozen=True)
class Case:
    kind: Kind
    visits: list[referral_cases.CaseVisit]
    identity: matching_cases.CaseIdentity
    patient_ids: list[str]
    timeline: list[TimelineEntry]
    proof: case_proof.CaseProof
    truncated: bool

    @property
    def found(self) -> bool:
        return bool(self.visits or self.identity.records or self.timeline)


def describe(event: AuditEventRead, language: str = "es-MX") -> TimelineEntry:
    def resource(kind: str) -> str:
        return word(language, f"casefile.resource.{kind}", kind)

    types = [str(e.get("type", "")) for e in event.entities]
    resources = ", ".join(f"{resource(str(e.get('type')))} {e.get('id')}" for e in event.entities)
    if event.patient:
        patient = f"{resource('Patient')} {event.patient.removeprefix('Patient/')}"
        resources = ", ".join(x for x in (resources, patient) if x)
    subtype = word(language, f"casefile.subtype.{event.subtype}", event.subtype)
    action = word(language, f"casefile.action.{event.action}", event.action)
    what = f"{subtype} ({action})"
    if event.outcome != "0":
        what += " · " + word(language, "casefile.refused" if event.outcome == "4" else "casefile.failed", "")
    if event.query == "defer":
        what = word(language, "casefile.deferred", "defer")
    who = event.user_id or event.client_id
    if event.user_id:
        who += f" ({word(language, 'casefile.via', event.client_id, client=event.client_id)})"
    reads = event.action in ("R", "E") and bool(event.patient) and event.subtype not in ("login",)
    return TimelineEntry(
        event=event,
        institution=word(language, f"casefile.institution.{event.role}", "interop"),
        who=f"{who} · {event.role}",
        what=what,
        resources=resources or ", ".join(types),
        reads_person=reads,
    )


async def assemble(session: AsyncSession, *, kind: Kind, value: str, language: str = "es-MX") -> Case:
    visits: list[referral_cases.CaseVisit]
    if kind == "curp":
        identity = await matching_cases.identity_of(session, curp=value)
        rolls = [r for s, r in identity.records if s == "roll"]
        visits = await referral_cases.visits_of(
            session, curp=value, patient_ids=identity.patient_ids, roll_record_ids=rolls
        )
    elif kind == "folio":
        identity = await matching_cases.identity_of(session, roll_record_ids=[value])
        rolls = [r for s, r in identity.records if s == "roll"] or [value]
        visits = await referral_cases.visits_of(
            session, roll_record_ids=rolls, patient_ids=identity.patient_ids
        )
    else:
        visits = await referral_cases.visits_of(
            session,
            visit_ids=[value] if kind == "visita" else [],
            referral_ids=[uuid.UUID(value)] if kind == "referencia" else [],
            trace_ids=[value] if kind == "traza" else [],
        )
        identity = await matching_cases.identity_of(
            session,
            patient_ids=[v.patient_id for v in visits if v.patient_id and not v.patient_provisional],
            visit_record_ids=[str(p) for v in visits for p in v.provisional_ids],
        )
    if kind in ("curp", "folio"):  # the visits' provisional patients queued reviews too
        extra = [str(p) for v in visits for p in v.provisional_ids]
        if extra:
            more = await matching_cases.identity_of(session, visit_record_ids=extra)
            identity = matching_cases.CaseIdentity(
                records=identity.records,
                person_ids=identity.person_ids,
                patient_ids=identity.patient_ids,
                review_ids=sorted({*identity.review_ids, *more.review_ids}),
            )
    patients = list(
        dict.fromkeys(
            [str(p) for p in identity.patient_ids]
            + [str(v.patient_id) for v in visits if v.patient_id]
            + [str(p) for v in visits for p in v.provisional_ids]
        )
    )
    events: dict[int, AuditEventRead] = {}
    traces = [v.trace_id for v in visits if v.trace_id][:MAX_TRACES]
    if kind == "traza" and value not in traces:
        traces.append(value)
    for trace_id in traces:
        for e in (await audit_service.trace(session, trace_id=trace_id, limit=MAX_EVENTS)).events:
            events[e.seq] = e
    searches = []
    if patients:
        searches.append(AuditSearch(patients=patients[:200]))
    if identity.review_ids:
        searches.append(AuditSearch(entity_groups=[[("MatchReview", str(i)) for i in identity.review_ids]]))
    for criteria in searches:
        found, _ = await audit_service.search_events(session, criteria=criteria, count=MAX_EVENTS)
        events.update({e.seq: e for e in found})
    ordered = [events[s] for s in sorted(events)]
    truncated = len(ordered) > MAX_EVENTS
    ordered = ordered[:MAX_EVENTS]
    proof = await case_proof.prove_events(session, seqs=[e.seq for e in ordered])
    return Case(
        kind=kind,
        visits=visits,
        identity=identity,
        patient_ids=patients,
        timeline=[describe(e, language) for e in ordered],
        proof=proof,
        truncated=truncated,
    )
