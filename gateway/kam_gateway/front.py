"""The gateway as served: an ASGI front with the fast path, and the Flask app behind it.

Plain forwards are answered on the event loop (`fastpath.py`); every other call goes to the
Flask app, run in a pool of threads (a2wsgi), exactly as a WSGI server would run it.
"""

from __future__ import annotations

from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask

from kam_common.config import env_int
from kam_gateway.fastpath import FastPath, Receive, Scope, Send


class GatewayApp:
    def __init__(self, flask_app: Flask, *, threads: int):
        self.flask_app = flask_app
        self.wsgi = WSGIMiddleware(flask_app, workers=threads)
        settings = flask_app.extensions["kam_gateway"].settings
        parts: dict[str, Any] = flask_app.extensions["kam_gateway_parts"]
        self.fast = FastPath(**parts) if settings["FAST_PATH"] else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if self.fast is not None and await self.fast.handle(scope, receive, send):
            return
        await self.wsgi(scope, receive, send)  # type: ignore[arg-type]


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop beyond what the Flask app does on import."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build(flask_app: Flask) -> GatewayApp:
    return GatewayApp(flask_app, threads=env_int("KAM_THREADS", 8))
