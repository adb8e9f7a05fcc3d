"""Calibrated scores over real HTTP and PostgreSQL: a run fits a calibration from what its data settles,
the review queue and ``Patient/$match`` show the calibrated figure (the raw one kept), and reviewers'
decisions, once enough accumulate, refit it through the ``matching.calibrate`` job and move the band
they decided."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.matching.factories import load_population, make_people

from interop.job.worker import Worker
from interop.matching import calibration_fit
from interop.matching.calibration import RULED_PRIOR, STRATA, Calibration, Curve, raw_probability

Headers = Callable[..., dict[str, str]]

# An anchored pair without CURPs (stratum "open").
OPEN_EVIDENCE = json.dumps(
    [
        {"comparison": "curp", "level": "missing", "weight": 0.0},
        {"comparison": "given", "level": "exact", "weight": 4.0},
        {"comparison": "birth_date", "level": "exact", "weight": 7.0},
    ]
)


async def _run(client: httpx.AsyncClient, app: FastAPI, auth_headers: Headers) -> dict[str, Any]:
    created = await client.post("/v1/match-runs", json={}, headers=auth_headers("admin"))
    assert created.status_code == 202, created.text
    await Worker(app.state.settings, app.state.sessionmaker).run_until_done(created.json()["job_id"])
    read = await client.get(f"/v1/match-runs/{created.json()['id']}", headers=auth_headers("admin"))
    body: dict[str, Any] = read.json()
    assert body["status"] == "succeeded", body
    return body


async def _review(session: AsyncSession, left: str, right: str, weight: float) -> int:
    review_id = (
        await session.execute(
            text(
                "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, "
                "score, match_weight, model_version, evidence) VALUES ('roll', :l, 'patients', :r, :s, :w, "
                "(SELECT version FROM match_model WHERE active), CAST(:e AS jsonb)) RETURNING id"
            ),
            {"l": left, "r": right, "s": raw_probability(weight), "w": weight, "e": OPEN_EVIDENCE},
        )
    ).scalar_one()
    return int(review_id)


async def _shown(client: httpx.AsyncClient, auth_headers: Headers) -> dict[int, dict[str, Any]]:
    listed = await client.get(
        "/v1/match-reviews", params={"status": "open", "limit": 500}, headers=auth_headers("reviewer")
    )
    assert listed.status_code == 200, listed.text
    return {item["id"]: item for item in listed.json()["items"]}


async def _calibrate_job(app: FastAPI, session: AsyncSession) -> None:
    job_id = (
        await session.execute(
            text("SELECT id FROM job WHERE kind = 'matching.calibrate' AND state = 'queued' ORDER BY id")
        )
    ).scalar_one()
    assert await Worker(app.state.settings, app.state.sessionmaker).run_until_done(job_id) == "succeeded"


async def test_run_fits_a_calibration_and_queue_and_match_show_it(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, auth_headers: Headers
) -> None:
    people = make_people(200)
    await load_population(session, people)
    run = await _run(client, app, auth_headers)
    fitted = run["counts"]["calibration"]
    # The population's CURPs settle pairs: the run fitted on them, no truth file involved.
    assert fitted["labels"]["kind:curp_same"] > 0
    model = run["model_version"]
    stored = (
        await session.execute(
            text("SELECT count(*) FROM match_calibration WHERE model_version = :v"), {"v": model}
        )
    ).scalar_one()
    assert stored == 1

    # A queued pair scored 0.95 by the model: the queue shows what the calibration says of it.
    review_id = await _review(session, f"R{people[1].key}", f"P{people[2].key}", 4.3)
    await session.commit()
    calibrated = Calibration("m", {s: Curve((-1000.0,), (1000.0,), (0.42,)) for s in STRATA})
    async with app.state.sessionmaker() as other:
        await calibration_fit.apply_to_open_reviews(
            other, calibration=calibrated, calibration_id=fitted["calibration_id"], auto_threshold=0.99
        )
        await other.commit()
    item = (await _shown(client, auth_headers))[review_id]
    assert item["score"] == 0.42
    assert abs(item["raw_score"] - 0.9517) < 1e-3
    detail = await client.get(f"/v1/match-reviews/{review_id}", headers=auth_headers("reviewer"))
    assert detail.json()["score"] == 0.42
    assert detail.json()["match_weight"] == 4.3

    # $match: search.score is the calibrated figure of the active model's newest fit.
    await session.execute(
        text("INSERT INTO match_calibration (model_version, curves) VALUES (:v, CAST(:c AS jsonb))"),
        {"v": model, "c": json.dumps(calibrated.as_json())},
    )
    await session.commit()
    calibration_fit._CACHE.clear()  # another process would see the new fit within CACHE_S
    p = people[3]
    patient = {
        "resourceType": "Patient",
        "name": [{"family": f"{p.primer_apellido[:-1]} {p.segundo_apellido}", "given": p.nombre.split()}],
        "gender": "male" if p.sexo == "H" else "female",
        "birthDate": p.fecha_nacimiento.isoformat(),
        "address": [
            {"state": p.entidad, "district": p.municipio, "city": p.localidad, "line": [p.domicilio]}
        ],
    }
    headers = {**auth_headers("admin"), "Content-Type": "application/fhir+json"}
    resp = await client.post(
        "/fhir/Patient/$match",
        json={"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": patient}]},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    entries = resp.json()["entry"]
    assert entries
    assert {e["search"]["score"] for e in entries} == {0.42}
    # Below the middle of the review band once calibrated: possible, unless the batch's rule says certain.
    assert {e["search"]["extension"][0]["valueCode"] for e in entries} <= {"certain", "possible"}


async def test_reviewers_decisions_refit_the_band_they_decided(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, auth_headers: Headers
) -> None:
    people = make_people(200)
    await load_population(session, people)
    await _run(client, app, auth_headers)
    # Forty look-alike pairs the model scores 0.89 (weight 3), and one it scores 0.9998 (weight 12).
    band = [await _review(session, f"R{people[i].key}", f"P{people[i + 50].key}", 3.0) for i in range(40)]
    control = await _review(session, f"R{people[100].key}", f"P{people[150].key}", 12.0)
    await session.commit()
    async with app.state.sessionmaker() as other:
        from interop.matching import service

        await service.calibrate(other, settings=app.state.settings)
        await other.commit()
    before = await _shown(client, auth_headers)
    assert before[band[0]]["score"] > 0.8
    # Scored 0.9998 yet in the queue: a rule held it back, so the queue shows the rule's prior for such
    # pairs, not the model's figure the rule overruled.
    assert abs(before[control]["score"] - RULED_PRIOR["ruled"]) < 0.05

    reviewer = auth_headers("reviewer")
    for review_id in band[:30]:
        decided = await client.post(
            f"/v1/match-reviews/{review_id}/decision",
            json={"decision": "not-link", "reason": "hermanos"},
            headers=reviewer,
        )
        assert decided.status_code == 200, decided.text
    # The 25th decision queued a refit; the job fits on the decisions and rescores the open reviews.
    await _calibrate_job(app, session)
    after = await _shown(client, auth_headers)
    for review_id in band[30:]:
        assert after[review_id]["score"] < before[review_id]["score"] - 0.5
        assert after[review_id]["raw_score"] == before[review_id]["raw_score"]
    assert after[control]["score"] == before[control]["score"]
    labels = (
        await session.execute(
            text("SELECT curves -> 'labels' FROM match_calibration ORDER BY id DESC LIMIT 1")
        )
    ).scalar_one()
    assert labels["kind:review_not_link"] == 30
