"""Structured logs: every line a job writes carries its job id, user id and purpose.

    with job_context(job_id="refresh-42", user_id=7, purpose="library"):
        logger.info("mirrored %s playlists", n)

`LOG_FORMAT=json` prints one JSON object per line (for log shippers); the default is text.
"""

from __future__ import annotations

import contextvars
import json
import logging
from contextlib import contextmanager
from datetime import UTC, datetime

_context: contextvars.ContextVar[dict] = contextvars.ContextVar("tk_log_context", default={})  # noqa: B039 - never mutated
CONTEXT_FIELDS = ("job_id", "user_id", "purpose")


@contextmanager
def job_context(**fields):
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class JobContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for field in CONTEXT_FIELDS:
            setattr(record, field, context.get(field, getattr(record, field, "")))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, "")
            if value not in ("", None):
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{field}={getattr(record, field)}"
            for field in CONTEXT_FIELDS
            if getattr(record, field, "")
        )
        return f"{line} [{context}]" if context else line
