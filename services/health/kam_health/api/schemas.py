"""Request and response shapes of the health service (API.md, Health)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from kam_common.fields import (
    Amount,
    Day,
    MomentFilter,
    Name,
    QueryInteger,
    StrictInteger,
    Text,
    Timestamp,
    one_of,
    optional_text,
)
from kam_common.pagination import PageArgs, QuerySchema
from kam_common.visibility import Schema, internal
from kam_health.domain.learning import OUTCOMES
from kam_health.domain.vocabulary import (
    ALERT_STATUSES,
    BANDS,
    COMPONENTS,
    EVENT_TYPES,
    SIGNALS,
    TIERS,
)

ALL_SEVERITIES = ("minor", "major", "critical", "low", "medium", "high")


class StrictNumber(fields.Float):
    """A JSON number (not a string, not a boolean), finite."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


_SLA_HOURS = validate.Range(min=0, max=8760, min_inclusive=False)


class EventCreateSchema(ma.Schema):
    """A new event. Which of the typed fields apply depends on `type` (see each field);
    another type's field is a 422 naming it."""

    account_id = Text(required=True, validate=validate.Length(min=1, max=36))
    type = one_of(EVENT_TYPES, required=True)
    occurred_at = Timestamp(
        recorded=True, metadata={"description": "Defaults to now; not in the future"}
    )
    reported_by = optional_text(
        200, metadata={"description": "Who reported it; for partner keys, the key's name"}
    )
    external_ref = Text(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The sender's own id; unique per account and type"},
    )
    note = optional_text(5000)
    promised_on = Day(
        allow_none=True, recorded=True, metadata={"description": "delivery: required"}
    )
    delivered_on = Day(
        allow_none=True,
        recorded=True,
        metadata={"description": "delivery: null while outstanding"},
    )
    severity = one_of(
        ALL_SEVERITIES,
        allow_none=True,
        metadata={
            "description": "quality (required): minor|major|critical; support (required): "
            "low|medium|high|critical; warning (required): low|medium|high"
        },
    )
    signal = one_of(SIGNALS, allow_none=True, metadata={"description": "warning: required"})
    opened_at = Timestamp(
        allow_none=True,
        recorded=True,
        metadata={"description": "support: defaults to occurred_at"},
    )
    resolved_at = Timestamp(
        allow_none=True, recorded=True, metadata={"description": "quality, support"}
    )
    sla_hours = StrictNumber(
        allow_none=True,
        validate=_SLA_HOURS,
        metadata={"description": "support: over 0", "exclusiveMinimum": True},
    )


class SourceSchema(Schema):
    """Who logged an event: an API key (`id`, `name`, `role`) or the system itself."""

    type = one_of(("key", "system"), required=True)
    id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, allow_none=True)


class EventSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    type = one_of(EVENT_TYPES, required=True)
    occurred_at = Timestamp(required=True)
    reported_by = fields.String(required=True, allow_none=True)
    source = fields.Nested(
        SourceSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Who logged it (null for events logged before it was kept)"},
    )
    external_ref = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    promised_on = Day(required=True, allow_none=True)
    delivered_on = Day(required=True, allow_none=True)
    severity = one_of(ALL_SEVERITIES, required=True, allow_none=True)
    signal = one_of(SIGNALS, required=True, allow_none=True)
    opened_at = Timestamp(required=True, allow_none=True)
    resolved_at = Timestamp(required=True, allow_none=True)
    sla_hours = fields.Float(required=True, allow_none=True)
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class EventPatchSchema(ma.Schema):
    delivered_on = Day(allow_none=True, recorded=True)
    resolved_at = Timestamp(allow_none=True, recorded=True)
    note = optional_text(5000)
    sla_hours = StrictNumber(
        allow_none=True, validate=_SLA_HOURS, metadata={"exclusiveMinimum": True}
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
        DeferredNested(EventCreateSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class BatchResultSchema(Schema):
    created = fields.Integer(required=True)
    ids = fields.List(fields.String(), required=True)


class EventExportArgs(QuerySchema):
    account_id = Text(validate=validate.Length(max=36))
    type = one_of(EVENT_TYPES)
    since = MomentFilter()
    open = fields.Boolean()


class EventListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    type = one_of(EVENT_TYPES)
    since = MomentFilter()
    open = fields.Boolean()


class ComponentSchema(Schema):
    score = fields.Float(required=True, metadata={"minimum": 0, "maximum": 100})
    weight = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})
    contribution = fields.Float(required=True, metadata={"minimum": 0, "maximum": 100})
    evidence = fields.List(fields.String(), required=True)


