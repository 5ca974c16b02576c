"""X-Gateway-Latency leaves out the time spent waiting on services, counted once however many
calls wait at the same time (a composite's, a page's)."""

from __future__ import annotations

import asyncio
import time

from kam_gateway.exchange import Call


def call(parent: Call | None = None) -> Call:
    made = Call(method="GET", path="/", query="", headers=[], client="127.0.0.1")
    made.parent = parent
    return made


async def wait_on(target: Call, seconds: float) -> None:
    async with target.waiting():
        await asyncio.sleep(seconds)


def test_concurrent_waits_count_once_as_wall_time() -> None:
    page = call()
    started = time.perf_counter()

    async def run() -> None:
        await asyncio.gather(*(wait_on(page, 0.2) for _ in range(4)))

    asyncio.run(run())
    wall = time.perf_counter() - started
    assert 0.19 <= page.waited <= wall


def test_a_page_call_waits_on_behalf_of_the_page_that_made_it() -> None:
    page = call()
    started = time.perf_counter()

    async def run() -> None:
        await asyncio.gather(*(wait_on(call(page), 0.2) for _ in range(3)))
        await wait_on(call(page), 0.1)

    asyncio.run(run())
    wall = time.perf_counter() - started
    assert 0.29 <= page.waited <= wall
