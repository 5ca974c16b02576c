"""Clients nobody here wrote, over raw sockets: chunked bodies, slow and half-sent bodies,
repeated Authorization headers, and the error pages of servers that are not ours."""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import HttpClient

Auth = Callable[..., dict[str, str]]
MIB = 1024 * 1024


def address(client: HttpClient) -> tuple[str, int]:
    parts = urlsplit(client.base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def exchange(client: HttpClient, raw: bytes, *, timeout: float = 10) -> tuple[int, dict, bytes]:
    """Send `raw` as it is; read one answer (status, lower-case headers, body)."""
    with closing(socket.create_connection(address(client), timeout=timeout)) as sock:
        sock.sendall(raw)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split(" ")[1]), headers, body


def chunked(method: str, path: str, headers: dict[str, str], body: bytes, size: int) -> bytes:
    """A request whose body is sent in chunks of `size` bytes."""
    head = [f"{method} {path} HTTP/1.1", "Host: gateway", "Transfer-Encoding: chunked"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    parts = [("\r\n".join(head) + "\r\n\r\n").encode()]
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        parts.append(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def assert_problem(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict:
    assert status == expected, body
    assert headers["content-type"] == "application/problem+json"
    document = json.loads(body)
    assert document["status"] == expected
    assert document["request_id"] == headers["x-request-id"]
    return dict(document)


@pytest.fixture
def accounts_gateway(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    upstream_tools: Any,
    echo_upstreams: dict[str, str],
) -> HttpClient:
    """The gateway in front of the real accounts service."""
    return make_gateway(**upstream_tools.config({**echo_upstreams, "accounts": accounts_service}))


@pytest.fixture
def sales_headers(accounts_gateway: HttpClient) -> dict[str, str]:
    from kam_gateway.keys import create_key

    with accounts_gateway.application.db.session() as session:
        _key, secret = create_key(session=session, name="sales", role="sales")
    return {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


def test_a_chunked_post_reaches_the_service_whole(
    accounts_gateway: HttpClient, sales_headers: dict[str, str]
) -> None:
    body = json.dumps({"name": "Chunked Ltd", "tier": "strategic", "needs": ["x" * 50] * 20})

    status, headers, answer = exchange(
        accounts_gateway,
        chunked("POST", "/api/v1/accounts", sales_headers, body.encode(), 7),
    )

    assert status == 201, answer
    created = json.loads(answer)
    assert (created["name"], created["tier"], len(created["needs"])) == (
        "Chunked Ltd",
        "strategic",
        20,
    )
    assert headers["x-request-id"]


def test_a_chunked_patch_changes_what_it_says(
    accounts_gateway: HttpClient, sales_headers: dict[str, str]
) -> None:
    created = accounts_gateway.post(
        "/api/v1/accounts", json={"name": "Before"}, headers=sales_headers
    ).json
    path = f"/api/v1/accounts/{created['id']}"

    status, _headers, answer = exchange(
        accounts_gateway,
        chunked("PATCH", path, sales_headers, b'{"name": "After", "tier": "strategic"}', 5),
    )

    assert status == 200, answer
    stored = accounts_gateway.get(path, headers=sales_headers).json
    assert (stored["name"], stored["tier"], stored["version"]) == ("After", "strategic", 2)


def test_a_chunked_body_over_one_mebibyte_is_a_413_and_nothing_is_created(
    accounts_gateway: HttpClient, sales_headers: dict[str, str]
) -> None:
    huge = json.dumps({"name": "Huge", "industry": "x" * (MIB + 10)}).encode()

    status, headers, answer = exchange(
        accounts_gateway, chunked("POST", "/api/v1/accounts", sales_headers, huge, 64 * 1024)
    )

    assert_problem(status, headers, answer, 413)
    listed = accounts_gateway.get("/api/v1/accounts?q=Huge", headers=sales_headers).json
    assert listed["total"] == 0


def test_a_declared_length_over_one_mebibyte_is_a_413_before_the_body_is_read(
    gateway: HttpClient, auth: Auth
) -> None:
    key = auth("sales")["Authorization"]
    raw = (
        f"POST /api/v1/accounts HTTP/1.1\r\nHost: g\r\nAuthorization: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {MIB + 1}\r\n\r\n{{"
    ).encode()

    status, headers, answer = exchange(gateway, raw)

    assert_problem(status, headers, answer, 413)
    assert headers["connection"] == "close"


@contextmanager
def half_sent_bodies(client: HttpClient, key: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that each promise a body and send only its first bytes."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection(address(client), timeout=10)
            sock.sendall(
                (
                    f"POST /api/v1/health/events HTTP/1.1\r\nHost: g\r\nAuthorization: {key}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                    '{"type": "delivery", '
                ).encode()
            )
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def timed_call(client: HttpClient, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    assert client.get("/api/v1/accounts", headers=headers).status_code == 200
    return time.perf_counter() - started


def test_two_hundred_half_sent_bodies_of_one_key_do_not_delay_another_keys_calls(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
    auth: Auth,
) -> None:
    gateway = make_gateway(**upstream_tools.config(echo_upstreams), BODY_READ_TIMEOUT=30.0)
    partner = auth("partner", ["acc-1"])["Authorization"]
    other = auth("sales")
    before = statistics.median(timed_call(gateway, other) for _ in range(20))

    with half_sent_bodies(gateway, partner, 200):
        during = [timed_call(gateway, other) for _ in range(20)]
        healthz = gateway.get("/healthz")
        keys = gateway.get("/api/v1/admin/keys", headers=auth("admin"))

    # A stall would show in every call; one slow call is the machine's scheduling, not a stall.
    assert statistics.median(during) - before < 0.100, (before, during)
    assert max(during) < 1.0, during
    assert healthz.status_code == 200 and keys.status_code == 200


def test_a_body_that_stops_arriving_is_a_408_and_its_connection_closes(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
    auth: Auth,
    received: dict[str, list[dict]],
) -> None:
    gateway = make_gateway(**upstream_tools.config(echo_upstreams), BODY_READ_TIMEOUT=0.5)
    key = auth("engineer")["Authorization"]

    with half_sent_bodies(gateway, key, 3) as sockets:
        started = time.perf_counter()
        answers = [read_answer(sock) for sock in sockets]
        waited = time.perf_counter() - started
        closed = [sock.recv(1) for sock in sockets]

    for status, headers, body in answers:
        document = assert_problem(status, headers, body, 408)
        assert "did not arrive within 0.5 s" in document["detail"]
    assert waited < 3
    assert closed == [b"", b"", b""]  # the gateway closed each connection after its answer
    assert received["health"] == []  # nothing half-sent was forwarded


@pytest.mark.parametrize(
    "path", ["/api/v1/accounts", "/api/v1/admin/keys", "/api/v1/nothing-here", "/metrics"]
)
def test_two_authorization_headers_are_refused_on_every_path(
    gateway: HttpClient, auth: Auth, received: dict[str, list[dict]], path: str
) -> None:
    good = auth("admin")["Authorization"]
    for second in (good, "Bearer kam_unknown", "Basic dXNlcjpwYXNz"):
        raw = (
            f"GET {path} HTTP/1.1\r\nHost: g\r\nAuthorization: {good}\r\n"
            f"Authorization: {second}\r\n\r\n"
        ).encode()

        status, headers, body = exchange(gateway, raw)

        if path == "/metrics":  # not a key's path: the internal token is missing
            assert_problem(status, headers, body, 401)
            continue
        document = assert_problem(status, headers, body, 401)
        assert document["detail"] == "Send one Authorization header."
        assert 'error="invalid_request"' in headers["www-authenticate"]
    assert received["accounts"] == []


def html_error_server(status: str) -> Callable[[], Any]:
    """A server that answers every request with an HTML error page, as gunicorn does for a
    request line or headers too large for it."""

    @contextmanager
    def serve() -> Iterator[str]:
        listener = socket.create_server(("127.0.0.1", 0))
        stop = threading.Event()

        def run() -> None:
            listener.settimeout(0.1)
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.recv(65536)
                    page = f"<html><body><h1>{status}</h1>Request Line is too large (8132 > 4094)"
                    conn.sendall(
                        f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\n"
                        f"Content-Length: {len(page)}\r\nConnection: close\r\n\r\n{page}".encode()
                    )

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            stop.set()
            thread.join(5)
            listener.close()

    return serve


@pytest.mark.parametrize(
    "status", ["414 Request-URI Too Long", "431 Request Header Fields Too Large", "400 Bad Request"]
)
def test_a_services_html_error_page_becomes_a_problem(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
    auth: Auth,
    status: str,
) -> None:
    with html_error_server(status)() as accounts:
        gateway = make_gateway(**upstream_tools.config({**echo_upstreams, "accounts": accounts}))
        answer = gateway.get("/api/v1/accounts", headers=auth("sales"))

    code = int(status.split()[0])
    assert answer.status_code == code
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["request_id"] == answer.headers["X-Request-ID"]
    assert "8132" not in answer.get_data(as_text=True)  # the server's own words stay out
    assert "<html" not in answer.get_data(as_text=True)


def test_a_request_target_too_long_for_the_services_is_a_414_problem_at_the_gateway(
    gateway: HttpClient, auth: Auth, received: dict[str, list[dict]]
) -> None:
    answer = gateway.get("/api/v1/accounts?q=" + "x" * 5000, headers=auth("sales"))

    assert answer.status_code == 414
    assert answer.json["type"] == "urn:kam:problem:uri-too-long"
    assert answer.json["request_id"] == answer.headers["X-Request-ID"]
    assert received["accounts"] == []


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /api/v1/accounts HTTP/1.1\r\nHost: g\r\nContent-Length: abc\r\n\r\n",
        b"GET /api/v1/accounts HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
    ],
)
def test_a_request_the_server_cannot_parse_gets_a_problem_with_a_request_id(
    gateway: HttpClient, raw: bytes
) -> None:
    status, headers, body = exchange(gateway, raw)

    assert_problem(status, headers, body, 400)
    assert headers["x-content-type-options"] == "nosniff"


def test_the_gateways_own_operations_refuse_unknown_parameters_and_values(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    keys = gateway.get("/api/v1/admin/keys?colour=red", headers=auth("admin"))
    assert keys.status_code == 400, keys.json
    assert list(keys.json["errors"]) == ["colour"]
    timeline = gateway.get("/api/v1/accounts/a-1/timeline?type=rumour", headers=auth("admin"))
    assert timeline.status_code == 400, timeline.json
    assert "type" in timeline.json["detail"]
    malformed = gateway.get("/api/v1/accounts/a-1/timeline?per_page=lots", headers=auth("admin"))
    assert malformed.status_code == 422
