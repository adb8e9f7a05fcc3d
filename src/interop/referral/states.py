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

from interop import messages


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


class Refused(ValueError):
    """A refused status or move. ``key`` and ``params`` name its words in the message catalogue, so the
    service says it in the request's language; the exception's text is the English, for logs."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(messages.render(key, params, messages.ENGLISH))
        self.key = key
        self.params = params


class UnknownStatus(Refused):
    """Not a status this machine knows (422)."""


class IllegalTransition(Refused):
    """A known status that cannot follow the current one (409)."""


def parse(status: str) -> TaskStatus:
    try:
        return TaskStatus(status)
    except ValueError:
        raise UnknownStatus("referral.task.status_unknown", status=repr(status)) from None


def check(current: str, new: str, *, by: Literal["client", "service"] = "client") -> TaskStatus:
    """The new status if ``current → new`` is allowed (same status allowed unless final) for who moves it:
    a client never sets a service-only status (``cancelled``)."""
    cur = parse(current)
    nxt = parse(new)
    if by == "client" and nxt in SERVICE_ONLY and nxt != cur:
        raise IllegalTransition("referral.task.service_only", status=nxt.value)
    if nxt == cur:
        if cur in FINAL:
            raise IllegalTransition("referral.task.final", status=cur.value)
        return nxt
    if nxt not in TRANSITIONS[cur]:
        raise IllegalTransition("referral.task.transition", current=cur.value, new=nxt.value)
    return nxt


def service_request_status(task_status: TaskStatus) -> str | None:
    """The ServiceRequest status a Task status implies, or None when it stays as it is."""
    return {TaskStatus.COMPLETED: "completed", TaskStatus.CANCELLED: "revoked"}.get(task_status)
