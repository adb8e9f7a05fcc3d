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
from interop.errors import DomainError
from interop.messages import has, stored

_TRANSIENT_SQLSTATE_PREFIXES = ("40", "53", "08", "55P03", "57P01", "57P02", "57P03", "57014")


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (bad input): the job fails at once. Its text is a stored message
    (``messages.stored.keep``), so that whoever reads the job's error reads it in their language."""


class TransientJobError(Exception):
    """A failure that may pass by itself (a remote endpoint down): the job is retried after back-off. Its
    text is a stored message, as ``PermanentJobError``'s."""


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


def kept(exc: BaseException) -> str:
    """What a failed job stores about ``exc`` (``messages.stored`` form, read in the reader's language).

    A domain error keeps its catalogue words; a job error raised with a stored message keeps it; anything
    else keeps only its kind and SQLSTATE: a driver's text may quote the row it failed on (a duplicate
    key's CURP), and no stored row, response or log may carry that.
    """
    if isinstance(exc, DomainError) and exc.key is not None and has(exc.key):
        return exc.kept()
    if isinstance(exc, PermanentJobError | TransientJobError):
        try:
            stored.unpack(str(exc))
            return str(exc)
        except ValueError:
            pass
    code = sqlstate(exc)
    if code is not None:
        return stored.keep("job.failed.database", kind=type(exc).__name__, sqlstate=code)
    return stored.keep("job.failed.kind", kind=type(exc).__name__)
