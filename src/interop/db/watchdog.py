"""Keeps the embedded PostgreSQL running under ``interop serve``: the process that started it checks it
and starts it again on the same data folder when it dies or stops answering.

Rules:
- every ``embedded_check_interval_s`` the postmaster's process is looked at; every
  ``embedded_probe_every_s`` it must also answer a connection (``SELECT 1``) within
  ``db_connect_timeout_s``; ``embedded_hang_probes`` probes in a row without an answer count as a hung
  server, which is killed;
- a server found gone is started again at once (PostgreSQL's crash recovery replays what it had
  acknowledged); a start that fails, or a server that dies again within ``STABLE_AFTER_S`` of being
  started, counts as a failure, and the next attempt waits 1, 2, 4… s (up to
  ``embedded_restart_backoff_max_s``);
- ``embedded_restart_limit`` failures in a row and the watchdog gives up: ``check`` returns False and
  ``gave_up`` says why, so the service stops with a non-zero exit and a process manager can take over.

One log line per event (gone, started again, a failed attempt, gave up), never per check.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import asyncpg

from interop.config import Settings
from interop.db.embedded import EmbeddedServer, EmbeddedServerError

log = logging.getLogger(__name__)

# A server that has answered for this long after a restart is healthy again: its failures are forgotten.
STABLE_AFTER_S = 30.0


async def _answers(url: str, wait_s: float) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=wait_s)
    except (asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.TooManyConnectionsError):
        return True  # starting up, in recovery, or busy: it answers
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.exceptions.InterfaceError):
        return False
    try:
        await asyncio.wait_for(conn.fetchval("SELECT 1"), wait_s)
        return True
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.exceptions.InterfaceError):
        return False
    finally:
        conn.terminate()


class EmbeddedWatchdog:
    def __init__(
        self,
        server: EmbeddedServer,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        probe: Callable[[], bool] | None = None,
    ) -> None:
        self.server = server
        self.settings = settings
        self._clock = clock
        self._probe = probe or self._probe_server
        self.gave_up: str | None = None
        self.restarts = 0
        self.failures = 0  # failed restarts (or deaths soon after one) in a row
        self._next_check = 0.0
        self._next_probe = clock() + settings.embedded_probe_every_s
        self._unanswered = 0
        self._down_since: float | None = None
        self._next_restart = 0.0
        self._started_at = clock()

    @property
    def interval(self) -> float:
        return self.settings.embedded_check_interval_s

    def _probe_server(self) -> bool:
        url = self.server.url("postgres").replace("+asyncpg", "")
        return asyncio.run(_answers(url, self.settings.db_connect_timeout_s))

    def check(self) -> bool:
        """One look at the server, restarting it when due. Cheap unless a probe or a restart is due; call it
        often (every ``interval``). False once the watchdog has given up."""
        if self.gave_up is not None:
            return False
        now = self._clock()
        if now < self._next_check:
            return True
        self._next_check = now + self.interval
        if self._down_since is None and self._alive(now):
            if self.failures and now - self._started_at >= STABLE_AFTER_S:
                self.failures = 0
            return True
        return self._recover(now)

    def _alive(self, now: float) -> bool:
        pid = self.server.postmaster_pid()
        if pid is None:
            log.error("embedded postgres is gone; starting it again", extra={"restarts": self.restarts})
            return False
        if now < self._next_probe:
            return True
        self._next_probe = now + self.settings.embedded_probe_every_s
        if self._probe():
            self._unanswered = 0
            return True
        self._unanswered += 1
        if self._unanswered < self.settings.embedded_hang_probes:
            return True
        log.error(
            "embedded postgres does not answer; killing and starting it again",
            extra={"pid": pid, "probes": self._unanswered},
        )
        self.server.kill()
        return False

    def _recover(self, now: float) -> bool:
        if self._down_since is None:
            self._down_since = now
            self._unanswered = 0
            if self.restarts and now - self._started_at < STABLE_AFTER_S:
                self.failures += 1  # died again soon after it was started
                if self._give_up_if_due():
                    return False
                self._next_restart = now + self._backoff()
        if now < self._next_restart:
            return True
        try:
            self.server.restart()
        except EmbeddedServerError as exc:
            self.failures += 1
            log.error(
                "embedded postgres did not start again",
                extra={"attempt": self.failures, "reason": str(exc)},
            )
            if self._give_up_if_due():
                return False
            self._next_restart = self._clock() + self._backoff()
            return True
        done = self._clock()
        self.restarts += 1
        log.warning(
            "embedded postgres started again",
            extra={"down_s": round(done - self._down_since, 2), "restarts": self.restarts},
        )
        self._down_since = None
        self._started_at = done
        self._next_probe = done + self.settings.embedded_probe_every_s
        return True

    def _backoff(self) -> float:
        return float(min(2 ** max(self.failures - 1, 0), self.settings.embedded_restart_backoff_max_s))

    def _give_up_if_due(self) -> bool:
        if self.failures < self.settings.embedded_restart_limit:
            return False
        self.gave_up = (
            f"PostgreSQL embebido no se mantiene en marcha tras {self.failures} intentos; "
            f"el servicio se detiene (revise {self.server.pgdata / 'log'}) — "
            f"embedded PostgreSQL does not stay up after {self.failures} attempts; stopping"
        )
        log.error("embedded postgres keeps failing; stopping the service", extra={"attempts": self.failures})
        return True
