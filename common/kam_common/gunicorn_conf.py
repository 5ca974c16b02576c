"""gunicorn settings shared by the four apps (`gunicorn -c python:kam_common.gunicorn_conf`)."""

from kam_common.config import env_int, env_str

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
loglevel = env_str("KAM_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "kam_common.requestlog.JsonFormatter",
            "service": env_str("KAM_SERVICE_NAME", "gunicorn"),
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
