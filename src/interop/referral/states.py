"""The referral Task state machine (FHIR Workflow broker pattern). Pure.

requested → accepted | rejected | cancelled; accepted → in-progress | cancelled; in-progress → completed |
failed | cancelled. rejected, cancelled, completed and failed are final.

Who moves the Task: a client (a clinic's system, or any caller of the API) accepts, rejects, starts,
completes or fails; only the service itself cancels (``by="service"``), when Bienestar withdraws the
ServiceRequest. A clinic that cannot take a referral rejects it, which re-routes it; cancelling would revoke
the ServiceRequest for everyone. Staying in the same state is not a transition (an update
may change only ``businessStatus`` or ``output``), except in a final state, which is frozen.

Effects on the ServiceRequest: completed → completed (with the unit's coded outcome); cancelled → the
withdrawal that caused it; rejected → the referral is re-routed to the next unit (a new Task), and stays
active; failed → the referral stays active and goes on the escalation list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class TaskStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"


# Every FHIR Task status code; the ones outside the machine are never legal here.
FHIR_TASK_STATUSES = frozenset(
    {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    }
)

TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.REQUESTED: frozenset({TaskStatus.ACCEPTED, TaskStatus.REJECTED, TaskStatus.CANCELLED}),
    TaskStatus.ACCEPTED: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}),
    TaskStatus.REJECTED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
    TaskStatus.COMPLETED: frozenset(),
    TaskStatus.FAILED: frozenset(),
}

FINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

# Statuses only the service sets: never through a client's update.
SERVICE_ONLY = frozenset({TaskStatus.CANCELLED})


class UnknownStatus(ValueError):
    """Not a status this machine knows (422)."""


class IllegalTransition(ValueError):
    """A known status that cannot follow the current one (409)."""


def parse(status: str) -> TaskStatus:
    try:
        return TaskStatus(status)
    except ValueError:
        raise UnknownStatus(f"task status {status!r} is not used by referrals") from None


def check(current: str, new: str, *, by: Literal["client", "service"] = "client") -> TaskStatus:
    """The new status if ``current → new`` is allowed (same status allowed unless final) for who moves it:
    a client never sets a service-only status (``cancelled``)."""
    cur = parse(current)
    nxt = parse(new)
    if by == "client" and nxt in SERVICE_ONLY and nxt != cur:
        raise IllegalTransition(
            f"un cliente no puede poner una Task en {nxt.value}: la unidad la rechaza (rejected) y solo "
            "Bienestar retira la solicitud"
        )
    if nxt == cur:
        if cur in FINAL:
            raise IllegalTransition(f"task is {cur.value}: a final state cannot be updated")
        return nxt
    if nxt not in TRANSITIONS[cur]:
        raise IllegalTransition(f"task cannot go from {cur.value} to {nxt.value}")
    return nxt


def service_request_status(task_status: TaskStatus) -> str | None:
    """The ServiceRequest status a Task status implies, or None when it stays as it is."""
    return {TaskStatus.COMPLETED: "completed", TaskStatus.CANCELLED: "revoked"}.get(task_status)
