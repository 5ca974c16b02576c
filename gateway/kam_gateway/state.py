"""What one gateway process keeps between requests: guarded service clients and a thread pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from kam_gateway.upstream import Upstream


@dataclass
class GatewayState:
    upstreams: dict[str, Upstream]
    # Fan-out for composites, readiness and spec fetching: parallel calls, bounded threads.
    executor: ThreadPoolExecutor
    settings: dict[str, Any]
    spec_cache: dict[str, Any] = field(default_factory=dict)


def gateway_state() -> GatewayState:
    state: GatewayState = current_app.extensions["kam_gateway"]
    return state
