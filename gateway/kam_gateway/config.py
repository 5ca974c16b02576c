"""Settings of the gateway, from the environment."""

from __future__ import annotations

import os
from typing import Any

from kam_common.config import database_url, env_float, internal_token, service_url

# The services behind the gateway and their default ports on one machine.
SERVICES = {"accounts": 8081, "offerings": 8082, "health": 8083}


def load() -> dict[str, Any]:
    settings: dict[str, Any] = {
        "DATABASE_URL": database_url("gateway"),
        "INTERNAL_TOKEN": internal_token(),
        # Connect fails fast (a stopped service refuses at once); reads allow for real work.
        "UPSTREAM_CONNECT_TIMEOUT": env_float("KAM_UPSTREAM_CONNECT_TIMEOUT", 1.0),
        "UPSTREAM_READ_TIMEOUT": env_float("KAM_UPSTREAM_READ_TIMEOUT", 10.0),
        # A composite's optional parts (health, agreement) must not hold the whole answer up.
        "COMPOSITE_READ_TIMEOUT": env_float("KAM_COMPOSITE_READ_TIMEOUT", 3.0),
        # /readyz is polled by orchestrators that give up after a second or two.
        "READY_TIMEOUT": env_float("KAM_READY_TIMEOUT", 1.0),
        # Service specs only change on deploy; refetching them per call would be wasted work.
        "OPENAPI_CACHE_SECONDS": env_float("KAM_OPENAPI_CACHE_SECONDS", 60.0),
        "BOOTSTRAP_ADMIN_KEY": os.environ.get("KAM_BOOTSTRAP_ADMIN_KEY") or None,
    }
    for name, port in SERVICES.items():
        settings[f"{name.upper()}_URL"] = service_url(name, port)
    return settings
