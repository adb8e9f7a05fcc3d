"""OperationOutcome bodies for errors under /fhir. Plain dicts: rendering must not fail while failing."""

from __future__ import annotations

from typing import Any

FHIR_JSON = "application/fhir+json"


def operation_outcome(
    *, code: str, diagnostics: str, severity: str = "error", expression: list[str] | None = None
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_from_validation(errors: list[dict[str, Any]]) -> dict[str, Any]:
    issues = []
    for err in errors[:50]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        issues.append(
            {
                "severity": "error",
                "code": "invalid" if err.get("type") != "missing" else "required",
                "diagnostics": str(err.get("msg", "invalid value")),
                **({"expression": [loc]} if loc else {}),
            }
        )
    return {"resourceType": "OperationOutcome", "issue": issues or [{"severity": "error", "code": "invalid"}]}
