"""Request and response shapes of the offerings service (API.md, Offerings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields, post_dump, validate

from kam_common.fields import (
    Amount,
    Currency,
    Day,
    Money,
    Name,
    StrictBoolean,
    StrictInteger,
    Text,
    Timestamp,
    one_of,
    optional_text,
)
from kam_common.pagination import PageArgs, QuerySchema
from kam_common.visibility import Schema, internal
from kam_offerings.domain.vocabulary import (
    AGREEMENT_STATUSES,
    BILLINGS,
    KINDS,
    OUTCOMES,
    PROPOSAL_STATUSES,
    STRATEGIES,
    SUGGESTION_KINDS,
    TIERS,
    VALUE_DRIVERS,
)


class CommitmentSchema(ma.Schema):
    """What a value-added service guarantees; more keys may come, each checked."""

    max_delivery_delay_days = StrictInteger(
        validate=validate.Range(min=0, max=365),
        metadata={"description": "Deliveries at most this many days late, guaranteed"},
    )


_CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$",
    error="1–50 letters, digits, '.', '_' or '-', starting with a letter or digit.",
)
_LEVEL = validate.Range(min=1, max=10)


class CatalogChangesSchema(ma.Schema):
    """What a PATCH may change: every field optional, nothing filled in."""

    code = Text(validate=_CODE, metadata={"description": "Unique"})
    name = Name()
    kind = one_of(KINDS)
    description = optional_text(5000)
    list_price = Money(metadata={"description": "Per billing period; may be below our cost"})
    unit_cost = Money(metadata={"description": "Our cost to serve, per period"})
    billing = one_of(BILLINGS)
    value_driver = one_of(VALUE_DRIVERS)
    commitment = fields.Nested(
        CommitmentSchema,
        allow_none=True,
        metadata={"description": 'value_added only, e.g. {"max_delivery_delay_days": 2}'},
    )
    family = Text(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Up-sell ladder this item belongs to (default: its code)"},
    )
    level = StrictInteger(
        validate=_LEVEL, metadata={"description": "Tier within the family; higher is richer"}
    )
    active = StrictBoolean(metadata={"description": "false: deactivated"})
    product_line = optional_text(
        200,
        metadata={
            "description": "The accounts' product line this item is sold as: purchases of that "
            "line are costed at this item's cost share, and cross-sell names the item"
        },
    )


class CatalogPatchSchema(CatalogChangesSchema):
    pass


class CatalogItemCreateSchema(CatalogChangesSchema):
    code = Text(required=True, validate=_CODE, metadata={"description": "Unique"})
    name = Name(required=True)
    kind = one_of(KINDS, required=True)
    list_price = Money(
        required=True, metadata={"description": "Per billing period; may be below our cost"}
    )
    unit_cost = Money(required=True, metadata={"description": "Our cost to serve, per period"})
    billing = one_of(BILLINGS, load_default="annual", metadata={"default": "annual"})
    value_driver = one_of(VALUE_DRIVERS, load_default="none", metadata={"default": "none"})
    level = StrictInteger(
        load_default=1,
        validate=_LEVEL,
        metadata={"default": 1, "description": "Tier within the family; higher is richer"},
    )
    active = StrictBoolean(load_default=True, metadata={"default": True})


class CommitmentOutSchema(Schema):
    max_delivery_delay_days = fields.Integer(
        metadata={"description": "Deliveries at most this many days late, guaranteed"}
    )


class CatalogItemSchema(Schema):
    id = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = one_of(KINDS, required=True)
    description = fields.String(required=True, allow_none=True)
    list_price = Amount(required=True, metadata={"description": "Per billing period"})
    unit_cost = internal(Amount(metadata={"description": "Our cost to serve, per period"}))
    billing = one_of(BILLINGS, required=True)
    value_driver = one_of(VALUE_DRIVERS, required=True)
    commitment = fields.Nested(CommitmentOutSchema, required=True, allow_none=True)
    family = fields.String(required=True)
    level = fields.Integer(required=True)
    product_line = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class CatalogListArgs(PageArgs):
    kind = one_of(KINDS)
    active = fields.Boolean()
    q = Text(validate=validate.Length(max=200), metadata={"description": "Name or code contains"})


class ProposalItemSchema(Schema):
    catalog_item_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = one_of(KINDS, required=True)
    included = fields.Boolean(required=True)
    price = Amount(required=True, metadata={"description": "Yearly list price of the item"})
    benefit = fields.String(required=True, metadata={"description": "What it saves or improves"})
    commitment = fields.Nested(CommitmentOutSchema, required=True, allow_none=True)
    family = fields.String(
        required=True,
        metadata={"description": "The service this item is a tier of: one tier per agreement"},
    )
    level = fields.Integer(required=True, metadata={"description": "Its tier; higher is richer"})


class OptionSchema(Schema):
    strategy = one_of(STRATEGIES, required=True)
    items = fields.List(fields.Nested(ProposalItemSchema), required=True)
    price = Amount(required=True, metadata={"description": "Yearly price of what is included"})
    cost_to_serve = internal(Amount())
    margin = internal(
        Amount(signed=True, metadata={"description": "price - cost_to_serve; may be negative"})
    )
    below_cost = internal(
        fields.Boolean(
            metadata={"description": "true: priced below our cost to serve (a negative margin)"}
        )
    )
    rationale = fields.String(required=True)


class ProposalCreateSchema(ma.Schema):
    account_id = Text(required=True, validate=validate.Length(min=1, max=36))


class ProposalSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    options = fields.List(fields.Nested(OptionSchema), attribute="option_views", required=True)
    recommended = one_of(STRATEGIES, required=True)
    reasons = fields.List(fields.String(), required=True)
    status = one_of(PROPOSAL_STATUSES, required=True)
    currency = fields.String(required=True)
    degraded = fields.List(fields.String(), required=True)
    below_cost = internal(
        fields.List(
            one_of(STRATEGIES),
            attribute="below_cost",
            metadata={"description": "The options priced below our cost to serve, if any"},
        )
    )
    created_at = Timestamp(required=True)
    accepted_at = Timestamp(required=True, allow_none=True)


class ProposalListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    status = one_of(PROPOSAL_STATUSES)


class AcceptSchema(ma.Schema):
    strategy = one_of(STRATEGIES, required=True)
    optional_item_ids = fields.List(
        Text(validate=validate.Length(min=1, max=36)),
        load_default=list,
        validate=validate.Length(max=100),
    )


class AgreementItemSchema(Schema):
    catalog_item_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = one_of(KINDS, required=True)
    optional = fields.Boolean(
        required=True, metadata={"description": "An optional item the client chose"}
    )
    price = Amount(required=True)
    commitment = fields.Nested(CommitmentOutSchema, required=True, allow_none=True)


class AgreementSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    proposal_id = fields.String(required=True)
    strategy = one_of(STRATEGIES, required=True)
    items = fields.List(fields.Nested(AgreementItemSchema), required=True)
    price = Amount(required=True, metadata={"description": "Yearly"})
    cost_to_serve = internal(Amount())
    margin = internal(Amount(signed=True, metadata={"description": "May be negative"}))
    currency = fields.String(required=True)
    commitments = fields.Nested(CommitmentOutSchema, required=True)
    status = one_of(AGREEMENT_STATUSES, required=True)
    starts_on = Day(required=True)
    ended_on = Day(required=True, allow_none=True)
    outcome = one_of(
        OUTCOMES,
        required=True,
        allow_none=True,
        metadata={"description": "How the relationship turned out when it ended, if said"},
    )
    created_at = Timestamp(required=True)


class AgreementEndSchema(ma.Schema):
    outcome = one_of(OUTCOMES, required=True)
    on = Day(
        recorded=True,
        metadata={"description": "The day it ended; default today; not in the future"},
    )


class AgreementListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    status = one_of(AGREEMENT_STATUSES)


class AccountArgs(QuerySchema):
    account_id = Text(required=True, validate=validate.Length(min=1, max=36))


class SuggestionSchema(Schema):
    catalog_item_id = fields.String(
        metadata={
            "description": "up_sell: the richer tier; cross_sell: the catalog item sold as "
            "that product line, when there is one"
        }
    )
    product_line = fields.String(metadata={"description": "cross_sell only"})
    name = fields.String(metadata={"description": "The catalog item's name, when one is named"})
    kind = one_of(SUGGESTION_KINDS, required=True)
    propensity = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})
    reason = fields.String(required=True)

    @post_dump
    def _drop_empty(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value is not None}


class RecommendationsSchema(Schema):
    account_id = fields.String(required=True)
    items = fields.List(fields.Nested(SuggestionSchema), required=True)
    suppressed = fields.Boolean(required=True)
    suppressed_reason = fields.String(required=True, allow_none=True)
    band = fields.String(required=True, allow_none=True)
    band_source = one_of(
        ("health", "event", "unknown"),
        required=True,
        metadata={
            "description": "health: as health shows it now; event: the last band heard, health "
            "not answering; unknown: neither"
        },
    )
    degraded = fields.List(fields.String(), required=True)
    note = fields.String(metadata={"description": "When the health band is unknown or old"})
    peers = one_of(
        ("segment", "portfolio"),
        metadata={"description": "Whom cross-sell learned from (not when held back)"},
    )
    peers_note = fields.String(
        metadata={"description": "Why the peers are the whole portfolio (alone in its segment)"}
    )
    empty_reason = fields.String(
        metadata={"description": "Why there is nothing to suggest, when `items` is empty"}
    )


class ParetoSchema(Schema):
    currency = fields.String(
        required=True, metadata={"description": "The curve is drawn over this currency only"}
    )
    rank = fields.Integer(required=True, metadata={"minimum": 1})
    accounts = fields.Integer(
        required=True,
        metadata={"minimum": 1, "description": "Active accounts billed in this currency"},
    )
    revenue = Amount(required=True, metadata={"description": "The account's annual revenue"})
    cumulative_revenue = Amount(required=True)
    portfolio_revenue = Amount(
        required=True, metadata={"description": "Of the active accounts in this currency"}
    )
    cumulative_share = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})
    in_top_20_percent = fields.Boolean(required=True)
    vital_few = fields.Boolean(
        required=True,
        metadata={"description": "Needed, with those above it, to reach 80% of revenue"},
    )


class ProductLineCostSchema(Schema):
    product_line = fields.String(required=True)
    revenue = Amount(required=True, metadata={"description": "Purchases in the last 12 months"})
    cost = Amount(
        required=True, allow_none=True, metadata={"description": "null: no catalog item prices it"}
    )
    cost_share = fields.Float(required=True, allow_none=True)
    priced_by = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Codes of the catalog items whose cost share is used"},
    )
    assumed = fields.Boolean(
        required=True,
        metadata={"description": "Costed at the stated assumption (no catalog item prices it)"},
    )


class EconomicsSchema(Schema):
    account_id = fields.String(required=True)
    currency = fields.String(required=True)
    revenue = Amount(
        required=True,
        metadata={"description": "Purchases in the last 12 months + the agreement's yearly price"},
    )
    purchases_revenue = Amount(required=True)
    annual_revenue = Amount(required=True, metadata={"description": "As the account records it"})
    agreement_id = fields.String(required=True, allow_none=True)
    agreement_price = Amount(required=True, allow_none=True)
    agreement_cost = Amount(required=True)
    product_lines = fields.List(fields.Nested(ProductLineCostSchema), required=True)
    support_tickets = fields.Integer(required=True, allow_none=True)
    support_load = Amount(required=True, allow_none=True)
    visits = fields.Integer(required=True, allow_none=True)
    visit_load = Amount(required=True, allow_none=True)
    cost_to_serve = Amount(
        required=True,
        metadata={"description": "The known costs (a floor when `cost_complete` is false)"},
    )
    cost_complete = fields.Boolean(required=True)
    margin = Amount(
        required=True,
        signed=True,
        allow_none=True,
        metadata={"description": "revenue - cost_to_serve; null when a cost is unknown"},
    )
    margin_share = fields.Float(required=True, allow_none=True)
    margin_unknown_because = fields.List(fields.String(), required=True)
    pareto = fields.Nested(ParetoSchema, required=True, allow_none=True)
    degraded = fields.List(fields.String(), required=True)
    notes = fields.List(fields.String(), required=True)


class PortfolioEconomicsArgs(PageArgs):
    currency = Currency(metadata={"description": "Only the curve of this currency"})
    segment = Text(validate=validate.Length(max=200))
    tier = one_of(TIERS)
    vital_few = fields.Boolean(
        metadata={"description": "true: only the accounts that bring the first 80%"}
    )


class CurvePositionSchema(ParetoSchema):
    account_id = fields.String(required=True)
    name = fields.String(required=True)
    segment = fields.String(required=True, allow_none=True)
    tier = one_of(TIERS, required=True)


class TopShareSchema(Schema):
    accounts = fields.Integer(required=True)
    revenue = Amount(required=True)
    share = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})


class VitalFewSchema(Schema):
    accounts = fields.Integer(required=True)
    share_of_accounts = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})


class CurrencyCurveSchema(Schema):
    currency = fields.String(required=True)
    accounts = fields.Integer(required=True)
    revenue = Amount(required=True)
    top_20_percent = fields.Nested(TopShareSchema, required=True)
    vital_few = fields.Nested(VitalFewSchema, required=True)


class UsedRateSchema(Schema):
    currency = fields.String(required=True)
    rate = fields.Float(required=True, metadata={"description": "1 currency = rate base"})
    as_of = Day(required=True)


class ConvertedSchema(Schema):
    currency = fields.String(required=True, metadata={"description": "The rates' base"})
    revenue = Amount(
        required=True,
        allow_none=True,
        metadata={"description": "null when a currency has no rate (see missing_rates)"},
    )
    rates = fields.List(fields.Nested(UsedRateSchema), required=True)
    missing_rates = fields.List(fields.String(), required=True)


class PortfolioEconomicsSchema(Schema):
    items = fields.List(fields.Nested(CurvePositionSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    currencies = fields.List(
        fields.Nested(CurrencyCurveSchema),
        required=True,
        metadata={"description": "Each currency's curve, summed on its own"},
    )
    converted = fields.Nested(ConvertedSchema, required=True)


class Rate(fields.Field[Decimal]):
    """An exchange rate: a JSON number above 0 with at most 10 decimals."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ma.ValidationError("A JSON number is expected.")
        rate = Decimal(str(value))
        if not rate.is_finite() or rate <= 0 or rate > 10**9:
            raise ma.ValidationError("Must be above 0 and at most 1000000000.")
        if rate != rate.quantize(Decimal("1e-10")):
            raise ma.ValidationError("At most 10 decimal places.")
        return rate

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> float | None:
        return None if value is None else float(value)


class RateInSchema(ma.Schema):
    currency = Currency(required=True)
    rate = Rate(
        required=True,
        metadata={"type": "number", "exclusiveMinimum": True, "minimum": 0,
                  "description": "One unit of `currency` is worth this many of `base`"},
    )  # fmt: skip
    as_of = Day(required=True, metadata={"description": "The day the rate was fixed"})


class ExchangeRatesPutSchema(ma.Schema):
    base = Currency(required=True)
    rates = fields.List(
        fields.Nested(RateInSchema), required=True, validate=validate.Length(max=200)
    )


class RateSchema(Schema):
    currency = fields.String(required=True)
    rate = Rate(required=True, metadata={"type": "number"})
    as_of = Day(required=True)
    updated_at = Timestamp(required=True)


class ExchangeRatesSchema(Schema):
    base = fields.String(required=True)
    rates = fields.List(fields.Nested(RateSchema), required=True)
