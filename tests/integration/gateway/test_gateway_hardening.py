"""What every answer says about itself, what strangers may not have, and what a call costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support import TEST_TOKEN, HttpClient

from kam_gateway.config import DEFAULT_RATE_LIMITS

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize(
    ("method", "path", "role", "status"),
    [
        ("GET", "/api/v1/accounts", "sales", 200),  # forwarded
        ("GET", "/api/v1/admin/keys", "admin", 200),  # the gateway's own
        ("GET", "/api/v1/admin/keys", "sales", 403),  # a refusal
        ("GET", "/api/v1/accounts", None, 401),  # no key
        ("GET", "/healthz", None, 200),
        ("GET", "/nothing", "admin", 404),
    ],
)
def test_every_answer_forbids_content_sniffing(
    gateway: HttpClient, auth: Auth, method: str, path: str, role: str | None, status: int
) -> None:
    answer = gateway.open(path, method, headers=auth(role) if role else {})

    assert answer.status_code == status
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_are_never_stored_by_a_cache_and_the_secret_least_of_all(
    gateway: HttpClient, auth: Auth
) -> None:
    admin = auth("admin")

    created = gateway.post("/api/v1/admin/keys", json={"name": "n", "role": "sales"}, headers=admin)
    listed = gateway.get("/api/v1/accounts", headers=admin)
    refused = gateway.get("/api/v1/accounts")

    assert created.status_code == 201 and created.json["key"]
    for answer in (created, listed, refused):
        assert answer.headers["Cache-Control"] == "no-store"


def test_metrics_are_only_for_holders_of_the_internal_token(
    gateway: HttpClient, auth: Auth
) -> None:
    gateway.get("/healthz")

    for headers in ({}, auth("admin"), {"X-Internal-Token": "wrong"}):
        refused = gateway.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert "kam_http_requests_total" not in refused.get_data(as_text=True)
    scrape = gateway.get("/metrics", headers={"X-Internal-Token": TEST_TOKEN})
    assert scrape.status_code == 200
    assert "kam_http_requests_total" in scrape.get_data(as_text=True)


def test_failed_key_checks_from_one_address_are_throttled_but_a_known_key_still_works(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
    key_for: Callable[..., str],
) -> None:
    gateway = make_gateway(
        **upstream_tools.config(echo_upstreams), FAILED_KEY_CHECK_LIMIT="5/minute"
    )
    known = {"Authorization": f"Bearer {key_for('sales')}"}
    assert gateway.get("/api/v1/accounts", headers=known).status_code == 200

    statuses = [
        gateway.get("/api/v1/accounts", headers={"Authorization": f"Bearer kam_guess_{n}"})
        for n in range(7)
    ]

    assert [answer.status_code for answer in statuses] == [401] * 5 + [429] * 2
    throttled = statuses[-1]
    assert throttled.json["request_id"] == throttled.headers["X-Request-ID"]
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    # A key this gateway has already seen pass still works from that address...
    assert gateway.get("/api/v1/accounts", headers=known).status_code == 200
    # ...while an unknown one is not even looked up until the window ends.
    fresh = {"Authorization": f"Bearer {key_for('sales')}"}
    assert gateway.get("/api/v1/accounts", headers=fresh).status_code == 429


def test_a_batch_of_n_events_counts_n_against_the_keys_limit(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
    key_for: Callable[..., str],
    received: dict[str, list[dict]],
) -> None:
    gateway = make_gateway(
        **upstream_tools.config(echo_upstreams),
        RATE_LIMITS={**DEFAULT_RATE_LIMITS, "engineer": "10/minute"},
    )
    engineer = {"Authorization": f"Bearer {key_for('engineer')}"}

    def batch(size: int) -> Any:
        events = [{"type": "quality", "account_id": "acc-1"}] * size
        return gateway.post(
            "/api/v1/health/events/batch?echo_status=201", json={"events": events}, headers=engineer
        )

    first = batch(8)
    second = batch(3)
    third = batch(2)
    whole = batch(11)

    assert first.status_code == 201
    assert first.headers["X-RateLimit-Remaining"] == "2"
    assert second.status_code == 429  # 8 + 3 > 10
    assert third.status_code == 429  # the refused batch counted too: the window is spent
    assert whole.status_code == 429
    assert "send smaller batches" in whole.json["detail"]
    assert len(received["health"]) == 1


@pytest.mark.parametrize("path", ["/api/v1/admin/keys", "/api/v1/accounts"])
def test_a_body_that_is_not_json_is_a_415_for_own_and_forwarded_operations(
    gateway: HttpClient, auth: Auth, received: dict[str, list[dict]], path: str
) -> None:
    for body, content_type in ((b"name=x", "application/x-www-form-urlencoded"), (b"", "text/csv")):
        answer = gateway.post(
            path, data=body, headers={**auth("admin"), "Content-Type": content_type}
        )

        assert answer.status_code == 415
        assert answer.json["request_id"] == answer.headers["X-Request-ID"]
    assert received["accounts"] == []
