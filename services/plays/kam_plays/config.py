"""Settings of the plays service, from the environment."""

from __future__ import annotations

from typing import Any

from kam_common.config import database_url, env_bool, env_float, internal_token, service_url


def load() -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url("plays"),
        "INTERNAL_TOKEN": internal_token(),
        # Read-through for accounts created a moment ago, before their event arrives.
        "ACCOUNTS_URL": service_url("accounts"),
        "ACCOUNTS_TIMEOUT": env_float("KAM_PLAYS_ACCOUNTS_TIMEOUT", 2.0),
        # The shipped triggers (docs/plays.md), installed by `kam migrate`.
        "DEFAULT_TRIGGERS": env_bool("KAM_PLAYS_DEFAULT_TRIGGERS", True),
    }
