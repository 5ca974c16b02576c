"""Settings of the gateway, from the environment."""

from __future__ import annotations

import os
from typing import Any

from limits import parse_many

from kam_common.config import (
    database_url,
    env_bool,
    env_float,
    env_int,
    env_str,
    internal_token,
    refuse_published,
    service_url,
)

# The services behind the gateway (their ports: kam_common.config.SERVICE_PORTS).
SERVICES = ("accounts", "offerings", "health", "plays")

# Requests per API key, by the key's role (`limits` notation; `;` separates several).
# Generous enough for a sales tool or a dashboard refreshing often; partners are outside
# systems, so they get less by default.
DEFAULT_RATE_LIMITS = {
    "admin": "1200/minute",
    "executive": "600/minute",
    "sales": "600/minute",
    "engineer": "600/minute",
    "partner": "120/minute",
}


def _optional_float(name: str) -> float | None:
    return env_float(name, 0.0) if os.environ.get(name) else None


def rate_limits() -> dict[str, str]:
    return {
        role: _limit(f"KAM_RATE_LIMIT_{role.upper()}", default)
        for role, default in DEFAULT_RATE_LIMITS.items()
    }


def rate_limit_storage() -> str:
    """Redis when several gateway workers or machines share the counts (`KAM_REDIS_URL`), else
    the one worker's memory; `KAM_RATE_LIMIT_STORAGE` may name another `limits` storage."""
    return env_str("KAM_REDIS_URL", "") or env_str("KAM_RATE_LIMIT_STORAGE", "memory://")


def bootstrap_admin_key() -> str | None:
    key = os.environ.get("KAM_BOOTSTRAP_ADMIN_KEY") or None
    refuse_published("KAM_BOOTSTRAP_ADMIN_KEY", key)
    return key


def bootstrap_admin_person() -> tuple[str, str] | None:
    """`KAM_BOOTSTRAP_ADMIN_EMAIL` and `KAM_BOOTSTRAP_ADMIN_PASSWORD`, when both are set."""
    email = os.environ.get("KAM_BOOTSTRAP_ADMIN_EMAIL") or None
    password = os.environ.get("KAM_BOOTSTRAP_ADMIN_PASSWORD") or None
    if email is None or password is None:
        return None
    refuse_published("KAM_BOOTSTRAP_ADMIN_PASSWORD", password)
    return email, password


def _limit(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        parse_many(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must look like '600/minute', got {value!r}") from exc
    return value


def load() -> dict[str, Any]:
    settings: dict[str, Any] = {
        "DATABASE_URL": database_url("gateway"),
        "INTERNAL_TOKEN": internal_token(),
        # Connect fails fast (a stopped service refuses at once, a live one accepts in well under
        # a millisecond); reads allow for real work. `KAM_<SERVICE>_CONNECT_TIMEOUT` and
        # `KAM_<SERVICE>_READ_TIMEOUT` override these for one service.
        "UPSTREAM_CONNECT_TIMEOUT": env_float("KAM_UPSTREAM_CONNECT_TIMEOUT", 0.5),
        "UPSTREAM_READ_TIMEOUT": env_float("KAM_UPSTREAM_READ_TIMEOUT", 5.0),
        # A file in or out (CSV import and export) is real work for its service: allow for it.
        "BULK_READ_TIMEOUT": env_float("KAM_BULK_READ_TIMEOUT", 120.0),
        # A composite's optional parts (health, agreement) must not hold the whole answer up.
        "COMPOSITE_READ_TIMEOUT": env_float("KAM_COMPOSITE_READ_TIMEOUT", 3.0),
        # Circuit breaker per service and process: open after this many failed calls in a row,
        # let one probe through after the cool-down.
        "BREAKER_FAILURES": env_int("KAM_BREAKER_FAILURES", 5),
        "BREAKER_RESET_SECONDS": env_float("KAM_BREAKER_RESET_SECONDS", 5.0),
        # Calls wait on the event loop, not in a thread; bound them per service and worker all
        # the same (bulkhead), so a stalled service cannot pile up connections without end.
        "UPSTREAM_MAX_PENDING": env_int("KAM_UPSTREAM_MAX_PENDING", 64),
        "UPSTREAM_QUEUE_SECONDS": env_float("KAM_UPSTREAM_QUEUE_SECONDS", 0.1),
        # /readyz is polled by orchestrators that give up after a second or two.
        "READY_TIMEOUT": env_float("KAM_READY_TIMEOUT", 1.0),
        # Service specs only change on deploy; refetching them per call would be wasted work.
        "OPENAPI_CACHE_SECONDS": env_float("KAM_OPENAPI_CACHE_SECONDS", 60.0),
        "BOOTSTRAP_ADMIN_KEY": bootstrap_admin_key(),
        # A body must arrive whole within this; a slower one is a 408 and its connection closed.
        "BODY_READ_TIMEOUT": env_float("KAM_BODY_READ_TIMEOUT", 10.0),
        # Failed key checks per client address before its unknown keys get 429 for a while.
        "FAILED_KEY_CHECK_LIMIT": _limit("KAM_FAILED_KEY_CHECK_LIMIT", "30/minute"),
        "BOOTSTRAP_ADMIN_PERSON": bootstrap_admin_person(),
        # A person's session lasts this long from sign-in, then they sign in again.
        "SESSION_HOURS": env_float("KAM_SESSION_HOURS", 12.0),
        # Failed sign-ins per email and per client address before further tries get 429.
        "SIGNIN_LIMIT_ACCOUNT": _limit("KAM_SIGNIN_LIMIT_ACCOUNT", "10/15 minutes"),
        "SIGNIN_LIMIT_ADDRESS": _limit("KAM_SIGNIN_LIMIT_ADDRESS", "50/15 minutes"),
        # Set when the gateway is served over HTTPS behind a proxy: session cookies get `Secure`.
        "SECURE_COOKIES": env_bool("KAM_SECURE_COOKIES", False),
        "RATE_LIMIT_ENABLED": env_bool("KAM_RATE_LIMIT_ENABLED", True),
        "RATE_LIMITS": rate_limits(),
        "RATE_LIMIT_STORAGE": rate_limit_storage(),
        # Webhook targets on loopback or private networks: refused unless this is set
        # (development, tests, a receiver inside the same private network on purpose).
        "WEBHOOKS_ALLOW_PRIVATE": env_bool("KAM_WEBHOOKS_ALLOW_PRIVATE", False),
    }
    for name in SERVICES:
        prefix = name.upper()
        settings[f"{prefix}_URL"] = service_url(name)
        settings[f"{prefix}_CONNECT_TIMEOUT"] = _optional_float(f"KAM_{prefix}_CONNECT_TIMEOUT")
        settings[f"{prefix}_READ_TIMEOUT"] = _optional_float(f"KAM_{prefix}_READ_TIMEOUT")
    return settings
