"""Settings of the health service, from the environment."""

from __future__ import annotations

from typing import Any

from kam_common.config import database_url, env_float, env_int, internal_token, service_url


def load() -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url("health"),
        "INTERNAL_TOKEN": internal_token(),
        # Read-through for accounts created a moment ago, before their event arrives.
        "ACCOUNTS_URL": service_url("accounts"),
        "ACCOUNTS_TIMEOUT": env_float("KAM_HEALTH_ACCOUNTS_TIMEOUT", 2.0),
        # A file of more rows than this is checked and applied by the worker, with progress.
        "IMPORT_INLINE_ROWS": env_int("KAM_IMPORT_INLINE_ROWS", 5000),
    }
