"""The OpenAPI document: the gateway's own operations described from their declarations, the
services' documents fetched through their guards, the merge kept for a while."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from kam_common.openapi_shapes import tidy
from kam_common.web import (
    HouseConventionsPlugin,
    register_header_parameters,
    register_problem_responses,
    schema_name_resolver,
)
from kam_gateway.access import Denied, RouteTable
from kam_gateway.openapi import Spec, merge_specs
from kam_gateway.operations import Operation
from kam_gateway.upstream import Upstream, UpstreamError

SPEC_READ_TIMEOUT = 5.0
DESCRIPTION = "Key-account relationship management, public API v1."


def own_spec(operations: Iterable[Operation], tags: Mapping[str, str]) -> Spec:
    """The gateway's own part, in the house conventions every app's document follows."""
    spec = APISpec(
        title="KAM API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={"description": DESCRIPTION},
        plugins=[
            MarshmallowPlugin(schema_name_resolver),
            HouseConventionsPlugin(
                guarded=lambda path: path.startswith("/api/"), auth_statuses=(401, 403)
            ),
        ],
    )
    register_problem_responses(spec)
    register_header_parameters(spec)
    for name, description in tags.items():
        spec.tag({"name": name, "description": description})
    by_path: dict[str, dict[str, Any]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, {})[operation.method.lower()] = operation.openapi()
    for path, methods in by_path.items():
        spec.path(path=path, operations=methods)
    return tidy(spec.to_dict())


async def fetch_spec(upstream: Upstream) -> dict[str, Any] | None:
    """Through the breaker: a service known to be down costs nothing here."""
    try:
        answer = await upstream.call("GET", "/openapi.json", {}, read_timeout=SPEC_READ_TIMEOUT)
        spec = answer.json() if answer.status == 200 else None
    except (UpstreamError, ValueError):
        return None
    return spec if isinstance(spec, dict) else None


class PublicSpec:
    """The merged document; kept `cache_seconds` when complete, so a degraded one is retried."""

    def __init__(self, own: Spec, table: RouteTable, cache_seconds: float):
        self.own = own
        self.table = table
        self.cache_seconds = cache_seconds
        self._doc: Spec | None = None
        self._expires = 0.0

    async def document(self, upstreams: Mapping[str, Upstream]) -> Spec:
        if self._doc is not None and self._expires > time.monotonic():
            return self._doc
        fetched = await asyncio.gather(*(fetch_spec(u) for u in upstreams.values()))
        specs = dict(zip(upstreams, fetched, strict=True))

        def is_public(method: str, path: str) -> bool:
            return not isinstance(self.table.match(method, path), Denied)

        doc = merge_specs(self.own, specs, is_public)
        if "x-degraded" not in doc:
            self._doc, self._expires = doc, time.monotonic() + self.cache_seconds
        return doc
