"""Request and response shapes of the health service (API.md, Health)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from kam_common.fields import (
    Day,
    Name,
    StrictInteger,
    Text,
    Timestamp,
    one_of,
    optional_text,
)
from kam_common.pagination import PageArgs
from kam_health.domain.vocabulary import (
    ALERT_STATUSES,
    BANDS,
    COMPONENTS,
    EVENT_TYPES,
    SIGNALS,
)

ALL_SEVERITIES = ("minor", "major", "critical", "low", "medium", "high")


class StrictNumber(fields.Float):
    """A JSON number (not a string, not a boolean), finite."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class EventSchema(ma.Schema):
    id = fields.String(dump_only=True)
    account_id = Text(required=True, validate=validate.Length(min=1, max=36))
    type = one_of(EVENT_TYPES, required=True)
    occurred_at = Timestamp(metadata={"description": "Defaults to now; not in the future"})
    reported_by = optional_text(200)
    external_ref = Text(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The sender's own id; unique per account and type"},
    )
    note = optional_text(5000)
    promised_on = Day(allow_none=True, metadata={"description": "delivery: required"})
    delivered_on = Day(
        allow_none=True, metadata={"description": "delivery: null while outstanding"}
    )
    severity = one_of(
        ALL_SEVERITIES,
        allow_none=True,
        metadata={
            "description": "quality: minor|major|critical; support: low|medium|high|critical; "
            "warning: low|medium|high"
        },
    )
    signal = one_of(SIGNALS, allow_none=True, metadata={"description": "warning: required"})
    opened_at = Timestamp(
        allow_none=True, metadata={"description": "support: defaults to occurred_at"}
    )
    resolved_at = Timestamp(allow_none=True)
    sla_hours = StrictNumber(
        allow_none=True, validate=validate.Range(min=0, max=8760, min_inclusive=False)
    )
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class EventPatchSchema(ma.Schema):
    delivered_on = Day(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    note = optional_text(5000)
    sla_hours = StrictNumber(
        allow_none=True, validate=validate.Range(min=0, max=8760, min_inclusive=False)
    )


class DeferredNested(fields.Nested):
    """Documents the nested schema but hands items over unvalidated, so a batch can name every
    bad index (schema and rules alike) instead of stopping at the first schema error."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        if not isinstance(value, dict):
            raise ma.ValidationError("Must be an object.")
        return value


class EventBatchSchema(ma.Schema):
    events = fields.List(
        DeferredNested(EventSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class BatchResultSchema(ma.Schema):
    created = fields.Integer()
    ids = fields.List(fields.String())


class EventListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    type = one_of(EVENT_TYPES)
    since = Timestamp()
    open = fields.Boolean()


class ComponentSchema(ma.Schema):
    score = fields.Float()
    weight = fields.Float()
    contribution = fields.Float()
    evidence = fields.List(fields.String())


class DriverSchema(ma.Schema):
    component = fields.String(metadata={"enum": list(COMPONENTS)})
    points_lost = fields.Float()
    reason = fields.String()


class TrendSchema(ma.Schema):
    delta_30d = fields.Float(allow_none=True)
    delta_90d = fields.Float(allow_none=True)


class OverrideSchema(ma.Schema):
    id = fields.String(dump_only=True)
    score = StrictNumber(required=True, validate=validate.Range(min=0, max=100))
    band = fields.String(dump_only=True, metadata={"enum": list(BANDS)})
    reason = Name(required=True, max_length=2000)
    expires_on = Day(allow_none=True)
    created_by = fields.String(dump_only=True)
    created_at = Timestamp(dump_only=True)


class ScoreSchema(ma.Schema):
    account_id = fields.String()
    score = fields.Float()
    band = fields.String(metadata={"enum": list(BANDS)})
    components = fields.Dict(keys=fields.String(), values=fields.Nested(ComponentSchema))
    drivers = fields.List(fields.Nested(DriverSchema))
    trend = fields.Nested(TrendSchema)
    override = fields.Nested(OverrideSchema, allow_none=True)
    scorecard_version = fields.Integer()
    computed_at = Timestamp()


class HistoryArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    from_ = Timestamp(data_key="from")
    to = Timestamp()


class PointSchema(ma.Schema):
    at = Timestamp()
    score = fields.Float()
    band = fields.String()
    scorecard_version = fields.Integer()


class HistorySchema(ma.Schema):
    account_id = fields.String()
    points = fields.List(fields.Nested(PointSchema))


class DeclineSchema(ma.Schema):
    account_id = fields.String()
    name = fields.String()
    score = fields.Float()
    band = fields.String()
    delta_30d = fields.Float()


class PortfolioSchema(ma.Schema):
    accounts = fields.Integer()
    by_band = fields.Dict(keys=fields.String(), values=fields.Integer())
    average_score = fields.Float(allow_none=True)
    revenue_at_risk = fields.Float()
    currency = fields.String()
    revenue_at_risk_by_currency = fields.Dict(keys=fields.String(), values=fields.Float())
    top_declines = fields.List(fields.Nested(DeclineSchema))


class ScorecardSchema(ma.Schema):
    version = fields.Integer(dump_only=True)
    weights = fields.Dict(
        keys=one_of(COMPONENTS),
        values=StrictNumber(validate=validate.Range(min=0, max=1)),
        required=True,
    )
    window_days = StrictInteger(required=True, validate=validate.Range(min=7, max=730))
    half_life_days = StrictNumber(required=True, validate=validate.Range(min=1, max=730))
    thresholds = fields.Dict(
        keys=one_of(("healthy", "watch", "at_risk")),
        values=StrictNumber(validate=validate.Range(min=0, max=100)),
        required=True,
    )
    created_at = Timestamp(dump_only=True)
    created_by = fields.String(dump_only=True)
    rescored = fields.Integer(dump_only=True)


class AlertSchema(ma.Schema):
    id = fields.String(dump_only=True)
    account_id = fields.String(dump_only=True)
    cause = fields.String(dump_only=True)
    severity = fields.String(dump_only=True)
    status = one_of(ALERT_STATUSES, required=True)
    message = fields.String(dump_only=True)
    suggested_action = fields.String(dump_only=True)
    occurrences = fields.Integer(dump_only=True)
    event_id = fields.String(dump_only=True, allow_none=True)
    note = optional_text(2000)
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class AlertListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    status = one_of(ALERT_STATUSES)
