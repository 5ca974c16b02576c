"""Request and response shapes of the accounts service (API.md, Accounts).

Each resource has a create schema (defaults documented), a patch schema (every field optional,
no defaults: a client that sends only what changed changes only that) and a response schema
(every field always present, so `required`; internal judgement marked `internal`).
"""

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
    Amount,
    Currency,
    Day,
    MomentFilter,
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
from kam_common.pagination import PageArgs, QuerySchema
from kam_common.visibility import Schema, internal

_CADENCE = validate.Range(min=1, max=3650)


class AccountChangesSchema(ma.Schema):
    """What a PATCH may change; every field optional and nothing filled in."""

    name = Name(metadata={"description": "1–200 characters, any script"})
    external_id = optional_text(
        100, metadata={"description": "The partner's own CRM id; unique. Imports match on it."}
    )
    industry = optional_text(200)
    segment = optional_text(200)
    country = optional_text(100)
    tier = one_of(TIERS)
    orientation = one_of(ORIENTATIONS, metadata={"description": "How the client buys"})
    annual_revenue = Money(metadata={"description": "What this client spends with us a year"})
    currency = Currency()
    contact_cadence_days = StrictInteger(
        validate=_CADENCE, metadata={"description": "How often the client needs to hear from us"}
    )
    needs = text_list()
    capabilities = text_list()
    parent_id = optional_text(
        64, metadata={"description": "The account this one belongs to (a group), or null"}
    )


class AccountPatchSchema(AccountChangesSchema):
    status = one_of(
        ACCOUNT_STATUSES,
        metadata={"description": "`active` restores an archived account (DELETE archives)"},
    )


class AccountCreateSchema(AccountChangesSchema):
    """A new account is active; it is archived with DELETE."""

    name = Name(required=True, metadata={"description": "1–200 characters, any script"})
    tier = one_of(TIERS, metadata={"default": "key"})
    orientation = one_of(
        ORIENTATIONS, metadata={"default": "mixed", "description": "How the client buys"}
    )
    annual_revenue = Money(
        metadata={"default": 0, "description": "What this client spends with us a year"}
    )
    currency = Currency(metadata={"default": "USD"})
    contact_cadence_days = StrictInteger(
        validate=_CADENCE,
        metadata={"default": 30, "description": "How often the client needs to hear from us"},
    )


class AccountImportRowSchema(AccountCreateSchema):
    """A new account from a CSV row: an exported archived account imports archived."""

    status = one_of(ACCOUNT_STATUSES, metadata={"default": "active"})


class AccountSchema(Schema):
    id = fields.String(required=True)
    external_id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    industry = fields.String(required=True, allow_none=True)
    segment = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, allow_none=True)
    tier = one_of(TIERS, required=True)
    orientation = one_of(ORIENTATIONS, required=True)
    annual_revenue = Amount(required=True)
    currency = fields.String(required=True)
    contact_cadence_days = fields.Integer(required=True)
    needs = fields.List(fields.String(), required=True)
    capabilities = fields.List(fields.String(), required=True)
    status = one_of(ACCOUNT_STATUSES, required=True)
    parent_id = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class GroupMemberSchema(AccountSchema):
    children = fields.List(
        fields.Nested(lambda: GroupMemberSchema()),
        required=True,
        metadata={"description": "The accounts directly below this one"},
    )


class GroupRollupSchema(Schema):
    accounts = fields.Integer(required=True, metadata={"description": "Active accounts"})
    annual_revenue = fields.Dict(
        keys=fields.String(),
        values=Amount(),
        required=True,
        metadata={"description": "Per currency"},
    )


class GroupSchema(Schema):
    root_id = fields.String(required=True)
    members = fields.List(fields.Nested(GroupMemberSchema), required=True)
    rollup = fields.Nested(GroupRollupSchema, required=True)


class AccountListArgs(PageArgs):
    q = Text(validate=validate.Length(max=200), metadata={"description": "Name contains"})
    external_id = Text(validate=validate.Length(max=100), metadata={"description": "Exactly this"})
    tier = one_of(TIERS)
    orientation = one_of(ORIENTATIONS)
    segment = Text(validate=validate.Length(max=200))
    status = one_of((*ACCOUNT_STATUSES, "all"), load_default="active")
    sort = one_of(ACCOUNT_SORTS, load_default="name")


class AccountExportArgs(QuerySchema):
    q = Text(validate=validate.Length(max=200), metadata={"description": "Name contains"})
    external_id = Text(validate=validate.Length(max=100), metadata={"description": "Exactly this"})
    tier = one_of(TIERS)
    orientation = one_of(ORIENTATIONS)
    segment = Text(validate=validate.Length(max=200))
    status = one_of((*ACCOUNT_STATUSES, "all"), load_default="active")
    sort = one_of(ACCOUNT_SORTS, load_default="name")


