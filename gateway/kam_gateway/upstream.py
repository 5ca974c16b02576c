"""Calls to the services, guarded: timeouts, one retry, a circuit breaker and a bulkhead.

Each gateway process keeps one `Upstream` per service:

- **Timeouts** per service, connect and read (see `config.py`).
- **One retry** of an idempotent call (GET, HEAD, PUT, DELETE, OPTIONS) whose connection failed
  (refused, reset, a stale keep-alive connection, connect timeout). Never after a read timeout,
  and never for POST/PATCH: the service may have done the work already.
- **Circuit breaker**: after `failures` calls in a row that got no answer (connection failure or
  timeout) the breaker opens and calls fail at once with a 503, without touching the network.
  After `reset_seconds` one probe call goes through (half-open); its success closes the breaker,
  its failure opens it for another cool-down. Any HTTP answer, even a 500, is a success here:
  the service is there and answering.
- **Bulkhead**: at most `max_concurrent` requests of this process wait on the service at once;
  one more gets a 503 at once. A stalled service so ties up only part of the worker's threads
  and everything else keeps flowing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from flask import Response, g

from kam_common.http import ServiceClient
from kam_common.problems import problem_response

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
Timeout = tuple[float, float]


class UpstreamError(Exception):
    """A call that got no usable answer: becomes a 503/504 problem naming the service."""

    def __init__(self, service: str, status: int, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.service = service
        self.status = status
        self.detail = detail
        self.retry_after = retry_after

    def response(self) -> Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        return problem_response(
            self.status, self.detail, headers=headers, extra={"service": self.service}
        )


def unavailable(service: str) -> UpstreamError:
    return UpstreamError(service, 503, f"The {service} service is unavailable.")


def timed_out(service: str) -> UpstreamError:
    return UpstreamError(service, 504, f"The {service} service did not answer in time.")


class CircuitBreaker:
    """closed → (N failures in a row) → open → (cool-down) → half-open → closed or open.

    The closed state, the common one, is read without the lock: a stale read costs at most one
    extra call to a service that has just failed, or one refused call.
    """

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
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one (the probe) may."""
        if self.state == self.CLOSED:
            return True
        with self._lock:
            if self.state == self.OPEN:
                if self.clock() - self.opened_at < self.reset_seconds:
                    return False
                self.state = self.HALF_OPEN
                self._probing = False
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
        if self.state == self.CLOSED and self.failures == 0:
            return
        with self._lock:
            self.state = self.CLOSED
            self.failures = 0
            self._probing = False

    def failed(self) -> None:
        with self._lock:
            if self.state == self.HALF_OPEN:
                self._open()
                return
            self.failures += 1
            if self.state == self.CLOSED and self.failures >= self.threshold:
                self._open()

    def _open(self) -> None:
        self.state = self.OPEN
        self.opened_at = self.clock()
        self._probing = False


class Upstream:
    """One service as seen by one gateway process: its pooled client and its guards."""

    def __init__(
        self,
        client: ServiceClient,
        *,
        timeout: Timeout,
        breaker: CircuitBreaker,
        max_concurrent: int,
        queue_seconds: float = 0.1,
    ):
        self.client = client
        self.name = client.name
        self.timeout = timeout
        self.breaker = breaker
        self.max_concurrent = max(1, max_concurrent)
        self.queue_seconds = queue_seconds
        self._slots = threading.BoundedSemaphore(self.max_concurrent)

    def busy(self) -> UpstreamError:
        """The bulkhead is full."""
        return UpstreamError(
            self.name,
            503,
            f"The {self.name} service is busy: too many calls to it are in progress.",
            retry_after=1,
        )

    def held_off(self) -> UpstreamError:
        """The breaker is open."""
        return UpstreamError(
            self.name,
            503,
            f"The {self.name} service is unavailable (it failed repeatedly; "
            "the gateway is not calling it for a few seconds).",
            retry_after=self.breaker.retry_after(),
        )

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the service's places for the length of a client request (bulkhead).

        A call waits up to `queue_seconds` for a place: a burst of quick calls passes (places
        free up in milliseconds), while calls piling up on a stalled service are refused."""
        if not self._slots.acquire(timeout=self.queue_seconds):
            raise self.busy()
        try:
            yield
        finally:
            self._slots.release()

    def call(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        timeout: Timeout | None = None,
    ) -> requests.Response:
        """One call through the breaker, retried once on a failed connection if idempotent."""
        if not self.breaker.allow():
            raise self.held_off()
        attempts = 2 if method in IDEMPOTENT_METHODS else 1
        extra = dict(headers) if headers else None
        try:
            for attempt in range(attempts):
                try:
                    answer = self.client.request(
                        method, path, headers=extra, data=data, timeout=timeout or self.timeout
                    )
                    break
                except requests.ConnectionError:
                    if attempt + 1 == attempts:
                        raise
        except BaseException as exc:
            problem = self.failure(exc)
            if problem is exc:
                raise
            raise problem from exc
        self.breaker.succeeded()
        return answer

    def failure(self, exc: BaseException) -> BaseException:
        """Count a call that got no answer against the breaker (a half-open probe included, so
        it never hangs); returns what to raise: a 504/503 problem, or `exc` itself if it is no
        network failure."""
        self.breaker.failed()
        if isinstance(exc, requests.Timeout):  # ConnectTimeout included: it is both
            return timed_out(self.name)
        if isinstance(exc, requests.RequestException):
            return unavailable(self.name)
        return exc

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)


def make_upstreams(settings: Mapping[str, Any], services: Iterable[str]) -> dict[str, Upstream]:
    """One guarded, pooled client per service, shared by all requests of this process."""
    upstreams = {}
    for name in services:
        prefix = name.upper()
        timeout = (
            settings.get(f"{prefix}_CONNECT_TIMEOUT") or settings["UPSTREAM_CONNECT_TIMEOUT"],
            settings.get(f"{prefix}_READ_TIMEOUT") or settings["UPSTREAM_READ_TIMEOUT"],
        )
        client = ServiceClient(
            name,
            settings[f"{prefix}_URL"],
            settings["INTERNAL_TOKEN"],
            connect_timeout=timeout[0],
            read_timeout=timeout[1],
        )
        upstreams[name] = Upstream(
            client,
            timeout=timeout,
            breaker=CircuitBreaker(settings["BREAKER_FAILURES"], settings["BREAKER_RESET_SECONDS"]),
            max_concurrent=settings["UPSTREAM_MAX_CONCURRENT"],
            queue_seconds=settings["UPSTREAM_QUEUE_SECONDS"],
        )
    return upstreams


# X-Gateway-Latency: the time this request spent in the gateway minus the time it waited on
# the services. Waiting is measured in the request's own thread (composites wait on futures).


def add_wait(seconds: float) -> None:
    g.upstream_wait = g.get("upstream_wait", 0.0) + seconds


@contextmanager
def waiting() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        add_wait(time.perf_counter() - started)
