"""Clinic isolation rules (pure), and where a clinic's CLUES come from: its registration, not the request."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
from hypothesis import given
from hypothesis import strategies as st

from interop.auth.isolation import may_see_unit, owner_filter, unit_scope
from interop.context import SYSTEM_ACTOR, Actor

NORTH, SOUTH, OTHER = "DFIMB000123", "DFSSA004321", "OCIMB000999"
clinic = Actor(client_id="clinic-a", role="clinic", clues=frozenset({NORTH, SOUTH}))
unbound_clinic = Actor(client_id="clinic-z", role="clinic")
bienestar = Actor(client_id="bienestar", role="bienestar")


def test_unit_scope_by_role() -> None:
    assert unit_scope(clinic) == {NORTH, SOUTH}
    assert unit_scope(unbound_clinic) == frozenset()
    assert unit_scope(bienestar) is None
    assert unit_scope(SYSTEM_ACTOR) is None
    # Any token carrying CLUES is limited to them, whatever role it claims (an external issuer's token).
    assert unit_scope(Actor(client_id="x", role="admin", clues=frozenset({OTHER}))) == {OTHER}


def test_may_see_unit() -> None:
    assert may_see_unit(clinic, NORTH)
    assert may_see_unit(clinic, NORTH.lower())
    assert may_see_unit(clinic, [OTHER, SOUTH])
    assert not may_see_unit(clinic, OTHER)
    assert not may_see_unit(clinic, None)
    assert not may_see_unit(unbound_clinic, NORTH)
    assert may_see_unit(bienestar, OTHER)
    assert may_see_unit(bienestar, None)


def test_owner_filter_for_searches() -> None:
    assert owner_filter(clinic, None) == {NORTH, SOUTH}
    assert owner_filter(clinic, [NORTH]) == {NORTH}
    assert owner_filter(clinic, [OTHER]) == frozenset()
    assert owner_filter(unbound_clinic, None) == frozenset()
    assert owner_filter(bienestar, None) is None
    assert owner_filter(bienestar, [OTHER]) == {OTHER}


codes = st.sets(st.sampled_from([NORTH, SOUTH, OTHER, "JCIMB000001", "NLSSA000002"]), max_size=4)


@given(own=codes, asked=st.one_of(st.none(), codes))
def test_a_clinic_never_sees_beyond_its_units(own: set[str], asked: set[str] | None) -> None:
    actor = Actor(client_id="c", role="clinic", clues=frozenset(own))
    limited = owner_filter(actor, asked)
    assert limited is not None
    assert limited <= own
    assert all(may_see_unit(actor, code) == (code in own) for code in [NORTH, SOUTH, OTHER])


async def test_clinic_token_carries_registered_clues_only(
    probe_client: httpx.AsyncClient, register: Any
) -> None:
    secret = await register("clinic-iso", "clinic", clues=[NORTH])
    response = await probe_client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "clues": OTHER, "scope": f"system/Task.rsu clues/{OTHER}"},
        auth=("clinic-iso", secret),
    )
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["clues"] == [NORTH]
    assert response.json()["scope"] == "system/Task.rus"  # SMART v2 orders permissions c r u d s
