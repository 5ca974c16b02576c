"""Composite reads: one client call answered from several services in parallel.

The account's own part is essential: its failure (or its 404) is the answer. The other parts
are optional: when their service is down, slow, busy or answers an error, the part is null (or
missing from the timeline) and the service is named in `degraded`. A part the caller's role may
not read on its own (per the route table) is left out altogether, not degraded.

Every call goes through the service's `Upstream` (breaker, timeouts); each service involved
takes one bulkhead place for the whole composite, so a stalled service cannot hold more of the
gateway's threads through composites than through plain calls, and a service whose breaker is
open costs microseconds here too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from flask import Response

from kam_common.requestlog import REQUEST_ID_HEADER
from kam_gateway.access import ADMIN, Caller, Rule
from kam_gateway.proxy import identity_headers, relay
from kam_gateway.route_table import ACC, ROUTES, H, O
from kam_gateway.state import GatewayState
from kam_gateway.timeline import (
    ACCOUNT_ENTRY_TYPES,
    agreement_entries,
    event_entry,
    merge_newest_first,
)
from kam_gateway.upstream import Upstream, UpstreamError, add_wait

MAX_UPSTREAM_PER_PAGE = 100


def _rule(method: str, pattern: str) -> Rule:
    for rule in ROUTES.rules:
        if rule.method == method and rule.pattern == pattern:
            return rule
    raise LookupError(f"{method} {pattern} is not in the route table")


# The reads each part stands for: a role that may not make the read may not see the part.
CONTACTS = _rule("GET", ACC + "/contacts")
TEAM = _rule("GET", ACC + "/team")
HEALTH_SCORE = _rule("GET", H + "/accounts/{account_id}")
HEALTH_EVENTS = _rule("GET", H + "/events")
AGREEMENTS = _rule("GET", O + "/agreements")


def may_read(caller: Caller, rule: Rule) -> bool:
    return caller.role == ADMIN or caller.role in rule.roles


@dataclass(frozen=True)
class Part:
    service: str
    fetch: Callable[[Upstream], Any]
    essential: bool = False


def fan_out(
    state: GatewayState, parts: dict[str, Part]
) -> tuple[dict[str, Any], list[str], UpstreamError | None]:
    """Run the parts in parallel. Returns each part's result (a value or the exception it
    raised), the services that could not be asked, and the essential part's refusal if any."""
    started = time.perf_counter()
    results: dict[str, Any] = {}
    degraded: list[str] = []
    try:
        with ExitStack() as slots:
            held: set[str] = set()
            for part in sorted(parts.values(), key=lambda p: not p.essential):
                if part.service in held or part.service in degraded:
                    continue
                try:
                    slots.enter_context(state.upstreams[part.service].slot())
                    held.add(part.service)
                except UpstreamError as busy:
                    if part.essential:
                        return results, degraded, busy
                    degraded.append(part.service)
            futures: dict[str, Future[Any]] = {
                name: state.executor.submit(part.fetch, state.upstreams[part.service])
                for name, part in parts.items()
                if part.service in held
            }
            for name, future in futures.items():
                try:
                    results[name] = future.result()
                except Exception as exc:  # noqa: BLE001 - handed to the caller as the part's result
                    results[name] = exc
    finally:
        add_wait(time.perf_counter() - started)
    essential = next((n for n, p in parts.items() if p.essential), None)
    if essential is not None and isinstance(results.get(essential), UpstreamError):
        return results, degraded, results[essential]
    return results, degraded, None


def _headers(caller: Caller, request_id: str | None) -> dict[str, str]:
    headers = identity_headers(caller)
    if request_id:
        # Worker threads have no request context, so the request id is passed explicitly.
        headers[REQUEST_ID_HEADER] = request_id
    return headers


def _get(path: str, headers: dict[str, str], timeout: tuple[float, float] | None = None) -> Any:
    def fetch(upstream: Upstream) -> Any:
        return upstream.get(path, headers=headers, timeout=timeout)

    return fetch


def _json_or_none(result: Any) -> dict[str, Any] | None:
    if isinstance(result, Exception) or not 200 <= result.status_code < 300:
        return None
    try:
        body = result.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _optional_timeout(state: GatewayState) -> tuple[float, float]:
    return (state.settings["UPSTREAM_CONNECT_TIMEOUT"], state.settings["COMPOSITE_READ_TIMEOUT"])


