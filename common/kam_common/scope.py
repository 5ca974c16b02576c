"""The caller of a request, from the identity headers the gateway sets.

The gateway authenticates clients; services trust these headers because only callers holding
the internal token reach them. Routes read them here, once, into a `Caller` for the use case.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from flask import request

from kam_common.concurrency import IF_MATCH_HEADER, Precondition, parse_if_match
from kam_common.context import INTERNAL_CLIENT, Caller

SCOPE_HEADER = "X-KAM-Account-Scope"
CLIENT_HEADER = "X-KAM-Client"
CLIENT_NAME_HEADER = "X-KAM-Client-Name"
ROLE_HEADER = "X-KAM-Role"
# "key" or "user" (a person signed in to the web app); absent means a key.
CLIENT_TYPE_HEADER = "X-KAM-Client-Type"


def encode_name(name: str) -> str:
    """A key's name in any script, carried in a header (HTTP header values are Latin-1)."""
    return quote(name, safe=" ")


def request_caller() -> Caller:
    """Who is calling this request (the system itself when no gateway header says otherwise)."""
    headers = request.headers
    raw_scope = headers.get(SCOPE_HEADER)
    scope = None
    if raw_scope is not None:
        scope = frozenset(part for part in (p.strip() for p in raw_scope.split(",")) if part)
    name = headers.get(CLIENT_NAME_HEADER)
    return Caller(
        client_id=headers.get(CLIENT_HEADER, INTERNAL_CLIENT),
        role=headers.get(ROLE_HEADER),
        name=unquote(name) if name is not None else None,
        scope=scope,
        kind=headers.get(CLIENT_TYPE_HEADER, "key"),
    )


def request_precondition() -> Precondition:
    """The request's `If-Match`, parsed (a malformed one is a 400)."""
    return parse_if_match(request.headers.get(IF_MATCH_HEADER))
