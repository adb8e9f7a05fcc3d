"""``Patient/$match`` reads who may see which candidate and the records it shows in one statement
(``match_disclosure.disclosed_records``): the same candidates and the same records as asking the Patient
read rule first (``referral.readable_patient_ids``) and then reading the shown records
(``matching.service.read_candidate_records``), for every kind of caller, and never a record of a candidate
the caller may not see."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.factories import load_population, make_people
from tests.matching.test_match_disclosure import visit_person
from tests.matching.test_router import _linked_person, _run_via_api
from tests.referral.factories import add_unit, visit_body

from interop.config import Settings
from interop.context import Actor, RequestContext
from interop.fhir import match_disclosure as disclosure
from interop.fhir.match import MAX_COUNT
from interop.matching import online
from interop.matching import service as matching_service
from interop.matching.schemas import IdentityProbe, OnlineCandidate
from interop.referral import service as referral_service

Headers = Callable[..., dict[str, str]]
HOME, ELSEWHERE = "DFIMB000001", "OCIMB000999"  # every registry record of the population is at HOME


async def _two_reads(
    session: AsyncSession, ctx: RequestContext, candidates: list[OnlineCandidate], count: int
) -> tuple[list[OnlineCandidate], dict[tuple[str, str], dict[str, object]]]:
    """What ``Patient/$match`` did before: who is readable, then the records of the shown ones."""
    actor = ctx.actor
    if disclosure.sees_every_candidate(actor):
        shown = candidates[:count]
    else:
        roll_allowed = actor.role in disclosure.ROLL_ROLES and not actor.clues
        ids = [c.patient_id for c in candidates if c.source != "roll" and c.patient_id is not None]
        readable: set[object] = set()
        if ids:
            scope = await referral_service.scope_for(session, ctx)
            readable = set(await referral_service.readable_patient_ids(session, scope=scope, patient_ids=ids))
        shown = [c for c in candidates if (roll_allowed if c.source == "roll" else c.patient_id in readable)][
            :count
        ]
    views = await matching_service.read_candidate_records(
        session, keys=[(c.source, c.record_id) for c in shown]
    )
    return shown, views


async def test_one_read_discloses_what_two_reads_did(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    auth_headers: Headers,
) -> None:
    people = make_people(200)
    await load_population(session, people)
    await add_unit(session, HOME, lat=19.4330, lon=-99.1330)
    await _run_via_api(client, app, auth_headers)
    key, _ = await _linked_person(session)
    p = people[key]
    # A visit of Bienestar's referred with the registry Patient as subject: Bienestar reads that Patient.
    person = visit_person(p)
    visit = await client.post(
        "/v1/visits", json=visit_body("OR-1", person=person), headers=auth_headers("bienestar")
    )
    assert visit.status_code == 201, visit.text
    actors = [
        Actor("test-admin", "admin"),
        Actor("test-reviewer", "reviewer"),
        Actor("test-clinic", "clinic", clues=frozenset({HOME})),
        Actor("test-clinic-far", "clinic", clues=frozenset({ELSEWHERE})),
        Actor("test-bienestar", "bienestar"),  # auth_headers' client: the visit's requester
        Actor("bienestar-otro", "bienestar"),
    ]
    compared = shown_registry = shown_roll = 0
    for person_key in (key, key + 1, key + 2, key + 7):
        q = people[person_key]
        probe = IdentityProbe(
            curp=q.curp,
            given_names=q.nombre,
            paternal_surname=q.primer_apellido,
            maternal_surname=q.segundo_apellido,
            birth_date=q.fecha_nacimiento,
            sex=q.sexo,
            entidad=q.entidad,
        )
        candidates = await online.match(
            session,
            model=None,
            probe=probe,
            limit=MAX_COUNT,
            auto_threshold=settings.match_auto_threshold,
            review_threshold=settings.match_review_threshold,
            minimum=0.0,  # every candidate the blocking finds: registry and roll, readable or not
        )
        for actor in actors:
            ctx = RequestContext(actor=actor, request_id="r", trace_id="0" * 32)
            for count in (1, 2, MAX_COUNT):
                old_shown, old_views = await _two_reads(session, ctx, candidates, count)
                new_shown, new_views = await disclosure.disclosed_records(session, ctx, candidates, count)
                assert new_shown == old_shown, (actor, count)
                keys = [(c.source, c.record_id) for c in new_shown]
                assert {k: new_views.get(k) for k in keys} == {k: old_views.get(k) for k in keys}
                # Nothing of a candidate the caller may not see was read.
                unseen = {(c.source, c.record_id) for c in candidates} - {
                    (c.source, c.record_id)
                    for c in (await _two_reads(session, ctx, candidates, MAX_COUNT))[0]
                }
                assert not unseen & set(new_views), (actor, count)
                compared += 1
                shown_registry += sum(c.source == "patients" for c in new_shown)
                shown_roll += sum(c.source == "roll" for c in new_shown)
    # The cases differ: registry and roll records were shown, to some callers.
    assert compared == 4 * len(actors) * 3
    assert shown_registry
    assert shown_roll
