"""Which job failures are worth retrying.

A job is retried (with the queue's back-off) only when the failure may pass by itself: the database
went away, a deadlock or serialization failure (SQLSTATE class 40), a lock that could not be taken
(55P03), the server shutting down or short of resources (57P0x, class 53), or a handler saying so
(``TransientJobError``, e.g. a subscriber's endpoint that did not answer). Anything else — bad data, a
model that cannot be trained, a bug — fails the job at its first attempt, so the reason reaches the
person who started it at once instead of after minutes of identical retries.
"""

from __future__ import annotations

from interop.db.outage import is_unreachable

_TRANSIENT_SQLSTATE_PREFIXES = ("40", "53", "08", "55P03", "57P01", "57P02", "57P03", "57014")


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (bad input): the job fails at once."""


class TransientJobError(Exception):
    """A failure that may pass by itself (a remote endpoint down): the job is retried after back-off."""


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, through SQLAlchemy's wrapper and the exception's causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for candidate in (current, getattr(current, "orig", None)):
            code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
            if isinstance(code, str) and code:
                return code
        current = current.__cause__ or current.__context__
    return None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, PermanentJobError):
        return False
    if isinstance(exc, TransientJobError) or is_unreachable(exc):
        return True
    code = sqlstate(exc)
    return code is not None and code.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
