"""/metrics of the gunicorn apps (two workers each): one scrape sums every worker's counts."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from e2e_stack import INTERNAL_TOKEN
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e

REQUESTS = 30  # enough that both workers answer some of them
INTERNAL = {"X-Internal-Token": INTERNAL_TOKEN}


def requests_counted(url: str, route: str, status: str) -> float:
    answer = requests.get(f"{url}/metrics", headers=INTERNAL, timeout=5)
    assert answer.status_code == 200, answer.text
    total = 0.0
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "kam_http_requests_total" and sample.labels == {
                "method": "GET",
                "route": route,
                "status": status,
            }:
                total += sample.value
    return total


def test_a_scrape_counts_the_requests_of_every_worker(
    stack: Any, gateway_url: str, admin_headers: dict[str, str]
) -> None:
    route = "/api/v1/admin/keys"
    before = requests_counted(gateway_url, route, "200")

    for _ in range(REQUESTS):
        # A new connection each time, so gunicorn spreads the calls over its workers.
        answer = requests.get(f"{gateway_url}{route}", headers=admin_headers, timeout=5)
        assert answer.status_code == 200

    assert requests_counted(gateway_url, route, "200") - before == REQUESTS
    assert list((stack.data_dir / "metrics" / "gateway").glob("*.db")), "no multiprocess files"


def test_every_app_serves_metrics_to_internal_callers(stack: Any) -> None:
    for app in ("accounts", "offerings", "health", "gateway"):
        requests.get(f"{stack.url(app)}/healthz", timeout=5)
        answer = requests.get(f"{stack.url(app)}/metrics", headers=INTERNAL, timeout=5)
        assert answer.status_code == 200, (app, answer.text)
        assert "kam_http_requests_total" in answer.text


def test_the_public_port_serves_metrics_to_no_stranger(gateway_url: str) -> None:
    """Scrapes are large and cost the gateway time: only holders of the internal token get
    one (the services' ports are internal already)."""
    for headers in ({}, {"X-Internal-Token": "guess"}, {"Authorization": "Bearer guess"}):
        answer = requests.get(f"{gateway_url}/metrics", headers=headers, timeout=5)

        assert answer.status_code == 401
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert "kam_http_requests_total" not in answer.text
