"""Rate limits per API key, the budget set by the key's role (fixed windows on the clock).

One budget per key across the whole API, whichever path serves the call (the fast proxy path or
Flask). Only calls that passed the gate count: without a valid key there is no budget to spend,
so a stranger's 401s cannot exhaust a partner's allowance; /healthz, /readyz and /metrics carry
no key and are never limited. Over the limit: a 429 problem with `Retry-After` (seconds).
Answers within the limit carry `X-RateLimit-Limit`, `-Remaining` and `-Reset`. Storage: by
default a file in KAM_DATA_DIR mapped into memory, shared by the gateway's worker processes on
this machine (`sharedcount.py`); Redis (`KAM_REDIS_URL`) when gateways on several machines must
share the count; `memory://` counts in one process only. If the storage fails, calls are let
through (and the failure logged): an outage of the counter must not become an outage of the API.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, g
from limits import RateLimitItem, parse_many

from kam_common.problems import problem_response
from kam_gateway.access import PARTNER, Caller
from kam_gateway.sharedcount import SharedWindows, window_end

log = logging.getLogger("kam.gateway.ratelimit")

KEY_PREFIX = "kam-gateway"
STORAGE_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Verdict:
    """One call's spend: allowed or not, and what the headers say about the budget left."""

    allowed: bool
    limit: RateLimitItem
    remaining: int
    reset_at: float  # epoch seconds when the window ends

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> list[tuple[str, str]]:
        """`X-RateLimit-*` for an allowed call; `Retry-After` for a refused one."""
        if not self.allowed:
            return [("Retry-After", str(self.retry_after()))]
        return [
            ("X-RateLimit-Limit", str(self.limit.amount)),
            ("X-RateLimit-Remaining", str(max(0, self.remaining))),
            ("X-RateLimit-Reset", str(math.ceil(self.reset_at))),
        ]

    def detail(self) -> str:
        return (
            f"This API key's rate limit ({self.limit}) is used up; retry in {self.retry_after()} s."
        )


class MemoryWindows:
    """Counts per window in this process. Windows are aligned to the clock (a minute's window
    ends on the minute), so a count needs no timer: a stale window is simply replaced."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}

    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        """Count one call; returns the count so far in this window and the window's end."""
        now = time.time()
        end = window_end(now, seconds)
        with self._lock:
            window = self._windows.get(key)
            if window is None or window[0] <= now:
                if len(self._windows) >= _PRUNE_AT:
                    self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
                window = self._windows[key] = [end, 0]
            window[1] += 1
            return int(window[1]), end


class RedisWindows:
    """The same counts in Redis, shared by every worker and gateway: one round trip per call
    (INCR, and EXPIREAT so a window's key leaves Redis when the window is over)."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        end = window_end(time.time(), seconds)
        window_key = f"{key}:{end - seconds}"
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(window_key)
        pipe.expireat(window_key, end + 1)
        count, _ = pipe.execute()
        return int(count), float(end)


_PRUNE_AT = 10_000  # windows kept in memory before the ended ones are dropped

FILE_SCHEME = "file://"


def windows_for(storage_uri: str) -> MemoryWindows | SharedWindows | RedisWindows:
    """`memory://` (this process), `file:///path` (this machine's gateway processes) or a Redis
    URL (every gateway)."""
    if storage_uri.startswith("memory://"):
        return MemoryWindows()
    if storage_uri.startswith(FILE_SCHEME):
        return SharedWindows(Path(storage_uri.removeprefix(FILE_SCHEME)))
    return RedisWindows(storage_uri)


class KeyLimits:
    """The budgets by role and the counter they are spent on."""

    def __init__(self, by_role: Mapping[str, str], storage_uri: str):
        self.by_role = {role: parse_many(text) for role, text in by_role.items()}
        self.windows = windows_for(storage_uri)
        self._paused_until = 0.0
        # Counted on this machine, without a network round trip: cheap enough for an event loop.
        self.local = not isinstance(self.windows, RedisWindows)

    def spend(self, caller: Caller) -> Verdict | None:
        """Count one call of `caller`. None when the counter is unreachable (the call passes).

        With several limits for a role (`600/minute;20/second`), each counts the call; the
        first one used up refuses it, else the headers describe the one with the least left."""
        items = self.by_role.get(caller.role) or self.by_role[PARTNER]
        tightest: Verdict | None = None
        if time.monotonic() < self._paused_until:
            return None
        try:
            for item in items:
                seconds = item.get_expiry()
                key = f"{KEY_PREFIX}:{caller.key_id}:{item.amount}/{seconds}"
                count, end = self.windows.hit(key, seconds)
                verdict = Verdict(count <= item.amount, item, item.amount - count, end)
                if not verdict.allowed:
                    return verdict
                if tightest is None or verdict.remaining < tightest.remaining:
                    tightest = verdict
        except Exception:  # noqa: BLE001 - storage trouble must not fail the call
            # Calls pass uncounted for a few seconds rather than each waiting on a dead counter.
            self._paused_until = time.monotonic() + STORAGE_RETRY_SECONDS
            log.warning(
                "rate limit storage unavailable; calls pass uncounted for %s s",
                STORAGE_RETRY_SECONDS,
                exc_info=True,
            )
            return None
        return tightest


def init_rate_limits(app: Flask, settings: dict[str, Any]) -> KeyLimits | None:
    """Call after the auth gate is installed: the spend must run after it (it needs the key)."""
    if not settings["RATE_LIMIT_ENABLED"]:
        return None
    limits = KeyLimits(settings["RATE_LIMITS"], settings["RATE_LIMIT_STORAGE"])

    @app.before_request
    def _spend() -> Response | None:
        caller = g.get("caller")
        if caller is None:
            return None
        verdict = g.rate_limit = limits.spend(caller)
        if verdict is not None and not verdict.allowed:
            return problem_response(429, verdict.detail(), headers=dict(verdict.headers()))
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        verdict = g.get("rate_limit")
        if verdict is not None and verdict.allowed:
            for name, value in verdict.headers():
                response.headers[name] = value
        return response

    return limits
