"""The gateway's guards on service calls: circuit breaker, bulkhead, retry, failure mapping.

The breaker is plain logic; the rest runs against a real server on a local port."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from support import closed_port_url

from kam_gateway.upstream import CircuitBreaker, Upstream, UpstreamError, Upstreams


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Service:
    """A real HTTP/1.1 server on a free port that plays each connection by a script: `"reset"`
    closes it at once, `"slow"` never answers, a number answers with that status."""

    def __init__(self, *script: str | int) -> None:
        self.script = list(script)
        self.requests: list[str] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *_exc: object) -> None:
        self.server.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests.append(head.split(b" ", 1)[0].decode())
            step = self.script.pop(0) if self.script else 200
            if step == "reset":
                writer.close()
                return
            if step == "slow":
                await asyncio.sleep(5)
                return
            writer.write(f"HTTP/1.1 {step} X\r\nContent-Length: 2\r\n\r\nok".encode())
            await writer.drain()


def upstream(url: str, *, failures: int = 2, max_pending: int = 2) -> tuple[Upstream, Upstreams]:
    settings = {
        "HEALTH_URL": url,
        "INTERNAL_TOKEN": "t",
        "UPSTREAM_CONNECT_TIMEOUT": 0.5,
        "UPSTREAM_READ_TIMEOUT": 0.3,
        "BREAKER_FAILURES": failures,
        "BREAKER_RESET_SECONDS": 5.0,
        "UPSTREAM_MAX_PENDING": max_pending,
        "UPSTREAM_QUEUE_SECONDS": 0.05,
    }
    upstreams = Upstreams(settings, ["health"])
    return upstreams["health"], upstreams


Test = Callable[[Upstream, Service], Awaitable[None]]


def run(script: tuple[str | int, ...], test: Test, *, failures: int = 1) -> None:
    async def main() -> None:
        service = Service(*script)
        async with service as url:
            guarded, upstreams = upstream(url, failures=failures)
            try:
                await test(guarded, service)
            finally:
                await upstreams.close()

    asyncio.run(main())


def test_the_breaker_opens_after_failures_in_a_row_and_a_success_resets_the_count() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 5.0, clock=clock)

    breaker.failed()
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    breaker.failed()
    assert breaker.state == "closed" and breaker.allow()

    breaker.failed()
    assert breaker.state == "open"
    assert not breaker.allow()
    assert breaker.retry_after() == 5


def test_after_the_cool_down_one_probe_goes_through_and_its_success_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 5.0, clock=clock)
    breaker.failed()

    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.allow()  # the probe
    assert breaker.state == "half_open"
    assert not breaker.allow()  # only one probe at a time

    breaker.succeeded()
    assert breaker.state == "closed"
    assert breaker.allow() and breaker.allow()


def test_a_failed_probe_opens_the_breaker_for_another_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 5.0, clock=clock)
    breaker.failed()
    clock.now += 5.0
    assert breaker.allow()

    breaker.failed()

    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now += 5.0
    assert breaker.allow()


def test_an_open_breaker_fails_fast_with_a_503_naming_the_service() -> None:
    async def test(guarded: Upstream, service: Service) -> None:
        with pytest.raises(UpstreamError) as first:
            await guarded.call("GET", "/x", {})
        with pytest.raises(UpstreamError) as second:
            await guarded.call("GET", "/x", {})

        assert first.value.status == 503 and first.value.service == "health"
        assert second.value.status == 503 and second.value.retry_after == 5
        assert "failed repeatedly" in second.value.detail
        assert len(service.requests) == 2  # the first call and its one retry; none for the second

    run(("reset", "reset"), test)


def test_a_refused_idempotent_call_is_tried_twice_then_is_a_503() -> None:
    async def main() -> None:
        guarded, upstreams = upstream(closed_port_url())
        with pytest.raises(UpstreamError) as failure:
            await guarded.call("GET", "/x", {})
        await upstreams.close()

        assert failure.value.status == 503
        assert guarded.breaker.failures == 1  # one failed call, whatever its attempts

    asyncio.run(main())


def test_idempotent_calls_are_retried_once_when_the_connection_fails() -> None:
    async def test(guarded: Upstream, service: Service) -> None:
        answer = await guarded.call("PUT", "/x", {}, b"{}")

        assert answer.status == 200
        assert service.requests == ["PUT", "PUT"]

    run(("reset",), test)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_calls_that_may_create_twice_are_not_retried(method: str) -> None:
    async def test(guarded: Upstream, service: Service) -> None:
        with pytest.raises(UpstreamError) as failure:
            await guarded.call(method, "/x", {}, b"{}")

        assert failure.value.status == 503
        assert service.requests == [method]

    run(("reset",), test)


def test_a_read_timeout_is_a_504_and_not_retried() -> None:
    async def test(guarded: Upstream, service: Service) -> None:
        with pytest.raises(UpstreamError) as failure:
            await guarded.call("GET", "/x", {})

        assert failure.value.status == 504
        assert "did not answer in time" in failure.value.detail
        assert service.requests == ["GET"]

    run(("slow",), test)


def test_an_http_error_answer_is_not_a_breaker_failure() -> None:
    async def test(guarded: Upstream, service: Service) -> None:
        for _ in range(3):
            assert (await guarded.call("GET", "/x", {})).status == 500

        assert guarded.breaker.state == "closed"

    run((500, 500, 500), test)


def test_the_bulkhead_refuses_beyond_its_places_after_a_short_wait() -> None:
    async def test(guarded: Upstream, service: Service) -> None:
        stalled = [asyncio.create_task(guarded.call("GET", "/x", {})) for _ in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(UpstreamError) as busy:
            await guarded.call("GET", "/x", {})
        await asyncio.gather(*stalled, return_exceptions=True)
        answer = await guarded.call("GET", "/x", {})  # places are free again

        assert busy.value.status == 503 and busy.value.service == "health"
        assert "busy" in busy.value.detail
        assert answer.status == 200

    run(("slow", "slow"), test, failures=5)
