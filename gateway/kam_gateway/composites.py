"""Composite reads: one client call answered from several services in parallel.

The account itself is essential (its failure fails the call); the other parts are optional:
when their service is down, slow or answers an error, the part is null and the service is
named in `degraded`.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any
from urllib.parse import quote

import requests
from flask import Response

from kam_common.requestlog import REQUEST_ID_HEADER
from kam_gateway.access import Caller
from kam_gateway.proxy import identity_headers, relay, upstream_failure
from kam_gateway.state import GatewayState


def account_overview(
    state: GatewayState, caller: Caller, account_id: str, request_id: str | None
) -> dict[str, Any] | Response:
    acc = "/api/v1/accounts/" + quote(account_id, safe="")
    calls = {
        "account": ("accounts", acc),
        "contacts": ("accounts", acc + "/contacts?per_page=100"),
        "health": ("health", "/api/v1/health/accounts/" + quote(account_id, safe="")),
        "agreement": (
            "offerings",
            f"/api/v1/offerings/agreements?account_id={quote(account_id, safe='')}&status=active",
        ),
    }
    if not caller.is_partner:  # our own account team is not the client's business
        calls["team"] = ("accounts", acc + "/team?per_page=100")
    headers = identity_headers(caller)
    if request_id:
        # Worker threads have no request context, so the request id is passed explicitly.
        headers[REQUEST_ID_HEADER] = request_id
    optional_timeout = (
        state.settings["UPSTREAM_CONNECT_TIMEOUT"],
        state.settings["COMPOSITE_READ_TIMEOUT"],
    )
    futures: dict[str, Future[requests.Response]] = {
        part: state.executor.submit(
            state.clients[service].get,
            path,
            headers=headers,
            **({} if part == "account" else {"timeout": optional_timeout}),
        )
        for part, (service, path) in calls.items()
    }

    try:
        account = futures["account"].result()
    except requests.RequestException as exc:
        return upstream_failure("accounts", exc)
    if account.status_code != 200:
        return relay(state.clients["accounts"], account)  # 404 and the like, as the service said

    result: dict[str, Any] = {"account": account.json()}
    degraded: list[str] = []
    for part in ("contacts", "team", "health", "agreement"):
        if part not in futures:
            continue
        service = calls[part][0]
        body = _json_or_none(futures[part])
        if body is None:
            result[part] = None
            if service not in degraded:
                degraded.append(service)
        elif part in ("contacts", "team"):
            result[part] = body.get("items", [])
        elif part == "agreement":
            items = body.get("items") or []
            result[part] = items[0] if items else None
        else:
            result[part] = body
    result["degraded"] = degraded
    return result


def _json_or_none(future: Future[requests.Response]) -> dict[str, Any] | None:
    try:
        answer = future.result()
        if not 200 <= answer.status_code < 300:
            return None
        body = answer.json()
    except (requests.RequestException, ValueError):
        return None
    return body if isinstance(body, dict) else None
