"""Settings of the accounts service, from the environment."""

from __future__ import annotations

from typing import Any

from kam_common.config import database_url, env_int, internal_token


def load() -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url("accounts"),
        "INTERNAL_TOKEN": internal_token(),
        # A file of more rows than this is checked and applied by the worker, with progress.
        "IMPORT_INLINE_ROWS": env_int("KAM_IMPORT_INLINE_ROWS", 5000),
    }
