"""Settings of the plays service, from the environment."""

from __future__ import annotations

from typing import Any

from kam_common.config import (
    database_url,
    env_bool,
    env_float,
    env_str,
    internal_token,
    service_port,
    service_url,
)

DEFAULT_SMTP_URL = "smtp://127.0.0.1:2525"  # `kam mail-sink`, which `make run` starts


def load() -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url("plays"),
        "INTERNAL_TOKEN": internal_token(),
        # Read-through for accounts created a moment ago, before their event arrives.
        "ACCOUNTS_URL": service_url("accounts"),
        "ACCOUNTS_TIMEOUT": env_float("KAM_PLAYS_ACCOUNTS_TIMEOUT", 2.0),
        # The shipped triggers (docs/plays.md), installed by `kam migrate`.
        "DEFAULT_TRIGGERS": env_bool("KAM_PLAYS_DEFAULT_TRIGGERS", True),
        # Campaign mail.
        "SMTP_URL": env_str("KAM_SMTP_URL", DEFAULT_SMTP_URL),
        "SMTP_TIMEOUT": env_float("KAM_SMTP_TIMEOUT", 10.0),
        "MAIL_FROM": env_str("KAM_MAIL_FROM", "Key accounts <kam@localhost>"),
        # Where recipients reach the tracking links: the gateway, as the outside world sees it.
        "PUBLIC_URL": env_str("KAM_PUBLIC_URL", f"http://127.0.0.1:{service_port('gateway')}"),
        # Signs the tracking links (default: derived from the internal token).
        "TRACKING_SECRET": env_str("KAM_TRACKING_SECRET", "") or None,
    }
