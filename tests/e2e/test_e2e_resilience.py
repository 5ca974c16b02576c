"""The gateway when a service dies or stalls, and its rate limits, as a partner system sees them.

This module runs its own stack (SQLite, its own Redis for the shared rate limits, short
timeouts and a quick breaker) because it kills and stops processes: the session stack that the
other e2e modules use must not notice.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from e2e_stack import (
    APPS,
    BIN,
    Stack,
    free_ports,
    migrate,
    stack_env,
    start_redis,
    wait_until_ready,
)
from support import problem

pytestmark = pytest.mark.e2e

THREADS = 4  # per gateway worker (stack_env); the bulkhead is half of them
BREAKER_RESET_S = 2.0
Api = Callable[..., requests.Response]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("e2e-resilience")
    redis, redis_url = start_redis(data_dir)
    ports = free_ports(APPS)
    admin_key = "kam_e2e_" + secrets.token_urlsafe(24)
    env = stack_env(data_dir, ports, admin_key)
    env.update(
        {f"{app.upper()}_DATABASE_URL": f"sqlite:///{data_dir / (app + '.db')}" for app in APPS}
    )
    env.update(
        KAM_THREADS=str(THREADS),
        KAM_REDIS_URL=redis_url,
        KAM_UPSTREAM_READ_TIMEOUT="1",
        KAM_COMPOSITE_READ_TIMEOUT="0.5",
        KAM_BREAKER_FAILURES="3",
        KAM_BREAKER_RESET_SECONDS=str(BREAKER_RESET_S),
        KAM_RATE_LIMIT_PARTNER="5/minute",
    )
    stack = Stack(data_dir, env, ports, admin_key)
    try:
        migrate(stack)
        for app in APPS:
            stack.start(app)
        stack.launch("worker", [str(BIN / "kam"), "worker"])
        wait_until_ready(stack)
    except Exception as exc:  # noqa: BLE001 - any start-up failure fails the module the same way
        stack.stop()
        redis.kill()
        pytest.fail(f"the resilience stack did not come up: {exc}\n{stack.diagnostics()}")
    try:
        yield stack
    finally:
        with contextlib.suppress(ProcessLookupError):
            stack.signal("health", signal.SIGCONT)  # never leave a stopped process behind
        stack.stop()
        redis.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            redis.wait(10)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Api:
    base = stack.url("gateway") + "/api/v1"

    def call(method: str, path: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.request(method, base + path, headers=headers, timeout=15, **kwargs)

    return call


@pytest.fixture(scope="module")
def keys(stack: Stack, api: Api) -> dict[str, dict[str, str]]:
    admin = {"Authorization": f"Bearer {stack.admin_key}"}
    made = {"admin": admin}
    for role in ("sales", "engineer"):
        answer = api("POST", "/admin/keys", admin, json={"name": f"e2e {role}", "role": role})
        assert answer.status_code == 201, answer.text
        made[role] = {"Authorization": f"Bearer {answer.json()['key']}"}
    return made


@pytest.fixture(scope="module")
def account(api: Api, keys: dict[str, dict[str, str]]) -> dict[str, Any]:
    """An account with a meeting, a late delivery and an active agreement."""
    sales, engineer, admin = keys["sales"], keys["engineer"], keys["admin"]
    made = api("POST", "/accounts", sales, json={"name": f"Resilient {uuid.uuid4().hex[:6]}"})
    assert made.status_code == 201, made.text
    account = made.json()
    acc = f"/accounts/{account['id']}"
    now = datetime.now(UTC)
    meeting = {"kind": "meeting", "summary": "QBR", "occurred_at": _ts(now - timedelta(days=3))}
    assert api("POST", acc + "/interactions", sales, json=meeting).status_code == 201
    promised, delivered = (now - timedelta(days=6)).date(), (now - timedelta(days=2)).date()
    event = {
        "account_id": account["id"],
        "type": "delivery",
        "promised_on": promised.isoformat(),
        "delivered_on": delivered.isoformat(),
        "occurred_at": _ts(now - timedelta(days=2)),
    }
    logged = api("POST", "/health/events", engineer, json=event)
    assert logged.status_code == 201, logged.text
    core = {
        "code": f"CORE-{uuid.uuid4().hex[:6]}",
        "name": "Core supply",
        "kind": "core",
        "list_price": 1000,
        "unit_cost": 600,
    }
    assert api("POST", "/offerings/catalog", admin, json=core).status_code == 201
    proposal = api("POST", "/offerings/proposals", sales, json={"account_id": account["id"]})
    assert proposal.status_code == 201, proposal.text
    accepted = api(
        "POST",
        f"/offerings/proposals/{proposal.json()['id']}/accept",
        sales,
        json={"strategy": "unbundled"},
    )
    assert accepted.status_code == 201, accepted.text
    account["late"] = f"Late delivery: promised {promised}, delivered {delivered}"
    return dict(account)


def _ts(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.perf_counter()
    answer = call()
    return answer, (time.perf_counter() - started) * 1000


def test_overview_and_timeline_are_whole_when_all_is_well(
    api: Api, keys: dict[str, dict[str, str]], account: dict[str, Any]
) -> None:
    acc = f"/accounts/{account['id']}"

    overview = api("GET", acc + "/overview", keys["sales"])
    timeline = api("GET", acc + "/timeline", keys["sales"])

    assert overview.status_code == 200, overview.text
    assert overview.json()["degraded"] == []
    assert overview.json()["health"]["account_id"] == account["id"]
    assert overview.json()["agreement"]["strategy"] == "unbundled"
    assert timeline.status_code == 200, timeline.text
    body = timeline.json()
    assert body["degraded"] == []
    summaries = [entry["summary"] for entry in body["items"]]
    assert account["late"] in summaries
    assert "Meeting: QBR" in summaries
    assert any(s.startswith("Unbundled agreement started on") for s in summaries)
    types = [entry["type"] for entry in body["items"]]
    assert {"account", "interaction", "health_event", "agreement"} <= set(types)
    moments = [datetime.fromisoformat(entry["at"]) for entry in body["items"]]
    assert moments == sorted(moments, reverse=True)
    for answer in (overview, timeline):
        assert float(answer.headers["X-Gateway-Latency"]) >= 0


def test_a_partner_key_over_its_rate_limit_gets_429_with_retry_after(
    api: Api, keys: dict[str, dict[str, str]], account: dict[str, Any]
) -> None:
    body = {"name": "e2e partner", "role": "partner", "account_ids": [account["id"]]}
    made = api("POST", "/admin/keys", keys["admin"], json=body)
    partner = {"Authorization": f"Bearer {made.json()['key']}"}

    # Two gateway workers share the count through Redis: exactly 5 per minute get through.
    answers = [api("GET", f"/accounts/{account['id']}", partner) for _ in range(7)]

    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    limited = problem(answers[5], 429)
    assert "rate limit" in limited["detail"]
    assert 1 <= int(answers[5].headers["Retry-After"]) <= 60
    # Another key is not affected.
    assert api("GET", f"/accounts/{account['id']}", keys["sales"]).status_code == 200


def test_a_killed_health_service_degrades_only_what_needs_it_and_comes_back(
    stack: Stack, api: Api, keys: dict[str, dict[str, str]], account: dict[str, Any]
) -> None:
    sales, acc = keys["sales"], f"/accounts/{account['id']}"
    stack.kill("health")

    overview = api("GET", acc + "/overview", sales)
    timeline = api("GET", acc + "/timeline", sales)
    assert overview.status_code == 200, overview.text
    assert overview.json()["degraded"] == ["health"]
    assert overview.json()["health"] is None
    assert overview.json()["agreement"]["strategy"] == "unbundled"
    assert timeline.status_code == 200, timeline.text
    assert timeline.json()["degraded"] == ["health"]
    assert "health_event" not in {entry["type"] for entry in timeline.json()["items"]}
    assert "interaction" in {entry["type"] for entry in timeline.json()["items"]}

    # Enough failures for both workers' breakers to open; then every call fails fast.
    for _ in range(12):
        down = api("GET", "/health/portfolio", sales)
        assert problem(down, 503)["service"] == "health"
    fast = [_timed(lambda: api("GET", "/health/portfolio", sales)) for _ in range(10)]
    for answer, _ms in fast:
        assert problem(answer, 503)["service"] == "health"
    assert any("failed repeatedly" in answer.json()["detail"] for answer, _ms in fast)
    slowest = max(ms for _answer, ms in fast)
    print(f"\nhealth down, breaker open: slowest of 10 calls {slowest:.1f} ms")
    assert slowest < 50
    overview_ms = _timed(lambda: api("GET", acc + "/overview", sales))[1]
    print(f"overview with health down: {overview_ms:.1f} ms")
    assert overview_ms < 500

    stack.start("health")  # same port, same environment; the gateway is not touched
    started = time.monotonic()
    deadline = started + BREAKER_RESET_S + 8
    statuses: list[int] = []
    while time.monotonic() < deadline:
        statuses = [api("GET", "/health/portfolio", sales).status_code for _ in range(4)]
        if statuses == [200] * 4:
            break
        time.sleep(0.2)
    print(f"health back: all calls flow again {time.monotonic() - started:.1f} s after restart")
    assert statuses == [200] * 4
    assert api("GET", acc + "/overview", sales).json()["degraded"] == []


def test_a_stalled_health_service_cannot_exhaust_the_gateways_workers(
    stack: Stack, api: Api, keys: dict[str, dict[str, str]], account: dict[str, Any]
) -> None:
    sales = keys["sales"]
    stack.signal("health", signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=3 * THREADS) as pool:
            stalled = [
                pool.submit(_timed, lambda: api("GET", "/health/portfolio", sales))
                for _ in range(2 * THREADS)
            ]
            time.sleep(0.1)  # the health calls are in: now the calls that must still flow
            flowing = [
                pool.submit(_timed, lambda: api("GET", f"/accounts/{account['id']}", sales))
                for _ in range(2 * THREADS)
            ]
            health_answers = [future.result() for future in stalled]
            accounts_answers = [future.result() for future in flowing]
    finally:
        stack.signal("health", signal.SIGCONT)

    for answer, _ms in health_answers:
        assert answer.status_code in (503, 504), answer.text
        assert problem(answer, answer.status_code)["service"] == "health"
    assert 504 in {answer.status_code for answer, _ms in health_answers}  # some timed out
    assert [answer.status_code for answer, _ms in accounts_answers] == [200] * (2 * THREADS)
    slowest = max(ms for _answer, ms in accounts_answers)
    print(f"\nhealth stalled: slowest of {2 * THREADS} accounts calls {slowest:.1f} ms")
    assert slowest < 1000
    assert requests.get(stack.url("gateway") + "/healthz", timeout=1).status_code == 200

    # Continued, health serves again (at the latest once the breakers let a probe through).
    deadline = time.monotonic() + BREAKER_RESET_S + 8
    statuses: list[int] = []
    while time.monotonic() < deadline:
        statuses = [api("GET", "/health/portfolio", sales).status_code for _ in range(4)]
        if statuses == [200] * 4:
            break
        time.sleep(0.2)
    assert statuses == [200] * 4
