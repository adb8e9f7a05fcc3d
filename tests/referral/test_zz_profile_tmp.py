"""Ad-hoc (not committed): statements per visit post, by kind, on a trained model."""

from __future__ import annotations

import collections
import json
import re
from typing import Any

from sqlalchemy import event, text
from tests.matching.factories import load_population, make_people
from tests.referral.factories import add_unit
from tests.referral.test_registry_routing import _train


async def test_profile(client, settings, sessionmaker, session, auth_headers, app) -> None:  # type: ignore[no-untyped-def]
    people = make_people(300)
    await load_population(session, people)
    await _train(settings, sessionmaker)
    rows = (await session.execute(text("SELECT DISTINCT clues FROM registry_patient"))).all()
    for i, (clues,) in enumerate(rows):
        await add_unit(session, clues, lat=19.43 + i * 0.01, lon=-99.13, nivel=1)
    await add_unit(session, "DFIMB999999", lat=19.44, lon=-99.13, nivel=2)
    counts: list[str] = []
    eng = app.state.engine.sync_engine

    @event.listens_for(eng, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *a: Any) -> None:
        counts.append(re.sub(r"\s+", " ", statement)[:90])

    h = auth_headers("bienestar")

    def body(p: Any, vid: str) -> dict[str, Any]:
        return {
            "visit_id": vid, "visit_date": "2026-11-20", "health_worker_id": "PROM-1", "urgency": "routine",
            "person": {"curp": p.curp, "nombre": p.nombre, "primer_apellido": p.primer_apellido,
                       "segundo_apellido": p.segundo_apellido, "fecha_nacimiento": p.fecha_nacimiento.isoformat(),
                       "sexo": p.sexo, "entidad": p.entidad, "municipio": p.municipio, "localidad": p.localidad,
                       "domicilio": p.domicilio, "latitud": 19.4330, "longitud": -99.1330},
            "findings": {"conditions": [{"code": "E11.9"}]},
        }

    out: dict[str, Any] = {}
    for label, vid_suffix in (("first", "A"), ("repeat", "B")):
        per: list[int] = []
        kinds: collections.Counter[str] = collections.Counter()
        grades: collections.Counter[str] = collections.Counter()
        for p in people[:40]:
            counts.clear()
            r = await client.post("/v1/visits", json=body(p, f"P{p.key}{vid_suffix}"), headers=h)
            assert r.status_code == 201, r.text
            grades[r.json()["match"]["grade"] + "/" + str(r.json().get("referral"))] += 1
            per.append(len(counts))
            kinds.update(c.split(" ")[0] + " " + (re.findall(r"(?:INTO|FROM|UPDATE) (\w+)", c) or ["?"])[0] for c in counts)
        out[label] = {"mean_statements": sum(per) / len(per), "grades": dict(grades),
                      "kinds_per_post": {k: round(v / len(per), 2) for k, v in kinds.most_common()}}
    print("PROFILE", json.dumps(out, indent=1))
