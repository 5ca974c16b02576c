"""The gateway's one request pipeline: every call passes these steps, in this order.

    1. request id     the caller's `X-Request-ID` when it is sane, else a new one
    2. framing, size  the target's length; the body read whole, fixed-length or chunked, within
                      `KAM_BODY_READ_TIMEOUT` and 1 MiB; JSON for a body (400, 408, 413, 414, 415)
    3. key or session `Authorization: Bearer <key>`, or a person's session cookie, whose every
                      change carries its CSRF token (401, 403); failed checks throttled per
                      client address (429). `/healthz`, `/readyz` and the docs page
                      `/api/v1/docs` need none, `/metrics` and `/internal/events` (the
                      services' events, for webhooks) the internal token. Web pages (`web/`,
                      every path outside `/api/v1`) take the session here too, and make their
                      API calls through steps 4 and 6 as the signed-in person
                      (`Gateway.subcall`).
                      A public route of the table (a campaign's tracking link, `/t/...`)
                      needs no key: its caller is `PUBLIC_CALLER`, with no role and no budget.
    4. route, role    the route table (404, 405; a path id with a NUL byte 404), the key's role
       and scope      (403), a partner's accounts in the path (404) and in the body (403, 422)
    5. rate limit     the key's budget by role; a batch of N events costs N (429)
    6. forward or     the service that owns the route (`forward.py`), or the gateway's own
       local handler  operation (`api/`), a plain handler that checks none of the above again
    7. answer         request id, `X-Gateway-Latency`, `X-Content-Type-Options`, `Cache-Control`;
                      metrics and one access line

`Gateway.__call__` runs them; each step is the method named after it, below in the same order.
A refusal at any step is raised (`Refusal`, or a domain or service error) and becomes a problem
in `problem()`, the only place that words one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import marshmallow as ma
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from kam_common.audit import acting, init_audit
from kam_common.db import Database
from kam_common.errors import AppError
from kam_common.integration import EVENTS_PATH
from kam_common.metrics import METRICS_PATH, make_metrics
from kam_common.problems import PROBLEM_CONTENT_TYPE, flatten_errors, problem_document
from kam_common.requestlog import log_access, request_id_from
from kam_common.tabular import CSV_TYPE, MAX_UPLOAD_BYTES
from kam_common.web import MAX_BODY_BYTES, unusable_path_value
from kam_gateway.access import (
    PUBLIC_CALLER,
    Caller,
    Denied,
    Match,
    actor_of,
    authorize,
    check_body,
    needs_body,
)
from kam_gateway.api import OPERATIONS, TAGS
from kam_gateway.api.inbox import receive_events
from kam_gateway.config import SERVICES
from kam_gateway.docs_page import DOCS_PATH, docs_answer, is_docs_path
from kam_gateway.exchange import Answer, Call, Refusal, json_answer
from kam_gateway.forward import BODY_METHODS, forward
from kam_gateway.keycache import KeyCache
from kam_gateway.keys import ensure_bootstrap_key
from kam_gateway.models import audit_entries
from kam_gateway.people import Signed, ensure_bootstrap_admin, session_caller
from kam_gateway.ratelimit import FailedKeyChecks, KeyLimits, open_storage
from kam_gateway.route_table import ROUTES
from kam_gateway.spec_source import PublicSpec, own_spec
from kam_gateway.upstream import Upstreams
from kam_gateway.web import MULTIPART, SESSION_COOKIE, UPLOAD_PAGES, WebApp

log = logging.getLogger("kam.gateway")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

API_PREFIX = "/api/v1"
OPEN_PATHS = ("/healthz", "/readyz")
MAX_TARGET_BYTES = 4094  # what the services' servers accept in a request line, less the verb
LATENCY_HEADER = "X-Gateway-Latency"
READS = frozenset({"GET", "HEAD"})
FORM = "application/x-www-form-urlencoded"


class ClientGone(Exception):
    """The client left before its request arrived whole: nobody to answer."""


class Gateway:
    """The gateway as an ASGI app, with the parts its steps use (one set per process)."""

    def __init__(self, settings: dict[str, Any]):
        self.settings = settings
        self.db = Database(settings["DATABASE_URL"])
        init_audit(self.db, audit_entries)
        self.keys = KeyCache(self.db.engine)
        self.table = ROUTES
        self.operations = OPERATIONS
        self.upstreams = Upstreams(settings, SERVICES)
        storage = open_storage(settings["RATE_LIMIT_STORAGE"])
        self.limits = KeyLimits(settings["RATE_LIMITS"], storage)
        self.failed_checks = FailedKeyChecks(settings["FAILED_KEY_CHECK_LIMIT"], storage)
        self.metrics = make_metrics()
        self.spec = PublicSpec(
            own_spec(OPERATIONS.values(), TAGS), ROUTES, settings["OPENAPI_CACHE_SECONDS"]
        )
        self.body_timeout = settings["BODY_READ_TIMEOUT"]
        if settings.get("BOOTSTRAP_ADMIN_KEY"):
            ensure_bootstrap_key(self.db, settings["BOOTSTRAP_ADMIN_KEY"])
        if settings.get("BOOTSTRAP_ADMIN_PERSON"):
            ensure_bootstrap_admin(self.db, *settings["BOOTSTRAP_ADMIN_PERSON"])
        self.signin_accounts = FailedKeyChecks(
            settings.get("SIGNIN_LIMIT_ACCOUNT", "10/15 minutes"), storage, "kam-signin-account"
        )
        self.signin_addresses = FailedKeyChecks(
            settings.get("SIGNIN_LIMIT_ADDRESS", "50/15 minutes"), storage, "kam-signin-address"
        )
        self.web = WebApp(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here
        client = scope.get("client")
        call = Call(
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            client=client[0] if client else "",
            scheme=scope.get("scheme", "http"),
        )
        call.request_id = request_id_from(call.header("x-request-id"))  # 1. request id
        try:
            answer = await self.serve(call, receive)
        except ClientGone:
            answer = None
        except Exception as exc:  # noqa: BLE001 - every refusal, and our faults, become problems
            answer = self.problem(call, exc)
        await self.answer(call, answer, send)

    async def serve(self, call: Call, receive: Receive) -> Answer:
        await self.read_body(call, receive)  # 2. framing and size
        if call.path in OPEN_PATHS:
            if call.method not in ("GET", "HEAD"):
                raise Refusal(405, "This method is not allowed here.", headers={"Allow": "GET"})
            return await self.operations[("GET", call.path)].run(call, self)
        if is_docs_path(call.path):  # the interactive docs: a page, no key (its calls send one)
            return docs_answer(call.method, call.path)
        if call.path == METRICS_PATH:
            self.check_internal_token(call)
            return Answer(200, self.metrics.scrape(), [("Content-Type", CONTENT_TYPE_LATEST)])
        if call.path == EVENTS_PATH:  # the services' relays, for webhooks
            self.check_internal_token(call)
            return await receive_events(call, self)
        public = self.table.is_public(call.method, call.path)
        if not public and not call.path.startswith(API_PREFIX):
            return await self.web.serve(call)  # pages: 3. session, then 4. and 6. per API call
        call.caller = PUBLIC_CALLER if public else await self.identify(call)  # 3. key or session
        self.route(call)  # 4. route, role and scope
        if public:
            return await self.dispatch(call)  # 6. no key, so no key's budget to spend
        if self.limits.remote and call.method in READS:
            # A read is forwarded while its count is taken (a Redis round trip): if the count
            # refuses it, the 429 is the answer and the service's is dropped.
            return await _alongside(self.spend(call), self.dispatch(call))  # 5. and 6.
        await self.spend(call)  # 5. rate limit
        return await self.dispatch(call)  # 6. forward or local handler

    # 2. Framing and size -------------------------------------------------------------------

    async def read_body(self, call: Call, receive: Receive) -> None:
        """The whole body, however it is framed, or a refusal; the wait is bounded, so a slow
        or half-sent body costs its own connection and nothing else."""
        if len(call.path) + len(call.query) > MAX_TARGET_BYTES:
            raise Refusal(414, f"The request target is longer than {MAX_TARGET_BYTES} bytes.")
        lengths = call.header_values("content-length")
        chunked = call.header("transfer-encoding") is not None
        if len(set(lengths)) > 1 or (lengths and chunked) or not all(n.isdigit() for n in lengths):
            raise _closing(400, "Send one Content-Length or Transfer-Encoding: chunked.")
        declared = int(lengths[0]) if lengths else 0
        found = self.table.match(call.method, call.path) if call.method in BODY_METHODS else None
        bulk = isinstance(found, Match) and found.rule.bulk
        # A page's form with a file (the import page) is multipart, and as large as a file.
        page_upload = call.method == "POST" and call.path in UPLOAD_PAGES
        bulk = bulk or page_upload
        limit, too_large = MAX_BODY_BYTES, "The request body is larger than the 1 MiB limit."
        if bulk:
            limit = MAX_UPLOAD_BYTES
            too_large = f"The file is larger than the {MAX_UPLOAD_BYTES >> 20} MiB limit."
        if declared > limit:
            raise _closing(413, too_large)
        if call.method in BODY_METHODS:
            mimetype = (call.header("content-type") or "").partition(";")[0].strip().lower()
            if page_upload:
                if mimetype != MULTIPART:
                    raise _closing(415, f"Send the form as {MULTIPART} (got {mimetype or 'none'}).")
            elif bulk:
                if mimetype != CSV_TYPE:
                    got = mimetype or "none"
                    raise _closing(415, f"Send the file with Content-Type: {CSV_TYPE} (got {got}).")
            elif (chunked or declared or mimetype) and not (
                mimetype == "application/json"
                or mimetype.endswith("+json")
                or (mimetype == FORM and not call.path.startswith(API_PREFIX))  # a page's form
            ):
                got = mimetype or "none"
                raise _closing(415, f"Send JSON with Content-Type: application/json (got {got}).")
        if not (chunked or declared):
            return
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ClientGone()
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise _closing(413, too_large)
                    chunks.append(chunk)
                    if not message.get("more_body"):
                        break
        except TimeoutError:
            raise _closing(
                408, f"The request body did not arrive within {self.body_timeout:g} s."
            ) from None
        call.body = b"".join(chunks)

    # 3. Key or session ---------------------------------------------------------------------

    async def identify(self, call: Call) -> Caller:
        """The key the call is made with, or the person whose session cookie it carries: a
        caller of the same kind either way (one authorization table)."""
        values = call.header_values("authorization")
        if len(values) > 1:
            raise _unauthorized("Send one Authorization header.", error="invalid_request")
        if not values and call.cookie(SESSION_COOKIE) is not None:
            signed = await self.session_of(call)
            if signed is None:
                raise _unauthorized("Your session has ended; sign in again.")
            if call.method not in READS and not _same_token(
                call.header("x-csrf-token"), signed.csrf_token
            ):
                raise Refusal(403, "A change made with a session must carry its X-CSRF-Token.")
            return signed.caller
        secret = _bearer_secret(values[0] if values else None)
        if secret is None:
            raise _unauthorized("Send an API key: Authorization: Bearer <key>.")
        wait = self.failed_checks.blocked(call.client)
        if wait is not None and not self.keys.remembers(secret):
            detail = f"Too many failed key checks from this address; retry in {wait} s."
            raise Refusal(429, detail, headers={"Retry-After": str(wait)})
        caller = await self.keys.lookup(secret)
        if caller is None:
            await self.failed_checks.failed(call.client)
            raise _unauthorized("This API key is unknown or revoked.", error="invalid_token")
        return caller

    async def session_of(self, call: Call) -> Signed | None:
        """The live session of the call's cookie, or None (no cookie, ended, expired)."""
        token = call.cookie(SESSION_COOKIE)
        if not token:
            return None
        return await asyncio.to_thread(session_caller, self.db.engine, token)

    def check_internal_token(self, call: Call) -> None:
        given = (call.header("x-internal-token") or "").encode()
        if not hmac.compare_digest(given, self.settings["INTERNAL_TOKEN"].encode()):
            raise Refusal(401, "This path needs the internal token (X-Internal-Token).")

    # 4. Route, role and scope --------------------------------------------------------------

    def route(self, call: Call) -> None:
        found = self.table.match(call.method, call.path)
        if isinstance(found, Denied):
            raise _denied(found)
        if any(unusable_path_value(value) for value in found.params.values()):
            raise Refusal(404, "No such resource.")  # an id no row can have (a NUL byte)
        call.match = found
        caller = call.caller
        assert caller is not None  # noqa: S101 - the key step ran
        refusal = authorize(caller, found)
        if refusal is None and needs_body(caller, found.rule):
            # Malformed JSON passes through: the service answers it with its own 400.
            refusal = check_body(caller, found.rule, call.json_or_none())
        if refusal is not None:
            raise _denied(refusal)

    async def subcall(
        self,
        parent: Call,
        method: str,
        path: str,
        query: str = "",
        body: Any = None,
        file: tuple[bytes, str] | None = None,
    ) -> tuple[int, Any]:
        """An API call made by a page for its signed-in person: the route table's checks (4),
        then the service or the gateway's own operation (6), as if the person had called.
        Returns the status and the JSON answer (a problem document for a refusal)."""
        call = Call(
            method=method,
            path=path,
            query=query,
            headers=[
                ("content-type", file[1] if file is not None else "application/json"),
                ("accept", "application/json"),
            ],
            client=parent.client,
            scheme=parent.scheme,
            request_id=parent.request_id,
            parent=parent,
        )
        call.caller = parent.caller
        if body is not None:
            call.body = json.dumps(body).encode()
        if file is not None:  # a file, not JSON: its bytes and media type
            call.body = file[0]
        try:
            self.route(call)
            answer = await self.dispatch(call)
        except Exception as exc:  # noqa: BLE001 - a refusal is an answer the page shows
            answer = self.problem(call, exc)
        if not answer.body:
            return answer.status, None
        try:
            return answer.status, json.loads(answer.body)
        except ValueError:
            return answer.status, None

    # 5. Rate limit -------------------------------------------------------------------------

    async def spend(self, call: Call) -> None:
        if not self.settings["RATE_LIMIT_ENABLED"]:
            return
        assert call.match is not None  # noqa: S101 - the route step ran
        cost = 1
        if call.match.rule.counts_items:
            body = call.json_or_none()
            items = body.get(call.match.rule.counts_items) if isinstance(body, dict) else None
            cost = max(1, len(items)) if isinstance(items, list) else 1
        assert call.caller is not None  # noqa: S101 - the key step ran
        verdict = await self.limits.spend(call.caller, cost)
        if verdict is None:
            return
        if not verdict.allowed:
            raise Refusal(429, verdict.detail(), headers=dict(verdict.headers()))
        call.more_headers += verdict.headers()

    async def spend_page(self, call: Call) -> None:
        """A page costs its person one unit of their role's budget, whatever API calls it makes."""
        if not self.settings["RATE_LIMIT_ENABLED"] or call.caller is None:
            return
        verdict = await self.limits.spend(call.caller, 1)
        if verdict is not None and not verdict.allowed:
            raise Refusal(429, verdict.detail(), headers=dict(verdict.headers()))

    # 6. Forward or local handler -----------------------------------------------------------

    async def dispatch(self, call: Call) -> Answer:
        assert call.match is not None  # noqa: S101 - the route step ran
        rule = call.match.rule
        if rule.service == "gateway":
            caller = call.caller
            assert caller is not None  # noqa: S101 - the key step ran
            # The gateway's own changes (keys, people, webhooks) are audited as the caller's.
            with acting(actor_of(caller), call.request_id):
                return await self.operations[(rule.method, rule.pattern)].run(call, self)
        timeout = self.settings.get("BULK_READ_TIMEOUT") if rule.bulk else None
        return await forward(call, self.upstreams[rule.service], timeout)

    # 7. Answer, metrics and the access line ------------------------------------------------

    async def answer(self, call: Call, answer: Answer | None, send: Send) -> None:
        spent = time.perf_counter() - call.started
        status = answer.status if answer is not None else 499  # the client went away
        if answer is not None:
            headers = [
                *answer.headers,
                *call.more_headers,
                ("X-Request-ID", call.request_id),
                (LATENCY_HEADER, f"{max(spent - call.waited, 0.0) * 1000:.2f}"),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Length", str(len(answer.body))),
            ]
            if call.path.startswith(API_PREFIX):
                # Per-key answers, some with secrets in them: no cache may keep any.
                headers.append(("Cache-Control", "no-store"))
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                }
            )
            await send({"type": "http.response.body", "body": answer.body})
        if call.path != METRICS_PATH:
            route = call.match.rule.metrics_route if call.match is not None else "unmatched"
            if call.path in OPEN_PATHS:
                route = call.path
            elif is_docs_path(call.path):
                route = DOCS_PATH
            self.metrics.observe(call.method, route, status, spent)
        log_access(call.method, call.path, status, spent, call.request_id)

    def problem(self, call: Call, exc: Exception) -> Answer:
        """Every refusal as RFC 9457 problem details: the one place that words them."""
        headers: dict[str, str] = {}
        errors = extra = None
        if isinstance(exc, Refusal):  # the gateway's own, and a service's failure to answer
            status, detail, errors, extra = exc.status, exc.detail, exc.errors, exc.extra
            headers = exc.headers
        elif isinstance(exc, AppError):
            status, detail, errors = exc.status, exc.detail, exc.errors
            service = getattr(exc, "service", None)
            extra = {"service": service} if service else None
        elif isinstance(exc, ma.ValidationError):
            errors = flatten_errors(exc.messages)
            status, detail = 422, f"Invalid input: {', '.join(sorted(errors))}."
        elif isinstance(exc, SQLAlchemyError):
            log.error("database unavailable: %s", exc, extra={"request_id": call.request_id})
            status, detail = 503, "The database is busy or unavailable; retry shortly."
            headers["Retry-After"] = "1"
        else:
            log.exception("unhandled error", extra={"request_id": call.request_id})
            status, detail = 500, "An unexpected error occurred; it has been logged."
        document = problem_document(
            status, detail, request_id=call.request_id, errors=errors, extra=extra
        )
        answer = json_answer(status, document, list(headers.items()))
        answer.headers[0] = ("Content-Type", PROBLEM_CONTENT_TYPE)
        return answer

    # The process's life --------------------------------------------------------------------

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def close(self) -> None:
        await self.upstreams.close()
        self.db.engine.dispose()


