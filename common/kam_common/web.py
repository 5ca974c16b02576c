"""The Flask base every app is built on: errors, request ids, body rules, OpenAPI, /healthz."""

from __future__ import annotations

import hmac
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, Response, request
from sqlalchemy import Table

from kam_common import fields as kam_fields
from kam_common.db import Database
from kam_common.http import INTERNAL_TOKEN_HEADER
from kam_common.idempotency import init_idempotency
from kam_common.problems import problem_response, register_error_handlers
from kam_common.requestlog import init_request_ids

MAX_BODY_BYTES = 1024 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
OPEN_PATHS = frozenset({"/healthz"})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation only; see kam_common.problems)."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), allow_none=True
    )
    request_id = ma.fields.String(allow_none=True)


def schema_name_resolver(schema: type[ma.Schema] | ma.Schema) -> str:
    """`AccountSchema` → `Account`; its PATCH form (`partial=True`) → `AccountPatch`."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, ma.Schema) and schema.partial:
        name += "Patch"
    return name


class Api(flask_smorest.Api):
    """flask-smorest with problem details instead of its own error payload."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        register_error_handlers(self._app)


def build_app(
    import_name: str,
    *,
    service: str,
    title: str,
    config: dict[str, Any] | None = None,
    internal_token: str | None = None,
) -> tuple[Flask, Api]:
    """A Flask app with the house conventions. `internal_token` guards everything but /healthz."""
    app = Flask(import_name, static_folder=None)
    app.config.update(
        API_TITLE=title,
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        KAM_SERVICE=service,
    )
    app.config.update(config or {})
    app.url_map.strict_slashes = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    init_request_ids(app)

    @app.before_request
    def _check_body() -> Response | None:
        if request.method not in _BODY_METHODS:
            return None
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return problem_response(413, "The request body is larger than the 1 MiB limit.")
        has_body = bool(request.content_length) or "chunked" in request.headers.get(
            "Transfer-Encoding", ""
        )
        mimetype = request.mimetype or ""
        if (has_body or mimetype) and not (
            mimetype == "application/json" or mimetype.endswith("+json")
        ):
            return problem_response(
                415,
                f"Send JSON with Content-Type: application/json (got {mimetype or 'none'}).",
            )
        return None

    if internal_token is not None:

        @app.before_request
        def _require_internal_token() -> Response | None:
            if request.path in OPEN_PATHS:
                return None
            given = request.headers.get(INTERNAL_TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), internal_token.encode()):
                return problem_response(
                    401, "This service is internal; call it through the gateway."
                )
            return None

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    api = Api(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver)})
    api.register_field(kam_fields.Money, "number", None)
    return app, api


def build_service(
    import_name: str,
    *,
    service: str,
    title: str,
    settings: dict[str, Any],
    idempotency_keys: Table,
) -> tuple[Flask, Api, Database]:
    """An internal service: `build_app` behind the internal token, with its database and
    `Idempotency-Key` replay for creating POSTs."""
    app, api = build_app(
        import_name,
        service=service,
        title=title,
        config=settings,
        internal_token=settings["INTERNAL_TOKEN"],
    )
    db = Database(settings["DATABASE_URL"])
    db.init_app(app)
    init_idempotency(app, db, idempotency_keys)
    return app, api, db
