"""Helpers the tests share: real HTTP servers for apps in threads, and assertions."""

from __future__ import annotations

import json as jsonlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from flask import Flask
from sqlalchemy import Engine, MetaData, event
from werkzeug.serving import make_server

from kam_common.audit import purge
from kam_common.db import make_engine

TEST_TOKEN = "test-internal-token"


_ENGINES: dict[str, Engine] = {}


@contextmanager
def statements_on(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` executes inside the block, in order."""
    seen: list[str] = []

    def count(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def empty_tables(url: str, metadata: MetaData) -> None:
    """Every table of `metadata` emptied, on one engine kept per database: a new engine (and
    connection) per test cost more than the emptying itself."""
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = make_engine(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            clear(conn, table)


def clear(conn: Any, table: Any) -> None:
    """Empty one table; the append-only audit trail through its one deliberate way."""
    if table.info.get("append_only"):
        purge(conn, table)
    else:
        conn.execute(table.delete())


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Run `app` on a free local port for the duration; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval keeps shutdown (and so each test) fast.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def closed_port_url() -> str:
    """A URL nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def problem(response: requests.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 answer with that status; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"] and body["title"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return dict(body)


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn, configured as the gateway's gunicorn worker runs it
    (uvloop, httptools), on a free local port for the duration; yields its base URL."""
    import uvicorn

    from kam_gateway.serving import GatewayWorker

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        **{**GatewayWorker.CONFIG_KWARGS, "lifespan": "auto"},
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


class HttpResponse:
    """A requests response with the parts of Flask's test response the tests read."""

    def __init__(self, response: requests.Response):
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.content
        self.content_type = response.headers.get("Content-Type")

    @property
    def json(self) -> Any:
        return self.get_json(silent=True)

    def get_json(self, silent: bool = False) -> Any:
        try:
            return self.response.json()
        except ValueError:
            if silent:
                return None
            raise

    def get_data(self, as_text: bool = False) -> bytes | str:
        return self.response.text if as_text else self.response.content


class HttpClient:
    """Flask-test-client-like calls, over real HTTP to `base_url`. `application` is the app
    behind it, for tests that reach into its database."""

    def __init__(self, base_url: str, application: Any):
        self.base_url = base_url
        self.application = application
        self.session = requests.Session()

    def open(self, path: str, method: str = "GET", **kwargs: Any) -> HttpResponse:
        kwargs.setdefault("timeout", 30)
        if "json" in kwargs:  # as Flask's test client sends it: UTF-8, not \u escapes
            body = kwargs.pop("json")
            kwargs["data"] = jsonlib.dumps(body, ensure_ascii=False).encode()
            given = kwargs.get("headers") or {}
            kwargs["headers"] = {"Content-Type": "application/json", **given}
        response = self.session.request(method, self.base_url + path, **kwargs)
        return HttpResponse(response)

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "GET", **kwargs)

    def head(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "HEAD", **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "POST", **kwargs)

    def put(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "PUT", **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "PATCH", **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "DELETE", **kwargs)


def emptied(db: Any, metadata: Any) -> Any:
    """`db` (a `kam_common.db.Database`) with every table of `metadata` emptied."""
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            clear(conn, table)
    return db


class WebhookReceiver:
    """A real HTTP receiver on a local port that keeps what it is sent. `stop()` closes the
    port (connections refused), `start()` opens the same port again; `answer` sets the status
    it replies with, `hold` (an Event) makes it wait before answering until set."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[dict[str, Any]] = []
        self.answer = 204
        self.location: str | None = None
        self.hold: threading.Event | None = None
        self.port = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                receiver.received.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body.decode("utf-8"),
                    }
                )
                self.send_response(receiver.answer)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._handler = Handler
        self._server_class = ThreadingHTTPServer
        self._server: Any = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        self._server = self._server_class(("127.0.0.1", self.port), self._handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        return [jsonlib.loads(item["body"]) for item in self.received]
