"""Gateway: the one public entry point (API keys, roles, routing, composites, OpenAPI).

`create_app()` builds the ASGI app, one request pipeline (`pipeline.py`) served by uvicorn
workers under gunicorn (`serving.py`, `asgi.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway


def create_app(config: dict[str, Any] | None = None) -> Gateway:
    from kam_gateway import config as app_config
    from kam_gateway.pipeline import Gateway

    settings = app_config.load()
    settings.update(config or {})
    return Gateway(settings)
