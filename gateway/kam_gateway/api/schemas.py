"""Request and response shapes of the gateway's own operations."""

from __future__ import annotations

from typing import Any, TypeVar

import marshmallow as ma
from marshmallow import fields, validate

from kam_common.fields import Name, QueryInteger, StrictBoolean, Text, Timestamp, one_of
from kam_common.pagination import PageArgs
from kam_gateway.access import ROLES
from kam_gateway.groups import BAND_ORDER
from kam_gateway.keys import ACCOUNT_ID_PATTERN, MAX_ACCOUNT_IDS
from kam_gateway.people import MAX_PASSWORD, MIN_PASSWORD
from kam_gateway.timeline import ENTRY_TYPES
from kam_gateway.webhooks import DELIVERY_STATUSES as WEBHOOK_DELIVERY_STATUSES
from kam_gateway.webhooks import EVENT_TYPES as WEBHOOK_EVENT_TYPES

F = TypeVar("F", bound=ma.fields.Field[Any])

_ACCOUNT_ID = Text(
    validate=validate.Regexp(
        ACCOUNT_ID_PATTERN, error="1–64 letters, digits, '-', '_', '.' or ':' (no commas)."
    )
)


class KeyCreateSchema(ma.Schema):
    name = Name(required=True)
    role = one_of(ROLES, required=True)
    account_ids = fields.List(
        _ACCOUNT_ID,
        validate=validate.Length(max=MAX_ACCOUNT_IDS),
        metadata={"description": "Required for (and only for) partner keys."},
    )


