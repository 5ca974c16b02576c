"""The Flask base every app is built on: errors, request ids, body rules, OpenAPI, /healthz,
/metrics.

Every route an app serves is in its OpenAPI document, and every error it can answer is
documented as what it is: `application/problem+json` with the `Problem` schema.
"""

from __future__ import annotations

import hmac
import http
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, Response, request
from flask.views import MethodView
from flask_smorest.utils import prepare_response
from sqlalchemy import Table
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from kam_common import fields as kam_fields
from kam_common.concurrency import IF_MATCH_PATTERN, MAX_IF_MATCH_LENGTH
from kam_common.db import Database
from kam_common.http import INTERNAL_TOKEN_HEADER
from kam_common.idempotency import HEADER as IDEMPOTENCY_HEADER
from kam_common.idempotency import INTERNAL_PREFIX, MAX_KEY_LENGTH, init_idempotency
from kam_common.metrics import METRICS_PATH, init_metrics, metrics_response
from kam_common.openapi_shapes import tidy
from kam_common.problems import PROBLEM_CONTENT_TYPE, problem_response, register_error_handlers
from kam_common.requestlog import REQUEST_ID_HEADER, init_request_ids
from kam_common.scope import ROLE_HEADER
from kam_common.tabular import CSV_TYPE, MAX_UPLOAD_BYTES
from kam_common.visibility import set_audience

MAX_BODY_BYTES = 1024 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Open on every app: no internal token on services, no API key at the gateway.
OPEN_PATHS = frozenset({"/healthz", METRICS_PATH})


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
    service = ma.fields.String(
        metadata={"description": "The service that is down or did not answer (503, 504)."}
    )


def schema_name_resolver(schema: type[ma.Schema] | ma.Schema) -> str:
    """`AccountSchema` → `Account`; its PATCH form (`partial=True`) → `AccountPatch`."""
    cls = resolve_schema_cls(schema)
    assert not isinstance(cls, list)  # noqa: S101 - one schema per component
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, ma.Schema) and schema.partial:
        name += "Patch"
    return name


class HealthzSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": ["ok"]})
    service = ma.fields.String(required=True)


def _names_a_choice(field: ma.fields.Field[Any] | None) -> bool:
    """The field takes one of an enumeration (or a list of such): a value outside it names
    something that does not exist, like an unknown parameter."""
    if isinstance(field, ma.fields.List):
        field = field.inner
    return field is not None and any(
        isinstance(v, ma.validate.OneOf) for v in getattr(field, "validators", ())
    )


def query_status(schema: ma.Schema, messages: Any) -> int:
    """400 when the query names a parameter or a filter value that does not exist (API.md:
    never silently ignored); 422 when a known parameter's value is malformed."""
    by_key = {f.data_key or name: f for name, f in schema.fields.items()}
    if not isinstance(messages, dict):
        return 422
    for name in messages:
        field = by_key.get(name)
        if field is None or _names_a_choice(field):
            return 400
    return 422


class JsonParser(FlaskParser):
    """webargs' parser, with every undecodable body a 400: Python refuses to read an integer of
    more than 4,300 digits with a ValueError that is no JSONDecodeError, which webargs would
    let through as a 500. A query naming an unknown filter value is a 400 (`query_status`)."""

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Any,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Any,
    ) -> Any:
        messages = error.messages
        if error_status_code is None and isinstance(messages, dict) and "query" in messages:
            error_status_code = query_status(schema, messages["query"])
        return super().handle_error(
            error,
            req,
            schema,
            error_status_code=error_status_code,
            error_headers=error_headers,
        )

    def _raw_load_json(self, req: Any) -> Any:
        if not req.get_data(cache=True):
            # Every operation that reads a body documents it as required (`{}` for no change):
            # an empty one is malformed, not an empty change.
            raise json.JSONDecodeError("A JSON body is required", "(empty)", 0)
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as exc:
            raise json.JSONDecodeError(f"Unreadable JSON: {exc}", "?", 0) from exc


PARSER = JsonParser()


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint with the parser above; every app's routes use this one."""

    ARGUMENTS_PARSER = PARSER


def _documented_methods(app: Flask) -> list[str]:
    """The methods of the path's most literal route: `/events/batch` is the batch (POST), not
    an event called "batch", though the event route would take that id too."""
    adapter = app.url_map.bind_to_environ(request.environ)
    found: dict[str, str] = {}
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            rule, _args = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        found[method] = rule.rule
    if not found:
        return []
    literal = min(found.values(), key=lambda rule: rule.count("<"))
    return sorted(method for method, rule in found.items() if rule == literal)


