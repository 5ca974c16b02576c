"""The services as seen from the gateway's event loop: the fast path's calls, guarded alike.

The asyncio twin of `upstream.Upstream`, sharing its circuit breaker (one per service and
process, whichever path called), its timeouts and its retry rule. Its bulkhead is its own:
the threaded one keeps a stalled service from taking all of the Flask pool's threads, while a
forwarded call waits on the loop and holds no thread, so here the bound is on calls pending on
one service (`KAM_UPSTREAM_MAX_PENDING`, per worker), the same queue wait, the same "busy" 503.
Connections are pooled per service and kept alive; requests and answers are framed by
`kam_common.keepalive`'s functions, as in the threaded client.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from kam_common.http import INTERNAL_TOKEN_HEADER, Reply
from kam_common.keepalive import (
    MAX_HEAD_BYTES,
    Headers,
    body_framing,
    chunk_size,
    is_interim,
    parse_head,
    request_message,
)
from kam_gateway.upstream import IDEMPOTENT_METHODS, Upstream

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class AsyncServicePool:
    """Keep-alive connections to one service, most recently used first."""

    def __init__(self, base_url: str, token: str, *, maxsize: int = 32):
        parts = urlsplit(base_url)
        self.tls = ssl.create_default_context() if parts.scheme == "https" else None
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.tls else 80)
        self.host_header = self.host if self.port in (80, 443) else f"{self.host}:{self.port}"
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.maxsize = maxsize
        self._idle: list[Stream] = []

    async def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> Reply:
        sent = {INTERNAL_TOKEN_HEADER: self.token, **headers}
        message = request_message(method, self.prefix + target, self.host_header, sent, body)
        reader, writer = await self._checkout(connect_timeout)
        try:
            async with asyncio.timeout(read_timeout):
                writer.write(message)
                status, answer_headers, content, reusable = await _read_answer(reader, method)
        except TimeoutError as exc:
            writer.close()
            raise requests.ReadTimeout(f"no answer within {read_timeout} s") from exc
        except requests.RequestException:
            writer.close()
            raise
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            writer.close()
            raise requests.ConnectionError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            writer.close()
            raise
        if reusable and len(self._idle) < self.maxsize:
            self._idle.append((reader, writer))
        else:
            writer.close()
        return Reply(status, answer_headers, content)

    async def _checkout(self, connect_timeout: float) -> Stream:
        while self._idle:
            reader, writer = self._idle.pop()
            # The service closed it while idle (or left bytes in it): it cannot be reused.
            if not (writer.is_closing() or reader.at_eof() or reader._buffer):  # noqa: SLF001
                return reader, writer
            writer.close()
        try:
            async with asyncio.timeout(connect_timeout):
                return await asyncio.open_connection(
                    self.host, self.port, ssl=self.tls, limit=MAX_HEAD_BYTES
                )
        except TimeoutError as exc:
            raise requests.ConnectTimeout(f"{self.host}:{self.port}: connect timed out") from exc
        except OSError as exc:
            raise requests.ConnectionError(f"{self.host}:{self.port}: {exc}") from exc


async def _read_answer(
    reader: asyncio.StreamReader, method: str
) -> tuple[int, Headers, bytes, bool]:
    while True:
        status, headers, closing = parse_head(await reader.readuntil(b"\r\n\r\n"))
        if not is_interim(status):
            break
    framing = body_framing(method, status, headers)
    if framing == "close":
        return status, headers, await reader.read(), False
    if framing == "chunked":
        parts = []
        while size := chunk_size(await reader.readuntil(b"\r\n")):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass  # trailers
        return status, headers, b"".join(parts), not closing
    return status, headers, await reader.readexactly(int(framing)), not closing


class AsyncUpstream:
    """One service for the event loop: shares `upstream`'s breaker, timeouts and name."""

    def __init__(self, upstream: Upstream, *, max_pending: int):
        self.upstream = upstream
        self.name = upstream.name
        self.client = upstream.client  # its base URL, for rewriting Location
        self.pool = AsyncServicePool(upstream.client.base_url, upstream.client.token)
        self._slots = asyncio.Semaphore(max(1, max_pending))

    async def call(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> Reply:
        """One call through breaker and bulkhead, retried once on a failed connection if
        idempotent. Raises `UpstreamError` (503/504) when the service gives no answer."""
        upstream = self.upstream
        if not upstream.breaker.allow():
            raise upstream.held_off()
        if self._slots.locked():  # full: wait a little for a place (free ones need no timer)
            try:
                async with asyncio.timeout(upstream.queue_seconds):
                    await self._slots.acquire()
            except TimeoutError:
                raise upstream.busy() from None
        else:
            await self._slots.acquire()
        connect, read = upstream.timeout
        attempts = 2 if method in IDEMPOTENT_METHODS else 1
        try:
            for attempt in range(attempts):
                try:
                    answer = await self.pool.request(
                        method, target, headers, body, connect_timeout=connect, read_timeout=read
                    )
                    break
                except requests.ConnectionError:
                    if attempt + 1 == attempts:
                        raise
        except BaseException as exc:
            problem = upstream.failure(exc)
            if problem is exc:
                raise
            raise problem from exc
        finally:
            self._slots.release()
        upstream.breaker.succeeded()
        return answer
