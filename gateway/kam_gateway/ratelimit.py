"""Rate limits per API key, the budget set by the key's role, counted on a `limits` storage.

One budget per key across the whole API. Only calls that passed the key check spend: a
stranger's 401s cannot exhaust a partner's allowance. A call costs 1, a batch of N events N.
Over the limit: a 429 problem with `Retry-After`; answers within it carry `X-RateLimit-Limit`,
`-Remaining` and `-Reset`.

Windows are fixed and aligned to the clock (a minute's window ends on the minute), and each
window has its own counter key: one `incr` on the storage per limit is the whole cost of a
call, and the window's end is known without asking the storage again (the `limits` strategies
would ask twice more for the headers, a round trip each on Redis).

Storages (`limits.aio`): memory by default, for the one gateway worker a machine runs (its event
loop serves every connection); Redis (redis-py) when several workers or gateways share the
counts (`KAM_REDIS_URL`). The gateway refuses to start several workers that would each count on
their own (`serving.py`). If the storage fails, calls are let through (and the failure logged)
for a few seconds: an outage of the counter must not become an outage of the API.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.storage import storage_from_string

from kam_gateway.access import PARTNER, Caller

log = logging.getLogger("kam.gateway.ratelimit")

STORAGE_RETRY_SECONDS = 5.0


def window_end(now: float, seconds: int) -> int:
    """The end of the clock-aligned window holding `now`."""
    return int(now - now % seconds) + seconds


def open_storage(uri: str) -> Storage:
    """`redis://…` or `memory://` as its `limits.aio` storage."""
    if not uri.startswith("async+"):
        uri = "async+" + uri
    options = {"implementation": "redispy"} if uri.startswith("async+redis") else {}
    storage = storage_from_string(uri, **options)
    assert isinstance(storage, Storage)  # noqa: S101 - async+ schemes give async storages
    return storage


@dataclass(frozen=True)
class Verdict:
    """One call's spend: allowed or not, and what the headers say about the budget left."""

    allowed: bool
    limit: RateLimitItem
    remaining: int
    reset_at: int  # epoch seconds when the window ends
    cost: int = 1

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> list[tuple[str, str]]:
        """`X-RateLimit-*` for an allowed call; `Retry-After` for a refused one."""
        if not self.allowed:
            return [("Retry-After", str(self.retry_after()))]
        return [
            ("X-RateLimit-Limit", str(self.limit.amount)),
            ("X-RateLimit-Remaining", str(max(0, self.remaining))),
            ("X-RateLimit-Reset", str(self.reset_at)),
        ]

    def detail(self) -> str:
        if self.cost > self.limit.amount:
            return (
                f"This call counts {self.cost} (one per item), more than this API key's whole "
                f"rate limit ({self.limit}): send smaller batches."
            )
        return (
            f"This API key's rate limit ({self.limit}) is used up; retry in {self.retry_after()} s."
        )


class Counter:
    """Counts on a storage per clock-aligned window; pauses counting while the storage fails."""

    def __init__(self, storage: Storage, prefix: str):
        self.storage = storage
        self.prefix = prefix
        self._paused_until = 0.0

    async def count(self, key: str, item: RateLimitItem, cost: int) -> tuple[int, int] | None:
        """The count in `key`'s current window after adding `cost`, and the window's end;
        None while the storage is unreachable."""
        if time.monotonic() < self._paused_until:
            return None
        seconds = item.get_expiry()
        now = time.time()
        end = window_end(now, seconds)
        window = f"{self.prefix}:{key}:{item.amount}/{seconds}:{end}"
        try:
            count = await self.storage.incr(window, max(1, math.ceil(end - now)), amount=cost)
        except Exception:  # noqa: BLE001 - storage trouble must not fail the call
            self._paused_until = time.monotonic() + STORAGE_RETRY_SECONDS
            log.warning(
                "rate limit storage unavailable; calls pass uncounted for %s s",
                STORAGE_RETRY_SECONDS,
                exc_info=True,
            )
            return None
        return count, end


class KeyLimits:
    """The budgets by role, spent per call. A key found over its limit is refused from memory
    until that window ends, without asking the storage again."""

    def __init__(self, by_role: Mapping[str, str], storage: Storage):
        self.by_role = {role: parse_many(text) for role, text in by_role.items()}
        self.counter = Counter(storage, "kam-gateway")
        # A count that needs a network round trip (Redis) is worth taking off a call's path.
        self.remote = not isinstance(storage, MemoryStorage)
        self._refused: dict[str, Verdict] = {}

    async def spend(self, caller: Caller, cost: int = 1) -> Verdict | None:
        """Count one call of `caller`; None when the counter is unreachable (the call passes).

        With several limits for a role (`600/minute;20/second`) each counts the call; the first
        one used up refuses it, else the headers describe the one with the least left."""
        refused = self._refused.get(caller.key_id)
        if refused is not None:
            if refused.reset_at > time.time():
                return refused
            del self._refused[caller.key_id]
        tightest: Verdict | None = None
        for item in self.by_role.get(caller.role) or self.by_role[PARTNER]:
            counted = await self.counter.count(caller.key_id, item, cost)
            if counted is None:
                return None
            count, end = counted
            verdict = Verdict(count <= item.amount, item, item.amount - count, end, cost)
            if not verdict.allowed:
                if len(self._refused) > 10_000:
                    self._refused.clear()
                if cost == 1:  # a refused batch says nothing about a single call
                    self._refused[caller.key_id] = verdict
                return verdict
            if tightest is None or verdict.remaining < tightest.remaining:
                tightest = verdict
        return tightest


class FailedKeyChecks:
    """Failed key checks per client address: past the limit, that address's calls with a key
    this process does not already know are refused (429) until the window ends, without a
    database read. A known key (one this process has seen pass) still works from there."""

    def __init__(self, limit: str, storage: Storage, namespace: str = "kam-gateway-auth"):
        self.limit = parse(limit)
        self.counter = Counter(storage, namespace)
        self._blocked: dict[str, int] = {}

    def blocked(self, address: str) -> int | None:
        """The seconds until `address` may try unknown keys again, or None."""
        until = self._blocked.get(address)
        if until is None:
            return None
        left = until - time.time()
        if left <= 0:
            del self._blocked[address]
            return None
        return max(1, math.ceil(left))

    async def failed(self, address: str) -> None:
        counted = await self.counter.count(address, self.limit, 1)
        if counted is not None and counted[0] >= self.limit.amount:
            if len(self._blocked) > 10_000:
                self._blocked.clear()
            self._blocked[address] = counted[1]
