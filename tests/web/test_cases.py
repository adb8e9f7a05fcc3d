"""The auditor's case view over real HTTP: search by CURP, folio, visit, referral and trace; one
timeline across both institutions including who read the person's data; the log's verification; exports."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.conftest import CASE_CURP, MakeUser, csrf_of, seed_case, sequence_audit, sign_in

from interop.audit import verify_proof


async def _search(client: httpx.AsyncClient, q: str, kind: str = "") -> httpx.Response:
    form = await client.get("/app/cases")
    return await client.post("/app/cases", data={"q": q, "kind": kind, "csrf_token": csrf_of(form.text)})


async def test_a_case_from_a_curp_across_both_institutions(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    make_user: MakeUser,
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    ids = await seed_case(client, session, auth_headers)
    await sequence_audit(app)
    secret = await make_user("auditora", "auditor", totp=True)
    await sign_in(client, "auditora", secret=secret)
    page = await _search(client, CASE_CURP.lower())
    assert page.status_code == 200, page.text
    assert "CASO-1" in page.text
    assert ids["referral"] in page.text
    assert "Bienestar" in page.text
    assert "IMSS-Bienestar" in page.text  # the unit's reads and acceptance
    assert 'data-status="verified"' in page.text
    # The auditor's own reading is in the trail, as the person's read, with the auditor named and no CURP.
    event = (
        await session.execute(
            text(
                "SELECT user_id, query, patient FROM audit_record WHERE subtype = 'search-type' "
                "AND query LIKE 'case:%'"
            )
        )
    ).all()
    assert event
    assert all(row.user_id == "auditora" and row.query == "case:curp" for row in event)
    assert all(CASE_CURP not in (row.query or "") for row in event)
    # The same case from every other key.
    for q, kind in ((ids["visit"], ""), (ids["referral"], ""), (ids["trace"], ""), (ids["visit"], "visita")):
        again = await _search(client, q, kind)
        assert again.status_code == 200
        assert "CASO-1" in again.text, (q, kind)
    second = await _search(client, CASE_CURP)
    assert "auditora" in second.text  # the first search shows up as a read of the person's data
    assert "lectura de datos de la persona" in second.text
    none = await _search(client, "NO-EXISTE-999")
    assert "No se encontró" in none.text
    bad = await _search(client, "X" * 10, "curp")
    assert bad.status_code == 422


async def test_exports_carry_proofs_that_verify_with_the_public_key_alone(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    make_user: MakeUser,
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    await seed_case(client, session, auth_headers)
    await sequence_audit(app)
    secret = await make_user("auditor2", "auditor", totp=True)
    await sign_in(client, "auditor2", secret=secret)
    form = await client.get("/app/cases")
    token = csrf_of(form.text)
    exported = await client.post(
        "/app/cases/export", data={"q": CASE_CURP, "format": "ndjson", "csrf_token": token}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert CASE_CURP not in exported.text
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert lines[0]["kind"] == "case"
    assert lines[0]["visits"][0]["visit_id"] == "CASO-1"
    head = lines[-1]
    assert head["kind"] == "checkpoint"
    keys = verify_proof.load_keys({"keys": head["keys"]})
    events = [line for line in lines if line["kind"] == "event"]
    assert events
    assert all(e["inclusion"] for e in events)
    for e in events:
        entry = {"index": e["inclusion"]["index"], "leaf": e["inclusion"]["leaf"]}
        proof = {"index": entry["index"], "tree_size": head["tree_size"], "hashes": e["inclusion"]["hashes"]}
        verify_proof.verify_inclusion(head, entry, proof, keys)
    pdf = await client.post("/app/cases/export", data={"q": CASE_CURP, "format": "pdf", "csrf_token": token})
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    exports = (
        await session.execute(
            text("SELECT count(*) FROM audit_record WHERE subtype = 'export' AND user_id = 'auditor2'")
        )
    ).scalar_one()
    assert exports >= 2


async def test_only_auditors_open_cases(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("rev9", "reviewer")
    await sign_in(client, "rev9")
    assert (await client.get("/app/cases")).status_code == 403
    home = await client.get("/app/")
    refused = await client.post("/app/cases", data={"q": CASE_CURP, "csrf_token": csrf_of(home.text)})
    assert refused.status_code == 403


async def test_the_case_file_speaks_the_persons_language(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    make_user: MakeUser,
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    """Spanish first; a person whose browser prefers English reads the timeline, errors and PDF in English
    (the timeline and the PDF were Spanish whatever the language)."""
    await seed_case(client, session, auth_headers)
    await sequence_audit(app)
    secret = await make_user("auditor3", "auditor", totp=True)
    await sign_in(client, "auditor3", secret=secret)
    spanish = await _search(client, CASE_CURP)
    assert "registro (creó)" in spanish.text
    assert "activa · Ordinaria" in spanish.text
    assert "Aceptada (DFIMB000001)" in spanish.text
    client.headers["accept-language"] = "en-US,en;q=0.9"
    english = await _search(client, CASE_CURP)
    assert english.status_code == 200
    assert "record (created)" in english.text
    assert "registro (creó)" not in english.text
    assert "referral " in english.text
    bad = await _search(client, "X" * 10, "curp")
    assert bad.status_code == 422
    assert "a CURP has 18 characters" in bad.text
    form = await client.get("/app/cases")
    pdf = await client.post(
        "/app/cases/export", data={"q": CASE_CURP, "format": "pdf", "csrf_token": csrf_of(form.text)}
    )
    assert pdf.status_code == 200
    assert b"Audit case file" in pdf.content  # the document's title, in its uncompressed info dictionary
