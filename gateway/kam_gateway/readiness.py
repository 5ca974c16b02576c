"""Readiness: every service answers its /healthz, asked in parallel with a short timeout.

The probe goes straight to the service, past its circuit breaker and bulkhead: readiness must
report a service that has come back even while the breaker still holds calls off.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from kam_common.http import ServiceClient
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
