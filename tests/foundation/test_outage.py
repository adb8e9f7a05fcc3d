"""The outage rules (pure, with a fake clock): back-off doubles to a cap, one log line per state change and
one reminder a minute, never one per attempt; and which errors mean "the database is away"."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from interop.db.outage import Outage, is_unreachable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_five_minute_outage_logs_six_lines(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = Outage(first_delay_s=0.5, max_delay_s=30, clock=clock)
    caplog.set_level(logging.INFO)
    delays = []
    while clock.now < 1300:  # five minutes of failed attempts, each after the wait it was told
        delays.append(outage.failed(ConnectionRefusedError()))
        assert outage.down_for() == pytest.approx(clock.now - 1000)
        clock.now += delays[-1]
    outage.succeeded()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "database unreachable"
    assert messages[1:-1] == ["database still unreachable"] * 4  # one a minute
    assert messages[-1] == "database reachable again"
    assert delays[:7] == [0.5, 1, 2, 4, 8, 16, 30]
    assert set(delays[6:]) == {30}
    assert len(delays) >= 15  # many attempts, few lines
    assert not outage.down
    assert outage.down_for() == 0
    assert outage.delay() == 0


def test_success_without_an_outage_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage(clock=Clock())
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        outage.succeeded()
    assert caplog.records == []


def _wrapped(orig: BaseException) -> OperationalError:
    try:
        raise OperationalError("SELECT 1", {}, orig) from orig
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "away"),
    [
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (asyncpg.exceptions.CannotConnectNowError("starting up"), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("closed"), True),
        (_wrapped(ConnectionResetError()), True),
        (IntegrityError("INSERT", {}, Exception("duplicate")), False),
        (ValueError("bad"), False),
        (asyncpg.exceptions.UniqueViolationError("dup"), False),
    ],
)
def test_which_errors_mean_the_database_is_away(exc: BaseException, away: bool) -> None:
    assert is_unreachable(exc) is away
