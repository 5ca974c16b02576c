"""Composite reads: one client call answered from several services, their calls run as
concurrent tasks on the event loop.

The account's own part is essential: its failure (or its 404) is the answer. The other parts
are optional: when their service is down, slow, busy or answers an error, the part is null (or
missing from the timeline) and the service is named in `degraded`. A part the caller's role may
not read on its own (per the route table) is left out altogether, not degraded. Every call goes
through the service's `Upstream` (breaker, bulkhead, timeouts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from kam_gateway.access import ADMIN, Caller, Rule
from kam_gateway.exchange import Answer, Call, json_answer
from kam_gateway.forward import identity_headers, relay
from kam_gateway.groups import health_rollup, members_of
from kam_gateway.route_table import ACC, AUDIT, ROUTES, H, O
from kam_gateway.timeline import (
    ACCOUNT_ENTRY_TYPES,
    agreement_entries,
    audit_entry,
    event_entry,
    merge_newest_first,
)
from kam_gateway.upstream import Reply, Upstream

MAX_UPSTREAM_PER_PAGE = 100
# Each service's own audit entries (kam_common.audit), read by the gateway only.
AUDIT_PATH = "/internal/audit"
RATES = "/api/v1/admin/exchange-rates"
# A group's scores are read in one go up to this many accounts (beyond: no score, said so).
MAX_GROUP_SCORES = 1000
Fetch = Callable[[Upstream], Awaitable[Any]]


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
PORTFOLIO = _rule("GET", H + "/portfolio")
AUDIT_TRAIL = _rule("GET", AUDIT)


def may_read(caller: Caller, rule: Rule) -> bool:
    return caller.role == ADMIN or caller.role in rule.roles


@dataclass(frozen=True)
class Part:
    service: str
    fetch: Fetch
    essential: bool = False


async def fan_out(
    call: Call, upstreams: Mapping[str, Upstream], parts: dict[str, Part]
) -> dict[str, Any]:
    """Run the parts concurrently: each one's result, or the exception it raised. The
    essential part's exception (a 503/504 naming its service) is raised."""
    async with call.waiting():
        done = await asyncio.gather(
            *(part.fetch(upstreams[part.service]) for part in parts.values()),
            return_exceptions=True,
        )
    results = dict(zip(parts, done, strict=True))
    for name, part in parts.items():
        if part.essential and isinstance(results[name], BaseException):
            raise results[name]
    return results


def merged_page(
    sources: list[list[dict[str, Any]]],
    *,
    total: int,
    page: int,
    per_page: int,
    degraded: list[str],
) -> Answer:
    """One page of the sources' entries merged newest first, with what is missing."""
    start = (page - 1) * per_page
    items = merge_newest_first(sources)[start : start + per_page]
    page_body = {"items": items, "total": total, "page": page, "per_page": per_page}
    return json_answer(200, {**page_body, "degraded": degraded})


def _get(path: str, headers: dict[str, str], timeout: float | None = None) -> Fetch:
    async def fetch(upstream: Upstream) -> Reply:
        return await upstream.call("GET", path, headers, read_timeout=timeout)

    return fetch


def _json_or_none(result: Any) -> dict[str, Any] | None:
    if not isinstance(result, Reply) or not 200 <= result.status < 300:
        return None
    try:
        body = result.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def account_overview(
    call: Call, upstreams: Mapping[str, Upstream], optional_timeout: float
) -> Answer:
    assert call.caller is not None  # noqa: S101 - the key step ran
    caller = call.caller
    quoted = quote(call.params["account_id"], safe="")
    acc = "/api/v1/accounts/" + quoted
    headers = identity_headers(caller, call.request_id)
    optional = optional_timeout
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

    results = await fan_out(call, upstreams, parts)
    account = results["account"]
    if account.status != 200:
        return relay(upstreams["accounts"], account)  # 404 and the like, as said

    degraded: list[str] = []
    overview: dict[str, Any] = {"account": account.json()}
    for name in ("contacts", "team", "health", "agreement"):
        if name not in parts:
            continue
        body = _json_or_none(results[name])
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
    return json_answer(200, overview)


@dataclass
class Newest:
    """The newest `depth` items of a paged list, and the list's total."""

    items: list[dict[str, Any]]
    total: int


def _newest(path: str, depth: int, headers: dict[str, str], timeout: float | None) -> Fetch:
    """Page through `path` (which already has a query) until `depth` items or the end."""
    per_page = min(depth, MAX_UPSTREAM_PER_PAGE)

    async def fetch(upstream: Upstream) -> Newest | Reply:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = await upstream.call(
                "GET", f"{path}&page={page}&per_page={per_page}", headers, read_timeout=timeout
            )
            if answer.status != 200:
                return answer  # the caller decides what a refusal means
            body = answer.json()
            batch = body.get("items") or []
            items.extend(batch)
            total = int(body.get("total", len(items)))
            if len(batch) < per_page or len(items) >= min(depth, total):
                return Newest(items[:depth], total)
            page += 1

    return fetch


