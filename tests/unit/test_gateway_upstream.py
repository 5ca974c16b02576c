"""The gateway's guards on service calls: circuit breaker, bulkhead, retry, failure mapping."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from kam_gateway.upstream import CircuitBreaker, Upstream, UpstreamError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeClient:
    """Stands in for ServiceClient: answers or raises what it is told, in order."""

    name = "health"
    base_url = "http://health"

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **_kwargs: Any) -> Any:
        self.calls.append((method, path))
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, BaseException):
            raise outcome
        answer = requests.Response()
        answer.status_code = 200 if outcome == "ok" else int(outcome)
        return answer


def upstream(client: FakeClient, *, failures: int = 2, reset: float = 5.0) -> Upstream:
    return Upstream(
        client,  # type: ignore[arg-type]
        timeout=(0.5, 5.0),
        breaker=CircuitBreaker(failures, reset, clock=Clock()),
        max_concurrent=2,
    )


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
    client = FakeClient(requests.ConnectionError(), requests.ConnectionError())
    guarded = upstream(client, failures=1)

    with pytest.raises(UpstreamError) as first:
        guarded.get("/x")
    with pytest.raises(UpstreamError) as second:
        guarded.get("/x")

    assert first.value.status == 503 and first.value.service == "health"
    assert second.value.status == 503 and second.value.retry_after == 5
    assert "failed repeatedly" in second.value.detail
    assert len(client.calls) == 2  # the first call and its one retry; none for the second


def test_idempotent_calls_are_retried_once_when_the_connection_fails() -> None:
    client = FakeClient(requests.ConnectionError(), "ok")

    answer = upstream(client).call("PUT", "/x")

    assert answer.status_code == 200
    assert client.calls == [("PUT", "/x"), ("PUT", "/x")]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_calls_that_may_create_twice_are_not_retried(method: str) -> None:
    client = FakeClient(requests.ConnectionError(), "ok")

    with pytest.raises(UpstreamError) as failure:
        upstream(client).call(method, "/x")

    assert failure.value.status == 503
    assert len(client.calls) == 1


def test_a_read_timeout_is_a_504_and_not_retried() -> None:
    client = FakeClient(requests.ReadTimeout(), "ok")

    with pytest.raises(UpstreamError) as failure:
        upstream(client).get("/x")

    assert failure.value.status == 504
    assert "did not answer in time" in failure.value.detail
    assert len(client.calls) == 1


def test_an_http_error_answer_is_not_a_breaker_failure() -> None:
    client = FakeClient("500", "500", "500")
    guarded = upstream(client, failures=1)

    for _ in range(3):
        assert guarded.get("/x").status_code == 500

    assert guarded.breaker.state == "closed"


def test_the_bulkhead_refuses_at_once_beyond_its_places_and_frees_them_after() -> None:
    guarded = upstream(FakeClient())

    with guarded.slot(), guarded.slot(), pytest.raises(UpstreamError) as busy, guarded.slot():
        pass
    with guarded.slot():
        pass

    assert busy.value.status == 503
    assert busy.value.service == "health"
    assert "busy" in busy.value.detail
