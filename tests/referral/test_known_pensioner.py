"""A person certain on the roll alone is a known pensioner, not provisional (issue 16, item 4), from the
user's side: a trained model (real Splink batch run over a small population), a visit of a pensioner with
no clinic record, and what Bienestar and the unit then see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import Person, load_population, make_people
from tests.referral.factories import add_unit
from tests.referral.test_registry_routing import _train

from interop.config import Settings

Headers = Callable[..., dict[str, str]]
NEAR = "DFIMB000001"


def _visit(visit_id: str, person: Person) -> dict[str, Any]:
    return {
        "visit_id": visit_id,
        "visit_date": "2026-11-20",
        "health_worker_id": "PROM-1",
        "person": {
            "roll_record_id": f"R{person.key}",
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
        "findings": {"conditions": [{"code": "I10"}]},
    }


async def test_a_person_certain_on_the_roll_alone_is_a_known_pensioner(
    client: httpx.AsyncClient,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    auth_headers: Headers,
) -> None:
    people = make_people(200)
    truth = await load_population(session, people)
    await _train(settings, sessionmaker)
    await add_unit(session, NEAR, lat=19.4370, lon=-99.1350)
    # A pensioner with a roll record and a CURP, and no clinic record anywhere.
    person = next(
        p for p in people if p.curp and not any(f"patients|{x}{p.key}" in truth for x in ("P", "Q"))
    )
    bienestar = auth_headers("bienestar")
    first = await client.post("/v1/visits", json=_visit("V-KP-1", person), headers=bienestar)
    assert first.status_code == 201, first.text
    match = first.json()["match"]
    assert match["grade"] == "certain"
    assert match["provisional"] is False
    assert match["review_queued"] is False
    # The unit sees a Patient built from the visit, not tagged provisional nor under review.
    clinic = auth_headers("clinic", clues=[NEAR])
    patient = (await client.get(f"/fhir/{match['patient']}", headers=clinic)).json()
    tags = {t["code"] for t in patient["meta"].get("tag", [])}
    assert not tags & {"provisional", "identity-under-review"}, tags
    sr = (await client.get(f"/fhir/{first.json()['service_request']}", headers=clinic)).json()
    assert sr["subject"]["reference"] == match["patient"]
    # Found again (another need): the same Patient, still a known pensioner.
    again = _visit("V-KP-2", person)
    again["findings"]["conditions"] = [{"code": "E11.9"}]
    second = (await client.post("/v1/visits", json=again, headers=bienestar)).json()
    assert second["referral"] == "created"
    assert second["match"]["patient"] == match["patient"]
    assert second["match"]["provisional"] is False