async def account_timeline(
    call: Call,
    upstreams: Mapping[str, Upstream],
    optional_timeout: float,
    *,
    page: int,
    per_page: int,
    types: frozenset[str],
) -> Answer:
    """The accounts service's own timeline merged with health events and agreements.

    To serve page P every source gives its newest P × per_page entries; the merge of those
    holds the newest P × per_page of all of them.
    """
    assert call.caller is not None  # noqa: S101 - the key step ran
    caller = call.caller
    quoted = quote(call.params["account_id"], safe="")
    depth = page * per_page
    headers = identity_headers(caller, call.request_id)
    optional = optional_timeout
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
    audited = "audit" in types and may_read(caller, AUDIT_TRAIL)
    for service in upstreams if audited else ():
        path = f"{AUDIT_PATH}?account_id={quoted}"
        parts[f"audit:{service}"] = Part(service, _newest(path, depth, headers, optional))

    results = await fan_out(call, upstreams, parts)
    own = results["accounts"]
    if not isinstance(own, Newest):
        return relay(upstreams["accounts"], own)

    degraded: list[str] = []
    sources: list[list[dict[str, Any]]] = []
    total = 0
    if own_types:
        sources.append(own.items)
        total += own.total
    for name, part in parts.items():
        if part.essential:
            continue
        fetched = results[name]
        if not isinstance(fetched, Newest):
            if part.service not in degraded:
                degraded.append(part.service)
            continue
        if name.startswith("audit:"):
            sources.append([audit_entry(entry) for entry in fetched.items])
            total += fetched.total
        elif name == "health":
            sources.append([event_entry(event) for event in fetched.items])
            total += fetched.total
        else:
            entries, count = agreement_entries(fetched.items, fetched.total)
            sources.append(entries)
            total += count
    return merged_page(sources, total=total, page=page, per_page=per_page, degraded=degraded)


Own = Callable[[int], Awaitable[Newest]]


async def audit_trail(
    call: Call,
    upstreams: Mapping[str, Upstream],
    optional_timeout: float,
    *,
    own: Own,
    query: str,
    page: int,
    per_page: int,
) -> Answer:
    """Every service's audit entries and the gateway's own (`own(depth)`), newest first.

    Like the timeline: each source gives its newest page × per_page entries matching `query`.
    A service that is down, slow or busy is named in `degraded`; its entries are missing.
    """
    assert call.caller is not None  # noqa: S101 - the key step ran
    depth = page * per_page
    headers = identity_headers(call.caller, call.request_id)
    path = f"{AUDIT_PATH}?{query}" if query else f"{AUDIT_PATH}?"
    parts = {
        name: Part(name, _newest(path, depth, headers, optional_timeout)) for name in upstreams
    }
    mine, results = await asyncio.gather(own(depth), fan_out(call, upstreams, parts))
    sources, degraded = [mine.items], []
    total = mine.total
    for name, fetched in results.items():
        if isinstance(fetched, Newest):
            sources.append(fetched.items)
            total += fetched.total
        else:
            degraded.append(name)
    return merged_page(sources, total=total, page=page, per_page=per_page, degraded=degraded)


async def account_group(
    call: Call, upstreams: Mapping[str, Upstream], optional_timeout: float
) -> Answer:
    """The accounts service's group (essential) with health's score and band of each scored
    member (`health`, by account id) and the roll-up (`kam_gateway.groups`). Health down: no
    scores, no band, and `degraded` names it. The exchange rates are asked for only when the
    group's revenue is in several currencies."""
    assert call.caller is not None  # noqa: S101 - the key step ran
    caller = call.caller
    headers = identity_headers(caller, call.request_id)
    path = f"/internal/groups/{quote(call.params['account_id'], safe='')}"
    async with call.waiting():
        reply = await upstreams["accounts"].call("GET", path, headers)
    if reply.status != 200:
        return relay(upstreams["accounts"], reply)
    group = reply.json()
    members = list(members_of(group["members"]))
    degraded: list[str] = []
    scores: dict[str, dict[str, Any]] = {}
    if may_read(caller, PORTFOLIO):
        root = quote(group["root_id"], safe="")
        depth = min(max(1, len(members)), MAX_GROUP_SCORES)
        portfolio = f"/api/v1/health/portfolio?group_id={root}"
        parts = {"health": Part("health", _newest(portfolio, depth, headers, optional_timeout))}
        fetched = (await fan_out(call, upstreams, parts))["health"]
        if isinstance(fetched, Newest):
            scores = {item["account_id"]: item for item in fetched.items}
        else:
            degraded.append("health")
    rates = None
    if len({m["currency"] for m in members if m["id"] in scores}) > 1:
        parts = {"rates": Part("offerings", _get(RATES, headers, optional_timeout))}
        rates = _json_or_none((await fan_out(call, upstreams, parts))["rates"])
        if rates is None:
            degraded.append("offerings")
    health = {
        m["id"]: {"score": scores[m["id"]]["score"], "band": scores[m["id"]]["band"]}
        for m in members
        if m["id"] in scores
    }
    if "health" in degraded:
        rollup: dict[str, Any] = {"worst_band": None, "revenue_weighted_score": None}
    else:
        rollup = health_rollup(members, scores, rates)
    group["rollup"] = {**group["rollup"], **rollup}
    return json_answer(200, {**group, "health": health, "degraded": degraded})
