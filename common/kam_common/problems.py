"""RFC 9457 problem details for every failure, and the base of each app's domain errors.

Apps raise subclasses of `kam_common.errors.AppError` from their use cases;
`register_error_handlers` turns those, werkzeug's HTTP errors, webargs validation failures and
anything unexpected into one shape:
`{"type", "title", "status", "detail", "errors"?, "request_id"}`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, json
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from kam_common.errors import AppError

log = logging.getLogger("kam.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"

_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    408: "request-timeout",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    502: "bad-gateway",
    503: "service-unavailable",
    504: "gateway-timeout",
}


def problem_type(status: int, slug: str | None = None) -> str:
    return f"urn:kam:problem:{slug or _SLUGS.get(status, 'error')}"


def problem_document(
    status: int,
    detail: str,
    *,
    request_id: str | None,
    title: str | None = None,
    errors: Mapping[str, Any] | None = None,
    slug: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem body itself; no Flask needed (the gateway's fast path renders it too)."""
    body: dict[str, Any] = {
        "type": problem_type(status, slug),
        "title": title or _phrase(status),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    body["request_id"] = request_id
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: Mapping[str, Any] | None = None,
    slug: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body = problem_document(
        status,
        detail,
        request_id=getattr(g, "request_id", None),
        title=title,
        errors=errors,
        slug=slug,
        extra=extra,
    )
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """`{"needs": {0: ["Not a valid string."]}}` → `{"needs.0": ["Not a valid string."]}`.

    Whole-object errors (marshmallow's `_schema`) are reported under `body`.
    """
    flat: dict[str, list[str]] = {}

    def add(path: str, items: list[str]) -> None:
        flat.setdefault(path or "body", []).extend(items)

    if isinstance(messages, Mapping):
        for key, value in messages.items():
            part = "" if key == "_schema" else str(key)
            path = ".".join(p for p in (prefix, part) if p)
            for field, items in flatten_errors(value, path).items():
                add(field, items)
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        add(prefix, list(messages))
    elif isinstance(messages, list | tuple):
        for item in messages:
            for field, items in flatten_errors(item, prefix).items():
                add(field, items)
    else:
        add(prefix, [str(messages)])
    return flat


def load_each(
    schema: Any, items: list[Any], *, prefix: str
) -> tuple[list[Any | None], dict[str, list[str]]]:
    """Load every item of a list body, naming each failure as `prefix.index.field`."""
    loaded: list[Any | None] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        try:
            loaded.append(schema.load(item))
        except ValidationError as problem:
            loaded.append(None)
            errors.update(flatten_errors(problem.messages, f"{prefix}.{index}"))
    return loaded, errors


def _webargs_messages(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Drop webargs' location level (`json`, `query`, ...) so errors name the field itself."""
    messages = data.get("messages") or data.get("errors") or {}
    merged: dict[str, Any] = {}
    if isinstance(messages, Mapping):
        for location, fields in messages.items():
            if location in ("json", "query", "querystring", "headers", "view_args", "form"):
                if isinstance(fields, Mapping):
                    merged.update(fields)
                else:
                    merged["body" if location == "json" else location] = fields
            else:
                merged[location] = fields
    return flatten_errors(merged)


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(sorted(error.valid_methods))  # type: ignore[attr-defined]
    if "messages" in data or "errors" in data:
        errors = _webargs_messages(data)
        messages = data.get("messages")
        if status == 400 and isinstance(messages, Mapping) and "query" in messages:
            fields = ", ".join(sorted(errors))
            detail = f"Unknown query parameter or filter value: {fields}."
        elif status == 400:
            detail = "The request body is not valid JSON."
        else:
            fields = ", ".join(sorted(errors)) or "request"
            detail = f"Invalid input: {fields}."
        return problem_response(status, detail, errors=errors, headers=headers)
    detail = {
        404: "No such resource.",
        405: "This method is not allowed here.",
        413: "The request body is larger than the 1 MiB limit.",
    }.get(status, error.description or _phrase(status))
    return problem_response(status, detail, headers=headers)


def handle_app_error(error: AppError) -> Response:
    service = getattr(error, "service", None)  # 503/504 name the service that failed
    return problem_response(
        error.status,
        error.detail,
        errors=error.errors,
        slug=error.slug,
        extra={"service": service} if service else None,
    )


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    if isinstance(error, RecursionError):
        return problem_response(400, "The request body is nested too deeply.")
    log.exception("unhandled error")
    return problem_response(500, "An unexpected error occurred; it has been logged.")


def handle_stale_data(_error: StaleDataError) -> Response:
    return problem_response(
        412, "The resource changed while this request was applied; read it again and retry."
    )


def handle_integrity_error(error: IntegrityError) -> Response:
    log.warning("integrity error: %s", error.orig)
    return problem_response(409, "The change conflicts with data stored meanwhile; retry.")


def handle_operational_error(error: OperationalError) -> Response:
    log.error("database unavailable: %s", error.orig)
    return problem_response(
        503, "The database is busy or unavailable; retry shortly.", headers={"Retry-After": "1"}
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(Exception, handle_unexpected)
