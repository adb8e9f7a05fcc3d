"""No query value is a 500 (issue 14 #12): extreme and malformed values (dates, numbers, prefixes, unicode,
very long strings, repeated parameters) at every search parameter of every FHIR resource the
CapabilityStatement lists, and at every query and path parameter of every ``GET`` under ``/v1``.

A 4xx must come with its body (an OperationOutcome under ``/fhir``, the JSON error under ``/v1``); 2xx is
fine (a value may legitimately match nothing). Bounded for the default run (derandomised, a few hundred
requests on a live server); ``bench/fuzz/run.py --search-examples N`` runs the long version.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interop.openapi import documents

EXAMPLES = int(os.environ.get("INTEROP_SEARCH_FUZZ_EXAMPLES", "400"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)

# Accepted beside the CapabilityStatement's own names: modifiers and result parameters.
EXTRA_FHIR_PARAMS = {
    "Task": ["owner:identifier", "_include", "_cursor"],
    "ServiceRequest": ["performer:identifier", "_include", "_cursor"],
    "Patient": ["_cursor", "_total", "_summary"],
    "AuditEvent": ["_cursor"],
    "Organization": ["_cursor"],
    "Subscription": ["_count"],
}
PREFIXES = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "gtgt", "e"]
EXTREMES = [
    "",
    " ",
    ",",
    ",,,",
    "|",
    "||",
    "a|b|c",
    "http://x|",
    "|x",
    "*",
    "%",
    "%00",
    "\x00",
    "\x00a",
    "a\x00b",
    "\u202e",
    "\ufeff",
    "🏥",
    "Ñ" * 300,
    "e\u0301",
    "9999",
    "0000",
    "0001",
    "99999",
    "-2026",
    "9999-12-31",
    "0001-01-01",
    "0000-01-01",
    "9999-12",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "2026-13-01",
    "2026-02-30",
    "2026-11-20T25:00",
    "2026-11-20T10:00:00+99:00",
    "2026-11-20T10:00:00Z",
    "2026-11-20T10:00",
    "2026-11-20 10:00",
    "20261120",
    "0",
    "-1",
    "-0",
    "1e400",
    "1e3",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "١٢٣",
    "²",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 40,
    "-" + "9" * 40,
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "Patient/",
    "Patient/x",
    "Patient/00000000-0000-0000-0000-000000000000",
    "Organization/00000000-0000-0000-0000-000000000000",
    "ServiceRequest/../Task",
    "http://dgis.salud.gob.mx/clues|DFIMB000001",
    "DFIMB000001",
    "GOMC500101HDFRRR09",
    "https://www.gob.mx/curp|GOMC500101HDFRRR09",
    "a" * 4000,
    "," * 1000,
    "DFIMB000001," * 150,
    "true",
    "count",
    "-_lastUpdated",
    "Task:focus",
    "ServiceRequest:subject",
    "*:*",
]
NAMES = st.sampled_from(EXTREMES)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
VALUES = st.one_of(
    NAMES,
    TEXT,
    NUMBERS,
    st.tuples(st.sampled_from(PREFIXES), st.one_of(NAMES, TEXT, NUMBERS)).map("".join),
    st.lists(st.one_of(NAMES, TEXT), min_size=2, max_size=5).map(",".join),
)


def _v1_targets() -> list[tuple[str, list[str], list[str]]]:
    """(path template, query names, path names) of every GET under /v1."""
    out = []
    for path, ops in documents()["v1.json"]["paths"].items():
        op = ops.get("get")
        if op is None or not path.startswith("/v1"):
            continue
        params = op.get("parameters", [])
        out.append(
            (
                path,
                [p["name"] for p in params if p["in"] == "query"],
                [p["name"] for p in params if p["in"] == "path"],
            )
        )
    return out


V1_TARGETS = _v1_targets()


@pytest.fixture(scope="module")
def fuzz_setup(module_server: Any) -> dict[str, Any]:
    """The FHIR search targets from the server's own CapabilityStatement, and a token per kind of caller."""
    tokens = {
        "admin": module_server.token("admin"),
        "clinic": module_server.token("clinic", clues=["DFIMB000001"]),
        "auditor": module_server.token("auditor"),
        "bienestar": module_server.token("bienestar"),
        "reviewer": module_server.token("reviewer"),
    }
    statement = httpx.get(
        f"{module_server.url}/fhir/metadata",
        headers={"Authorization": f"Bearer {tokens['admin']}"},
        timeout=30,
    ).json()
    fhir = []
    for res in statement["rest"][0]["resource"]:
        if not any(i["code"] == "search-type" for i in res["interaction"]):
            continue
        names = [p["name"] for p in res.get("searchParam", [])] + EXTRA_FHIR_PARAMS.get(res["type"], [])
        fhir.append((f"/fhir/{res['type']}", sorted(set(names)), []))
    assert {"/fhir/Task", "/fhir/ServiceRequest", "/fhir/AuditEvent", "/fhir/Patient"} <= {
        p for p, _, _ in fhir
    }
    return {"url": module_server.url, "tokens": tokens, "targets": fhir + V1_TARGETS}


def _role_for(path: str) -> str:
    if path.startswith(("/fhir/AuditEvent", "/v1/audit", "/v1/trace")):
        return "auditor"
    if path.startswith("/v1/match"):
        return "reviewer"
    if path.startswith(("/v1/visits", "/v1/imports")):
        return "bienestar"
    return "clinic"


