"""Services that fail: the breaker, the bulkhead, recovery, and the gateway's own latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import Flask
from support import HttpClient
from werkzeug.serving import make_server

Auth = Callable[..., dict[str, str]]


@contextmanager
def serve_on(url: str, app: Flask) -> Iterator[None]:
    """Serve `app` on the port of `url` (a service coming back where it was)."""
    server = make_server("127.0.0.1", urlsplit(url).port or 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def test_a_dead_service_fails_fast_once_its_breaker_opens_and_recovers_by_itself(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    dead = upstream_tools.closed_port_url()
    gateway = make_gateway(
        **upstream_tools.config({**echo_upstreams, "health": dead}),
        BREAKER_FAILURES=2,
        BREAKER_RESET_SECONDS=0.5,
    )
    headers = auth("sales")

    first = [gateway.get("/api/v1/health/portfolio", headers=headers) for _ in range(2)]
    started = time.perf_counter()
    fast = gateway.get("/api/v1/health/portfolio", headers=headers)
    fast_ms = (time.perf_counter() - started) * 1000
    others = gateway.get("/api/v1/accounts", headers=headers)

    assert [r.status_code for r in first] == [503, 503]
    assert fast.status_code == 503
    assert fast.json["service"] == "health"
    assert "failed repeatedly" in fast.json["detail"]
    assert fast.headers["Retry-After"] == "1"
    assert fast_ms < 50
    assert others.status_code == 200  # only the calls that need health fail

    with serve_on(dead, upstream_tools.echo_app("health")):
        time.sleep(0.6)  # the cool-down: the next call is the probe
        back = gateway.get("/api/v1/health/portfolio", headers=headers)
        again = gateway.get("/api/v1/health/portfolio", headers=headers)

    assert back.status_code == 200, back.json
    assert again.status_code == 200


def test_readyz_asks_a_service_even_while_its_breaker_is_open(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    dead = upstream_tools.closed_port_url()
    gateway = make_gateway(
        **upstream_tools.config({**echo_upstreams, "health": dead}),
        BREAKER_FAILURES=1,
        BREAKER_RESET_SECONDS=60,
    )
    gateway.get("/api/v1/health/portfolio", headers=auth("sales"))

    with serve_on(dead, upstream_tools.echo_app("health")):
        ready = gateway.get("/readyz")

    assert ready.status_code == 200
    assert ready.json["services"]["health"] == "up"


def test_a_stalled_service_holds_only_its_bulkhead_places(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    gateway = make_gateway(
        **upstream_tools.config(echo_upstreams),
        UPSTREAM_MAX_PENDING=1,
        UPSTREAM_QUEUE_SECONDS=0.05,
        UPSTREAM_READ_TIMEOUT=2.0,
    )
    headers = auth("sales")
    slow_answer: list[int] = []
    slow = threading.Thread(
        target=lambda: slow_answer.append(
            gateway.get("/api/v1/health/portfolio?echo_sleep=0.6", headers=headers).status_code
        )
    )
    slow.start()
    time.sleep(0.2)  # the slow call holds health's only place for forwarded calls now

    started = time.perf_counter()
    refused = gateway.get("/api/v1/health/alerts", headers=headers)
    refused_ms = (time.perf_counter() - started) * 1000
    others = gateway.get("/api/v1/accounts", headers=headers)
    # A composite's health part waits for the same place, in vain: the rest of it is served.
    overview = gateway.get("/api/v1/accounts/acc-1/overview", headers=headers)
    slow.join(5)

    assert refused.status_code == 503
    assert refused.json["service"] == "health"
    assert "busy" in refused.json["detail"]
    # It waited its 50 ms for a place, not the 600 ms the stalled call holds it.
    assert 40 <= refused_ms < 300
    assert others.status_code == 200
    assert overview.status_code == 200
    assert overview.json["degraded"] == ["health"]
    assert overview.json["account"] and overview.json["health"] is None
    assert slow_answer == [200]


def slow_scores() -> Flask:
    """A health service whose account scores take a second; its alerts answer at once."""
    app = Flask("slow-health")

    @app.get("/api/v1/health/accounts/<account_id>")
    def score(account_id: str) -> object:
        time.sleep(1)
        return {"account_id": account_id}

    @app.get("/api/v1/health/alerts")
    def alerts() -> object:
        return {"items": []}

    return app


def test_a_stalled_service_in_a_composite_counts_as_failed_for_its_breaker(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    with upstream_tools.serve(slow_scores()) as health:
        gateway = make_gateway(
            **upstream_tools.config({**echo_upstreams, "health": health}),
            COMPOSITE_READ_TIMEOUT=0.2,
            BREAKER_FAILURES=1,
            BREAKER_RESET_SECONDS=60,
        )
        headers = auth("executive")
        slow = gateway.get("/api/v1/accounts/acc-1/overview", headers=headers)
        started = time.perf_counter()
        fast = gateway.get("/api/v1/accounts/acc-1/overview", headers=headers)
        fast_ms = (time.perf_counter() - started) * 1000

    assert slow.json["degraded"] == ["health"] and fast.json["degraded"] == ["health"]
    assert fast_ms < 150


def test_every_api_answer_says_how_long_the_gateway_itself_took(
    gateway: HttpClient, auth: Auth
) -> None:
    headers = auth("sales")

    answers = {
        "ok": gateway.get("/api/v1/accounts", headers=headers),
        "slow upstream": gateway.get("/api/v1/accounts?echo_sleep=0.3", headers=headers),
        "no key": gateway.get("/api/v1/accounts"),
        "unknown path": gateway.get("/api/v1/nothing-here", headers=headers),
        "forbidden": gateway.get("/api/v1/admin/keys", headers=headers),
        "composite": gateway.get("/api/v1/accounts/acc-1/overview", headers=headers),
    }

    for name, answer in answers.items():
        value = answer.headers.get("X-Gateway-Latency")
        assert value is not None, name
        assert 0 <= float(value) < 250, (name, value)
    # The 300 ms spent waiting on the service are not the gateway's.
    assert float(answers["slow upstream"].headers["X-Gateway-Latency"]) < 250


def test_a_burst_of_quick_calls_waits_briefly_for_places_instead_of_being_refused(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    gateway = make_gateway(
        **upstream_tools.config(echo_upstreams),
        UPSTREAM_MAX_CONCURRENT=1,
        UPSTREAM_QUEUE_SECONDS=1.0,
    )
    headers = auth("sales")
    statuses: list[int] = []

    def call() -> None:
        statuses.append(
            gateway.get("/api/v1/accounts?echo_sleep=0.05", headers=headers).status_code
        )

    burst = [threading.Thread(target=call) for _ in range(4)]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join(5)

    assert statuses == [200, 200, 200, 200]


def test_readyz_shows_each_services_dead_letters(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    accounts_service: str,
    database_url: Callable[[str], str],
) -> None:
    import requests
    from sqlalchemy import update

    from kam_accounts.models import outbox
    from kam_common.db import make_engine, utcnow

    gateway = make_gateway(
        **upstream_tools.config({**echo_upstreams, "accounts": accounts_service})
    )
    token = {"X-Internal-Token": gateway.application.settings["INTERNAL_TOKEN"]}
    for name in ("One", "Two"):
        requests.post(
            accounts_service + "/api/v1/accounts", json={"name": name}, headers=token, timeout=5
        )
    engine = make_engine(database_url("accounts"))
    with engine.begin() as conn:  # both events to health kept failing
        conn.execute(
            update(outbox).where(outbox.c.destination == "health").values(dead_at=utcnow())
        )
    engine.dispose()

    ready = gateway.get("/readyz")

    assert ready.status_code == 200
    # Two accounts, four consumers each (health, offerings, plays, the gateway for webhooks).
    assert ready.json["outbox"]["accounts"] == {"pending": 8, "dead_letters": 2}
    assert ready.json["outbox"]["health"] is None  # an echo stub: it cannot say
    assert ready.json["dead_letters"] == 2
