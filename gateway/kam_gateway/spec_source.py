"""Fetching the services' OpenAPI documents and keeping the merged one for a while."""

from __future__ import annotations

import time
from typing import Any

import requests

from kam_gateway.access import Denied, RouteTable
from kam_gateway.openapi import Spec, merge_specs
from kam_gateway.state import GatewayState
from kam_gateway.upstream import Upstream, UpstreamError

SPEC_TIMEOUT = (1.0, 5.0)


def fetch_spec(upstream: Upstream) -> dict[str, Any] | None:
    """Through the breaker: a service known to be down costs nothing here."""
    try:
        answer = upstream.get("/openapi.json", timeout=SPEC_TIMEOUT)
        if answer.status_code != 200:
            return None
        spec = answer.json()
    except (UpstreamError, requests.RequestException, ValueError):
        return None
    return spec if isinstance(spec, dict) else None


def public_spec(state: GatewayState, own: Spec, table: RouteTable) -> Spec:
    """The merged document; cached only when complete, so a degraded one is retried."""
    cached = state.spec_cache.get("doc")
    if cached is not None and state.spec_cache["expires"] > time.monotonic():
        return cached  # type: ignore[no-any-return]
    futures = {
        name: state.executor.submit(fetch_spec, upstream)
        for name, upstream in state.upstreams.items()
    }
    specs = {name: future.result() for name, future in futures.items()}

    def is_public(method: str, path: str) -> bool:
        return not isinstance(table.match(method, path), Denied)

    doc = merge_specs(own, specs, is_public)
    if "x-degraded" not in doc:
        state.spec_cache.update(
            doc=doc, expires=time.monotonic() + state.settings["OPENAPI_CACHE_SECONDS"]
        )
    return doc
