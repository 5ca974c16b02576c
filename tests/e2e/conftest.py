"""The session's real stack for end-to-end tests (helpers in tests/e2e_stack.py).

One stack per test session. Each app gets a free port, the stack a fresh data folder, a fixed
internal token and a random bootstrap admin key. `<APP>_DATABASE_URL` variables are passed
through when set (CI's PostgreSQL run); otherwise every app uses SQLite in the data folder.
Each process writes its output to `<data folder>/<app>.log`; a stack that does not come up
fails the session with the tail of those logs.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("e2e-stack")
    ports = free_ports(APPS)
    admin_key = "kam_e2e_" + secrets.token_urlsafe(24)
    # Two gateway workers share their rate-limit counts in Redis, as the reference deployment.
    redis, redis_url = start_redis(data_dir)
    env = {**stack_env(data_dir, ports, admin_key), "KAM_REDIS_URL": redis_url}
    stack = Stack(data_dir, env, ports, admin_key)
    migrate(stack)
    try:
        for app in APPS:
            stack.start(app)
        # Delivers integration events between the apps (kam worker, as `make run` starts it).
        stack.launch("worker", [str(BIN / "kam"), "worker"])
        wait_until_ready(stack)
    except Exception as exc:  # any start-up failure ends the session the same way
        stack.stop()
        redis.terminate()
        pytest.fail(f"the e2e stack did not come up: {exc}\n{stack.diagnostics()}", pytrace=False)
    yield stack
    stack.stop()
    redis.terminate()
    redis.wait(10)


@pytest.fixture(scope="session")
def gateway_url(stack: Stack) -> str:
    return stack.url("gateway")


@pytest.fixture(scope="session")
def admin_headers(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.admin_key}"}


@pytest.fixture(scope="session")
def create_key(gateway_url: str, admin_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """`create_key("partner", ["<account id>"])`: the admin API's answer (id, key, ...)."""

    def create(role: str, account_ids: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": f"e2e {role} {uuid.uuid4().hex[:8]}", "role": role}
        if account_ids is not None:
            body["account_ids"] = account_ids
        response = requests.post(
            f"{gateway_url}/api/v1/admin/keys", json=body, headers=admin_headers, timeout=10
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    return create


@pytest.fixture(scope="session")
def make_key(create_key: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, str]]:
    """`make_key("sales")`: request headers carrying a new key of that role."""

    def make(role: str, account_ids: list[str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_key(role, account_ids)['key']}"}

    return make
