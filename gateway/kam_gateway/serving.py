"""The gunicorn worker that serves the gateway (`asgi.py`).

uvicorn's worker on uvloop with the httptools parser: the request line, headers and the event
loop are handled in C, which is most of what a hop costs. The access line is the gateway's own
(JSON, with the request id), so uvicorn's is off; so is its `Server` header.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from gunicorn.arbiter import Arbiter
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn_worker import UvicornWorker

from kam_common.problems import PROBLEM_CONTENT_TYPE, problem_document
from kam_common.requestlog import request_id_from


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, but a request it cannot parse gets a problem like every
    other refusal (with a request id), not uvicorn's plain-text 400."""

    def send_400_response(self, msg: str) -> None:
        request_id = request_id_from(None)
        body = json.dumps(
            problem_document(400, "The request is not valid HTTP/1.1.", request_id=request_id)
        ).encode()
        head = (
            f"content-type: {PROBLEM_CONTENT_TYPE}\r\ncontent-length: {len(body)}\r\n"
            f"x-request-id: {request_id}\r\nx-content-type-options: nosniff\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(STATUS_LINE[400] + head.encode() + body)
        self.transport.close()


class GatewayWorker(UvicornWorker):
    def init_process(self) -> None:
        from kam_gateway.config import rate_limit_storage

        if self.cfg.workers > 1 and rate_limit_storage().startswith("memory://"):
            # Each worker would count a key's calls on its own: a budget per worker.
            self.log.error(
                "%s gateway workers need shared rate-limit counts: set KAM_REDIS_URL, or run "
                "one worker (KAM_GATEWAY_WORKERS=1; its event loop serves every connection)",
                self.cfg.workers,
            )
            sys.exit(Arbiter.WORKER_BOOT_ERROR)  # the master stops: restarting cannot help
        super().init_process()

    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "uvloop",
        "http": "kam_gateway.serving:ProblemHttpToolsProtocol",
        "lifespan": "on",
        "access_log": False,
        "server_header": False,
        # The gateway is the edge: it does not rewrite the client address from X-Forwarded-*.
        "proxy_headers": False,
    }