def _check(response: httpx.Response, path: str) -> None:
    assert response.status_code < 500, (path, response.status_code, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        if path.startswith("/fhir"):
            assert body["resourceType"] == "OperationOutcome", body
        else:
            assert isinstance(body["error"]["code"], str), body


@FUZZ
@given(data=st.data())
def test_no_query_value_is_a_server_error(fuzz_setup: dict[str, Any], data: st.DataObject) -> None:
    path, names, path_names = data.draw(st.sampled_from(fuzz_setup["targets"]), label="target")
    # The administrator reaches every route; the role each route is for sees it as its users do.
    role = data.draw(st.sampled_from(["admin", _role_for(path)]), label="role")
    query: list[tuple[str, str]] = []
    if names:
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=6), label="names")
        for name in chosen:  # a name drawn twice is a repeated parameter
            query.append((name, data.draw(_strategy_for(name), label=name)))
    url = path
    for name in path_names:
        value = data.draw(st.one_of(NAMES, TEXT).filter(lambda v: v not in ("", ".", "..")), label=name)
        url = url.replace("{" + name + "}", quote(value, safe=""))
    headers = {"Authorization": f"Bearer {fuzz_setup['tokens'][role]}"}
    response = httpx.get(f"{fuzz_setup['url']}{url}", params=query, headers=headers, timeout=60)
    _check(response, path)


def test_the_known_500s_are_4xx(module_server: Any) -> None:
    """The values verified to give 500 before this test existed."""
    admin = {"Authorization": f"Bearer {module_server.token('admin')}"}
    auditor = {"Authorization": f"Bearer {module_server.token('auditor')}"}
    for path, params, headers in (
        ("/fhir/Task", {"_lastUpdated": "9999-12-31"}, admin),
        ("/fhir/Task", {"_lastUpdated": "gt9999-12-31"}, admin),
        ("/fhir/ServiceRequest", {"_lastUpdated": "le9999-12-31"}, admin),
        ("/fhir/AuditEvent", {"date": "9999"}, auditor),
        ("/fhir/AuditEvent", {"date": "gt9999-12"}, auditor),
    ):
        response = httpx.get(f"{module_server.url}{path}", params=params, headers=headers, timeout=30)
        assert response.status_code < 500, (path, params, response.text)
        if response.status_code >= 400:
            assert response.json()["resourceType"] == "OperationOutcome"


DATE_PARAMS = {"_lastUpdated", "date", "from", "to", "after"}
NUMBER_PARAMS = {"_count", "_cursor", "limit", "offset"}
_NUMBERISH = {"0", "-1", "-0", "1e400", "1e3", "NaN", "inf", "-inf", "0x10", "١٢٣", "²"}
NUMBERS_ONLY = [v for v in EXTREMES if v in _NUMBERISH or (v.lstrip("-").isdigit() and len(v) > 4)]
NUMBERS_ONLY += ["", "\x00", "a" * 4000, "1,2"]
DATES = [v for v in EXTREMES if v[:4].isdigit() or v == "-2026"] + ["", "\x00", "🏥", "a" * 4000]
GENERAL = [v for v in EXTREMES if v not in DATES and v not in NUMBERS_ONLY]
GENERAL += ["", "\x00", "🏥", "a" * 4000, "9999-12-31", "0", "-1"]
# The long run (bench/fuzz) throws every extreme value at every parameter.
SWEEP_ALL = os.environ.get("INTEROP_SEARCH_FUZZ_ALL") == "1"


def _strategy_for(name: str) -> st.SearchStrategy[str]:
    """Random values for one parameter: mostly of its kind (dates behind prefixes for date parameters),
    sometimes anything at all."""
    if name in DATE_PARAMS:
        kind = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(DATES)).map("".join)
    elif name in NUMBER_PARAMS:
        kind = st.one_of(st.sampled_from(NUMBERS_ONLY), NUMBERS)
    else:
        kind = st.sampled_from(GENERAL)
    return st.one_of(kind, kind, VALUES)


def _values_for(name: str) -> list[str]:
    if SWEEP_ALL:
        return [*EXTREMES, *(f"{p}{v}" for p in PREFIXES[1:] for v in EXTREMES if len(v) < 100)]
    if name in DATE_PARAMS:
        return [*DATES, *(f"gt{v}" for v in DATES if len(v) < 100), "sa2026", "le0001-01-01"]
    if name in NUMBER_PARAMS:
        return NUMBERS_ONLY
    return GENERAL


def test_every_parameter_takes_every_extreme_value(fuzz_setup: dict[str, Any]) -> None:
    """The deterministic sweep beside the random search: each parameter, the curated extreme values of its
    kind (dates behind comparison prefixes), repeated when short, as the admin (who sees everything)."""
    failures: list[tuple[str, str, str, int | str]] = []
    headers = {"Authorization": f"Bearer {fuzz_setup['tokens']['admin']}"}
    with httpx.Client(base_url=fuzz_setup["url"], headers=headers, timeout=60) as http:
        for path, names, path_names in fuzz_setup["targets"]:
            url = path
            for name in path_names:  # an id that parses; the random test throws bad ones
                url = url.replace("{" + name + "}", "1")
            for name in names:
                for sent in _values_for(name):
                    repeated = [(name, sent)] * (2 if len(sent) < 100 else 1)
                    try:
                        response = http.get(url, params=repeated)
                        _check(response, path)
                    except httpx.TransportError as exc:  # a 500 also closes the connection
                        failures.append((path, name, sent[:40], type(exc).__name__))
                    except (AssertionError, ValueError, KeyError):
                        failures.append((path, name, sent[:40], response.status_code))
    assert not failures, failures[:40]
