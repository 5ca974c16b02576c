"""Forwarding a client's call to the service that owns the path, unchanged.

The service sees the same path and query, the headers it needs (content type, preconditions,
idempotency, request id) and who is calling (key id, role, partner scope); the client sees the
service's status, body and the headers that matter to it. A service that is down or slow is a
503/504 problem naming it (see `upstream.py` for timeouts, retry, breaker and bulkhead).
"""

from __future__ import annotations

import time
from urllib.parse import quote

import requests
from flask import Response, request

from kam_common.scope import CLIENT_HEADER, ROLE_HEADER, SCOPE_HEADER
from kam_gateway.access import Caller
from kam_gateway.upstream import Upstream, UpstreamError, add_wait

FORWARDED_REQUEST_HEADERS = ("Content-Type", "If-Match", "Idempotency-Key", "Accept")
RETURNED_HEADERS = ("Location", "Retry-After", "Idempotent-Replayed", "ETag")
# Characters that stay as they are when a decoded path is put back on the wire.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def identity_headers(caller: Caller) -> dict[str, str]:
    """Who is calling, for the service. Only partner keys carry a scope (none = everything)."""
    headers = {CLIENT_HEADER: caller.key_id, ROLE_HEADER: caller.role}
    if caller.is_partner:
        headers[SCOPE_HEADER] = ",".join(caller.account_ids)
    return headers


def forward(upstream: Upstream, caller: Caller) -> Response:
    headers = {
        name: value
        for name in FORWARDED_REQUEST_HEADERS
        if (value := request.headers.get(name)) is not None
    }
    headers.update(identity_headers(caller))
    target = quote(request.path, safe=_PATH_SAFE)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
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


def relay(upstream: Upstream, answer: requests.Response) -> Response:
    response = Response(answer.content, status=answer.status_code)
    content_type = answer.headers.get("Content-Type")
    if content_type:
        response.headers["Content-Type"] = content_type
    else:
        del response.headers["Content-Type"]
    base_url = upstream.client.base_url
    for name in RETURNED_HEADERS:
        value = answer.headers.get(name)
        if value is not None:
            if name == "Location" and value.startswith(base_url):
                value = value[len(base_url) :] or "/"  # the client only knows the gateway
            response.headers[name] = value
    return response
