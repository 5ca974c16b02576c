"""The base of every app's domain errors; plain Python so domain code can raise them.

Each class carries the HTTP status it becomes (see `problems.py`).
"""

from __future__ import annotations

from collections.abc import Mapping


class AppError(Exception):
    """A failure the client can act on. Subclasses set `status` (and may set `slug`)."""

    status = 400
    slug: str | None = None

    def __init__(self, detail: str, *, errors: Mapping[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = dict(errors) if errors else None


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class PreconditionFailed(AppError):
    status = 412


class Invalid(AppError):
    """Input that is well-formed but breaks a rule; names the offending field."""

    status = 422

    def __init__(self, field: str, message: str, *, detail: str | None = None):
        super().__init__(detail or f"{field}: {message}", errors={field: [message]})


class ServiceUnavailable(AppError):
    """Another service this call needs is down: a 503 that names it."""

    status = 503
    slug = "service-unavailable"

    def __init__(self, service: str):
        super().__init__(f"The {service} service is unavailable; retry shortly.")
        self.service = service


class ServiceTimedOut(AppError):
    """Another service this call needs did not answer in time: a 504 that names it."""

    status = 504
    slug = "gateway-timeout"

    def __init__(self, service: str):
        super().__init__(f"The {service} service did not answer in time.")
        self.service = service
