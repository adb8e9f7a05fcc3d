"""One process's view of whether the database answers: back-off between attempts, and log lines only when
the state changes.

Rules (for every loop that talks to the database while it may be away — the job worker, readiness, the
metrics scrape):
- the first failure logs one warning (``database unreachable``), later failures log nothing, except one
  reminder per ``remind_every_s`` (``database still unreachable``, with the seconds so far);
- the first success after failures logs one line (``database reachable again``, with the seconds it was
  away);
- the wait before the next attempt doubles from ``first_delay_s`` up to ``max_delay_s``, and starts over
  after a success.

No I/O but logging; the clock is injectable so the rules can be tested without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger(__name__)


def is_unreachable(exc: BaseException) -> bool:
    """The error says the database is away (refused, lost, starting up, not answering), not that a statement
    or a value was wrong."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError | OSError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(
        exc,
        asyncpg.exceptions.ConnectionDoesNotExistError
        | asyncpg.exceptions.CannotConnectNowError
        | asyncpg.exceptions.InterfaceError
        | asyncpg.exceptions.PostgresConnectionError
        | asyncpg.exceptions.AdminShutdownError
        | asyncpg.exceptions.CrashShutdownError,
    ):
        return True
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_unreachable(cause)


class Outage:
    """Reachability of the database as this process sees it."""

    def __init__(
        self,
        *,
        what: str = "database",
        first_delay_s: float = 0.5,
        max_delay_s: float = 30.0,
        remind_every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
    ) -> None:
        self.what = what
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.remind_every_s = remind_every_s
        self._clock = clock
        self._log = logger
        self.since: float | None = None  # when the current outage was first seen
        self.failures = 0
        self._reminded_at = 0.0

    @property
    def down(self) -> bool:
        return self.since is not None

    def down_for(self) -> float:
        """Seconds since the current outage was first seen; 0 when the database answers."""
        return 0.0 if self.since is None else max(self._clock() - self.since, 0.0)

    def failed(self, exc: BaseException | None = None) -> float:
        """Record a failed attempt; returns how long to wait before the next one."""
        now = self._clock()
        error = type(exc).__name__ if exc is not None else None
        if self.since is None:
            self.since = now
            self._reminded_at = now
            self._log.warning(f"{self.what} unreachable", extra={"error": error})
        elif now - self._reminded_at >= self.remind_every_s:
            self._reminded_at = now
            self._log.warning(
                f"{self.what} still unreachable",
                extra={"down_s": round(now - self.since, 1), "attempts": self.failures + 1, "error": error},
            )
        self.failures += 1
        return self.delay()

    def delay(self) -> float:
        if self.failures == 0:
            return 0.0
        return float(min(self.first_delay_s * 2 ** (self.failures - 1), self.max_delay_s))

    def succeeded(self) -> None:
        """Record an attempt that reached the database."""
        if self.since is not None:
            self._log.warning(
                f"{self.what} reachable again",
                extra={"down_s": round(self._clock() - self.since, 1), "attempts": self.failures},
            )
        self.since = None
        self.failures = 0
