"""``X-Acting-User`` is asserted by the client, not authenticated here (issue 14 #16): the
CapabilityStatement says so, and the audit records the person in the asserting client's namespace."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fhir.resources.R4B.auditevent import AuditEvent

Headers = Callable[..., dict[str, str]]


async def test_capability_statement_says_what_x_acting_user_means(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    description = statement["rest"][0]["security"]["description"]
    assert "X-Acting-User" in description
    assert "afirmado por el sistema cliente" in description
    assert "asserted by the client" in description


async def test_the_audit_records_the_acting_user_as_asserted_by_its_client(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    trace = f"{0xF16:032x}"
    headers = {
        **auth_headers("clinic", clues=["DFIMB000001"], client_id="clinic-north"),
        "X-Acting-User": "dr-ruiz",
        "traceparent": f"00-{trace}-00f067aa0ba902b7-01",
    }
    assert (await client.get("/fhir/Task", headers=headers)).status_code == 200
    found = await client.get(f"/fhir/AuditEvent?trace-id={trace}", headers=auth_headers("auditor"))
    assert found.status_code == 200, found.text
    [entry] = found.json()["entry"]
    event = entry["resource"]
    AuditEvent.model_validate(event)
    [person] = [a for a in event["agent"] if a["type"]["coding"][0]["code"] == "IRCP"]
    identifier = person["who"]["identifier"]
    assert identifier["value"] == "dr-ruiz"
    assert identifier["system"].endswith("/client/clinic-north/user")
    assert identifier["assigner"]["identifier"]["value"] == "clinic-north"
    assert person["requestor"] is True
    [app] = [a for a in event["agent"] if a["who"].get("identifier", {}).get("value") == "clinic-north"]
    assert app["requestor"] is False
