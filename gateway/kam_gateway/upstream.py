"""Calls to the services, guarded: timeouts, one retry, a circuit breaker and a bulkhead.

Every call the gateway makes to a service goes through that service's `Upstream`, from the
event loop, on one aiohttp session per gateway process (pooled keep-alive connections):
forwarded calls, composites' parts and the OpenAPI fetch alike.

- **Timeouts** per service: connect, and the whole answer (see `config.py`).
- **One retry** of an idempotent call (GET, HEAD, PUT, DELETE) whose connection failed (refused,
  reset, a stale keep-alive connection, connect timeout). Never after a read timeout, and never
  for POST/PATCH: the service may have done the work already.
- **Circuit breaker**: after `failures` calls in a row that got no answer (connection failure or
  timeout) the breaker opens and calls fail at once with a 503, without touching the network.
  After `reset_seconds` one probe call goes through (half-open); its success closes the breaker,
  its failure opens it for another cool-down. Any HTTP answer, even a 500, is a success here.
- **Bulkhead**: at most `max_pending` calls of this process wait on the service at once; past
  that a call waits up to `queue_seconds` for a place, then gets a "busy" 503. A stalled
  service so never piles up connections without end.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import yarl
from multidict import CIMultiDictProxy

from kam_common.outbox_state import OUTBOX_PATH
from kam_gateway.exchange import Refusal

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# aiohttp would add these on its own; a forwarded call carries only what the client sent.
_SKIP_AUTO_HEADERS = ("User-Agent", "Accept-Encoding", "Accept", "Content-Type")


class UpstreamError(Refusal):
    """A call that got no usable answer: a 503/504 problem naming the service."""

    def __init__(self, service: str, status: int, detail: str, retry_after: int | None = None):
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        super().__init__(status, detail, headers=headers, extra={"service": service})
        self.service, self.retry_after = service, retry_after


@dataclass(frozen=True, slots=True)
class Reply:
    """A service's answer, read whole."""

    status: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class CircuitBreaker:
    """closed → (N failures in a row) → open → (cool-down) → half-open → closed or open.

    Used from one event loop only, so it needs no lock."""

    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

    def __init__(
        self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ):
        self.threshold = max(1, failures)
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.state = self.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self._probing = False

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one (the probe) may."""
        if self.state == self.OPEN:
            if self.clock() - self.opened_at < self.reset_seconds:
                return False
            self.state, self._probing = self.HALF_OPEN, False
        if self.state == self.HALF_OPEN:
            if self._probing:
                return False
            self._probing = True
        return True

    def retry_after(self) -> int:
        """Whole seconds until the next probe may go out (at least 1)."""
        left = self.reset_seconds - (self.clock() - self.opened_at)
        return max(1, int(left + 0.999))

    def succeeded(self) -> None:
        self.state, self.failures, self._probing = self.CLOSED, 0, False

    def failed(self) -> None:
        self.failures += 1
        if self.state == self.HALF_OPEN or self.failures >= self.threshold:
            self.state, self.opened_at, self._probing = self.OPEN, self.clock(), False


class Upstream:
    """One service as seen by one gateway process: where it is and its guards."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str,
        *,
        timeout: tuple[float, float],
        breaker: CircuitBreaker,
        max_pending: int = 64,
        queue_seconds: float = 0.1,
        session: Callable[[], aiohttp.ClientSession],
    ):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.connect_timeout, self.read_timeout = timeout
        self.breaker = breaker
        self.queue_seconds = queue_seconds
        self._session = session
        self._slots = asyncio.Semaphore(max(1, max_pending))
        self._connect = aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout)

    def unavailable(self) -> UpstreamError:
        return UpstreamError(self.name, 503, f"The {self.name} service is unavailable.")

    def timed_out(self) -> UpstreamError:
        return UpstreamError(self.name, 504, f"The {self.name} service did not answer in time.")

    def busy(self) -> UpstreamError:
        detail = f"The {self.name} service is busy: too many calls to it are in progress."
        return UpstreamError(self.name, 503, detail, retry_after=1)

    def held_off(self) -> UpstreamError:
        detail = (
            f"The {self.name} service is unavailable (it failed repeatedly; "
            "the gateway is not calling it for a few seconds)."
        )
        return UpstreamError(self.name, 503, detail, retry_after=self.breaker.retry_after())

    async def call(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        *,
        read_timeout: float | None = None,
    ) -> Reply:
        """One call through breaker and bulkhead, retried once on a failed connection if
        idempotent. `target` is the path and query as they go on the wire."""
        if not self.breaker.allow():
            raise self.held_off()
        if self._slots.locked():  # full: wait a little for a place (free ones need no timer)
            try:
                async with asyncio.timeout(self.queue_seconds):
                    await self._slots.acquire()
            except TimeoutError:
                raise self.busy() from None
        else:
            await self._slots.acquire()
        try:
            answer = await self._exchange(method, target, headers, body, read_timeout)
        except UpstreamError:
            self.breaker.failed()
            raise
        finally:
            self._slots.release()
        self.breaker.succeeded()
        return answer

    async def _exchange(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None,
        read_timeout: float | None,
    ) -> Reply:
        url = yarl.URL(self.base_url + target, encoded=True)
        sent = {"X-Internal-Token": self.token, **headers}
        attempts = 2 if method in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            try:
                async with asyncio.timeout(read_timeout or self.read_timeout):
                    async with self._session().request(
                        method,
                        url,
                        headers=sent,
                        data=body,
                        timeout=self._connect,
                        allow_redirects=False,  # a service's redirect is the client's to follow
                    ) as answer:
                        return Reply(answer.status, answer.headers, await answer.read())
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                # Refused, or no connection in time: nothing was sent, so trying again is safe.
                # (aiohttp itself retries an idempotent call once on a kept-alive connection
                # that the service closed or reset: the other half of the one retry.)
                failure = exc
            except aiohttp.ClientError:
                raise self.unavailable() from None
            except TimeoutError:
                raise self.timed_out() from None  # sent, but no answer in time: never retried
            if attempt + 1 == attempts:
                if isinstance(failure, aiohttp.ConnectionTimeoutError):
                    raise self.timed_out() from None
                raise self.unavailable() from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def probe(self, timeout: float) -> str:
        """`/healthz` straight to the service, past breaker and bulkhead (for /readyz)."""
        reply = await self._direct("/healthz", timeout)
        if isinstance(reply, str):
            return reply
        return "up" if reply.status == 200 else "unhealthy"

    async def outbox(self, timeout: float) -> dict[str, int] | None:
        """`{"pending", "dead_letters"}` of the service's outbox; None when it cannot say."""
        reply = await self._direct(OUTBOX_PATH, timeout)
        try:
            body = reply.json() if not isinstance(reply, str) and reply.status == 200 else None
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        pending, dead = body.get("pending"), body.get("dead_letters")
        if type(pending) is not int or type(dead) is not int:
            return None  # a bool is no count either
        return {"pending": pending, "dead_letters": dead}

    async def _direct(self, path: str, timeout: float) -> Reply | str:
        """A GET straight to the service, past breaker and bulkhead: readiness must see a
        service that is back while its breaker still holds calls off. `"timeout"` or `"down"`
        when there is no answer."""
        try:
            async with asyncio.timeout(timeout):
                async with self._session().get(
                    self.base_url + path,
                    headers={"X-Internal-Token": self.token},
                    timeout=self._connect,
                    allow_redirects=False,
                ) as answer:
                    return Reply(answer.status, answer.headers, await answer.read())
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError:
            return "down"


class Upstreams(dict[str, Upstream]):
    """The services of one gateway process, sharing one aiohttp session (made on first use,
    inside the event loop that serves the process)."""

    def __init__(self, settings: Mapping[str, Any], services: Iterable[str]):
        super().__init__()
        self._session: aiohttp.ClientSession | None = None
        for name in services:
            prefix = name.upper()
            timeout = (
                settings.get(f"{prefix}_CONNECT_TIMEOUT") or settings["UPSTREAM_CONNECT_TIMEOUT"],
                settings.get(f"{prefix}_READ_TIMEOUT") or settings["UPSTREAM_READ_TIMEOUT"],
            )
            self[name] = Upstream(
                name,
                settings[f"{prefix}_URL"],
                settings["INTERNAL_TOKEN"],
                timeout=timeout,
                breaker=CircuitBreaker(
                    settings["BREAKER_FAILURES"], settings["BREAKER_RESET_SECONDS"]
                ),
                max_pending=settings["UPSTREAM_MAX_PENDING"],
                queue_seconds=settings["UPSTREAM_QUEUE_SECONDS"],
                session=self.session,
            )

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=None),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                requote_redirect_url=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
