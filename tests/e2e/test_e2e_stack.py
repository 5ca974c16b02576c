"""The running stack as a whole: probes, the public OpenAPI document, request ids, errors."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_stack import BIN, free_port
from support import problem

pytestmark = pytest.mark.e2e

MakeKey = Callable[..., dict[str, str]]
CreateKey = Callable[..., dict[str, Any]]


def test_healthz_answers_without_a_key(gateway_url: str) -> None:
    response = requests.get(f"{gateway_url}/healthz", timeout=5)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_is_200_and_names_every_service_when_all_are_up(gateway_url: str) -> None:
    response = requests.get(f"{gateway_url}/readyz", timeout=5)

    assert response.status_code == 200, response.text
    body = json.dumps(response.json())
    for service in ("accounts", "offerings", "health"):
        assert service in body


def test_every_app_answers_its_own_healthz(stack: Any) -> None:
    for app in ("accounts", "offerings", "health", "gateway"):
        response = requests.get(f"{stack.url(app)}/healthz", timeout=5)
        assert response.status_code == 200, app


def test_services_refuse_callers_without_the_internal_token(stack: Any) -> None:
    response = requests.get(f"{stack.url('accounts')}/accounts", timeout=5)

    assert response.status_code == 401


def test_openapi_lists_the_public_api(gateway_url: str, make_key: MakeKey) -> None:
    response = requests.get(
        f"{gateway_url}/api/v1/openapi.json", headers=make_key("engineer"), timeout=10
    )

    assert response.status_code == 200, response.text
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/accounts" in document["paths"]
    assert "/api/v1/admin/keys" in document["paths"]


def test_the_clients_request_id_comes_back_and_is_logged_by_gateway_and_accounts(
    stack: Any, gateway_url: str, make_key: MakeKey
) -> None:
    request_id = f"e2e-{uuid.uuid4().hex}"

    response = requests.get(
        f"{gateway_url}/api/v1/accounts",
        headers={**make_key("sales"), "X-Request-ID": request_id},
        timeout=10,
    )

    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == request_id
    # Log lines are written before the answer leaves each app; allow a moment for the files.
    deadline = time.monotonic() + 5
    missing = ["gateway", "accounts"]
    while missing and time.monotonic() < deadline:
        missing = [app for app in missing if request_id not in stack.log_text(app)]
        time.sleep(0.1)
    assert not missing, f"request id not in the logs of {missing}"


def test_a_generated_request_id_is_returned(gateway_url: str) -> None:
    response = requests.get(f"{gateway_url}/api/v1/accounts", timeout=5)

    assert response.status_code == 401
    assert response.headers.get("X-Request-ID")
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def test_unknown_path_is_a_404_problem(gateway_url: str, admin_headers: dict[str, str]) -> None:
    response = requests.get(f"{gateway_url}/api/v1/no-such-thing", headers=admin_headers, timeout=5)

    problem(response, 404)


def test_missing_key_is_401(gateway_url: str) -> None:
    response = requests.get(f"{gateway_url}/api/v1/accounts", timeout=5)

    problem(response, 401)


def test_unknown_key_is_401(gateway_url: str) -> None:
    response = requests.get(
        f"{gateway_url}/api/v1/accounts",
        headers={"Authorization": "Bearer kam_not_a_real_key_0123456789"},
        timeout=5,
    )

    problem(response, 401)


def test_a_revoked_key_is_refused_by_every_worker_within_a_second(
    gateway_url: str, admin_headers: dict[str, str], create_key: CreateKey
) -> None:
    created = create_key("executive")
    headers = {"Authorization": f"Bearer {created['key']}"}
    # New connections, so both gunicorn workers see (and remember) the key.
    for _ in range(10):
        assert requests.get(f"{gateway_url}/api/v1/accounts", headers=headers, timeout=5).ok

    revoked = requests.delete(
        f"{gateway_url}/api/v1/admin/keys/{created['id']}", headers=admin_headers, timeout=5
    )
    assert revoked.status_code == 204, revoked.text
    time.sleep(1.0)

    for _ in range(10):
        url = f"{gateway_url}/api/v1/accounts"
        problem(requests.get(url, headers=headers, timeout=5), 401)


def test_key_list_never_shows_the_secret(
    gateway_url: str, admin_headers: dict[str, str], create_key: CreateKey
) -> None:
    created = create_key("engineer")

    response = requests.get(f"{gateway_url}/api/v1/admin/keys", headers=admin_headers, timeout=5)

    assert response.status_code == 200, response.text
    assert created["key"] not in response.text
    assert created["id"] in response.text


def test_only_admins_manage_keys(gateway_url: str, make_key: MakeKey) -> None:
    response = requests.post(
        f"{gateway_url}/api/v1/admin/keys",
        json={"name": "sneaky", "role": "admin"},
        headers=make_key("executive"),
        timeout=5,
    )

    problem(response, 403)


def test_a_keys_rate_limit_is_one_budget_across_the_gateways_workers(
    gateway_url: str, make_key: MakeKey
) -> None:
    """Two gunicorn workers counting in Redis: the partner's 120 calls a minute are counted
    once, not once per worker (each call on a new connection, so both workers take calls)."""
    partner = make_key("partner", [str(uuid.uuid4())])
    if 60 - time.time() % 60 < 15:  # the minute's window must not end halfway through
        time.sleep(60 - time.time() % 60 + 0.1)

    answers = [
        requests.get(f"{gateway_url}/api/v1/accounts", headers=partner, timeout=10)
        for _ in range(125)
    ]

    assert [a.status_code for a in answers] == [200] * 120 + [429] * 5
    assert answers[119].headers["X-RateLimit-Remaining"] == "0"
    assert int(answers[120].headers["Retry-After"]) >= 1


def test_the_gateway_refuses_several_workers_that_would_each_count_alone(
    tmp_path: Path, stack: Any
) -> None:
    """Without Redis each worker's memory would give a key a budget per worker: refused."""
    env = {k: v for k, v in stack.env.items() if k != "KAM_REDIS_URL"}
    env["KAM_SERVICE_NAME"] = "gateway"
    command = [str(BIN / "gunicorn"), "-c", "python:kam_common.gunicorn_conf", "--workers", "2"]
    command += ["--bind", f"127.0.0.1:{free_port()}", "-k", "kam_gateway.serving.GatewayWorker"]
    finished = subprocess.run(
        [*command, "kam_gateway.asgi:app"], env=env, capture_output=True, text=True, timeout=60
    )

    assert finished.returncode != 0
    assert "set KAM_REDIS_URL" in finished.stdout + finished.stderr
