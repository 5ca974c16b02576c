"""The gunicorn worker that serves the gateway's ASGI front (`asgi.py`).

uvicorn's worker on uvloop with the httptools parser: the request line, headers and the event
loop are handled in C, which is most of what a hop costs. The access line is the gateway's own
(JSON, with the request id), so uvicorn's is off; so is its `Server` header.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker


class GatewayWorker(UvicornWorker):  # type: ignore[misc]
    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "access_log": False,
        "server_header": False,
        # The gateway is the edge: it does not rewrite the client address from X-Forwarded-*.
        "proxy_headers": False,
    }