def declared_query_names(view: Callable[..., Any] | None, method: str) -> frozenset[str] | None:
    """The query parameters a view's operation declares (`@blp.arguments(..., location="query")`),
    or None for a view outside the OpenAPI document (flask-smorest's own)."""
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    apidoc = getattr(handler, "_apidoc", None)
    if apidoc is None:
        return None if view_class is None else frozenset()
    names: set[str] = set()
    for parameter in apidoc.get("arguments", {}).get("parameters", []):
        # flask-smorest renames `location` to `in` when the blueprint is registered.
        if parameter.get("in", parameter.get("location")) != "query":
            continue
        schema = resolve_schema_cls(parameter["schema"])
        assert not isinstance(schema, list)  # noqa: S101 - one schema per location
        names.update(f.data_key or name for name, f in schema().fields.items() if not f.dump_only)
    return frozenset(names)


def unknown_query_problem(unknown: Iterable[str]) -> Response:
    names = sorted(unknown)
    return problem_response(
        400,
        f"Unknown query parameter: {', '.join(names)}.",
        errors={name: ["Unknown parameter."] for name in names},
    )


# Unicode's control characters (category Cc) and lone surrogates (Cs).
_UNUSABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def unusable_path_value(value: Any) -> bool:
    """A path id no row can have: control characters (PostgreSQL refuses NUL in text) or text
    that is not valid Unicode."""
    return isinstance(value, str) and _UNUSABLE.search(value) is not None


class Api(flask_smorest.Api):
    """flask-smorest with problem details instead of its own error payload, documented as such:
    every error response is `application/problem+json` with the `Problem` schema.

    No operation carries a `default` response: each documents the statuses it really answers
    (`HouseConventionsPlugin` and the view's own decorators), so a client, and the fuzzing,
    can tell an undocumented status from a documented one."""

    ERROR_SCHEMA = ProblemSchema
    # Read by every blueprint registered on this Api when it documents a view's responses.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        register_error_handlers(self._app)

    def __init__(self, *args: Any, **kwargs: Any):
        # Changes an app makes to its own document, after apispec wrote it (see document()).
        self.document_hooks: list[Callable[[dict[str, Any]], None]] = []
        super().__init__(*args, **kwargs)

    def document(self) -> dict[str, Any]:
        """The app's OpenAPI document as served (shapes tidied for generated clients)."""
        doc = self.spec.to_dict()
        for hook in self.document_hooks:
            hook(doc)
        return tidy(doc)

    def _openapi_json(self) -> Response:
        response: Response = self._app.json.response(self.document())
        return response

    def _register_responses(self) -> None:
        # flask-smorest's own version documents errors as application/json.
        register_problem_responses(self.spec)


def register_problem_responses(spec: APISpec) -> None:
    """A response component per status (`NOT_FOUND`, …): a problem, listed once referenced."""
    for status in http.HTTPStatus:
        response: dict[str, Any] = {"description": status.phrase}
        if not (100 <= status < 200) and status not in (204, 304):
            response["schema"] = ProblemSchema
        prepare_response(response, spec, PROBLEM_CONTENT_TYPE)
        spec.components.response(status.name, response, lazy=True)


