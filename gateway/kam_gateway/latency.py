"""`X-Gateway-Latency`: the milliseconds the gateway itself added to a response.

That is the time from the first to the last of the gateway's hooks minus the time the request
waited on the services (`upstream.add_wait`). The hooks are put first and last in Flask's lists,
so the key lookup, the rate limit and every other hook are counted. (The fast path stamps the
same header itself, from its own clock: see `fastpath.py`.)
"""

from __future__ import annotations

import time

from flask import Flask, Response, g

HEADER = "X-Gateway-Latency"


def _start() -> None:
    g.gateway_started = time.perf_counter()


def _stamp(response: Response) -> Response:
    started = g.get("gateway_started")
    if started is not None:
        spent = time.perf_counter() - started - g.get("upstream_wait", 0.0)
        response.headers[HEADER] = f"{max(spent, 0.0) * 1000:.2f}"
    return response


def init_latency_header(app: Flask) -> None:
    """Call after every other hook is registered (the rate limits' included)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    # after_request hooks run last-registered first: the first in the list runs last.
    app.after_request_funcs.setdefault(None, []).insert(0, _stamp)
