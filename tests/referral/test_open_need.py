"""One open referral per person and need under real concurrency: ``uq_referral_open_need`` and ``INSERT …
ON CONFLICT`` (migration 0016), with two transactions on two connections, the second started while the
first is still open; and when a reviewer's link brings two open referrals of one need together."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.referral.factories import add_registry_patient, add_unit, visit_body

from interop.config import Settings
from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import service as matching_service
from interop.matching.schemas import IdentityProbe, OnlineCandidate
from interop.referral import visit_content
from interop.referral.models import Referral, Visit
from interop.referral.schemas import VisitCreate, VisitResult
from interop.referral.subjects import Subject
from interop.referral.visits import open_or_add

NEAR = "DFIMB000001"


async def _first_visit(
    session: AsyncSession, settings: Settings, visit_id: str, patient_id: uuid.UUID
) -> VisitResult:
    """The visit path after the match: a claimed visit of a certainly matched registry Patient (no
    person lock on that path), opening or adding to the referral of its need."""
    visit = VisitCreate.model_validate(visit_body(visit_id))
    row = Visit(visit_id=visit_id, client_id="b1", request_hash="x", payload={}, visit_date=visit.visit_date)
    session.add(row)
    await session.flush()
    subject = Subject(patient_id, False, "certain", 0.99, False, [])
    ctx = system_context(request_id=visit_id, trace_id="0" * 32)
    return await open_or_add(
        session,
        ctx,
        visit=visit,
        visit_pk=row.id,
        subject=subject,
        content=visit_content.content_of(visit),
        settings=settings,
        now=datetime.now(UTC),
    )


async def _open_referrals(session: AsyncSession, patient_id: uuid.UUID) -> list[Referral]:
    stmt = select(Referral).where(Referral.patient_id == patient_id, Referral.status == "active")
    return list((await session.execute(stmt)).scalars().all())


async def test_two_concurrent_first_visits_of_one_person_and_need_open_one_referral(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await add_unit(session, NEAR, lat=19.4370, lon=-99.1350)
    patient_id = uuid.uuid4()
    async with sessionmaker() as first, sessionmaker() as second:
        opened = await _first_visit(first, settings, "V-CC-1", patient_id)
        assert opened.referral == "created"
        # The second visit's insert waits on the first's uncommitted index entry ...
        racing = asyncio.create_task(_first_visit(second, settings, "V-CC-2", patient_id))
        await asyncio.sleep(0.5)
        assert not racing.done()
        await first.commit()
        # ... and, once it is committed, adds to that referral instead of opening another.
        added = await racing
        await second.commit()
    assert added.referral == "added"
    assert added.service_request == opened.service_request
    [referral] = await _open_referrals(session, patient_id)
    assert referral.visit_ids == ["V-CC-1", "V-CC-2"]
    assert referral.version == 2


async def test_a_first_visit_that_rolls_back_leaves_the_need_to_the_concurrent_one(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await add_unit(session, NEAR, lat=19.4370, lon=-99.1350)
    patient_id = uuid.uuid4()
    async with sessionmaker() as first, sessionmaker() as second:
        await _first_visit(first, settings, "V-RB-1", patient_id)
        racing = asyncio.create_task(_first_visit(second, settings, "V-RB-2", patient_id))
        await asyncio.sleep(0.5)
        assert not racing.done()
        await first.rollback()
        opened = await racing
        await second.commit()
    assert opened.referral == "created"
    [referral] = await _open_referrals(session, patient_id)
    assert referral.visit_ids == ["V-RB-2"]
    total = await session.scalar(select(func.count()).select_from(Referral))
    assert total == 1


async def test_a_link_onto_a_patient_with_an_open_referral_of_the_same_need_keeps_both_open(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    app: Any,
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    await add_unit(session, NEAR, lat=19.4370, lon=-99.1350)
    registry = await add_registry_patient(session, "EXP-HOLD-1", clues=NEAR)
    async with sessionmaker() as other:  # the registry Patient's own open referral for the same need
        held = await _first_visit(other, settings, "V-HOLD-1", registry.patient_id)
        await other.commit()
    posted = (
        await client.post("/v1/visits", json=visit_body("V-HOLD-2"), headers=auth_headers("bienestar"))
    ).json()
    provisional = uuid.UUID(posted["match"]["patient"].removeprefix("Patient/"))
    ctx = system_context(request_id="test", trace_id="0" * 32)
    candidate = OnlineCandidate(
        source="patients",
        record_id="EXP-HOLD-1",
        probability=0.8,
        match_weight=2.0,
        grade="probable",
        model_version="t",
    )
    probe = IdentityProbe(given_names="ROSA MARIA", paternal_surname="PEREZ")
    [review_id] = await matching_service.queue_visit_review(
        session, ctx, provisional_patient_id=provisional, probe=probe, candidates=[candidate]
    )
    await session.commit()
    reviewer = auth_headers("reviewer")
    decided = await client.post(
        f"/v1/match-reviews/{review_id}/decision",
        json={"decision": "link", "reason": "misma CURP"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    worker = Worker(app.state.settings, app.state.sessionmaker)
    assert await worker.run_one(only_key=f"identity-decision:{provisional}")
    moved_id = uuid.UUID(posted["service_request"].removeprefix("ServiceRequest/"))
    holder_id = uuid.UUID(str(held.service_request).removeprefix("ServiceRequest/"))
    both = {r.id: r for r in await _open_referrals(session, registry.patient_id)}
    assert set(both) == {moved_id, holder_id}  # both open on the registry Patient, each with its unit's Task
    assert both[moved_id].need_held_by == holder_id
    assert both[holder_id].need_held_by is None
    # A repeat visit of that person and need adds to the holder.
    async with sessionmaker() as later:
        added = await _first_visit(later, settings, "V-HOLD-3", registry.patient_id)
        await later.commit()
    assert added.referral == "added"
    assert added.service_request == held.service_request
    # Reversed, the moved referral goes back to the visit's Patient and holds its need there again.
    reversed_ = await client.post(
        f"/v1/match-reviews/{review_id}/reversal", json={"reason": "fechas distintas"}, headers=reviewer
    )
    assert reversed_.status_code == 200, reversed_.text
    assert await worker.run_one(only_key=f"identity-decision:{provisional}")
    session.expire_all()
    [back] = await _open_referrals(session, provisional)
    assert back.id == moved_id
    assert back.need_held_by is None
