"""Forwarding through the gateway to real HTTP upstreams, with roles, scope and body rules."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from support import HttpClient

Auth = Callable[..., dict[str, str]]
Received = dict[str, list[dict]]


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/accounts?q=%C3%A9cole&tier=key&page=2", "accounts"),
        ("/api/v1/accounts/acc-1/contacts", "accounts"),
        ("/api/v1/health/portfolio", "health"),
        ("/api/v1/health/accounts/acc-1/history?from=2026-01-01", "health"),
        ("/api/v1/offerings/catalog", "offerings"),
        ("/api/v1/offerings/recommendations?account_id=acc-1", "offerings"),
    ],
)
def test_paths_go_to_their_service_unchanged(
    gateway: HttpClient, auth: Auth, received: Received, path: str, service: str
) -> None:
    response = gateway.get(path, headers=auth("sales"))

    assert response.status_code == 200
    assert response.json["service"] == service
    expected_path, _, expected_query = path.partition("?")
    assert response.json["path"] == expected_path
    assert response.json["query"] == expected_query
    assert sum(len(calls) for calls in received.values()) == 1


def test_forwarded_calls_carry_the_needed_headers_and_nothing_else(
    gateway: HttpClient, key_for: Callable[..., str]
) -> None:
    secret = key_for("sales")

    response = gateway.patch(
        "/api/v1/accounts/acc-1",
        json={"name": "Ωmega 株式会社 🚀"},
        headers={
            "Authorization": f"Bearer {secret}",
            "If-Match": "3",
            "Accept": "application/json",
            "X-Request-ID": "req-123",
            "X-Internal-Token": "guessed",
            "X-KAM-Role": "admin",
            "Cookie": "session=1",
        },
    )

    seen = response.json
    headers = seen["headers"]
    assert seen["method"] == "PATCH"
    assert headers["If-Match"] == "3"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert headers["X-Request-Id"] == "req-123"
    assert headers["X-Internal-Token"] == gateway.application.settings["INTERNAL_TOKEN"]
    assert headers["X-Kam-Role"] == "sales"
    assert headers["X-Kam-Client"]
    assert "X-Kam-Account-Scope" not in headers  # sales keys see every account
    assert "Authorization" not in headers and "Cookie" not in headers
    assert seen["body"] == '{"name": "Ωmega 株式会社 🚀"}'
    assert response.headers["X-Request-ID"] == "req-123"


def test_status_and_client_facing_headers_come_back(gateway: HttpClient, auth: Auth) -> None:
    created = gateway.post(
        "/api/v1/accounts?echo_status=201",
        json={"name": "Acme"},
        headers={**auth("sales"), "Idempotency-Key": "abc"},
    )
    limited = gateway.get("/api/v1/accounts?echo_status=429", headers=auth("sales"))

    assert created.status_code == 201
    assert created.headers["Location"] == "/api/v1/things/1"
    assert created.headers["ETag"] == '"1"'
    assert created.json["headers"]["Idempotency-Key"] == "abc"
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"


def test_partner_lists_carry_the_partner_scope(
    gateway: HttpClient, auth: Auth, received: Received
) -> None:
    partner = auth("partner", ["acc-1", "acc-2"])

    gateway.get("/api/v1/accounts", headers={**partner, "X-KAM-Account-Scope": "acc-9"})
    gateway.get("/api/v1/offerings/agreements?account_id=acc-9", headers=partner)

    (account_call,) = received["accounts"]
    (agreements_call,) = received["offerings"]
    for call in (account_call, agreements_call):
        assert call["headers"]["X-Kam-Account-Scope"] == "acc-1,acc-2"
        assert call["headers"]["X-Kam-Role"] == "partner"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/acc-9",
        "/api/v1/accounts/acc-9/contacts",
        "/api/v1/accounts/acc-9/org-chart",
        "/api/v1/accounts/acc-9/overview",
        "/api/v1/health/accounts/acc-9",
    ],
)
def test_partner_addressing_a_foreign_account_gets_404_and_nothing_is_called(
    gateway: HttpClient, auth: Auth, received: Received, path: str
) -> None:
    response = gateway.get(path, headers=auth("partner", ["acc-1"]))

    assert response.status_code == 404
    assert response.json["detail"] == "Account not found."
    assert not any(received.values())


def test_partner_reads_its_own_account(gateway: HttpClient, auth: Auth) -> None:
    partner = auth("partner", ["acc-1"])

    assert gateway.get("/api/v1/accounts/acc-1", headers=partner).status_code == 200
    assert gateway.get("/api/v1/health/accounts/acc-1", headers=partner).status_code == 200
    assert gateway.get("/api/v1/accounts/acc-1/team", headers=partner).status_code == 403


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("engineer", "GET", "/api/v1/offerings/catalog", 403),
        ("engineer", "GET", "/api/v1/accounts/acc-1/team", 200),
        ("executive", "POST", "/api/v1/accounts", 403),
        ("executive", "POST", "/api/v1/health/accounts/acc-1/override", 200),
        ("sales", "POST", "/api/v1/health/accounts/acc-1/override", 403),
        ("sales", "PUT", "/api/v1/health/scorecard", 403),
        ("executive", "PUT", "/api/v1/health/scorecard", 200),
        ("sales", "POST", "/api/v1/offerings/catalog", 403),
        ("admin", "POST", "/api/v1/offerings/catalog", 200),
        ("sales", "POST", "/api/v1/offerings/proposals/p-1/accept", 200),
        ("engineer", "PATCH", "/api/v1/health/events/e-1", 200),
        ("sales", "PATCH", "/api/v1/health/events/e-1", 403),
        ("engineer", "PATCH", "/api/v1/health/alerts/al-1", 200),
        ("partner", "PATCH", "/api/v1/health/alerts/al-1", 403),
        ("partner", "GET", "/api/v1/health/events", 403),
        ("sales", "GET", "/api/v1/admin/keys", 403),
    ],
)
def test_the_role_table_decides(
    gateway: HttpClient, auth: Auth, role: str, method: str, path: str, status: int
) -> None:
    headers = auth(role, ["acc-1"] if role == "partner" else None)
    body = {} if method in ("POST", "PUT", "PATCH") else None

    response = gateway.open(path, method=method, json=body, headers=headers)

    assert response.status_code == status
    if status == 403:
        assert response.content_type == "application/problem+json"
        assert role in response.json["detail"]


def test_a_known_path_with_a_wrong_method_is_405(gateway: HttpClient, auth: Auth) -> None:
    response = gateway.put("/api/v1/accounts", json={}, headers=auth("admin"))

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}


@pytest.mark.parametrize(
    ("role", "event_type", "status"),
    [
        ("sales", "warning", 201),
        ("sales", "delivery", 403),
        ("engineer", "quality", 201),
        ("partner", "support", 201),
        ("partner", "quality", 403),
        ("partner", "warning", 403),
        ("executive", "warning", 403),
    ],
)
def test_event_types_each_role_may_log(
    gateway: HttpClient, auth: Auth, received: Received, role: str, event_type: str, status: int
) -> None:
    headers = auth(role, ["acc-1"] if role == "partner" else None)

    response = gateway.post(
        "/api/v1/health/events?echo_status=201",
        json={"account_id": "acc-1", "type": event_type},
        headers=headers,
    )

    assert response.status_code == status
    assert len(received["health"]) == (1 if status == 201 else 0)
    if status == 403 and role != "executive":
        assert response.json["errors"] == {
            "type": [f"{event_type!r} events are not allowed for this key."]
        }


def test_every_event_of_a_batch_is_checked(
    gateway: HttpClient, auth: Auth, received: Received
) -> None:
    partner = auth("partner", ["acc-1"])
    events = [
        {"account_id": "acc-1", "type": "delivery"},
        {"account_id": "acc-1", "type": "quality"},
    ]

    refused = gateway.post("/api/v1/health/events/batch", json={"events": events}, headers=partner)
    accepted = gateway.post(
        "/api/v1/health/events/batch", json={"events": events[:1]}, headers=partner
    )

    assert refused.status_code == 403
    assert "events.1.type" in refused.json["errors"]
    assert accepted.status_code == 200
    assert len(received["health"]) == 1


def test_partner_events_for_foreign_accounts_are_422_like_unknown_accounts(
    gateway: HttpClient, auth: Auth, received: Received
) -> None:
    partner = auth("partner", ["acc-1"])

    single = gateway.post(
        "/api/v1/health/events", json={"account_id": "acc-9", "type": "delivery"}, headers=partner
    )
    batch = gateway.post(
        "/api/v1/health/events/batch",
        json={
            "events": [
                {"account_id": "acc-1", "type": "support"},
                {"account_id": "acc-9", "type": "support"},
            ]
        },
        headers=partner,
    )

    assert single.status_code == 422
    assert list(single.json["errors"]) == ["account_id"]
    assert batch.status_code == 422
    assert list(batch.json["errors"]) == ["events.1.account_id"]
    assert not received["health"]


def test_a_stopped_service_is_a_503_naming_it(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    urls = {**echo_upstreams, "health": upstream_tools.closed_port_url()}
    gateway = make_gateway(**upstream_tools.config(urls))
    headers = auth("sales")

    down = gateway.get("/api/v1/health/portfolio", headers=headers)
    still_up = gateway.get("/api/v1/accounts", headers=headers)

    assert down.status_code == 503
    assert down.content_type == "application/problem+json"
    assert down.json["detail"] == "The health service is unavailable."
    assert down.json["service"] == "health"
    assert still_up.status_code == 200


def test_a_slow_service_is_a_504_naming_it(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    gateway = make_gateway(**upstream_tools.config(echo_upstreams), UPSTREAM_READ_TIMEOUT=0.1)

    response = gateway.get("/api/v1/offerings/catalog?echo_sleep=0.5", headers=auth("sales"))

    assert response.status_code == 504
    assert response.json["service"] == "offerings"


def test_a_partners_portfolio_is_read_within_its_accounts(
    gateway: HttpClient, auth: Auth, received: dict[str, list[dict]]
) -> None:
    answer = gateway.get("/api/v1/health/portfolio", headers=auth("partner", ["acc-1", "acc-2"]))

    assert answer.status_code == 200
    (seen,) = received["health"]
    assert seen["path"] == "/api/v1/health/portfolio"
    assert seen["headers"]["X-Kam-Account-Scope"] == "acc-1,acc-2"
    assert seen["headers"]["X-Kam-Role"] == "partner"


def test_head_is_answered_like_get_without_a_body(
    gateway: HttpClient, auth: Auth, received: dict[str, list[dict]]
) -> None:
    forwarded = gateway.head("/api/v1/accounts/acc-1", headers=auth("sales"))
    own = gateway.head("/api/v1/admin/keys", headers=auth("admin"))

    assert forwarded.status_code == 200 and forwarded.data == b""
    assert received["accounts"][0]["method"] == "HEAD"
    assert own.status_code == 200 and own.data == b""
    assert own.headers["X-Request-ID"]
