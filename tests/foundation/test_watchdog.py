"""The watchdog's rules with a fake server and a fake clock: a gone server is started again at once, a hung
one is killed after the set number of unanswered probes, failed restarts back off and past the limit the
watchdog gives up with a Spanish-first message; a restarted server that stays up is forgiven."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from interop.config import Settings
from interop.db.embedded import EmbeddedServerError
from interop.db.watchdog import STABLE_AFTER_S, EmbeddedWatchdog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeServer:
    pgdata = Path("/srv/interop/pgdata")

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.attempts: list[float] = []
        self.pid: int | None = 100
        self.killed = 0
        self.restarted = 0
        self.fail_restarts = 0

    def postmaster_pid(self) -> int | None:
        return self.pid

    def kill(self) -> None:
        self.killed += 1
        self.pid = None

    def restart(self) -> None:
        self.attempts.append(self.clock.now)
        if self.fail_restarts:
            self.fail_restarts -= 1
            raise EmbeddedServerError("embedded PostgreSQL did not start in /srv/interop/pgdata: no space")
        self.restarted += 1
        self.pid = 200 + self.restarted

    def url(self, database: str = "interop") -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host=/nowhere"


def _watchdog(
    server: FakeServer, clock: Clock, answers: list[bool] | None = None, *, limit: int = 5
) -> EmbeddedWatchdog:
    settings = Settings(
        database_url="postgresql+asyncpg://unused/unused",
        embedded_check_interval_s=1,
        embedded_probe_every_s=5,
        embedded_hang_probes=3,
        embedded_restart_limit=limit,
        embedded_restart_backoff_max_s=30,
    )
    replies = answers if answers is not None else []
    return EmbeddedWatchdog(
        server,  # type: ignore[arg-type]
        settings,
        clock=clock,
        probe=lambda: replies.pop(0) if replies else True,
    )


def _run(watchdog: EmbeddedWatchdog, clock: Clock, seconds: float) -> bool:
    end = clock.now + seconds
    ok = True
    while clock.now < end and ok:
        ok = watchdog.check()
        clock.now += 0.5
    return ok


def test_a_gone_server_is_started_again_at_once(caplog: pytest.LogCaptureFixture) -> None:
    clock, server = Clock(), FakeServer()
    watchdog = _watchdog(server, clock)
    caplog.set_level(logging.INFO)
    assert _run(watchdog, clock, 10)
    server.pid = None  # killed
    assert _run(watchdog, clock, 1.5)
    assert server.restarted == 1
    assert _run(watchdog, clock, 60)
    assert server.restarted == 1
    assert [r.getMessage() for r in caplog.records] == [
        "embedded postgres is gone; starting it again",
        "embedded postgres started again",
    ]


def test_a_hung_server_is_killed_after_three_unanswered_probes() -> None:
    clock, server = Clock(), FakeServer()
    watchdog = _watchdog(server, clock, answers=[True, False, False, False])
    assert _run(watchdog, clock, 16)  # probes at 5, 10, 15: one answer missed twice so far
    assert server.killed == 0
    assert _run(watchdog, clock, 6)  # third miss at 20 s: killed, then started again
    assert server.killed == 1
    assert server.restarted == 1


def test_failed_restarts_back_off_then_give_up(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    server = FakeServer(clock)
    watchdog = _watchdog(server, clock, limit=4)
    server.fail_restarts = 10
    server.pid = None
    while watchdog.check():
        clock.now += 0.25
        assert clock.now < 120
    waits = [b - a for a, b in zip(server.attempts, server.attempts[1:], strict=False)]
    assert [round(w) for w in waits] == [1, 2, 4]
    assert watchdog.gave_up is not None
    assert watchdog.gave_up.startswith("PostgreSQL embebido no se mantiene en marcha tras 4 intentos")
    assert "/srv/interop/pgdata/log" in watchdog.gave_up
    assert not watchdog.check()
    assert sum("did not start again" in r.getMessage() for r in caplog.records) == 4


def test_dying_again_soon_counts_and_staying_up_is_forgiven() -> None:
    clock, server = Clock(), FakeServer()
    watchdog = _watchdog(server, clock, limit=3)
    server.pid = None
    assert _run(watchdog, clock, 2)
    server.pid = None  # dies again within STABLE_AFTER_S of the restart
    assert _run(watchdog, clock, 5)
    assert watchdog.failures == 1
    assert _run(watchdog, clock, STABLE_AFTER_S + 5)  # stays up: forgiven
    assert watchdog.failures == 0
    assert server.restarted == 2