class ComponentsSchema(Schema):
    """The four components, always all four."""

    delivery = fields.Nested(ComponentSchema, required=True)
    quality = fields.Nested(ComponentSchema, required=True)
    support = fields.Nested(ComponentSchema, required=True)
    commitment = fields.Nested(ComponentSchema, required=True)


class DriverSchema(Schema):
    component = one_of(COMPONENTS, required=True)
    points_lost = fields.Float(required=True, metadata={"minimum": 0})
    reason = fields.String(required=True)


class TrendSchema(Schema):
    delta_30d = fields.Float(required=True, allow_none=True)
    delta_90d = fields.Float(required=True, allow_none=True)


class OverrideCreateSchema(ma.Schema):
    score = StrictNumber(required=True, validate=validate.Range(min=0, max=100))
    reason = Name(required=True, max_length=2000)
    expires_on = Day(allow_none=True, metadata={"description": "Not in the past"})


class OverrideSchema(Schema):
    id = fields.String(required=True)
    score = fields.Float(required=True, metadata={"minimum": 0, "maximum": 100})
    band = one_of(BANDS, required=True)
    # Why an executive overrode the computed score, and who: internal judgement.
    reason = internal(fields.String())
    expires_on = Day(required=True, allow_none=True)
    created_by = internal(fields.String(allow_none=True))
    created_at = Timestamp(required=True)


class ScoreSchema(Schema):
    account_id = fields.String(required=True)
    score = fields.Float(required=True, metadata={"minimum": 0, "maximum": 100})
    band = one_of(BANDS, required=True)
    components = fields.Nested(ComponentsSchema, required=True)
    drivers = fields.List(fields.Nested(DriverSchema), required=True)
    trend = fields.Nested(TrendSchema, required=True)
    override = fields.Nested(OverrideSchema, required=True, allow_none=True)
    scorecard_version = fields.Integer(required=True)
    scorecard_segment = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The segment whose own scorecard scored it; null: the default"},
    )
    computed_at = Timestamp(required=True)


class HistoryArgs(QuerySchema):
    from_ = MomentFilter(data_key="from")
    to = MomentFilter()


class PointSchema(Schema):
    at = Timestamp(required=True)
    score = fields.Float(required=True, metadata={"minimum": 0, "maximum": 100})
    band = one_of(BANDS, required=True)
    scorecard_version = fields.Integer(required=True)


class HistorySchema(Schema):
    account_id = fields.String(required=True)
    points = fields.List(fields.Nested(PointSchema), required=True)


class DeclineSchema(Schema):
    account_id = fields.String(required=True)
    name = fields.String(required=True)
    score = fields.Float(required=True)
    band = one_of(BANDS, required=True)
    delta_30d = fields.Float(required=True)


class PortfolioAccountSchema(Schema):
    account_id = fields.String(required=True)
    name = fields.String(required=True)
    segment = fields.String(required=True, allow_none=True)
    tier = fields.String(required=True, allow_none=True)
    score = fields.Float(required=True, metadata={"minimum": 0, "maximum": 100})
    band = one_of(BANDS, required=True)
    delta_30d = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Against 30 days ago under the same scorecard (null: no point)"},
    )
    annual_revenue = Amount(required=True)
    currency = fields.String(required=True)
    open_alerts = fields.Integer(required=True, metadata={"minimum": 0})