def account_overview(
    state: GatewayState, caller: Caller, account_id: str, request_id: str | None
) -> dict[str, Any] | Response:
    quoted = quote(account_id, safe="")
    acc = "/api/v1/accounts/" + quoted
    headers = _headers(caller, request_id)
    optional = _optional_timeout(state)
    parts = {"account": Part("accounts", _get(acc, headers), essential=True)}
    if may_read(caller, CONTACTS):
        contacts = _get(acc + "/contacts?per_page=100", headers, optional)
        parts["contacts"] = Part("accounts", contacts)
    if may_read(caller, TEAM):  # our own account team is not the client's business
        parts["team"] = Part("accounts", _get(acc + "/team?per_page=100", headers, optional))
    if may_read(caller, HEALTH_SCORE):
        score = _get(f"/api/v1/health/accounts/{quoted}", headers, optional)
        parts["health"] = Part("health", score)
    if may_read(caller, AGREEMENTS):
        path = f"/api/v1/offerings/agreements?account_id={quoted}&status=active&per_page=1"
        parts["agreement"] = Part("offerings", _get(path, headers, optional))

    results, degraded, refusal = fan_out(state, parts)
    if refusal is not None:
        return refusal.response()
    account = results["account"]
    if account.status_code != 200:
        return relay(state.upstreams["accounts"], account)  # 404 and the like, as said

    overview: dict[str, Any] = {"account": account.json()}
    for name in ("contacts", "team", "health", "agreement"):
        if name not in parts:
            continue
        body = _json_or_none(results[name]) if name in results else None
        if body is None:
            overview[name] = None
            if parts[name].service not in degraded:
                degraded.append(parts[name].service)
        elif name in ("contacts", "team"):
            overview[name] = body.get("items", [])
        elif name == "agreement":
            items = body.get("items") or []
            overview[name] = items[0] if items else None
        else:
            overview[name] = body
    overview["degraded"] = degraded
    return overview


@dataclass
class Newest:
    """The newest `depth` items of a paged list, and the list's total."""

    items: list[dict[str, Any]]
    total: int


def _newest(
    path: str, depth: int, headers: dict[str, str], timeout: tuple[float, float] | None
) -> Callable[[Upstream], Newest | Any]:
    """Page through `path` (which already has a query) until `depth` items or the end."""
    per_page = min(depth, MAX_UPSTREAM_PER_PAGE)

    def fetch(upstream: Upstream) -> Newest | Any:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = upstream.get(
                f"{path}&page={page}&per_page={per_page}", headers=headers, timeout=timeout
            )
            if answer.status_code != 200:
                return answer  # the caller decides what a refusal means
            body = answer.json()
            batch = body.get("items") or []
            items.extend(batch)
            total = int(body.get("total", len(items)))
            if len(batch) < per_page or len(items) >= min(depth, total):
                return Newest(items[:depth], total)
            page += 1

    return fetch


def account_timeline(
    state: GatewayState,
    caller: Caller,
    account_id: str,
    request_id: str | None,
    *,
    page: int,
    per_page: int,
    types: frozenset[str],
) -> dict[str, Any] | Response:
    """The accounts service's own timeline merged with health events and agreements.

    To serve page P every source gives its newest P × per_page entries; the merge of those
    holds the newest P × per_page of all of them.
    """
    quoted = quote(account_id, safe="")
    depth = page * per_page
    headers = _headers(caller, request_id)
    optional = _optional_timeout(state)
    own_types = sorted(types & ACCOUNT_ENTRY_TYPES)
    # The accounts call also says whether the account exists (and is in scope): always made.
    query = urlencode([("type", t) for t in own_types]) if own_types else ""
    parts = {
        "accounts": Part(
            "accounts",
            _newest(
                f"/api/v1/accounts/{quoted}/timeline?{query}",
                depth if own_types else 1,
                headers,
                None,
            ),
            essential=True,
        )
    }
    if "health_event" in types and may_read(caller, HEALTH_EVENTS):
        path = f"/api/v1/health/events?account_id={quoted}"
        parts["health"] = Part("health", _newest(path, depth, headers, optional))
    if "agreement" in types and may_read(caller, AGREEMENTS):
        path = f"/api/v1/offerings/agreements?account_id={quoted}"
        parts["offerings"] = Part("offerings", _newest(path, depth, headers, optional))

    results, degraded, refusal = fan_out(state, parts)
    if refusal is not None:
        return refusal.response()
    own = results["accounts"]
    if not isinstance(own, Newest):
        if isinstance(own, Exception):
            raise own
        return relay(state.upstreams["accounts"], own)

    sources: list[list[dict[str, Any]]] = []
    total = 0
    if own_types:
        sources.append(own.items)
        total += own.total
    for name in ("health", "offerings"):
        if name not in parts:
            continue
        fetched = results.get(name)
        if not isinstance(fetched, Newest):
            if name not in degraded:
                degraded.append(name)
            continue
        if name == "health":
            sources.append([event_entry(event) for event in fetched.items])
            total += fetched.total
        else:
            entries, count = agreement_entries(fetched.items, fetched.total)
            sources.append(entries)
            total += count
    merged = merge_newest_first(sources)
    start = (page - 1) * per_page
    return {
        "items": merged[start : start + per_page],
        "total": total,
        "page": page,
        "per_page": per_page,
        "degraded": degraded,
    }
