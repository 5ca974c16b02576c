"""Request and response shapes of the offerings service (API.md, Offerings)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, post_dump, validate

from kam_common.fields import (
    Amount,
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
    PROPOSAL_STATUSES,
    STRATEGIES,
    SUGGESTION_KINDS,
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
    created_at = Timestamp(required=True)


class AgreementListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    status = one_of(AGREEMENT_STATUSES)


class AccountArgs(QuerySchema):
    account_id = Text(required=True, validate=validate.Length(min=1, max=36))


class SuggestionSchema(Schema):
    catalog_item_id = fields.String(metadata={"description": "up_sell only"})
    product_line = fields.String(metadata={"description": "cross_sell only"})
    name = fields.String(required=True)
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
    degraded = fields.List(fields.String(), required=True)
    note = fields.String(metadata={"description": "When the health band is unknown"})


class ParetoSchema(Schema):
    rank = fields.Integer(required=True, metadata={"minimum": 1})
    accounts = fields.Integer(required=True, metadata={"minimum": 1})
    cumulative_revenue = Amount(required=True)
    portfolio_revenue = Amount(required=True)
    cumulative_share = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})
    in_top_20_percent = fields.Boolean(required=True)
    vital_few = fields.Boolean(
        required=True,
        metadata={"description": "Needed, with those above it, to reach 80% of revenue"},
    )


class EconomicsSchema(Schema):
    account_id = fields.String(required=True)
    currency = fields.String(required=True)
    revenue = Amount(required=True)
    agreement_id = fields.String(required=True, allow_none=True)
    agreement_price = Amount(required=True, allow_none=True)
    agreement_cost = Amount(required=True)
    support_tickets = fields.Integer(required=True, allow_none=True)
    support_load = Amount(required=True, allow_none=True)
    cost_to_serve = Amount(required=True)
    margin = Amount(
        required=True,
        signed=True,
        metadata={"description": "revenue - cost_to_serve (may be negative)"},
    )
    margin_share = fields.Float(required=True, allow_none=True)
    pareto = fields.Nested(ParetoSchema, required=True, allow_none=True)
    degraded = fields.List(fields.String(), required=True)
    notes = fields.List(fields.String(), required=True)
