"""Gateway fixtures: the gateway on a real database, in front of real HTTP upstreams.

Upstreams are real servers on free ports (werkzeug in a thread): an echo service that says what
it received, so routing tests do not depend on any service's progress, and the real accounts
app where the test is about it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from support import TEST_TOKEN, HttpClient, closed_port_url, empty_tables, serve, serve_asgi

from kam_gateway import create_app
from kam_gateway.keys import create_key
from kam_gateway.models import Base

ECHO_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "echo", "version": "1"},
    "paths": {},
    "components": {"schemas": {}},
}


def echo_app(name: str, spec: dict[str, Any] | None = None) -> Flask:
    """Answers every call with what it received; `?echo_status=N`, `?echo_sleep=S` steer it."""
    app = Flask(f"echo-{name}")
    received: list[dict[str, Any]] = []
    app.config["received"] = received

    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok", "service": name}

    @app.get("/openapi.json")
    def openapi() -> Any:
        return jsonify(spec or ECHO_SPEC)

    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(path: str) -> Any:
        seen = {
            "service": name,
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "headers": dict(request.headers),
            "body": request.get_data(as_text=True),
        }
        received.append(seen)
        if "echo_sleep" in request.args:
            time.sleep(float(request.args["echo_sleep"]))
        status = int(request.args.get("echo_status", 200))
        response = jsonify(seen)
        response.status_code = status
        if status == 201:
            response.headers["Location"] = "/api/v1/things/1"
            response.headers["ETag"] = '"1"'
        if status == 429:
            response.headers["Retry-After"] = "7"
        return response

    return app


@pytest.fixture(scope="session")
def echo_servers() -> Iterator[tuple[dict[str, str], dict[str, Flask]]]:
    apps = {name: echo_app(name) for name in ("accounts", "offerings", "health", "plays")}
    with (
        serve(apps["accounts"]) as accounts,
        serve(apps["offerings"]) as offerings,
        serve(apps["health"]) as health,
        serve(apps["plays"]) as plays,
    ):
        yield {"accounts": accounts, "offerings": offerings, "health": health, "plays": plays}, apps


@pytest.fixture
def echo_upstreams(
    echo_servers: tuple[dict[str, str], dict[str, Flask]],
) -> dict[str, str]:
    """One echo server per service: `{"accounts": url, ...}`."""
    urls, apps = echo_servers
    for app in apps.values():
        app.config["received"].clear()
    return urls


@pytest.fixture
def received(echo_servers: tuple[dict[str, str], dict[str, Flask]]) -> dict[str, list[dict]]:
    """What each echo service received during this test."""
    return {name: app.config["received"] for name, app in echo_servers[1].items()}


def upstream_config(urls: dict[str, str]) -> dict[str, str]:
    return {f"{name.upper()}_URL": url for name, url in urls.items()}


@pytest.fixture
def make_gateway(database_url: Callable[[str], str]) -> Iterator[Callable[..., HttpClient]]:
    """`make_gateway(accounts=url, ..., **config)`: a gateway on an empty DB, served as in
    production (uvicorn, uvloop, httptools) on a real port. `empty=False` keeps the database
    as it is (a second gateway on the same database)."""
    with ExitStack() as servers:

        def make(*, empty: bool = True, **config: Any) -> HttpClient:
            url = database_url("gateway")
            if empty:
                empty_tables(url, Base.metadata)
            application = create_app({"DATABASE_URL": url, "INTERNAL_TOKEN": TEST_TOKEN, **config})
            base_url = servers.enter_context(serve_asgi(application))
            # Clients of the gateway do not hold the internal token: nothing may rely on it.
            return HttpClient(base_url, application)

        yield make


@pytest.fixture
def gateway(make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str]) -> HttpClient:
    return make_gateway(**upstream_config(echo_upstreams))


@pytest.fixture
def key_for(gateway: HttpClient) -> Callable[..., str]:
    """`key_for("sales")` / `key_for("partner", ["acc-1"])`: a fresh secret of that role."""

    def make(role: str, account_ids: list[str] | None = None) -> str:
        db = gateway.application.db
        with db.session() as session:
            _key, secret = create_key(
                session=session, name=f"test {role}", role=role, account_ids=account_ids
            )
        return secret

    return make


@pytest.fixture
def auth(key_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """`auth("engineer")`: request headers carrying a fresh key of that role."""

    def make(role: str, account_ids: list[str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key_for(role, account_ids)}"}

    return make


@pytest.fixture
def upstream_tools() -> SimpleNamespace:
    """The helpers above, for tests that start or stop their own upstreams."""
    return SimpleNamespace(
        serve=serve, echo_app=echo_app, closed_port_url=closed_port_url, config=upstream_config
    )


@pytest.fixture
def accounts_service(service_client: Callable[..., FlaskClient]) -> Iterator[str]:
    """The real accounts app on its own (emptied) test database, served over HTTP."""
    from kam_accounts import create_app as create_accounts
    from kam_accounts.models import Base as AccountsBase

    app = service_client("accounts", create_accounts, AccountsBase.metadata).application
    with serve(app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of our own on a free port, nothing saved to disk.

    Fails (never skips) without redis-server: the shared rate limits must be proven.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