class KeySchema(ma.Schema):
    """A key as listed: never its secret."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    account_ids = fields.List(fields.String(), required=True)
    prefix = fields.String(
        required=True, metadata={"description": "The first characters of the key, to recognise it."}
    )
    created_at = Timestamp(required=True)
    revoked_at = Timestamp(allow_none=True)


class KeyCreatedSchema(ma.Schema):
    id = fields.String(required=True)
    key = fields.String(
        required=True, metadata={"description": "The secret. Shown in this response only."}
    )
    name = fields.String(required=True)
    role = fields.String(required=True)
    account_ids = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)


class OutboxNumbersSchema(ma.Schema):
    pending = fields.Integer(required=True, metadata={"description": "Events not yet delivered"})
    dead_letters = fields.Integer(
        required=True,
        metadata={"description": "Undelivered events that kept failing (`kam outbox list`)"},
    )


class ReadySchema(ma.Schema):
    status = fields.String(required=True, metadata={"enum": ["ready"]})
    services = fields.Dict(
        keys=fields.String(),
        values=fields.String(metadata={"enum": ["up", "down", "timeout", "unhealthy"]}),
        required=True,
    )
    outbox = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(OutboxNumbersSchema, allow_none=True),
        required=True,
        metadata={"description": "Each service's outbox; null when it could not say"},
    )
    dead_letters = fields.Integer(
        required=True, metadata={"description": "Dead letters in all outboxes together"}
    )


def _service_schema(name: str, field: F) -> F:
    """A part the gateway passes on as the service answered it: documented as the service's
    own schema (`kam_gateway.openapi.link_service_schemas`)."""
    field.metadata = {**field.metadata, "x-kam-schema": name}
    return field


class OverviewSchema(ma.Schema):
    account = _service_schema("Account", fields.Dict(required=True))
    contacts = _service_schema(
        "Contact",
        fields.List(
            fields.Dict(),
            required=True,
            allow_none=True,
            metadata={"description": "null when accounts could not list them"},
        ),
    )
    team = _service_schema(
        "TeamMember",
        fields.List(
            fields.Dict(), allow_none=True, metadata={"description": "Absent for partner keys."}
        ),
    )
    health = _service_schema(
        "Score",
        fields.Dict(
            allow_none=True,
            metadata={"description": "null when health is down or has no score; absent when "
                      "the key may not read scores"},
        ),
    )  # fmt: skip
    agreement = _service_schema(
        "Agreement",
        fields.Dict(
            allow_none=True,
            metadata={"description": "The active agreement, null when none or offerings is "
                      "down; absent for keys that may not read agreements"},
        ),
    )  # fmt: skip
    degraded = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Services that failed; their parts are null."},
    )


class MemberHealthSchema(ma.Schema):
    score = fields.Float(required=True)
    band = fields.String(required=True, metadata={"enum": list(BAND_ORDER)})


class RateUsedSchema(ma.Schema):
    currency = fields.String(required=True)
    rate = fields.Float(required=True)
    as_of = fields.String(required=True, metadata={"format": "date"})
    updated_at = fields.String(metadata={"format": "date-time"})


class ConversionSchema(ma.Schema):
    base = fields.String(required=True)
    rates = fields.List(fields.Nested(RateUsedSchema), required=True)


class GroupRollupSchema(ma.Schema):
    accounts = fields.Integer(required=True, metadata={"description": "Active accounts"})
    annual_revenue = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": "Per currency, never added across currencies"},
    )
    worst_band = fields.String(required=True, allow_none=True, metadata={"enum": list(BAND_ORDER)})
    revenue_weighted_score = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Each score weighed by the account's revenue (converted "
                  "with `converted` when in several currencies); null with `notes` saying why"},
    )  # fmt: skip
    converted = fields.Nested(ConversionSchema)
    notes = fields.List(fields.String())


class GroupSchema(ma.Schema):
    root_id = fields.String(required=True)
    members = _service_schema(
        "GroupMember",
        fields.List(
            fields.Dict(),
            required=True,
            metadata={"description": "The group from its root: each account with `children`"},
        ),
    )
    rollup = fields.Nested(GroupRollupSchema, required=True)
    health = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(MemberHealthSchema),
        required=True,
        metadata={"description": "Score and band of each scored member, by account id"},
    )
    degraded = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Services that failed: health (no scores), offerings (no rates)."},
    )


# To serve page P the gateway asks each service for its newest P × per_page entries: a bound on
# that keeps one deep page from costing many upstream calls. Older history: the services' lists.
MAX_TIMELINE_DEPTH = 500


class TimelineArgs(PageArgs):
    page = QueryInteger(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_TIMELINE_DEPTH),
        metadata={"description": f"page × per_page may be at most {MAX_TIMELINE_DEPTH} (else 422)"},
    )
    type = fields.List(
        one_of(ENTRY_TYPES), metadata={"description": "Only these entry types (repeatable)"}
    )


class TimelineEntrySchema(ma.Schema):
    type = fields.String(required=True, metadata={"enum": list(ENTRY_TYPES)})
    at = fields.String(required=True, metadata={"format": "date-time"})
    id = fields.String(required=True)
    summary = fields.String(required=True, metadata={"description": "In plain words"})
    data = fields.Dict(required=True)


class TimelinePageSchema(ma.Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    degraded = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Services that failed; their entries are missing."},
    )


# Webhooks ------------------------------------------------------------------------------------


class WebhookCreateSchema(ma.Schema):
    url = Text(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "An http(s) URL on a public address", "format": "uri"},
    )
    events = fields.List(
        one_of(WEBHOOK_EVENT_TYPES),
        required=True,
        validate=validate.Length(min=1, max=len(WEBHOOK_EVENT_TYPES)),
        metadata={"description": "The event types to receive (at least one)."},
    )
    description = Text(allow_none=True, validate=validate.Length(max=500))


class WebhookUpdateSchema(ma.Schema):
    """Only the fields sent change."""

    url = Text(validate=validate.Length(min=1, max=2000), metadata={"format": "uri"})
    events = fields.List(
        one_of(WEBHOOK_EVENT_TYPES), validate=validate.Length(min=1, max=len(WEBHOOK_EVENT_TYPES))
    )
    active = StrictBoolean()
    description = Text(allow_none=True, validate=validate.Length(max=500))


class WebhookSchema(ma.Schema):
    """A webhook as listed: never its secret."""

    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    description = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    account_ids = fields.List(
        fields.String(),
        allow_none=True,
        metadata={"description": "A partner's webhook gets only these accounts' events; null: all"},
    )
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={"description": "`whsec_…`, the signing secret. Shown in this response only."},
    )


class WebhookDeliveryArgs(PageArgs):
    status = one_of(WEBHOOK_DELIVERY_STATUSES)


class WebhookDeliverySchema(ma.Schema):
    id = fields.String(required=True)
    event_id = fields.String(
        required=True, metadata={"description": "Sent as `webhook-id`: the same on every retry"}
    )
    type = fields.String(required=True)
    account_id = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(WEBHOOK_DELIVERY_STATUSES)})
    attempts = fields.Integer(required=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = Timestamp(
        allow_none=True, metadata={"description": "When it is tried next; null once done"}
    )
    delivered_at = Timestamp(allow_none=True)


class UserCreateSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Name(required=True)
    role = one_of(ROLES, required=True)
    account_ids = fields.List(
        _ACCOUNT_ID,
        validate=validate.Length(max=MAX_ACCOUNT_IDS),
        metadata={"description": "Required for (and only for) partners."},
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD),
        metadata={"description": f"At least {MIN_PASSWORD} characters; never returned."},
    )


class UserUpdateSchema(ma.Schema):
    name = Name()
    role = one_of(ROLES)
    account_ids = fields.List(_ACCOUNT_ID, validate=validate.Length(max=MAX_ACCOUNT_IDS))
    password = fields.String(
        load_only=True,
        validate=validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD),
        metadata={"description": "A new password ends the person's sessions."},
    )
    active = fields.Boolean(metadata={"description": "false ends the person's sessions."})


class UserSchema(ma.Schema):
    """A person as listed: never a password or its hash."""

    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    account_ids = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    created_at = Timestamp(required=True)