class PortfolioSchema(Schema):
    accounts = fields.Integer(required=True)
    by_band = fields.Dict(keys=one_of(BANDS), values=fields.Integer(), required=True)
    average_score = fields.Float(required=True, allow_none=True)
    revenue_at_risk = fields.Float(required=True, metadata={"minimum": 0})
    currency = fields.String(required=True)
    revenue_at_risk_by_currency = fields.Dict(
        keys=fields.String(), values=fields.Float(), required=True
    )
    top_declines = fields.List(fields.Nested(DeclineSchema), required=True)
    revenue_by_band = fields.Dict(
        keys=one_of(BANDS),
        values=fields.Dict(keys=fields.String(), values=fields.Float()),
        required=True,
        metadata={"description": "Annual revenue per band, per currency (never added across)"},
    )
    items = fields.List(
        fields.Nested(PortfolioAccountSchema),
        required=True,
        metadata={"description": "The accounts, worst first (filter `band` narrows this list)"},
    )
    total = fields.Integer(required=True, metadata={"description": "Accounts in `items` overall"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class PortfolioArgs(PageArgs):
    band = one_of(BANDS, metadata={"description": "Only accounts of this band in `items`"})
    segment = Text(validate=validate.Length(max=200))
    tier = one_of(TIERS)
    owner = Text(
        validate=validate.Length(max=36),
        metadata={
            "description": "A team member id: the accounts that person works on (matched by "
            "the member's e-mail across account teams)"
        },
    )
    group_id = Text(
        validate=validate.Length(max=64),
        metadata={"description": "A client group: this account and every account below it"},
    )


_WEIGHT = validate.Range(min=0, max=1)
_THRESHOLD = validate.Range(min=0, max=100)


class WeightsSchema(ma.Schema):
    """Exactly the four components; they sum to 1."""

    delivery = StrictNumber(required=True, validate=_WEIGHT)
    quality = StrictNumber(required=True, validate=_WEIGHT)
    support = StrictNumber(required=True, validate=_WEIGHT)
    commitment = StrictNumber(required=True, validate=_WEIGHT)


class ThresholdsSchema(ma.Schema):
    """The lowest score of each band but the last: 100 ≥ healthy > watch > at_risk > 0."""

    healthy = StrictNumber(required=True, validate=_THRESHOLD)
    watch = StrictNumber(required=True, validate=_THRESHOLD)
    at_risk = StrictNumber(required=True, validate=_THRESHOLD)


class ScorecardInputSchema(ma.Schema):
    weights = fields.Nested(WeightsSchema, required=True)
    window_days = StrictInteger(required=True, validate=validate.Range(min=7, max=730))
    half_life_days = StrictNumber(required=True, validate=validate.Range(min=1, max=730))
    thresholds = fields.Nested(ThresholdsSchema, required=True)


class WeightsOutSchema(Schema):
    delivery = fields.Float(required=True)
    quality = fields.Float(required=True)
    support = fields.Float(required=True)
    commitment = fields.Float(required=True)


class ThresholdsOutSchema(Schema):
    healthy = fields.Float(required=True)
    watch = fields.Float(required=True)
    at_risk = fields.Float(required=True)


class ScorecardSchema(Schema):
    version = fields.Integer(required=True)
    weights = fields.Nested(WeightsOutSchema, required=True)
    window_days = fields.Integer(required=True)
    half_life_days = fields.Float(required=True)
    thresholds = fields.Nested(ThresholdsOutSchema, required=True)
    created_at = Timestamp(required=True)
    created_by = fields.String(required=True, allow_none=True)
    segment = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The segment it scores; null: the default scorecard"},
    )
    proposal_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The fitted proposal it was adopted from, if any"},
    )


class SegmentScorecardSchema(ScorecardSchema):
    fallback = fields.Boolean(
        required=True,
        metadata={"description": "The segment has no scorecard of its own: this is the default"},
    )


class ScorecardChangeSchema(Schema):
    account_id = fields.String(required=True)
    from_band = one_of(BANDS, required=True)
    to_band = one_of(BANDS, required=True)
    from_score = fields.Float(required=True)
    to_score = fields.Float(required=True)


class ScorecardChangedSchema(ScorecardSchema):
    rescored = fields.Integer(
        required=True, metadata={"description": "Accounts rescored (0 in a dry run)"}
    )
    dry_run = fields.Boolean(required=True, metadata={"description": "Nothing was saved"})
    band_changes = fields.Integer(
        required=True, metadata={"description": "How many accounts change band (`changes`)"}
    )
    changes = fields.List(
        fields.Nested(ScorecardChangeSchema),
        required=True,
        metadata={"description": "The accounts whose band changes, the sharpest falls first"},
    )


