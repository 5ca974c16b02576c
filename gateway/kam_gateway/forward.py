"""Forwarding a client's call to the service that owns the path, unchanged.

The service sees the same path and query, the headers it needs (content type, preconditions,
idempotency, request id) and who is calling (key or person: its type, id and name, role,
partner scope); the client sees the service's status, body and the headers that matter to it.
A service's error page that is not JSON (a server's HTML 414 or 431) becomes a problem like
every other refusal.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

from kam_common.scope import (
    CLIENT_HEADER,
    CLIENT_NAME_HEADER,
    CLIENT_TYPE_HEADER,
    ROLE_HEADER,
    SCOPE_HEADER,
    encode_name,
)
from kam_gateway.access import Caller
from kam_gateway.exchange import Answer, Call, Refusal
from kam_gateway.upstream import Reply, Upstream

FORWARDED_REQUEST_HEADERS = ("Content-Type", "If-Match", "Idempotency-Key", "Accept")
RETURNED_HEADERS = (
    "Location", "Retry-After", "Idempotent-Replayed", "ETag", "Content-Disposition",
)  # fmt: skip
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Characters that stay as they are when a decoded path is put back on the wire.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_WIRE_SAFE = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=\-._~]*")


def identity_headers(caller: Caller, request_id: str) -> dict[str, str]:
    """Who is calling, for the service. Only partner keys carry a scope (none = everything).
    The key's name is UTF-8, percent-encoded (header values are Latin-1)."""
    return {"X-Request-ID": request_id, **_identity(caller)}


@functools.lru_cache(maxsize=10_000)
def _identity(caller: Caller) -> dict[str, str]:
    """A key's part of the headers, the same on each of its calls (read-only: copied above)."""
    headers = {
        CLIENT_HEADER: caller.key_id,
        CLIENT_NAME_HEADER: encode_name(caller.name),
        ROLE_HEADER: caller.role,
        CLIENT_TYPE_HEADER: caller.kind,
    }
    if caller.is_partner:
        headers[SCOPE_HEADER] = ",".join(caller.account_ids)
    return headers


def upstream_target(path: str, query: str) -> str:
    """The decoded path put back on the wire, with the query string as the client sent it."""
    target = path if _WIRE_SAFE.fullmatch(path) else quote(path, safe=_PATH_SAFE)
    return f"{target}?{query}" if query else target


async def forward(call: Call, upstream: Upstream, read_timeout: float | None = None) -> Answer:
    assert call.caller is not None  # noqa: S101 - the key step ran
    headers = identity_headers(call.caller, call.request_id)
    for name in FORWARDED_REQUEST_HEADERS:
        value = call.header(name.lower())
        if value is not None:
            headers[name] = value
    body = call.body if call.method in BODY_METHODS else None
    async with call.waiting():
        reply = await upstream.call(
            call.method,
            upstream_target(call.path, call.query),
            headers,
            body,
            read_timeout=read_timeout,
        )
    return relay(upstream, reply)


def relay(upstream: Upstream, reply: Reply) -> Answer:
    """A service's answer as the client's, `Location` made gateway-relative."""
    content_type = reply.headers.get("Content-Type", "")
    if reply.status >= 400 and "json" not in content_type:
        # A server's own error page (HTML, plain text): its words are not for clients.
        raise Refusal(reply.status, f"The {upstream.name} service refused the request.")
    headers = [("Content-Type", content_type)] if content_type else []
    for name in RETURNED_HEADERS:
        value = reply.headers.get(name)
        if value is not None:
            if name == "Location" and value.startswith(upstream.base_url):
                value = value[len(upstream.base_url) :] or "/"  # the client only knows us
            headers.append((name, value))
    return Answer(reply.status, reply.content, headers)
