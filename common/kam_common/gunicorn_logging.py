"""gunicorn's logger without its access line (each app writes its own, with the request id)."""

from typing import Any

from gunicorn.glogging import Logger


class NoAccessLogger(Logger):
    def _compute_access_log_enabled(self) -> bool:
        return False

    def access(self, *args: Any, **kwargs: Any) -> None:
        return None
