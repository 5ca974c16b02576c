"""The fast path answers plain forwards exactly as Flask's request cycle would, without it.

Two gateways on the same database and echo upstreams, one with the fast path and one without,
get the same calls; status, body (the echo says what the service received) and headers must
match. Then: the fast path really skips Flask, and its key cache forgets a key the moment the
key table changes, whoever changed it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update
from support import HttpClient

from kam_common.db import make_engine, utcnow
from kam_gateway.keys import create_key
from kam_gateway.models import ApiKey

# Differ between any two answers by nature: time taken, window end, the clock.
VARYING = {"x-gateway-latency", "x-ratelimit-reset", "date"}

CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/v1/accounts?q=%C3%A9cole&tier=key&page=2", {}),
    ("GET", "/api/v1/accounts/acc-1/contacts", {"headers": {"Accept": "application/json"}}),
    ("GET", "/api/v1/accounts/%C3%A9t%C3%A9/org-chart", {}),
    ("GET", "/api/v1/health/portfolio?echo_status=404", {}),
    ("GET", "/api/v1/accounts?echo_status=429", {}),
    ("POST", "/api/v1/accounts?echo_status=201", {"json": {"name": "Ωmega"}}),
    ("POST", "/api/v1/accounts", {"json": {"name": "x"}, "headers": {"Idempotency-Key": "k1"}}),
    ("POST", "/api/v1/accounts", {}),  # no body at all
    ("PATCH", "/api/v1/accounts/acc-1", {"json": {"name": "y"}, "headers": {"If-Match": "3"}}),
    ("DELETE", "/api/v1/accounts/acc-1/team/m-1", {}),
    ("POST", "/api/v1/offerings/proposals/p-1/accept", {"json": {}}),
    ("GET", "/api/v1/offerings/catalog?echo_status=500", {}),
]


@pytest.fixture
def pair(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str]
) -> tuple[HttpClient, HttpClient, dict[str, str]]:
    urls = {f"{name.upper()}_URL": url for name, url in echo_upstreams.items()}
    # Each counts its own calls: on the machine's shared counter the second would see the first's.
    fast = make_gateway(**urls, RATE_LIMIT_STORAGE="memory://")
    slow = make_gateway(**urls, RATE_LIMIT_STORAGE="memory://", FAST_PATH=False)
    with fast.application.extensions["kam_db"].session() as session:
        _key, secret = create_key(session=session, name="sales", role="sales")
    return fast, slow, {"Authorization": f"Bearer {secret}", "X-Request-ID": "same-id"}


def _comparable(response: Any) -> tuple[int, Any, dict[str, str]]:
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VARYING}
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "headers" in body:
        body["headers"].pop("X-Kam-Client", None)  # the key id: the same key, but checked below
    return response.status_code, body if body is not None else response.data, headers


@pytest.mark.parametrize(("method", "path", "options"), CALLS)
def test_the_fast_path_answers_as_flask_would(
    pair: tuple[HttpClient, HttpClient, dict[str, str]],
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    fast, slow, headers = pair
    sent = {**options, "headers": {**headers, **options.get("headers", {})}}

    one = fast.open(path, method, **sent)
    other = slow.open(path, method, **sent)

    assert _comparable(one) == _comparable(other)
    assert float(one.headers["X-Gateway-Latency"]) >= 0
    assert one.headers["X-RateLimit-Limit"] == "600"


def test_the_fast_path_answers_a_dead_service_as_flask_would(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str], upstream_tools: Any
) -> None:
    urls = {f"{name.upper()}_URL": url for name, url in echo_upstreams.items()}
    urls["HEALTH_URL"] = upstream_tools.closed_port_url()
    # Each counts its own calls: on the machine's shared counter the second would see the first's.
    fast = make_gateway(**urls, RATE_LIMIT_STORAGE="memory://")
    slow = make_gateway(**urls, RATE_LIMIT_STORAGE="memory://", FAST_PATH=False)
    with fast.application.extensions["kam_db"].session() as session:
        _key, secret = create_key(session=session, name="eng", role="engineer")
    headers = {"Authorization": f"Bearer {secret}", "X-Request-ID": "dead-1"}

    one = fast.get("/api/v1/health/portfolio", headers=headers)
    other = slow.get("/api/v1/health/portfolio", headers=headers)

    assert one.status_code == 503
    assert one.json["service"] == "health"
    assert one.json["request_id"] == "dead-1"
    assert _comparable(one) == _comparable(other)


def test_plain_forwards_skip_flask_and_everything_else_goes_through_it(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    seen: list[str] = []
    # First in line, so it sees the calls that the gate then refuses.
    gateway.application.before_request_funcs.setdefault(None, []).insert(
        0, lambda: seen.append(gateway.application.name)
    )
    sales = auth("sales")

    forwarded = gateway.get("/api/v1/accounts/acc-1", headers=sales)
    assert forwarded.status_code == 200 and seen == []

    refused = [
        gateway.get("/api/v1/accounts/acc-1"),  # no key: 401
        gateway.get("/api/v1/health/scorecard", headers=sales),  # role: 403
        gateway.get("/api/v1/nowhere", headers=sales),  # no such route: 404
        gateway.head("/api/v1/accounts/acc-1", headers=sales),  # HEAD is Flask's
        gateway.get("/api/v1/admin/keys", headers=auth("admin")),  # the gateway's own route
    ]
    assert [r.status_code for r in refused] == [401, 403, 404, 200, 200]
    assert len(seen) == len(refused)


def test_a_cached_key_is_forgotten_as_soon_as_another_process_changes_it(
    gateway: HttpClient, key_for: Callable[..., str]
) -> None:
    secret = key_for("sales")
    headers = {"Authorization": f"Bearer {secret}"}
    assert gateway.post("/api/v1/accounts", json={"name": "a"}, headers=headers).status_code == 200
    # Another worker (its own engine and connection) demotes the key, then revokes it.
    other = make_engine(gateway.application.config["DATABASE_URL"])
    try:
        with other.begin() as conn:
            conn.execute(update(ApiKey).values(role="executive"))
        demoted = gateway.post("/api/v1/accounts", json={"name": "a"}, headers=headers)
        with other.begin() as conn:
            conn.execute(update(ApiKey).values(revoked_at=utcnow()))
        revoked = gateway.get("/api/v1/accounts", headers=headers)
    finally:
        other.dispose()

    assert demoted.status_code == 403  # executives may not create accounts
    assert revoked.status_code == 401


def test_forwarded_calls_are_counted_by_their_public_route(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    sales = auth("sales")
    for account in ("acc-1", "acc-2", "acc-3"):
        assert gateway.get(f"/api/v1/accounts/{account}", headers=sales).status_code == 200
    gateway.get("/api/v1/accounts/acc-1", headers={"Authorization": "Bearer nope"})

    scraped = str(gateway.get("/metrics").get_data(as_text=True))

    route = 'route="/api/v1/accounts/<account_id>"'
    counted = [
        line
        for line in scraped.splitlines()
        if line.startswith("kam_http_requests_total") and route in line
    ]
    assert any('status="200"' in line and line.endswith(" 3.0") for line in counted)
    # A refused call never matched a public route on behalf of its key: Flask counts it as is.
    assert not any('status="401"' in line for line in counted)
