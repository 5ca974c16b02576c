"""Readiness: every service answers its /healthz, asked in parallel with a short timeout.

The probe goes straight to the service, past its circuit breaker and bulkhead: readiness must
report a service that has come back even while the breaker still holds calls off. Beside it,
each service's outbox (`/internal/outbox`) says how many integration events wait and how many
are dead letters, so an operator sees events that are not getting through.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from kam_common.http import ServiceClient
from kam_common.outbox_state import OUTBOX_PATH
from kam_gateway.upstream import Upstream


def probe(client: ServiceClient, timeout: float) -> str:
    try:
        answer = client.get("/healthz", timeout=timeout)
    except requests.Timeout:
        return "timeout"
    except requests.RequestException:
        return "down"
    return "up" if answer.status_code == 200 else "unhealthy"


def service_states(
    upstreams: dict[str, Upstream], executor: ThreadPoolExecutor, timeout: float
) -> dict[str, str]:
    futures = {
        name: executor.submit(probe, upstream.client, timeout)
        for name, upstream in upstreams.items()
    }
    return {name: future.result() for name, future in futures.items()}


def outbox(client: ServiceClient, timeout: float) -> dict[str, Any] | None:
    """`{"pending", "dead_letters"}` of the service's outbox; None when it cannot say."""
    try:
        answer = client.get(OUTBOX_PATH, timeout=timeout)
        body = answer.json() if answer.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    numbers = {name: (body or {}).get(name) for name in ("pending", "dead_letters")}
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()):
        return None
    return numbers


def outbox_states(
    upstreams: dict[str, Upstream], executor: ThreadPoolExecutor, timeout: float
) -> dict[str, dict[str, Any] | None]:
    futures = {
        name: executor.submit(outbox, upstream.client, timeout)
        for name, upstream in upstreams.items()
    }
    return {name: future.result() for name, future in futures.items()}
