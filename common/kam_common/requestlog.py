"""Request ids and JSON logs.

Every request gets an id (the caller's `X-Request-ID` when it is sane, else a new one), it is
returned on the response, carried on every outgoing call (see `http.py`) and stamped on every
log line written while the request is handled.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_QUIET_PATHS = frozenset({"/healthz", "/metrics"})

access_log = logging.getLogger("kam.access")


def current_request_id() -> str | None:
    return getattr(g, "request_id", None) if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Runs for every request, so the encoder is made once and the
    timestamp's date-and-second part is reused within the second."""

    def __init__(self, service: str):
        super().__init__()
        self.service = service
        self._encoder = json.JSONEncoder(ensure_ascii=False, default=str)
        self._second = -1
        self._second_text = ""

    def timestamp(self, created: float) -> str:
        """`2026-11-23T11:42:23.512+00:00` (UTC, milliseconds)."""
        second = int(created)
        if second != self._second:
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = second
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.timestamp(record.created),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return self._encoder.encode(entry)


def skip_unused_record_fields() -> None:
    """Our JSON lines never show the caller's file, thread or process name, so logging need not
    look them up for every record (the logging cookbook's "Optimization" section)."""
    logging._srcfile = None  # noqa: SLF001 - a documented switch
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def configure_logging(service: str, level: str | None = None) -> None:
    """JSON lines on stdout, at `KAM_LOG_LEVEL` (`info` by default: access lines included)."""
    level = (level or os.environ.get("KAM_LOG_LEVEL") or "INFO").upper()
    skip_unused_record_fields()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # plugin set-up chatter on import


def request_id_from(incoming: str | None) -> str:
    """The caller's `X-Request-ID` when it is sane, else a new id."""
    return incoming if incoming and _SANE_ID.match(incoming) else secrets.token_hex(16)


def log_access(
    method: str, path: str, status: int, seconds: float, request_id: str | None = None
) -> None:
    """The one access line per answered request (probes and scrapes excepted)."""
    if path in _QUIET_PATHS or not access_log.isEnabledFor(logging.INFO):
        # Probes and scrapes come every few seconds; a line each would drown the real traffic.
        return
    access_log.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "request_id": request_id,
            "fields": {
                "method": method,
                "path": path,
                "status": status,
                "ms": round(seconds * 1000, 2),
            },
        },
    )


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.started = time.perf_counter()

    @app.after_request
    def _return_request_id(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = getattr(g, "started", None)
        if started is not None:
            log_access(
                request.method,
                request.path,
                response.status_code,
                time.perf_counter() - started,
                request_id,
            )
        return response
