"""What partners may see: one rule per field, declared where the field is.

Some fields are internal judgement (a contact's stance, an override's reason, our costs and
margins). A schema field wrapped in `internal(...)` is dropped from every answer to a partner
key, whichever view, list or nested object carries it, and the OpenAPI document marks it
(`x-kam-visibility: internal`). Response schemas derive from `Schema` so the rule applies.

The audience is the caller's role, set once per request by the service's request hook; use
cases never see it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, TypeVar

import marshmallow as ma
from marshmallow import post_dump

F = TypeVar("F", bound=ma.fields.Field[Any])

PARTNER = "partner"
VISIBILITY_KEY = "x-kam-visibility"
INTERNAL = "internal"
NOTE = "Internal: never shown to partner keys."

_audience: ContextVar[str | None] = ContextVar("kam_audience", default=None)


def internal(field: F) -> F:
    """Mark a response field as internal judgement: partners never receive it."""
    described = field.metadata.get("description")
    field.metadata = {
        **field.metadata,
        VISIBILITY_KEY: INTERNAL,
        "description": f"{described} ({NOTE})" if described else NOTE,
    }
    return field


def is_internal(field: ma.fields.Field[Any]) -> bool:
    return field.metadata.get(VISIBILITY_KEY) == INTERNAL


def set_audience(role: str | None) -> None:
    """Who the answers of the current request are for (the caller's role)."""
    _audience.set(role)


def audience() -> str | None:
    return _audience.get()


class Schema(ma.Schema):
    """A response schema that leaves its internal fields out of answers to partners."""

    @post_dump
    def _leave_out_internal(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if _audience.get() != PARTNER:
            return data
        for name, field in self.dump_fields.items():
            if is_internal(field):
                data.pop(field.data_key or name, None)
        return data
