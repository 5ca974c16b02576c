"""Request and response shapes of the offerings service (API.md, Offerings)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, post_dump, validate

from kam_common.fields import (
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
from kam_common.pagination import PageArgs
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


class CatalogItemSchema(ma.Schema):
    id = fields.String(dump_only=True)
    code = Text(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$",
            error="1–50 letters, digits, '.', '_' or '-', starting with a letter or digit.",
        ),
        metadata={"description": "Unique"},
    )
    name = Name(required=True)
    kind = one_of(KINDS, required=True)
    description = optional_text(5000)
    list_price = Money(required=True, metadata={"description": "Per billing period"})
    unit_cost = Money(required=True, metadata={"description": "Our cost to serve, per period"})
    billing = one_of(BILLINGS, load_default="annual", metadata={"default": "annual"})
    value_driver = one_of(VALUE_DRIVERS, load_default="none", metadata={"default": "none"})
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
        load_default=1,
        validate=validate.Range(min=1, max=10),
        metadata={"default": 1, "description": "Tier within the family; higher is richer"},
    )
    active = StrictBoolean(load_default=True, metadata={"description": "false: deactivated"})
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class CatalogPatchSchema(CatalogItemSchema):
    """PATCH: every field optional, no defaults filled in."""

    billing = one_of(BILLINGS)
    value_driver = one_of(VALUE_DRIVERS)
    level = StrictInteger(validate=validate.Range(min=1, max=10))
    active = StrictBoolean()


class CatalogListArgs(PageArgs):
    kind = one_of(KINDS)
    active = fields.Boolean()
    q = Text(validate=validate.Length(max=200), metadata={"description": "Name or code contains"})


class ProposalItemSchema(ma.Schema):
    catalog_item_id = fields.String()
    name = fields.String()
    kind = fields.String()
    included = fields.Boolean()
    price = Money(metadata={"description": "Yearly list price of the item"})
    benefit = fields.String(metadata={"description": "What it saves or improves"})
    commitment = fields.Dict(allow_none=True)


class OptionSchema(ma.Schema):
    strategy = fields.String(metadata={"enum": list(STRATEGIES)})
    items = fields.List(fields.Nested(ProposalItemSchema))
    price = Money(metadata={"description": "Yearly price of what is included"})
    cost_to_serve = Money()
    margin = Money(metadata={"description": "price - cost_to_serve"})
    rationale = fields.String()


class ProposalCreateSchema(ma.Schema):
    account_id = Text(required=True, validate=validate.Length(min=1, max=36))


class ProposalSchema(ma.Schema):
    id = fields.String()
    account_id = fields.String()
    options = fields.List(fields.Nested(OptionSchema), attribute="option_views")
    recommended = fields.String(metadata={"enum": list(STRATEGIES)})
    reasons = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(PROPOSAL_STATUSES)})
    currency = fields.String()
    degraded = fields.List(fields.String())
    created_at = Timestamp()
    accepted_at = Timestamp(allow_none=True)


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


class AgreementItemSchema(ma.Schema):
    catalog_item_id = fields.String()
    name = fields.String()
    kind = fields.String()
    optional = fields.Boolean(metadata={"description": "An optional item the client chose"})
    price = Money()
    commitment = fields.Dict(allow_none=True)


class AgreementSchema(Schema):
    id = fields.String()
    account_id = fields.String()
    proposal_id = fields.String()
    strategy = fields.String(metadata={"enum": list(STRATEGIES)})
    items = fields.List(fields.Nested(AgreementItemSchema))
    price = Money(metadata={"description": "Yearly"})
    cost_to_serve = internal(Money())
    margin = internal(Money())
    currency = fields.String()
    commitments = fields.Dict()
    status = fields.String(metadata={"enum": list(AGREEMENT_STATUSES)})
    starts_on = Day()
    ended_on = Day(allow_none=True)
    created_at = Timestamp()


class AgreementListArgs(PageArgs):
    account_id = Text(validate=validate.Length(max=36))
    status = one_of(AGREEMENT_STATUSES)


class AccountArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    account_id = Text(required=True, validate=validate.Length(min=1, max=36))


class SuggestionSchema(ma.Schema):
    catalog_item_id = fields.String()
    product_line = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(SUGGESTION_KINDS)})
    propensity = fields.Float(metadata={"minimum": 0, "maximum": 1})
    reason = fields.String()

    @post_dump
    def _drop_empty(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value is not None}


class RecommendationsSchema(ma.Schema):
    account_id = fields.String()
    items = fields.List(fields.Nested(SuggestionSchema))
    suppressed = fields.Boolean()
    suppressed_reason = fields.String(allow_none=True)
    band = fields.String(allow_none=True)
    degraded = fields.List(fields.String())
    note = fields.String()


class ParetoSchema(ma.Schema):
    rank = fields.Integer()
    accounts = fields.Integer()
    cumulative_revenue = Money()
    portfolio_revenue = Money()
    cumulative_share = fields.Float()
    in_top_20_percent = fields.Boolean()
    vital_few = fields.Boolean(
        metadata={"description": "Needed, with those above it, to reach 80% of revenue"}
    )


class EconomicsSchema(ma.Schema):
    account_id = fields.String()
    currency = fields.String()
    revenue = Money()
    agreement_id = fields.String(allow_none=True)
    agreement_price = Money(allow_none=True)
    agreement_cost = Money()
    support_tickets = fields.Integer(allow_none=True)
    support_load = Money(allow_none=True)
    cost_to_serve = Money()
    margin = fields.Float(metadata={"description": "revenue - cost_to_serve (may be negative)"})
    margin_share = fields.Float(allow_none=True)
    pareto = fields.Nested(ParetoSchema, allow_none=True)
    degraded = fields.List(fields.String())
    notes = fields.List(fields.String())
