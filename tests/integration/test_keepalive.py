"""The services' HTTP client against a real socket server that answers in every framing a
service may use, closes idle connections, stalls, or breaks off mid-answer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from kam_common.keepalive import KeepAlivePool

Handler = Callable[[socket.socket, bytes], bool]  # answers one request; False closes


@pytest.fixture
def server() -> Iterator[Callable[[Handler], tuple[KeepAlivePool, list[int]]]]:
    """`server(handler)`: a pool to a local server whose connections `handler` answers.
    Also returns the list of connections accepted so far (their numbers)."""
    listeners: list[socket.socket] = []

    def start(handler: Handler) -> tuple[KeepAlivePool, list[int]]:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)
        accepted: list[int] = []

        def serve_connection(conn: socket.socket) -> None:
            with conn:
                data = b""
                while True:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    head, _, data = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    while len(data) < length:
                        data += conn.recv(65536)
                    body, data = data[:length], data[length:]
                    if not handler(conn, head + b"\r\n\r\n" + body):
                        return

        def accept() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                accepted.append(len(accepted) + 1)
                threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        port = listener.getsockname()[1]
        return KeepAlivePool("127.0.0.1", port), accepted

    yield start
    for listener in listeners:
        listener.close()


def call(pool: KeepAlivePool, method: str = "GET", body: bytes | None = None, read: float = 2.0):
    return pool.request(
        method, "/x?q=1", {"X-Test": "yes"}, body, connect_timeout=1.0, read_timeout=read
    )


def ok(conn: socket.socket, request: bytes) -> bool:
    body = request.split(b"\r\n", 1)[0]
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body)
    )
    return True


def test_answers_with_content_length_reuse_one_connection(server) -> None:
    pool, accepted = server(ok)

    answers = [call(pool) for _ in range(3)]

    assert [a[0] for a in answers] == [200, 200, 200]
    assert answers[0][2] == b"GET /x?q=1 HTTP/1.1"
    assert answers[0][1]["content-type"] == "text/plain"
    assert accepted == [1]


def test_the_request_goes_out_whole(server) -> None:
    seen: list[bytes] = []

    def record(conn: socket.socket, request: bytes) -> bool:
        seen.append(request)
        return ok(conn, request)

    pool, _ = server(record)
    call(pool, "POST", b'{"a": 1}')
    call(pool, "POST")

    head, _, body = seen[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /x?q=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nX-Test: yes\r\n" in head + b"\r\n" and b"Content-Length: 8" in head
    assert body == b'{"a": 1}'
    assert b"Content-Length: 0" in seen[1]  # a POST without a body still says so


def test_chunked_interim_and_repeated_headers(server) -> None:
    def chunked(conn: socket.socket, _request: bytes) -> bool:
        conn.sendall(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nVary: a\r\nVary: b\r\n\r\n"
            b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        )
        return True

    pool, accepted = server(chunked)
    status, headers, body = call(pool)
    again = call(pool)

    assert (status, body) == (201, b"hello world")
    assert headers["vary"] == "a, b"
    assert again[2] == b"hello world" and accepted == [1]


def test_an_answer_ended_by_closing_is_read_to_the_end(server) -> None:
    def until_close(conn: socket.socket, _request: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
        return False

    pool, accepted = server(until_close)

    assert call(pool)[2] == b"all of it"
    assert call(pool)[2] == b"all of it"
    assert accepted == [1, 2]  # never reused


def test_a_204_and_a_head_answer_have_no_body(server) -> None:
    def no_body(conn: socket.socket, request: bytes) -> bool:
        status = b"204 No Content" if request.startswith(b"DELETE") else b"200 OK"
        conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 10\r\n\r\n")
        return True

    pool, accepted = server(no_body)

    assert call(pool, "DELETE")[:1] == (204,) and call(pool, "HEAD")[2] == b""
    assert accepted == [1]


def test_a_connection_the_service_closed_while_idle_is_not_reused(server) -> None:
    def once(conn: socket.socket, request: bytes) -> bool:
        ok(conn, request)
        return False  # the service drops the connection after answering (keep-alive over)

    pool, accepted = server(once)
    call(pool)
    time.sleep(0.05)

    assert call(pool)[0] == 200
    assert accepted == [1, 2]


def test_failures_are_requests_exceptions(server) -> None:
    def cut_short(conn: socket.socket, _request: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        return False

    def stall(_conn: socket.socket, _request: bytes) -> bool:
        time.sleep(1)
        return False

    cut, _ = server(cut_short)
    slow, _ = server(stall)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]

    with pytest.raises(requests.ConnectionError):
        call(cut)
    with pytest.raises(requests.ReadTimeout):
        call(slow, read=0.2)
    with pytest.raises(requests.ConnectionError):
        call(KeepAlivePool("127.0.0.1", closed_port))


def test_header_values_cannot_smuggle_lines(server) -> None:
    pool, accepted = server(ok)

    with pytest.raises(ValueError, match="X-Evil"):
        pool.request(
            "GET", "/", {"X-Evil": "a\r\nX-Other: b"}, None, connect_timeout=1, read_timeout=1
        )
    assert accepted == []
