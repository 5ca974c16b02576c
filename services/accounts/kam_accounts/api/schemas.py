"""Request and response shapes of the accounts service (API.md, Accounts)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from kam_accounts.domain.timeline import ENTRY_TYPES
from kam_accounts.domain.vocabulary import (
    ACCOUNT_SORTS,
    ACCOUNT_STATUSES,
    BUYING_ROLES,
    INTERACTION_KINDS,
    ORIENTATIONS,
    STANCES,
    TEAM_ROLES,
    TIERS,
)
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
    text_list,
)
from kam_common.pagination import PageArgs


class AccountSchema(ma.Schema):
    id = fields.String(dump_only=True)
    name = Name(required=True, metadata={"description": "1–200 characters, any script"})
    industry = optional_text(200)
    segment = optional_text(200)
    country = optional_text(100)
    tier = one_of(TIERS, metadata={"default": "key"})
    orientation = one_of(
        ORIENTATIONS, metadata={"default": "mixed", "description": "How the client buys"}
    )
    annual_revenue = Money(metadata={"description": "What this client spends with us a year"})
    currency = Text(
        validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as USD."),
        metadata={"default": "USD"},
    )
    contact_cadence_days = StrictInteger(
        validate=validate.Range(min=1, max=3650),
        metadata={"default": 30, "description": "How often the client needs to hear from us"},
    )
    needs = text_list()
    capabilities = text_list()
    status = one_of(
        ACCOUNT_STATUSES,
        metadata={"description": "PATCH to `active` restores an archived account"},
    )
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class AccountListArgs(PageArgs):
    q = Text(validate=validate.Length(max=200), metadata={"description": "Name contains"})
    tier = one_of(TIERS)
    orientation = one_of(ORIENTATIONS)
    segment = Text(validate=validate.Length(max=200))
    status = one_of((*ACCOUNT_STATUSES, "all"), load_default="active")
    sort = one_of(ACCOUNT_SORTS, load_default="name")


class ContactSchema(ma.Schema):
    id = fields.String(dump_only=True)
    account_id = fields.String(dump_only=True)
    name = Name(required=True)
    title = optional_text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = optional_text(50)
    buying_role = one_of(BUYING_ROLES, allow_none=True)
    influence = StrictInteger(validate=validate.Range(min=1, max=5), metadata={"default": 3})
    stance = one_of(STANCES, metadata={"default": "unknown"})
    reports_to_id = Text(allow_none=True, validate=validate.Length(max=36))
    active = StrictBoolean(metadata={"description": "false once the person has left"})
    left_on = Day(allow_none=True)
    notes = optional_text(5000)
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class ContactListArgs(PageArgs):
    active = fields.Boolean()
    buying_role = one_of(BUYING_ROLES)


class OrgNodeSchema(ContactSchema):
    reports = fields.List(fields.Nested(lambda: OrgNodeSchema()), dump_only=True)


class OrgChartSchema(ma.Schema):
    roots = fields.List(fields.Nested(OrgNodeSchema), required=True)


class TeamMemberSchema(ma.Schema):
    id = fields.String(dump_only=True)
    account_id = fields.String(dump_only=True)
    name = Name(required=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    role = one_of(TEAM_ROLES, required=True)
    created_at = Timestamp(dump_only=True)


class TeamListArgs(PageArgs):
    role = one_of(TEAM_ROLES)


class InteractionSchema(ma.Schema):
    id = fields.String(dump_only=True)
    account_id = fields.String(dump_only=True)
    kind = one_of(INTERACTION_KINDS, required=True)
    occurred_at = Timestamp(metadata={"description": "Defaults to now; not in the future"})
    summary = optional_text(10000)
    contact_ids = fields.List(
        Text(validate=validate.Length(max=36)), validate=validate.Length(max=50)
    )
    created_at = Timestamp(dump_only=True)


class InteractionListArgs(PageArgs):
    kind = one_of(INTERACTION_KINDS)
    since = Timestamp()
    until = Timestamp()


class PurchaseSchema(ma.Schema):
    id = fields.String(dump_only=True)
    account_id = fields.String(dump_only=True)
    product_line = Name(required=True)
    description = optional_text(5000)
    amount = Money(required=True, positive=True)
    occurred_on = Day(metadata={"description": "Defaults to today; not in the future"})
    created_at = Timestamp(dump_only=True)


class PurchaseListArgs(PageArgs):
    product_line = Text(validate=validate.Length(max=200))
    since = Day()
    until = Day()


class TimelineEntrySchema(ma.Schema):
    type = fields.String(metadata={"enum": list(ENTRY_TYPES)})
    at = Timestamp()
    id = fields.String()
    summary = fields.String()
    data = fields.Dict()


class TimelineArgs(PageArgs):
    type = fields.List(one_of(ENTRY_TYPES), metadata={"description": "Only these entry types"})
