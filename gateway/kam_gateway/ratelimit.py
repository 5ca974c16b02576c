"""Rate limits per API key, the budget set by the key's role (flask-limiter).

One budget per key across the whole API (an application-wide limit keyed by the key id). Only
calls that passed the gate count: without a valid key there is no budget to spend, so a
stranger's 401s cannot exhaust a partner's allowance; /healthz, /readyz and /metrics carry no
key and are never limited. Over the limit: a 429 problem with `Retry-After` (seconds). Answers
within the limit carry `X-RateLimit-Limit`, `-Remaining` and `-Reset`. Storage is `memory://`
for one process, Redis (`KAM_REDIS_URL`) when several workers or gateways must share the count.
If Redis fails, calls are let through (and the failure logged): an outage of the counter must
not become an outage of the API.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Flask, Response, g
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded

from kam_common.problems import problem_response

log = logging.getLogger("kam.gateway.ratelimit")


def _key() -> str:
    return str(g.caller.key_id)


def _not_limited() -> bool:
    return g.get("caller") is None


def _too_many(limit: RequestLimit) -> Response:
    retry_after = max(1, math.ceil(limit.window[0] - time.time()))
    return problem_response(
        429,
        f"This API key's rate limit ({limit.limit}) is used up; retry in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
    )


def _limit_exceeded(error: RateLimitExceeded) -> Response:
    return error.response or problem_response(429, "This API key's rate limit is used up.")


def init_rate_limits(app: Flask, settings: dict[str, Any]) -> Limiter | None:
    """Call after the auth gate is installed: the limiter's check must run after it."""
    if not settings["RATE_LIMIT_ENABLED"]:
        return None
    by_role: dict[str, str] = dict(settings["RATE_LIMITS"])

    def role_limit() -> str:
        return by_role.get(g.caller.role, by_role["partner"])

    limiter = Limiter(
        key_func=_key,
        application_limits=[role_limit],
        storage_uri=settings["RATE_LIMIT_STORAGE"],
        strategy="fixed-window",
        # flask-limiter's own headers would put Retry-After on every answer, over a service's.
        headers_enabled=False,
        swallow_errors=True,
        on_breach=_too_many,
        key_prefix="kam-gateway",
    )
    limiter.request_filter(_not_limited)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _limit_exceeded)

    @app.after_request
    def _rate_limit_headers(response: Response) -> Response:
        limit = limiter.current_limit
        if limit is None:
            return response
        try:
            remaining, reset_at = limit.remaining, limit.reset_at
        except Exception:  # noqa: BLE001 - storage trouble must not fail the answer
            log.warning("rate limit storage unavailable for headers", exc_info=True)
            return response
        response.headers["X-RateLimit-Limit"] = str(limit.limit.amount)
        response.headers["X-RateLimit-Remaining"] = str(max(0, remaining))
        response.headers["X-RateLimit-Reset"] = str(reset_at)
        return response

    return limiter
