"""Prometheus metrics at `/metrics`: request counts and latency by route template and status.

Labels are the Flask rule (`/api/v1/accounts/<account_id>`), never the raw path, so a client
cannot grow the number of series by requesting made-up URLs; requests that match no rule are
counted under `route="unmatched"`, and unusual methods under `method="OTHER"`.

Under gunicorn each worker is its own process with its own counters. `kam_common.gunicorn_conf`
sets `PROMETHEUS_MULTIPROC_DIR` (one folder per app under `KAM_DATA_DIR/metrics/`) before any
worker imports `prometheus_client`; the workers then write their values to files there, and a
scrape of any worker adds up all of them. Without that variable (tests, `flask run`) each app
keeps its values in a registry of its own.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

METRICS_PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUESTS = "kam_http_requests"  # exposed as kam_http_requests_total
LATENCY = "kam_http_request_duration_seconds"
LABELS = ("method", "route", "status")
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a fast cached read to a slow composite that waited on a timeout.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class HttpMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    # Each label set's two series, looked up once (the set of label values is bounded).
    _series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = field(default_factory=dict)

    def scrape(self) -> bytes:
        return generate_latest(self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method if method in _METHODS else "OTHER", route, status)
        series = self._series.get(key)
        if series is None:
            labels = (key[0], route, str(status))
            series = self._series[key] = self.requests.labels(*labels), self.latency.labels(*labels)
        series[0].inc()
        series[1].observe(seconds)


def multiprocess_dir() -> str | None:
    path = os.environ.get(MULTIPROC_ENV)
    return path if path and os.path.isdir(path) else None


def make_metrics() -> HttpMetrics:
    """One app's metrics: in the shared folder under gunicorn, else in a registry of its own."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        # Values live in the folder's files; the collector sums every worker's at scrape time.
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        target = None
    else:
        target = registry
    return HttpMetrics(
        registry=registry,
        requests=Counter(
            REQUESTS, "HTTP requests answered, by route template.", LABELS, registry=target
        ),
        latency=Histogram(
            LATENCY,
            "Time from the request's arrival to its response, by route template.",
            LABELS,
            buckets=_BUCKETS,
            registry=target,
        ),
    )


def route_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def init_metrics(app: Flask) -> HttpMetrics:
    """Count every answered request and serve `/metrics`. Register before other hooks, so the
    clock starts before any of them can answer (401, 413, 415 count too)."""
    metrics = make_metrics()
    app.extensions["kam_metrics"] = metrics

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is None or request.path == METRICS_PATH:
            return response
        metrics.observe(
            request.method, route_label(), response.status_code, time.perf_counter() - started
        )
        return response

    return metrics


def metrics_response() -> Response:
    from flask import current_app

    metrics: HttpMetrics = current_app.extensions["kam_metrics"]
    return Response(metrics.scrape(), content_type=CONTENT_TYPE_LATEST)
