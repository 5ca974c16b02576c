"""Readiness: every service answers its /healthz, asked in parallel with a short timeout."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from kam_common.http import ServiceClient


def probe(client: ServiceClient, timeout: float) -> str:
    try:
        answer = client.get("/healthz", timeout=timeout)
    except requests.Timeout:
        return "timeout"
    except requests.RequestException:
        return "down"
    return "up" if answer.status_code == 200 else "unhealthy"


def service_states(
    clients: dict[str, ServiceClient], executor: ThreadPoolExecutor, timeout: float
) -> dict[str, str]:
    futures = {name: executor.submit(probe, client, timeout) for name, client in clients.items()}
    return {name: future.result() for name, future in futures.items()}
