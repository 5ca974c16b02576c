"""Account scope of the caller, set by the gateway for partner keys.

The gateway authenticates clients; services trust these headers because only callers holding
the internal token reach them.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

SCOPE_HEADER = "X-KAM-Account-Scope"
CLIENT_HEADER = "X-KAM-Client"
ROLE_HEADER = "X-KAM-Role"


def account_scope() -> frozenset[str] | None:
    """The account ids the caller may see, or None for no restriction (and outside requests:
    the CLI and background work act for the system itself)."""
    if not has_request_context():
        return None
    raw = request.headers.get(SCOPE_HEADER)
    if raw is None:
        return None
    return frozenset(part for part in (p.strip() for p in raw.split(",")) if part)


def in_scope(account_id: str) -> bool:
    scope = account_scope()
    return scope is None or account_id in scope


def client_id() -> str:
    return request.headers.get(CLIENT_HEADER, "internal")


def caller_role() -> str | None:
    return request.headers.get(ROLE_HEADER)


def scoped(stmt: Any, account_column: Any) -> Any:
    """Limit a query to the accounts the caller may see (no limit for unscoped callers)."""
    scope = account_scope()
    return stmt if scope is None else stmt.where(account_column.in_(scope))
