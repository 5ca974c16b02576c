"""HTTP/1.1 to our own services over pooled keep-alive connections, and nothing more.

urllib3 and http.client under it parse every answer's headers with the `email` package and wrap
each call in several layers; on the gateway's hop that was the largest cost after gunicorn
itself. The services are ours and speak plain HTTP/1.1, so this client does only what calls
between them need: one request at a time per connection; answers framed by Content-Length,
chunked, or the end of the connection; interim 1xx answers skipped; idle connections reused
after checking that the service has not closed them meanwhile. Failures raise the `requests`
exceptions every caller already handles (a refused or reset connection is a ConnectionError,
a slow connect a ConnectTimeout, a slow answer a ReadTimeout).
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
from collections import deque
from collections.abc import Iterator, Mapping

import requests

MAX_HEAD_BYTES = 64 * 1024
_READ_SIZE = 64 * 1024
_BODYLESS_STATUSES = frozenset({204, 304})
_NEEDS_LENGTH = frozenset({"POST", "PUT", "PATCH"})
_UNSAFE_HEADER_VALUE = re.compile(r"[\r\n\x00]")


class Headers(Mapping[str, str]):
    """An answer's headers, looked up case-insensitively; repeated ones joined with ", "."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, tuple[str, str]]):
        self._values = values  # lower-case name -> (name as sent, value)

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()][1]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        found = self._values.get(name.lower())
        return default if found is None else found[1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _value in self._values.values())

    def __len__(self) -> int:
        return len(self._values)


def request_message(
    method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    """The whole request, ready for one write. Refuses anything that could split lines."""
    if _UNSAFE_HEADER_VALUE.search(target) or " " in target:
        raise ValueError(f"unusable request target {target!r}")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    for name, value in headers.items():
        if _UNSAFE_HEADER_VALUE.search(value) or _UNSAFE_HEADER_VALUE.search(name):
            raise ValueError(f"unusable value for header {name}")
        lines.append(f"{name}: {value}")
    if body or method in _NEEDS_LENGTH:
        lines.append(f"Content-Length: {len(body or b'')}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body else head


def parse_head(head: bytes) -> tuple[int, Headers, bool]:
    """Status, headers and whether the service will close the connection after this answer."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    try:
        status = int(rest[:3])
    except ValueError:
        raise requests.ConnectionError(f"not an HTTP answer: {lines[0][:80]!r}") from None
    values: dict[str, tuple[str, str]] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        key = name.lower()
        if key in values:
            value = f"{values[key][1]}, {value}"
        values[key] = (name, value)
    headers = Headers(values)
    closing = version != "HTTP/1.1" or "close" in (headers.get("Connection") or "").lower()
    return status, headers, closing


def is_interim(status: int) -> bool:
    """1xx answers (but 101) come before the real one."""
    return 100 <= status < 200 and status != 101


def body_framing(method: str, status: int, headers: Headers) -> int | str:
    """How the body ends: a byte count (0: no body), "chunked", or "close" (read to the end)."""
    if method == "HEAD" or status in _BODYLESS_STATUSES:
        return 0
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        return "chunked"
    length = headers.get("Content-Length")
    if length is None:
        return "close"
    try:
        return int(length)
    except ValueError:
        raise requests.ConnectionError(f"bad Content-Length {length!r}") from None


def chunk_size(line: bytes) -> int:
    try:
        return int(line.split(b";", 1)[0].strip(), 16)
    except ValueError:
        raise requests.ConnectionError("bad chunk size") from None


class _Connection:
    __slots__ = ("buffer", "sock")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()

    def is_dropped(self) -> bool:
        """An idle connection with something to read has been closed by the service (or holds
        stray bytes): either way it cannot carry another request."""
        if self.buffer:
            return True
        try:
            readable, _w, _x = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def fill(self) -> bool:
        """Read what has arrived; False at the end of the connection."""
        chunk = self.sock.recv(_READ_SIZE)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_until(self, marker: bytes, limit: int) -> bytes:
        start = 0
        while True:
            found = self.buffer.find(marker, start)
            if found >= 0:
                end = found + len(marker)
                data = bytes(self.buffer[:end])
                del self.buffer[:end]
                return data
            if len(self.buffer) > limit:
                raise requests.ConnectionError("the answer's head is too large")
            start = max(0, len(self.buffer) - len(marker) + 1)
            if not self.fill():
                raise requests.ConnectionError("the connection closed before a whole answer")

    def read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self.fill():
                raise requests.ConnectionError("the connection closed before a whole answer")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def read_to_end(self) -> bytes:
        while self.fill():
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class KeepAlivePool:
    """Connections to one service (host and port), reused most-recent first."""

    def __init__(self, host: str, port: int, *, tls: bool = False, maxsize: int = 32):
        self.host = host
        self.port = port
        self.tls = ssl.create_default_context() if tls else None
        self.maxsize = maxsize
        self.host_header = host if port in (80, 443) else f"{host}:{port}"
        self._idle: deque[_Connection] = deque()

    def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> tuple[int, Headers, bytes]:
        """One exchange: (status, headers, body). The request goes out in one write."""
        message = request_message(method, target, self.host_header, headers, body)
        conn = self._checkout(connect_timeout)
        try:
            conn.sock.settimeout(read_timeout)
            conn.sock.sendall(message)
            status, answer_headers, content, reusable = self._read_answer(conn, method)
        except TimeoutError as exc:
            conn.close()
            raise requests.ReadTimeout(f"no answer within {read_timeout} s") from exc
        except requests.RequestException:
            conn.close()
            raise
        except OSError as exc:
            conn.close()
            raise requests.ConnectionError(str(exc)) from exc
        except BaseException:
            conn.close()
            raise
        if reusable and len(self._idle) < self.maxsize:
            self._idle.append(conn)
        else:
            conn.close()
        return status, answer_headers, content

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def _checkout(self, connect_timeout: float) -> _Connection:
        while self._idle:
            try:
                conn = self._idle.pop()
            except IndexError:  # another thread took the last one
                break
            if not conn.is_dropped():
                return conn
            conn.close()
        try:
            sock = socket.create_connection((self.host, self.port), timeout=connect_timeout)
        except TimeoutError as exc:
            raise requests.ConnectTimeout(f"{self.host}:{self.port}: {exc}") from exc
        except OSError as exc:
            raise requests.ConnectionError(f"{self.host}:{self.port}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        return _Connection(sock)

    def _read_answer(self, conn: _Connection, method: str) -> tuple[int, Headers, bytes, bool]:
        while True:
            status, headers, closing = parse_head(conn.read_until(b"\r\n\r\n", MAX_HEAD_BYTES))
            if not is_interim(status):
                break
        framing = body_framing(method, status, headers)
        if framing == "close":
            return status, headers, conn.read_to_end(), False
        if framing == "chunked":
            return status, headers, self._read_chunked(conn), not closing
        return status, headers, conn.read_exactly(int(framing)), not closing

    @staticmethod
    def _read_chunked(conn: _Connection) -> bytes:
        parts = []
        while True:
            size = chunk_size(conn.read_until(b"\r\n", MAX_HEAD_BYTES))
            if size == 0:
                # Trailers, if any, end with an empty line.
                while conn.read_until(b"\r\n", MAX_HEAD_BYTES) != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append(conn.read_exactly(size))
            conn.read_exactly(2)
