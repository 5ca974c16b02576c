"""/metrics: requests counted by route template, method and status; open without the token."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from kam_accounts import create_app
from kam_accounts.models import Base


def samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def count(found: dict, route: str, method: str, status: str) -> float:
    labels = (("method", method), ("route", route), ("status", status))
    return float(found.get(("kam_http_requests_total", labels), 0))


def test_requests_are_counted_by_route_template_and_status(
    service_client: Callable[..., FlaskClient],
) -> None:
    client = service_client("accounts", create_app, Base.metadata)
    account = client.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    client.get(f"/api/v1/accounts/{account['id']}")
    client.get("/api/v1/accounts/no-such-account")
    client.get("/no/such/path")

    found = samples(client)

    assert count(found, "/api/v1/accounts", "POST", "201") == 1
    assert count(found, "/api/v1/accounts/<account_id>", "GET", "200") == 1
    assert count(found, "/api/v1/accounts/<account_id>", "GET", "404") == 1
    assert count(found, "unmatched", "GET", "404") == 1
    assert not [key for key in found if account["id"] in str(key)], "raw paths are labels"
    latency = (
        "kam_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/accounts/<account_id>"), ("status", "200")),
    )
    assert found[latency] == 1
    # The scrape itself is not counted.
    assert not [key for key in found if ("route", "/metrics") in key[1]]


def test_metrics_need_no_internal_token(service_client: Callable[..., FlaskClient]) -> None:
    client = service_client("accounts", create_app, Base.metadata)
    client.environ_base.pop("HTTP_X_INTERNAL_TOKEN")
    client.get("/api/v1/accounts")

    found = samples(client)

    assert count(found, "/api/v1/accounts", "GET", "401") == 1
