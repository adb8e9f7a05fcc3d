"""The registry-unit rule end to end: a trained model (real Splink batch run), a visit of a person who is a
registry patient, a certain online match, and routing to that person's unit even when another is nearer."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import load_population, make_people
from tests.referral.factories import add_unit

from interop.config import Settings
from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import service as matching_service

Headers = Callable[..., dict[str, str]]
HOME, NEAR, HOSP = "DFIMB000009", "DFIMB000001", "DFIMB000003"


async def _train(settings: Settings, sm: async_sessionmaker[AsyncSession]) -> None:
    ctx = system_context(request_id="r", trace_id="0" * 32)
    async with sm() as session:
        run = await matching_service.start_run(session, ctx)
        await session.commit()
    assert run.job_id is not None
    assert await Worker(settings, sm).run_until_done(run.job_id) == "succeeded"


async def test_registry_unit_rule_and_its_fallbacks(
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    auth_headers: Headers,
) -> None:
    people = make_people(300)
    truth = await load_population(session, people)
    await _train(settings, sessionmaker)
    # A person with exactly one registry record (P{key}, no Q{key}), moved to the unit HOME far away.
    key = next(p.key for p in people if f"patients|P{p.key}" in truth and f"patients|Q{p.key}" not in truth)
    person = people[key]
    row = (
        await session.execute(
            text(
                "UPDATE registry_patient SET clues = :c, clues_current = :c "
                "WHERE record_id = :r AND is_current "
                "RETURNING patient_id"
            ),
            {"c": HOME, "r": f"P{key}"},
        )
    ).one()
    await session.commit()
    await add_unit(session, HOME, lat=19.60, lon=-99.13, nivel=1)
    await add_unit(session, NEAR, lat=19.4330, lon=-99.1330, nivel=1)
    await add_unit(session, HOSP, lat=19.4400, lon=-99.1330, nivel=2)

    def visit(visit_id: str, urgency: str = "routine", asked: str | None = None) -> dict[str, object]:
        # Each visit asks for other care (another need), so each opens its own referral and is routed.
        asked = asked or ("urgencias" if urgency in ("asap", "stat") else "consulta-primer-nivel")
        return {
            "visit_id": visit_id,
            "visit_date": "2026-11-20",
            "health_worker_id": "PROM-1",
            "urgency": urgency,
            "care_requested": asked,
            "person": {
                "curp": person.curp,
                "nombre": person.nombre,
                "primer_apellido": person.primer_apellido,
                "segundo_apellido": person.segundo_apellido,
                "fecha_nacimiento": person.fecha_nacimiento.isoformat(),
                "sexo": person.sexo,
                "entidad": person.entidad,
                "municipio": person.municipio,
                "localidad": person.localidad,
                "domicilio": person.domicilio,
                "latitud": 19.4330,
                "longitud": -99.1330,
            },
        }

    h = auth_headers("bienestar")
    home = (await client.post("/v1/visits", json=visit("RV-1"), headers=h)).json()
    assert home["match"]["grade"] == "certain", home
    assert home["match"]["provisional"] is False
    assert home["match"]["patient"] == f"Patient/{row.patient_id}"
    assert home["unit"]["clues"] == HOME  # ~18.6 km away, but the person is already a patient there
    assert home["routing"]["rule"] == "registry-unit"
    # The clinic at HOME sees its registry patient as the subject.
    patient = (
        await client.get(f"/fhir/{home['match']['patient']}", headers=auth_headers("clinic", clues=[HOME]))
    ).json()
    assert patient["id"] == str(row.patient_id)
    assert patient["managingOrganization"]["identifier"]["value"] == HOME
    assert "tag" not in patient["meta"]

    stat = (await client.post("/v1/visits", json=visit("RV-2", "stat"), headers=h)).json()
    assert stat["unit"]["clues"] == HOSP  # HOME is level 1: a stat referral needs a hospital
    assert stat["routing"]["rule"] == "nearest-from-coordinates"
    assert f"registry unit(s) {HOME} not eligible" in stat["routing"]["reason"]

    await session.execute(text("UPDATE unit SET operating = false WHERE clues = :c"), {"c": HOME})
    await session.commit()
    closed = (await client.post("/v1/visits", json=visit("RV-3", asked="laboratorio"), headers=h)).json()
    assert closed["unit"]["clues"] == NEAR
    assert closed["routing"]["rule"] == "nearest-from-coordinates"
