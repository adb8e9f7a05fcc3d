"""Every refused request and failed authentication leaves an audit event, whatever headers the client sends
(issue 14 #11): a CURP-shaped ``X-Request-ID`` is replaced at the edge, never stored, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.api.tracing import request_id_from
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEventRead

PROBE = "/_probe/task"
CURP = "GOMC500101HDFRRR09"  # synthetic, CURP-shaped


def _headers(n: int, **extra: str) -> tuple[str, dict[str, str]]:
    trace = f"{n:032x}"
    return trace, {"traceparent": f"00-{trace}-00f067aa0ba902b7-01", "X-Request-ID": CURP, **extra}


async def _events(sessionmaker: async_sessionmaker[AsyncSession], trace: str) -> list[AuditEventRead]:
    async with sessionmaker() as session:
        found = await audit_service.trace(session, trace_id=trace)
    return [e for e in found.events if e.trace_id == trace]


@pytest.mark.parametrize("value", [CURP, CURP.lower(), f"req-{CURP}-1", "x" * 65, "a b", "", "é"])
def test_a_request_id_holding_personal_data_or_malformed_is_replaced(value: str) -> None:
    minted = request_id_from(value)
    assert minted != value
    assert not audit_service.holds_personal_data(minted)


def test_a_plain_request_id_is_kept() -> None:
    assert request_id_from("req-2026-11-20.0001") == "req-2026-11-20.0001"


async def test_refused_login_with_a_curp_request_id_is_a_401_and_audited(
    probe_client: httpx.AsyncClient, register: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await register("clinic-rid", "clinic", clues=["DFIMB000123"])
    trace, headers = _headers(0xD1)
    bad = await probe_client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("clinic-rid", "wrong"),
        headers=headers,
    )
    assert bad.status_code == 401, bad.text
    assert bad.headers["x-request-id"] != CURP
    [refused] = await _events(sessionmaker, trace)
    assert (refused.subtype, refused.outcome, refused.client_id) == ("login", "4", "clinic-rid")
    assert CURP not in str(refused.model_dump())


async def test_401_403_and_a_bad_acting_user_are_audited_whatever_the_headers(
    probe_client: httpx.AsyncClient, token_for: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    anon_trace, anon = _headers(0xD2)
    assert (await probe_client.get(PROBE, headers=anon)).status_code == 401
    bad_token_trace, bad_token = _headers(0xD3, Authorization="Bearer not-a-token")
    assert (await probe_client.get(PROBE, headers=bad_token)).status_code == 401
    forbidden_trace, forbidden = _headers(0xD4, Authorization=f"Bearer {token_for('auditor')}")
    assert (await probe_client.get(PROBE, headers=forbidden)).status_code == 403
    acting_trace, acting = _headers(
        0xD5, Authorization=f"Bearer {token_for('clinic', clues=['DFIMB000123'])}", **{"X-Acting-User": CURP}
    )
    refused = await probe_client.get(PROBE, headers=acting)
    assert refused.status_code == 422
    assert "X-Acting-User" in refused.json()["error"]["message"]

    for trace, status, client_id in (
        (anon_trace, 401, "unauthenticated"),
        (bad_token_trace, 401, "unauthenticated"),
        (forbidden_trace, 403, "test-auditor"),
        (acting_trace, 422, "test-clinic"),
    ):
        [event] = await _events(sessionmaker, trace)
        assert event.outcome == "4"
        assert event.outcome_desc == f"{status} GET {PROBE}"
        assert event.client_id == client_id
        assert event.user_id is None
        assert CURP not in str(event.model_dump())
