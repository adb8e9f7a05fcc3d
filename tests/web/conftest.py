"""Fixtures for the pages: people's accounts made through the accounts service, and a signed-in client."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.accounts import service as accounts_service

PASSWORD = "correcto-caballo-bateria"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

MakeUser = Callable[..., Awaitable[str | None]]


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


@pytest.fixture
def make_user(sessionmaker: async_sessionmaker[AsyncSession]) -> MakeUser:
    """Create an account with PASSWORD; returns its TOTP seed when ``totp``."""

    async def make(name: str, role: str, *, totp: bool = False, **kwargs: object) -> str | None:
        async with sessionmaker() as session:
            creds = await accounts_service.add_user(
                session, username=name, role=role, password=PASSWORD, totp=totp, **kwargs
            )
            await session.commit()
        return secret_of(creds.totp_uri) if creds.totp_uri else None

    return make


async def sign_in(
    http: httpx.AsyncClient, name: str, *, secret: str | None = None, password: str = PASSWORD
) -> httpx.Response:
    page = await http.get("/app/login")
    response = await http.post(
        "/app/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/app/"},
    )
    if (
        secret is not None
        and response.status_code == 303
        and response.headers["location"] == "/app/login/totp"
    ):
        page = await http.get("/app/login/totp")
        response = await http.post(
            "/app/login/totp", data={"totp": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(page.text)}
        )
    return response


EVIDENCE = (
    '[{"comparison": "curp", "level": "missing", "weight": 0.0},'
    ' {"comparison": "given", "level": "all exact", "weight": 6.1},'
    ' {"comparison": "birth_date", "level": "else", "weight": -4.2}]'
)


async def seed_reviews(session: AsyncSession) -> dict[str, int]:
    """Six people on the roll, and open reviews between their records: a likely pair (0.95), a middling
    one (0.8, queued eight days ago), an unlikely one (0.6) and one a visit waits on (0.75, entidad ZS).
    Returns review ids by name and the people's entidades under ``entidad:<review>``."""
    from sqlalchemy import text
    from tests.matching.factories import load_population, make_people

    people = make_people(6, seed=5)
    await load_population(session, people)
    ids: dict[str, int] = {}
    pairs = {
        "likely": (0, 1, 0.95, 0),
        "old": (2, 3, 0.8, 8),
        "unlikely": (4, 5, 0.6, 0),
    }
    for name, (a, b, score, age) in pairs.items():
        ids[name] = (
            await session.execute(
                text(
                    "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, "
                    "score, match_weight, model_version, evidence, created_at) "
                    "VALUES ('roll', :l, 'roll', :r, :s, 1.9, 'm-test', CAST(:e AS jsonb), "
                    "now() - make_interval(days => :age)) RETURNING id"
                ),
                {"l": f"R{people[a].key}", "r": f"R{people[b].key}", "s": score, "e": EVIDENCE, "age": age},
            )
        ).scalar_one()
    ids["visit"] = (
        await session.execute(
            text(
                "INSERT INTO match_review (left_source, left_record_id, right_source, right_record_id, "
                "score, evidence, left_snapshot) "
                "VALUES ('visit', 'V-1', 'roll', :r, 0.75, CAST(:e AS jsonb), "
                "CAST(:snap AS jsonb)) RETURNING id"
            ),
            {"r": f"R{people[0].key}", "e": EVIDENCE, "snap": '{"entidad": "ZS", "nombre": "ANA"}'},
        )
    ).scalar_one()
    await session.commit()
    return ids


CASE_CURP = "PELR500314MDFRPS09"
CASE_UNIT = "DFIMB000001"


async def seed_case(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Callable[..., dict[str, str]]
) -> dict[str, str]:
    """One visit posted by Bienestar (a CURP the registry does not know), its Task read and accepted by
    the unit's clinic system: a case across both institutions. Returns its ids."""
    from sqlalchemy import text
    from tests.referral.factories import add_unit, visit_body

    await add_unit(session, CASE_UNIT, lat=19.4330, lon=-99.1330)
    posted = (
        await client.post(
            "/v1/visits",
            json=visit_body("CASO-1", person={"curp": CASE_CURP}),
            headers=auth_headers("bienestar"),
        )
    ).json()
    clinic = auth_headers("clinic", clues=[CASE_UNIT])
    await client.get(f"/fhir/{posted['match']['patient']}", headers=clinic)
    task = (await client.get(f"/fhir/{posted['task']}", headers=clinic)).json()
    await client.put(f"/fhir/{posted['task']}", headers=clinic, json={**task, "status": "accepted"})
    trace_id = (
        await session.execute(text("SELECT trace_id FROM referral_visit WHERE visit_id = 'CASO-1'"))
    ).scalar_one()
    return {
        "visit": "CASO-1",
        "referral": posted["service_request"].split("/")[-1],
        "task": posted["task"].split("/")[-1],
        "patient": posted["match"]["patient"].split("/")[-1],
        "trace": trace_id,
    }


async def sequence_audit(app: object) -> None:
    """Run the audit sequencer now (the test app runs no worker): events become signed leaves."""
    from interop.audit import sequencer
    from interop.audit import service as audit_service

    state = app.state  # type: ignore[attr-defined]
    await sequencer.catch_up(
        state.sessionmaker, signer=audit_service.current_signer(), origin=state.settings.audit_log_origin
    )