class ContactChangesSchema(ma.Schema):
    name = Name()
    external_id = optional_text(
        100, metadata={"description": "The partner's own CRM id; unique. Imports match on it."}
    )
    title = optional_text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = optional_text(50)
    buying_role = one_of(BUYING_ROLES, allow_none=True)
    influence = StrictInteger(validate=validate.Range(min=1, max=5))
    stance = one_of(STANCES)
    reports_to_id = Text(allow_none=True, validate=validate.Length(max=36))
    active = StrictBoolean(metadata={"description": "false once the person has left"})
    left_on = Day(allow_none=True, recorded=True)
    notes = optional_text(5000)
    cadence_days = StrictInteger(
        allow_none=True,
        validate=validate.Range(min=1, max=365),
        metadata={"description": "How often this person needs to hear from us, when it differs "
                  "from the account's contact_cadence_days (null: the account's)"},
    )  # fmt: skip


class ContactPatchSchema(ContactChangesSchema):
    pass


class ContactCreateSchema(ContactChangesSchema):
    name = Name(required=True)
    influence = StrictInteger(validate=validate.Range(min=1, max=5), metadata={"default": 3})
    stance = one_of(STANCES, metadata={"default": "unknown"})
    active = StrictBoolean(
        metadata={"default": True, "description": "false: the person has left already"}
    )


class ContactSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    external_id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    buying_role = one_of(BUYING_ROLES, required=True, allow_none=True)
    # How much the person weighs in decisions and how they stand towards us: our own reading.
    influence = internal(fields.Integer(metadata={"minimum": 1, "maximum": 5}))
    stance = internal(one_of(STANCES))
    reports_to_id = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    left_on = Day(required=True, allow_none=True)
    notes = internal(fields.String(allow_none=True))
    cadence_days = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: the account's cadence"}
    )
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class ContactListArgs(PageArgs):
    active = fields.Boolean()
    external_id = Text(validate=validate.Length(max=100), metadata={"description": "Exactly this"})
    buying_role = one_of(BUYING_ROLES)


class ContactExportArgs(QuerySchema):
    account_id = Text(validate=validate.Length(max=36), metadata={"description": "One account's"})
    active = fields.Boolean()
    buying_role = one_of(BUYING_ROLES)
    external_id = Text(validate=validate.Length(max=100), metadata={"description": "Exactly this"})


class OrgNodeSchema(ContactSchema):
    reports = fields.List(fields.Nested(lambda: OrgNodeSchema()), required=True)


class OrgChartSchema(Schema):
    roots = fields.List(fields.Nested(OrgNodeSchema), required=True)


class TeamMemberCreateSchema(ma.Schema):
    name = Name(required=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    role = one_of(TEAM_ROLES, required=True)


class TeamMemberSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    role = one_of(TEAM_ROLES, required=True)
    created_at = Timestamp(required=True)


class TeamListArgs(PageArgs):
    role = one_of(TEAM_ROLES)


class InteractionCreateSchema(ma.Schema):
    kind = one_of(INTERACTION_KINDS, required=True)
    occurred_at = Timestamp(
        recorded=True, metadata={"description": "Defaults to now; not in the future"}
    )
    summary = optional_text(10000)
    contact_ids = fields.List(
        Text(validate=validate.Length(max=36)), validate=validate.Length(max=50)
    )


class InteractionSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    kind = one_of(INTERACTION_KINDS, required=True)
    occurred_at = Timestamp(required=True)
    summary = fields.String(required=True, allow_none=True)
    contact_ids = fields.List(fields.String(), required=True)
    created_at = Timestamp(required=True)


class InteractionListArgs(PageArgs):
    kind = one_of(INTERACTION_KINDS)
    since = MomentFilter()
    until = MomentFilter()


class PurchaseCreateSchema(ma.Schema):
    product_line = Name(required=True)
    description = optional_text(5000)
    amount = Money(required=True, positive=True)
    occurred_on = Day(
        recorded=True, metadata={"description": "Defaults to today; not in the future"}
    )


class PurchaseSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    product_line = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    amount = Amount(required=True)
    occurred_on = Day(required=True)
    created_at = Timestamp(required=True)


class PurchaseListArgs(PageArgs):
    product_line = Text(validate=validate.Length(max=200))
    since = MomentFilter(as_day=True)
    until = MomentFilter(as_day=True)


class PurchaseExportArgs(QuerySchema):
    account_id = Text(validate=validate.Length(max=36), metadata={"description": "One account's"})
    product_line = Text(validate=validate.Length(max=200))
    since = MomentFilter(as_day=True)
    until = MomentFilter(as_day=True)


class TimelineEntrySchema(Schema):
    type = one_of(ENTRY_TYPES, required=True)
    at = Timestamp(required=True)
    id = fields.String(required=True)
    summary = fields.String(required=True)
    data = fields.Dict(required=True)


class TimelineArgs(PageArgs):
    type = fields.List(one_of(ENTRY_TYPES), metadata={"description": "Only these entry types"})
