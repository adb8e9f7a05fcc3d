"""Schemathesis against both OpenAPI documents of a real running server, with tokens for every role.

Goal: no 5xx and no response that breaks its own declared schema. Bounded here (a few cases per
operation); bench/fuzz runs the long version. Failures found become regression tests in the domains.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from interop.openapi import documents

DOCS = documents()
V1 = schemathesis.openapi.from_dict(DOCS["v1.json"])
FHIR = schemathesis.openapi.from_dict(DOCS["fhir.json"])
ROLES = ("bienestar", "clinic", "reviewer", "auditor")
# The default run is bounded; bench/fuzz raises this for the long run.
EXAMPLES = int(os.environ.get("INTEROP_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _exercise(case: Any, server: Any) -> None:
    admin = {"Authorization": f"Bearer {server.token('admin')}"}
    case.call_and_validate(
        base_url=server.url,
        headers=admin,
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
    role = ROLES[hash(case.operation.label) % len(ROLES)]
    other = {"Authorization": f"Bearer {server.token(role, clues=['DFIMB000001'])}"}
    case.call_and_validate(base_url=server.url, headers=other, checks=[not_a_server_error], timeout=30)
    case.call_and_validate(base_url=server.url, headers={}, checks=[not_a_server_error], timeout=30)


@pytest.mark.fuzz
@V1.parametrize()
@FUZZ
def test_v1_api_fuzz(case: Any, module_server: Any) -> None:
    _exercise(case, module_server)


@pytest.mark.fuzz
@FHIR.parametrize()
@FUZZ
def test_fhir_api_fuzz(case: Any, module_server: Any) -> None:
    _exercise(case, module_server)
