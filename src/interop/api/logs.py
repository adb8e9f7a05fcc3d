"""Structured JSON logs carrying request and trace ids. Log identifiers only, never personal data."""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

from interop.api.tracing import request_id_var, trace_id_var

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        trace_id = trace_id_var.get()
        if request_id:
            out["request_id"] = request_id
        if trace_id:
            out["trace_id"] = trace_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
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


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Access logs would print query strings (which may carry identifiers); ours carry route templates.
    logging.getLogger("uvicorn.access").disabled = True