def problem_doc(
    blp: Blueprint, status: int, description: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Documents a problem that a view answers beyond the house conventions, saying when."""
    return blp.alt_response(  # type: ignore[no-any-return]
        status, schema=ProblemSchema, content_type=PROBLEM_CONTENT_TYPE, description=description
    )


def reads_through(
    blp: flask_smorest.Blueprint, service: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Documents what a view that reads through to another service may also answer."""
    unavailable = problem_doc(
        blp, 503, f"The database, or the {service} service, is busy or down (`service` names it)."
    )
    timed_out = problem_doc(blp, 504, f"The {service} service did not answer in time.")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        return unavailable(timed_out(view))

    return decorator


def accepts_csv(
    blp: flask_smorest.Blueprint, description: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view whose body is a CSV file (`text/csv`, up to `MAX_UPLOAD_BYTES`), not JSON."""
    documented = blp.doc(
        requestBody={
            "required": True,
            "description": description,
            "content": {CSV_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    )
    too_large = problem_doc(blp, 413, f"The file is larger than {MAX_UPLOAD_BYTES >> 20} MiB.")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view._kam_upload = CSV_TYPE  # type: ignore[attr-defined]
        return documented(too_large(view))  # type: ignore[no-any-return]

    return decorator


def answers_csv(
    blp: flask_smorest.Blueprint, description: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view that answers a CSV file (its 200 documented as `text/csv`)."""
    return blp.doc(  # type: ignore[no-any-return]
        responses={
            "200": {
                "description": description,
                "content": {CSV_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )


def csv_response(body: bytes, filename: str) -> Response:
    """A CSV file as the answer, named for saving."""
    return Response(
        body,
        content_type=f"{CSV_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def upload_type(view: Callable[..., Any] | None, method: str) -> str | None:
    """The file type a view's operation takes instead of JSON (`accepts_csv`), if any."""
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(handler, "_kam_upload", None)


def honours_if_match(
    blp: flask_smorest.Blueprint,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Documents `If-Match` and its 412 on a view that checks it although it is no PATCH."""
    refused = problem_doc(blp, 412, "`If-Match` names another version than the current one.")
    malformed = problem_doc(blp, 400, "`If-Match` is not a version, a list of them, or `*`.")
    header = blp.doc(parameters=["IfMatch"])

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        return header(refused(malformed(view)))  # type: ignore[no-any-return]

    return decorator


# Header parameters the house conventions accept (API.md); components, referenced per operation.
HEADER_PARAMETERS: dict[str, dict[str, Any]] = {
    "RequestId": {
        "name": REQUEST_ID_HEADER,
        "in": "header",
        "required": False,
        "description": "Your id for this request, returned and carried to every log line and "
        "service call. One of 1–128 letters, digits and `._:-` is kept; any other value is "
        "replaced by a new id (never refused).",
        "schema": {"type": "string"},
    },
    "IdempotencyKey": {
        "name": IDEMPOTENCY_HEADER,
        "in": "header",
        "required": False,
        "description": "A retry with the same key and body replays the first answer and creates "
        "nothing; the same key with another body is a 409.",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    },
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": 'The `version` the change is based on (`3`, `"3"` or `W/"3"`, '
        "several comma-separated, or `*`); another current version is a 412.",
        "schema": {"type": "string", "pattern": IF_MATCH_PATTERN, "maxLength": MAX_IF_MATCH_LENGTH},
    },
}
_HTTP_METHODS = ("get", "put", "post", "patch", "delete")


class HouseConventionsPlugin(BasePlugin):
    """Documents, on every operation, the statuses and headers that the shared hooks add
    (`build_service`, idempotency, `If-Match`, the database's own failures), so no view has to."""

    def __init__(self, *, guarded: Callable[[str], bool], auth_statuses: Iterable[int]):
        self.guarded = guarded
        self.auth_statuses = tuple(auth_statuses)

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if method not in _HTTP_METHODS:
                continue
            statuses: list[int] = []
            parameters = ["RequestId"]
            if path and self.guarded(path):
                statuses += self.auth_statuses
            if path and "{" in path:
                statuses.append(404)
            if path not in OPEN_PATHS:
                statuses.append(400)  # a query parameter the operation does not declare
            if method in ("post", "put", "patch"):
                statuses += [413, 415, 422]
            if method == "post" and not (path or "").startswith(INTERNAL_PREFIX):
                statuses.append(409)  # an Idempotency-Key reused with another body
                parameters.append("IdempotencyKey")
            if method == "patch":
                statuses.append(412)
                parameters.append("IfMatch")
            if path not in OPEN_PATHS:
                statuses.append(503)  # the database is busy or down
            responses = operation.setdefault("responses", {})
            present = {str(code) for code in responses}
            for status in statuses:
                if str(status) not in present:
                    responses[status] = http.HTTPStatus(status).name
            # A view's own alternative responses come first otherwise: read in status order.
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: str(kv[0])))
            refs = operation.setdefault("parameters", [])
            for name in parameters:
                refs.append(name)  # apispec turns a name into a $ref to the component


def register_header_parameters(spec: APISpec) -> None:
    for name, parameter in HEADER_PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], parameter)


def _register_infrastructure(api: Api) -> None:
    """/healthz and /metrics as documented routes; the service's own /openapi.json too."""
    blp = Blueprint("infrastructure", __name__, description="Liveness, metrics and this document")

    @blp.route("/healthz")
    class Healthz(MethodView):
        @blp.response(200, HealthzSchema)
        @blp.doc(security=[])
        def get(self) -> dict[str, str]:
            """The process is alive (no credentials needed)."""
            return {"status": "ok", "service": api._app.config["KAM_SERVICE"]}

    @blp.route(METRICS_PATH)
    class Metrics(MethodView):
        @blp.doc(
            security=[],
            responses={
                200: {
                    "description": "Prometheus text format: `kam_http_requests_total` and "
                    "`kam_http_request_duration_seconds` by method, route template and status.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        )
        def get(self) -> Response:
            """Prometheus metrics of this app (no credentials needed)."""
            return metrics_response()

    api.register_blueprint(blp)

    # flask-smorest serves the document from its own blueprint, outside the spec it writes.
    for rule in api._app.url_map.iter_rules():
        if rule.endpoint.endswith(".openapi_json"):
            summary = "This app's OpenAPI document (internal token needed)."
            document = {
                "description": "OpenAPI 3",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
            api.spec.path(
                rule=rule,
                operations={
                    "get": {
                        "summary": summary,
                        "tags": ["infrastructure"],
                        "responses": {"200": document},
                    }
                },
            )


def build_service(
    import_name: str,
    *,
    service: str,
    title: str,
    settings: dict[str, Any],
    idempotency_keys: Table,
    audit_entries: Table | None = None,
) -> tuple[Flask, Api, Database]:
    """An internal service with the house conventions: every path but /healthz and /metrics
    behind the internal token, its database, `Idempotency-Key` replay for creating POSTs, and
    (given its table) the audit trail of its audited models, served at `/internal/audit`."""
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
    app.config.update(settings)
    app.url_map.strict_slashes = False
    # Werkzeug would answer `//` (an id given as `%2F...`) with a redirect to another resource.
    app.url_map.merge_slashes = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    token = settings["INTERNAL_TOKEN"].encode()

    init_metrics(app)  # first, so its clock starts before any hook can answer
    init_request_ids(app)

    @app.before_request
    def _check_call() -> Response | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(INTERNAL_TOKEN_HEADER, "").encode()
        if not hmac.compare_digest(given, token):
            return problem_response(401, "This service is internal; call it through the gateway.")
        return None

    @app.before_request
    def _refuse_options() -> Response | None:
        # No operation answers OPTIONS (there is no browser cross-origin use): a 405 that
        # lists the methods the path has, like any other method it does not have.
        if request.method != "OPTIONS":
            return None
        methods = _documented_methods(app)
        if not methods:
            return problem_response(404, "No such resource.")
        return problem_response(
            405, "This method is not allowed here.", headers={"Allow": ", ".join(methods)}
        )

    declared: dict[tuple[str, str], frozenset[str] | None] = {}

    @app.before_request
    def _check_query_names() -> Response | None:
        # A parameter the operation does not declare is a mistake the caller must hear of
        # (API.md, "Common to lists and inputs"), not a filter silently ignored.
        if not request.args or request.path in OPEN_PATHS or request.endpoint is None:
            return None
        key = (request.endpoint, request.method)
        if key not in declared:
            view = app.view_functions.get(request.endpoint)
            declared[key] = declared_query_names(view, request.method)
        names = declared[key]
        if names is None:
            return None
        unknown = set(request.args) - names
        return unknown_query_problem(unknown) if unknown else None

    @app.before_request
    def _check_path_values() -> Response | None:
        if any(unusable_path_value(v) for v in (request.view_args or {}).values()):
            return problem_response(404, "No such resource.")
        return None

    @app.before_request
    def _check_body() -> Response | None:
        if request.method not in _BODY_METHODS:
            return None
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "")
        mimetype = request.mimetype or ""
        upload = upload_type(app.view_functions.get(request.endpoint or ""), request.method)
        if upload is not None:
            request.max_content_length = MAX_UPLOAD_BYTES
            if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
                limit = MAX_UPLOAD_BYTES >> 20
                return problem_response(413, f"The file is larger than the {limit} MiB limit.")
            if mimetype != upload:
                return problem_response(
                    415, f"Send the file with Content-Type: {upload} (got {mimetype or 'none'})."
                )
            return None
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return problem_response(413, "The request body is larger than the 1 MiB limit.")
        if (request.content_length or chunked or mimetype) and not (
            mimetype == "application/json" or mimetype.endswith("+json")
        ):
            detail = f"Send JSON with Content-Type: application/json (got {mimetype or 'none'})."
            return problem_response(415, detail)
        return None

    conventions = HouseConventionsPlugin(
        guarded=lambda path: path not in OPEN_PATHS, auth_statuses=(401,)
    )
    api = Api(
        app,
        spec_kwargs={
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver),
            "extra_plugins": [conventions],
        },
    )
    api.register_field(kam_fields.Money, "number", None)
    register_header_parameters(api.spec)
    _register_infrastructure(api)
    db = Database(settings["DATABASE_URL"])
    db.init_app(app)
    init_idempotency(app, db, idempotency_keys)
    if audit_entries is not None:
        from kam_common.audit import audit_blueprint, init_audit

        init_audit(db, audit_entries)
        api.register_blueprint(audit_blueprint(audit_entries))

    @app.before_request
    def _set_audience() -> None:
        # Internal fields are left out of answers to partner keys (kam_common.visibility).
        set_audience(request.headers.get(ROLE_HEADER))

    return app, api, db