class ScorecardPutArgs(QuerySchema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "`true`: answer what would change, save nothing"},
    )


class AlertPatchSchema(ma.Schema):
    status = one_of(ALERT_STATUSES)
    note = optional_text(2000)


class AlertSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    cause = fields.String(required=True)
    severity = fields.String(required=True)
    status = one_of(ALERT_STATUSES, required=True)
    message = fields.String(required=True)
    suggested_action = fields.String(required=True)
    occurrences = fields.Integer(required=True)
    event_id = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class AlertListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    status = one_of(ALERT_STATUSES)


class OutcomeCreateSchema(ma.Schema):
    account_id = Text(required=True, validate=validate.Length(min=1, max=36))
    outcome = one_of(OUTCOMES, required=True)
    on = Day(required=True, recorded=True, metadata={"description": "Not in the future"})
    note = optional_text(2000)


class OutcomeSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    outcome = one_of(OUTCOMES, required=True)
    on = Day(required=True)
    note = fields.String(required=True, allow_none=True)
    agreement_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The agreement whose ending recorded it, if any"},
    )
    created_at = Timestamp(required=True)


class OutcomeListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    outcome = one_of(OUTCOMES)


def _horizon(kind: type[fields.Integer]) -> fields.Integer:
    return kind(
        load_default=90,
        validate=validate.Range(min=1, max=730),
        metadata={"description": "How long before each outcome the score is taken (days)"},
    )


class BacktestArgs(QuerySchema):
    version = QueryInteger(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The scorecard version judged; default: the one in force"},
    )
    horizon_days = _horizon(QueryInteger)


class BandTallySchema(Schema):
    accounts = fields.Integer(required=True, metadata={"description": "Outcomes in the band"})
    churned = fields.Integer(required=True)
    churn_rate = fields.Float(required=True, allow_none=True)


class ByBandSchema(Schema):
    healthy = fields.Nested(BandTallySchema, required=True)
    watch = fields.Nested(BandTallySchema, required=True)
    at_risk = fields.Nested(BandTallySchema, required=True)
    critical = fields.Nested(BandTallySchema, required=True)


class JudgedSchema(Schema):
    outcomes = fields.Integer(required=True, metadata={"description": "Outcomes it rests on"})
    churns = fields.Integer(required=True)
    auc = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "Chance that a churned account scored below a retained one "
            "(Mann-Whitney); 0.5 is chance; null without both kinds of outcome"
        },
    )
    by_band = fields.Nested(ByBandSchema, required=True)
    warning = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Set when there are too few outcomes to trust the figures"},
    )


class BacktestSchema(JudgedSchema):
    version = fields.Integer(required=True)
    segment = fields.String(required=True, allow_none=True)
    horizon_days = fields.Integer(required=True)


class ProposalCreateSchema(ma.Schema):
    horizon_days = _horizon(StrictInteger)
    folds = StrictInteger(load_default=5, validate=validate.Range(min=2, max=10))
    segment = Text(
        allow_none=True,
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Fit to this segment's outcomes, for its own scorecard"},
    )


class ScorecardProposalSchema(Schema):
    id = fields.String(required=True)
    status = one_of(("proposed", "adopted"), required=True)
    segment = fields.String(required=True, allow_none=True)
    based_on_version = fields.Integer(required=True)
    horizon_days = fields.Integer(required=True)
    folds = fields.Integer(required=True)
    weights = fields.Nested(WeightsOutSchema, required=True)
    window_days = fields.Integer(required=True)
    half_life_days = fields.Float(required=True)
    thresholds = fields.Nested(ThresholdsOutSchema, required=True)
    outcomes = fields.Integer(required=True)
    churns = fields.Integer(required=True)
    current = fields.Nested(
        JudgedSchema,
        required=True,
        metadata={"description": "Backtest of the version in force on the same outcomes"},
    )
    proposed = fields.Nested(
        JudgedSchema,
        required=True,
        metadata={"description": "Cross-validated backtest of the proposal (held-out accounts)"},
    )
    explanation = fields.List(fields.String(), required=True)
    adopted_version = fields.Integer(required=True, allow_none=True)
    adopted_at = Timestamp(required=True, allow_none=True)
    created_at = Timestamp(required=True)
