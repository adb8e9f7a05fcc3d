"""The Task state machine: every legal and every illegal transition."""

from __future__ import annotations

import itertools

import pytest

from interop.referral.states import (
    FINAL,
    TRANSITIONS,
    IllegalTransition,
    TaskStatus,
    UnknownStatus,
    check,
    service_request_status,
)

LEGAL = {
    ("requested", "accepted"),
    ("requested", "rejected"),
    ("accepted", "in-progress"),
    ("in-progress", "completed"),
    ("in-progress", "failed"),
}


@pytest.mark.parametrize(("current", "new"), sorted(LEGAL))
def test_legal(current: str, new: str) -> None:
    assert check(current, new) == TaskStatus(new)
    assert check(current, new, by="service") == TaskStatus(new)


def test_only_the_service_cancels() -> None:
    """A client (clinic) rejects; cancelling revokes the ServiceRequest for everyone, so no client may."""
    with pytest.raises(IllegalTransition):
        check("requested", "cancelled")
    with pytest.raises(IllegalTransition):
        check("requested", "cancelled", by="client")
    assert check("requested", "cancelled", by="service") == TaskStatus.CANCELLED


ALL = [s.value for s in TaskStatus]
ILLEGAL = [
    (a, b)
    for a, b in itertools.product(ALL, ALL)
    if (a, b) not in LEGAL and not (a == b and TaskStatus(a) not in FINAL)
]


@pytest.mark.parametrize(("current", "new"), ILLEGAL)
def test_illegal(current: str, new: str) -> None:
    with pytest.raises(IllegalTransition):
        check(current, new)


def test_same_state_update_allowed_when_not_final() -> None:
    for s in ("requested", "accepted", "in-progress"):
        assert check(s, s) == TaskStatus(s)


@pytest.mark.parametrize("new", ["draft", "on-hold", "ready", "received", "entered-in-error", "bogus"])
def test_statuses_outside_machine_unknown(new: str) -> None:
    with pytest.raises(UnknownStatus):
        check("requested", new)


def test_machine_shape_and_effects() -> None:
    assert {k.value for k in FINAL} == {"rejected", "cancelled", "completed", "failed"}
    # requested, accepted and in-progress → cancelled: the service's, when Bienestar withdraws the referral
    assert sum(len(v) for v in TRANSITIONS.values()) == len(LEGAL) + 3
    assert service_request_status(TaskStatus.COMPLETED) == "completed"
    assert service_request_status(TaskStatus.CANCELLED) == "revoked"
    assert service_request_status(TaskStatus.ACCEPTED) is None
