"""gunicorn settings shared by the four apps (`gunicorn -c python:kam_common.gunicorn_conf`)."""

import os
from pathlib import Path
from typing import Any

from kam_common.config import data_dir, env_int, env_str

SERVICE = env_str("KAM_SERVICE_NAME", "gunicorn")

worker_class = "gthread"
workers = env_int("KAM_WORKERS", 2)
threads = env_int("KAM_THREADS", 8)
timeout = env_int("KAM_WORKER_TIMEOUT", 30)
graceful_timeout = 5
keepalive = 30
# gunicorn 27 gives every master the same control socket path; four apps on one machine would
# fight over it, and nothing here uses it.
control_socket_disable = True
accesslog = None  # each app writes its own JSON access line, with the request id
# With a logging config set, gunicorn would still build its access-line fields for every
# request (and drop them); this logger skips that work.
logger_class = "kam_common.gunicorn_logging.NoAccessLogger"
loglevel = env_str("KAM_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "kam_common.requestlog.JsonFormatter",
            "service": SERVICE,
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
}

# Prometheus multiprocess mode (see kam_common.metrics): the workers write their counters to
# files in one folder per app, and a scrape of any worker sums them all. prometheus_client
# decides how to store values when it is first imported, so the variable is set here, in the
# master, before any worker loads the app. An operator's own PROMETHEUS_MULTIPROC_DIR wins.
METRICS_DIR = Path(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir() / "metrics" / SERVICE
).resolve()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)


def on_starting(server: Any) -> None:
    """Start from an empty folder: files left by a previous run would add old counts to ours.
    Only prometheus_client's own `*.db` files are removed, in case the folder is shared."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live-gauge files of a worker that is gone (its counters stay: they still count)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