async def _alongside(check: Awaitable[None], work: Awaitable[Answer]) -> Answer:
    """`work`'s answer, unless `check` (run at the same time) refuses: then its refusal. The
    work starts first, so its request leaves before the check's."""
    working = asyncio.ensure_future(work)
    checking = asyncio.ensure_future(check)
    await asyncio.wait((checking, working), return_when=asyncio.FIRST_COMPLETED)
    if checking.done() and checking.exception() is not None:
        working.cancel()
    try:
        await checking
    except BaseException:
        with contextlib.suppress(BaseException):
            await working  # cancelled, or failed: either way not the answer
        raise
    return await working


def _same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _bearer_secret(header: str | None) -> str | None:
    scheme, _, secret = (header or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 512:
        return None
    return secret


def _unauthorized(detail: str, *, error: str | None = None) -> Refusal:
    challenge = 'Bearer realm="kam"' + (f', error="{error}"' if error else "")
    return Refusal(401, detail, headers={"WWW-Authenticate": challenge})


def _denied(denied: Denied) -> Refusal:
    headers = {"Allow": ", ".join(denied.allow)} if denied.allow else None
    return Refusal(denied.status, denied.detail, errors=denied.errors, headers=headers)


def _closing(status: int, detail: str) -> Refusal:
    """A refusal after which the connection is closed: the rest of the body is not read."""
    return Refusal(status, detail, headers={"Connection": "close"})
