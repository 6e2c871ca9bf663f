"""Logs: one JSON object per line, each with the request id, and nothing secret in them.

The request id is the CDS ``hookInstance`` once the body is read (a UUID as it is, anything else
by its digest: :func:`adapter.cds.models.instance_id`), else one made up for the request. Every
message passes :func:`redact` before it is written: URL userinfo, bearer tokens and the query of
a search URL (which names the patient) never reach a log at the default level. The HTTP client's
own request lines (full URLs) are kept below the default level.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter", "RequestInfo", "current_request", "new_request", "redact"]


@dataclass(slots=True)
class RequestInfo:
    """What the log lines of one request share; filled in as the request is read."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    service: str | None = None


_REQUEST: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "spinemets_request", default=None
)


def new_request() -> RequestInfo:
    """Start the log context of a request (the middleware calls it first)."""
    info = RequestInfo()
    _REQUEST.set(info)
    return info


def current_request() -> RequestInfo | None:
    return _REQUEST.get()


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_QUERY = re.compile(r"((?i:\bhttps?://[^\s?]*)\?|\b[A-Z][A-Za-z]*\?)[^\s\"']+")
_SECRET_FIELD = re.compile(
    r"(?i)\b(access_token|token|password|secret|client_secret|authorization)(\"?\s*[:=]\s*\"?)"
    r"[^\s\"',&]+"
)


def redact(text: str) -> str:
    """``text`` without URL userinfo, credentials or the query of a URL (patient identifiers)."""
    text = _USERINFO.sub(r"\1***@", text)
    text = _BEARER.sub(r"\1 ***", text)
    text = _SECRET_FIELD.sub(r"\1\2***", text)
    return _QUERY.sub(r"\1…", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        info = current_request()
        if info is not None:
            entry["request_id"] = info.id
            if info.service is not None:
                entry["service"] = info.service
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: a traceback is many lines, and its values may hold patient data.
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False, default=str)
