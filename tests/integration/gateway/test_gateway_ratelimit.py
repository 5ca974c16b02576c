"""Rate limits per API key, by role: 429 with Retry-After, in memory and shared through Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from support import HttpClient

from kam_gateway.config import DEFAULT_RATE_LIMITS
from kam_gateway.keys import create_key

TINY = {**DEFAULT_RATE_LIMITS, "partner": "3/minute", "sales": "2/minute"}


def _key(gateway: HttpClient, role: str, account_ids: list[str] | None = None) -> dict[str, str]:
    with gateway.application.db.session() as session:
        _row, secret = create_key(session=session, name=role, role=role, account_ids=account_ids)
    return {"Authorization": f"Bearer {secret}"}


def test_over_the_limit_is_a_429_problem_with_retry_after(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str]
) -> None:
    gateway = make_gateway(
        **{f"{n.upper()}_URL": u for n, u in echo_upstreams.items()}, RATE_LIMITS=TINY
    )
    partner = _key(gateway, "partner", ["acc-1"])

    answers = [gateway.get("/api/v1/accounts/acc-1", headers=partner) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert answers[0].headers["X-RateLimit-Remaining"] == "2"
    assert "Retry-After" not in answers[0].headers
    limited = answers[3]
    assert limited.content_type == "application/problem+json"
    assert limited.json["status"] == 429
    assert "rate limit" in limited.json["detail"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_budgets_are_per_key_and_by_role(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str]
) -> None:
    gateway = make_gateway(
        **{f"{n.upper()}_URL": u for n, u in echo_upstreams.items()}, RATE_LIMITS=TINY
    )
    sales, other_sales, executive = (
        _key(gateway, "sales"),
        _key(gateway, "sales"),
        _key(gateway, "executive"),
    )

    mine = [gateway.get("/api/v1/accounts", headers=sales).status_code for _ in range(3)]
    theirs = gateway.get("/api/v1/accounts", headers=other_sales)
    executive_calls = [
        gateway.get("/api/v1/accounts", headers=executive).status_code for _ in range(5)
    ]

    assert mine == [200, 200, 429]  # sales: 2/minute, whatever the path
    assert theirs.status_code == 200
    assert executive_calls == [200] * 5


def test_strangers_and_probes_spend_no_budget(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str]
) -> None:
    gateway = make_gateway(
        **{f"{n.upper()}_URL": u for n, u in echo_upstreams.items()}, RATE_LIMITS=TINY
    )
    sales = _key(gateway, "sales")

    strangers = [
        gateway.get("/api/v1/accounts", headers={"Authorization": "Bearer nope"}).status_code
        for _ in range(5)
    ]
    probes = [gateway.get(path).status_code for path in ("/healthz", "/readyz") * 3]
    mine = [gateway.get("/api/v1/accounts", headers=sales).status_code for _ in range(2)]

    assert strangers == [401] * 5
    assert probes == [200] * 6
    assert mine == [200, 200]


def test_two_gateways_share_the_count_through_redis(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str], redis_url: str
) -> None:
    config = {
        **{f"{n.upper()}_URL": u for n, u in echo_upstreams.items()},
        "RATE_LIMITS": TINY,
        "RATE_LIMIT_STORAGE": redis_url,
    }
    one = make_gateway(**config)
    two = make_gateway(**config)  # same database, so the key below works on both
    partner = _key(one, "partner", ["acc-1"])

    answers = [
        one.get("/api/v1/accounts/acc-1", headers=partner),
        two.get("/api/v1/accounts/acc-1", headers=partner),
        one.get("/api/v1/accounts/acc-1", headers=partner),
        two.get("/api/v1/accounts/acc-1", headers=partner),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].content_type == "application/problem+json"
    assert answers[3].json["status"] == 429
    assert int(answers[3].headers["Retry-After"]) >= 1


def test_a_dead_counter_lets_calls_through_uncounted(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str], upstream_tools: Any
) -> None:
    gateway = make_gateway(
        **{f"{n.upper()}_URL": u for n, u in echo_upstreams.items()},
        RATE_LIMITS=TINY,
        RATE_LIMIT_STORAGE="redis://" + upstream_tools.closed_port_url().split("//")[1] + "/0",
    )
    sales = _key(gateway, "sales")

    answers = [gateway.get("/api/v1/accounts", headers=sales) for _ in range(4)]

    assert [a.status_code for a in answers] == [200] * 4  # 2/minute, but nobody can count
    assert all("X-RateLimit-Remaining" not in a.headers for a in answers)


def test_with_redis_a_read_over_the_limit_is_refused_and_the_next_ones_never_leave(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    redis_url: str,
    received: dict[str, list[dict]],
) -> None:
    """Reads are forwarded while their count is taken; the count still decides the answer."""
    gateway = make_gateway(
        **{f"{n.upper()}_URL": u for n, u in echo_upstreams.items()},
        RATE_LIMITS=TINY,
        RATE_LIMIT_STORAGE=redis_url,
    )
    sales = _key(gateway, "sales")  # 2/minute

    write = gateway.post("/api/v1/accounts?echo_status=201", json={"name": "n"}, headers=sales)
    reads = [gateway.get("/api/v1/accounts", headers=sales) for _ in range(4)]

    assert write.status_code == 201
    assert [r.status_code for r in reads] == [200, 429, 429, 429]
    assert reads[0].headers["X-RateLimit-Remaining"] == "0"
    assert all(r.json["request_id"] == r.headers["X-Request-ID"] for r in reads[1:])
    # The first refused read may have reached the service; the ones after it did not.
    assert len(received["accounts"]) <= 3
