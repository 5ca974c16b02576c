"""The proxied call's fast path: served on the event loop, without Flask's request cycle.

Nearly every call through the gateway is a plain forward: a known key, a route of the table
owned by a service, a role allowed there. Flask's request cycle and a thread per call cost more
than the forward itself, so the gateway's ASGI front (`asgi.py`) serves exactly that case here,
with the same parts: the route table, the key cache, the rate limits, the breakers and timeouts
(`async_upstream.py`), the request id, one access line and the metrics. Everything else goes to
Flask unchanged and is answered there: refusals of any kind (401, 403, 404, 405, 413, 415, 422,
they are rare and Flask words them), body rules, HEAD, chunked bodies, and the gateway's own
routes (keys, composites, OpenAPI, probes). The answer is the same either way; tests compare the
two paths header by header.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kam_common.metrics import HttpMetrics
from kam_common.problems import PROBLEM_CONTENT_TYPE, problem_document
from kam_common.requestlog import REQUEST_ID_HEADER, log_access, request_id_from
from kam_common.web import MAX_BODY_BYTES
from kam_gateway.access import Caller, Denied, Match, RouteTable, authorize, needs_body
from kam_gateway.async_upstream import AsyncUpstream
from kam_gateway.auth import API_PREFIX, bearer_secret
from kam_gateway.keycache import KeyCache
from kam_gateway.latency import HEADER as LATENCY_HEADER
from kam_gateway.proxy import (
    forward_headers,
    relayed_headers,
    upstream_target,
)
from kam_gateway.ratelimit import KeyLimits, Verdict
from kam_gateway.upstream import Upstream, UpstreamError

log = logging.getLogger("kam.gateway.fastpath")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class Plan:
    """A call the fast path will serve: who calls, which route, which service, which body."""

    __slots__ = (
        "caller",
        "headers",
        "length",
        "match",
        "method",
        "path",
        "query",
        "secret",
        "upstream",
    )

    def __init__(
        self,
        method: str,
        path: str,
        match: Match,
        upstream: AsyncUpstream,
        secret: str,
        length: int,
        headers: dict[str, str],
        query: str,
    ):
        self.method = method
        self.path = path
        self.query = query
        self.match = match
        self.upstream = upstream
        self.secret = secret
        self.length = length
        self.headers = headers
        self.caller: Caller | None = None


class FastPath:
    def __init__(
        self,
        *,
        keys: KeyCache,
        table: RouteTable,
        upstreams: Mapping[str, Upstream],
        limits: KeyLimits | None,
        metrics: HttpMetrics,
        max_pending: int,
    ):
        self.keys = keys
        self.table = table
        self.upstreams = {
            name: AsyncUpstream(upstream, max_pending=max_pending)
            for name, upstream in upstreams.items()
        }
        self.limits = limits
        self.metrics = metrics
        # A key lookup or a shared counter that needs a network round trip runs in a thread,
        # so the loop never waits on a database or Redis.
        self.keys_in_loop = keys.sqlite_path is not None
        self.limits_in_loop = limits is None or limits.local

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Serve the call if it is a plain forward; False leaves it, untouched, to Flask."""
        started = time.perf_counter()
        plan = self.plan(scope)
        if plan is None:
            return False
        try:
            if self.keys_in_loop:
                caller = self.keys.lookup(plan.secret)
            else:
                caller = await asyncio.to_thread(self.keys.lookup, plan.secret)
        except Exception:  # noqa: BLE001 - Flask answers a database failure as a 503 problem
            return False
        if caller is None or authorize(caller, plan.match) is not None:
            return False
        if needs_body(caller, plan.match.rule):
            return False
        plan.caller = caller
        request_id = request_id_from(plan.headers.get("x-request-id"))
        try:
            status, headers, body, waited = await self.serve(plan, receive, request_id)
        except ConnectionAbortedError:
            return True  # the client left before its body arrived: nobody to answer
        except Exception:  # noqa: BLE001 - a fault of ours is a 500 problem, never a trace
            log.exception("unhandled error", extra={"request_id": request_id})
            status, headers, body = problem(
                500, "An unexpected error occurred; it has been logged.", request_id
            )
            waited = 0.0
        spent = time.perf_counter() - started
        headers.append((REQUEST_ID_HEADER, request_id))
        headers.append((LATENCY_HEADER, f"{max(spent - waited, 0.0) * 1000:.2f}"))
        headers.append(("Content-Length", str(len(body))))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})
        log_access(plan.method, plan.path, status, spent, request_id)
        self.metrics.observe(plan.method, plan.match.rule.metrics_route, status, spent)
        return True

    def plan(self, scope: Scope) -> Plan | None:
        """The call, when it may be one for the fast path; None sends it to Flask."""
        method = scope.get("method", "")
        path = scope.get("path", "")
        if scope.get("type") != "http" or method not in _METHODS:
            return None
        if not path.startswith(API_PREFIX + "/"):
            return None
        match = self.table.match(method, path)
        if isinstance(match, Denied):
            return None
        upstream = self.upstreams.get(match.rule.service)
        if upstream is None:
            return None
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        length = body_length(headers, method)
        secret = bearer_secret(headers.get("authorization"))
        if length is None or secret is None:
            return None
        query = scope.get("query_string", b"").decode("latin-1")
        return Plan(method, path, match, upstream, secret, length, headers, query)

    async def serve(
        self, plan: Plan, receive: Receive, request_id: str
    ) -> tuple[int, list[tuple[str, str]], bytes, float]:
        """Spend the key's budget, call the service, relay its answer."""
        caller = plan.caller
        assert caller is not None  # noqa: S101 - set by handle()
        rate = None
        if self.limits is not None:
            if self.limits_in_loop:
                rate = self.limits.spend(caller)
            else:
                rate = await asyncio.to_thread(self.limits.spend, caller)
        if rate is not None and not rate.allowed:
            status, headers, body = problem(429, rate.detail(), request_id)
            return status, headers + rate.headers(), body, 0.0
        data = await read_body(receive, plan.length) if plan.length else None
        forwarded = forward_headers(lambda name: plan.headers.get(name.lower()), caller)
        forwarded[REQUEST_ID_HEADER] = request_id
        target = upstream_target(plan.path, plan.query)
        upstream = plan.upstream
        started = time.perf_counter()
        try:
            answer = await upstream.call(plan.method, target, forwarded, data or None)
        except UpstreamError as failure:
            waited = time.perf_counter() - started
            status, headers, body = problem(
                failure.status, failure.detail, request_id, extra={"service": failure.service}
            )
            if failure.retry_after:
                headers.append(("Retry-After", str(failure.retry_after)))
            return status, headers + _rate_headers(rate), body, waited
        waited = time.perf_counter() - started
        relayed = relayed_headers(upstream, answer) + _rate_headers(rate)
        return answer.status_code, relayed, answer.content, waited


def problem(
    status: int, detail: str, request_id: str, extra: Mapping[str, Any] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    document = problem_document(status, detail, request_id=request_id, extra=extra)
    body = json.dumps(document, ensure_ascii=False).encode()
    return status, [("Content-Type", PROBLEM_CONTENT_TYPE)], body


async def read_body(receive: Receive, length: int) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("the client went away")
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)[:length]


def _rate_headers(rate: Verdict | None) -> list[tuple[str, str]]:
    return rate.headers() if rate is not None else []


def body_length(headers: Mapping[str, str], method: str) -> int | None:
    """The body's length when the fast path can take it as it is: a JSON body of a known size
    within the limit on POST/PUT/PATCH, none on other methods. None: let Flask judge it."""
    if "chunked" in headers.get("transfer-encoding", ""):
        return None
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError:
        return None
    mimetype = headers.get("content-type", "").partition(";")[0].strip().lower()
    if method not in _BODY_METHODS:
        return 0 if length == 0 else None
    if length > MAX_BODY_BYTES or length < 0:
        return None
    if (length or mimetype) and not (mimetype == "application/json" or mimetype.endswith("+json")):
        return None
    return length
