"""Forwarding a client's call to the service that owns the path, unchanged.

The service sees the same path and query, the headers it needs (content type, preconditions,
idempotency, request id) and who is calling (key id, role, partner scope); the client sees the
service's status, body and the headers that matter to it. A service that is down or slow is a
503/504 problem naming it (see `upstream.py` for timeouts, retry, breaker and bulkhead).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from flask import Response, request

from kam_common.http import Reply
from kam_common.scope import (
    CLIENT_HEADER,
    CLIENT_NAME_HEADER,
    ROLE_HEADER,
    SCOPE_HEADER,
    encode_name,
)
from kam_gateway.access import Caller
from kam_gateway.upstream import Upstream, UpstreamError, add_wait

FORWARDED_REQUEST_HEADERS = ("Content-Type", "If-Match", "Idempotency-Key", "Accept")
RETURNED_HEADERS = ("Location", "Retry-After", "Idempotent-Replayed", "ETag")
# Characters that stay as they are when a decoded path is put back on the wire.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def identity_headers(caller: Caller) -> dict[str, str]:
    """Who is calling, for the service. Only partner keys carry a scope (none = everything)."""
    headers = {
        CLIENT_HEADER: caller.key_id,
        ROLE_HEADER: caller.role,
        # The key's name, so a service can say who reported something (any script: encoded).
        CLIENT_NAME_HEADER: encode_name(caller.name),
    }
    if caller.is_partner:
        headers[SCOPE_HEADER] = ",".join(caller.account_ids)
    return headers


def forward_headers(header: Callable[[str], str | None], caller: Caller) -> dict[str, str]:
    """The client's headers a service needs, plus who is calling. `header(name)` reads one."""
    headers = {
        name: value for name in FORWARDED_REQUEST_HEADERS if (value := header(name)) is not None
    }
    headers.update(identity_headers(caller))
    return headers


def upstream_target(path: str, query: str) -> str:
    """The decoded path put back on the wire, with the query string as the client sent it."""
    target = quote(path, safe=_PATH_SAFE)
    return f"{target}?{query}" if query else target


def relayed_headers(upstream: Upstream, answer: Reply) -> list[tuple[str, str]]:
    """The service's headers that matter to the client, `Location` made gateway-relative."""
    headers = []
    content_type = answer.headers.get("Content-Type")
    if content_type:
        headers.append(("Content-Type", content_type))
    base_url = upstream.client.base_url
    for name in RETURNED_HEADERS:
        value = answer.headers.get(name)
        if value is not None:
            if name == "Location" and value.startswith(base_url):
                value = value[len(base_url) :] or "/"  # the client only knows the gateway
            headers.append((name, value))
    return headers


def forward(upstream: Upstream, caller: Caller) -> Response:
    """The Flask path's forwarding (HEAD, and whatever the fast path leaves to Flask)."""
    headers = forward_headers(request.headers.get, caller)
    target = upstream_target(request.path, request.query_string.decode("latin-1"))
    body = request.get_data() or None
    started = time.perf_counter()
    try:
        with upstream.slot():
            answer = upstream.call(request.method, target, headers=headers, data=body)
    except UpstreamError as failure:
        return failure.response()
    finally:
        add_wait(time.perf_counter() - started)
    return relay(upstream, answer)


def relay(upstream: Upstream, answer: Reply) -> Response:
    """A service's answer as the Flask response to the client."""
    response = Response(answer.content, status=answer.status_code)
    del response.headers["Content-Type"]
    for name, value in relayed_headers(upstream, answer):
        response.headers[name] = value
    return response
