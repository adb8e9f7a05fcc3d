"""A clinic's update of a Task (PUT body, or the result of a JSON Patch / Merge Patch) → the referral
domain's ``TaskChange``. Pure: what a clinic may change is status, businessStatus, statusReason and output;
any other element changed is a 422, and ``If-Match`` must name a version."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from interop.errors import Invalid, PreconditionFailed
from interop.fhir.search import first_problem
from interop.fhir.version import Task
from interop.referral import service as referral_service
from interop.referral.outcomes import SYSTEM as OUTCOME_SYSTEM


def parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    tag = value.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag.isdigit():
        raise PreconditionFailed.said("fhir.task.if_match_format")
    return int(tag)


def _ref(value: Any) -> str | None:
    return value.get("reference") if isinstance(value, dict) else None


def change_from(body: dict[str, Any], current: dict[str, Any], task_id: str) -> referral_service.TaskChange:
    """Validate an updated Task and keep what a clinic may change; anything else changed is 422."""
    if body.get("resourceType") != "Task":
        raise Invalid.said("fhir.task.not_task")
    if body.get("id") not in (None, task_id):
        raise Invalid.said("fhir.task.id_mismatch")
    try:
        Task.model_validate(body)
    except ValidationError as exc:
        raise Invalid.said("fhir.task.invalid", count=exc.error_count(), path=first_problem(exc)) from None
    fixed = {
        "intent": current["intent"],
        "focus": _ref(current["focus"]),
        "for": _ref(current["for"]),
        "owner": _ref(current["owner"]),
        "code": current["code"]["coding"][0]["code"],
    }
    given = {
        "intent": body.get("intent"),
        "focus": _ref(body.get("focus")),
        "for": _ref(body.get("for")),
        "owner": _ref(body.get("owner")),
        "code": ((body.get("code") or {}).get("coding") or [{}])[0].get("code"),
    }
    changed = sorted(k for k in fixed if given[k] is not None and given[k] != fixed[k])
    if changed:
        raise Invalid.said("fhir.task.immutable", elements=", ".join(changed))
    code, note = reported_outcome(body)
    return referral_service.TaskChange(
        status=str(body.get("status")),
        business_status=body.get("businessStatus"),
        status_reason=body.get("statusReason"),
        output=body.get("output"),
        outcome=code,
        outcome_note=note,
    )


def reported_outcome(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The contrarreferencia in a Task update: the ``output`` whose valueCodeableConcept is coded in the
    ``resultado-referencia`` system, and the last ``note`` text."""
    code = None
    for out in body.get("output") or []:
        concept = out.get("valueCodeableConcept") if isinstance(out, dict) else None
        for coding in (concept or {}).get("coding") or []:
            if isinstance(coding, dict) and coding.get("system") == OUTCOME_SYSTEM and coding.get("code"):
                code = str(coding["code"])
    notes = [n.get("text") for n in body.get("note") or [] if isinstance(n, dict) and n.get("text")]
    return code, (str(notes[-1])[:2000] if notes and code else None)
