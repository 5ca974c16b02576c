"""Settings of the offerings service, from the environment."""

from __future__ import annotations

from typing import Any

from kam_common.config import database_url, internal_token


def load() -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url("offerings"),
        "INTERNAL_TOKEN": internal_token(),
    }
