"""Request and response shapes of the plays service (API.md, Plays; Touches and campaigns)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, post_load, validate, validates_schema

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
from kam_common.visibility import Schema
from kam_plays.domain.vocabulary import (
    BANDS,
    BUYING_ROLES,
    CONDITIONS,
    EVENT_TYPES,
    TASK_SOURCES,
    TASK_STATUSES,
    TEAM_ROLES,
    TIERS,
    TRIGGER_COMPONENTS,
)

ALL_SEVERITIES = ("minor", "major", "critical", "low", "medium", "high")
ID = validate.Length(min=1, max=36)


class Score(fields.Float):
    """A JSON number (never a string or a boolean) from 0 to 100."""

    def __init__(self, **kwargs: Any):
        super().__init__(validate=validate.Range(min=0, max=100), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        result: float = super()._deserialize(value, attr, data, **kwargs)
        return result


def days(low: int, high: int, **kwargs: Any) -> StrictInteger:
    return StrictInteger(validate=validate.Range(min=low, max=high), **kwargs)


class ComponentBelowSchema(ma.Schema):
    component = one_of(TRIGGER_COMPONENTS, required=True)
    score = Score(required=True, metadata={"description": "Fires while the component is below"})


class PurchasesOverSchema(ma.Schema):
    product_line = Name(required=True)
    amount = Money(required=True, metadata={"description": "Fires while the sum is over it"})
    days = days(1, 3650, required=True)

    @post_load
    def _stored_as_json(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {**data, "amount": float(data["amount"])}


class RenewalWithinSchema(ma.Schema):
    days = days(1, 730, required=True)


class ContactLeftSchema(ma.Schema):
    buying_roles = fields.List(one_of(BUYING_ROLES), required=True)


class NoContactForSchema(ma.Schema):
    days_past_cadence = days(0, 3650, required=True)


class EventLoggedSchema(ma.Schema):
    type = one_of(EVENT_TYPES, required=True)
    severity = one_of(ALL_SEVERITIES, allow_none=True)


class WhenSchema(ma.Schema):
    """Exactly one condition, optionally limited to a `segment` and/or a `tier`."""

    band_entered = fields.List(one_of(BANDS))
    component_below = fields.Nested(ComponentBelowSchema)
    purchases_over = fields.Nested(PurchasesOverSchema)
    renewal_within = fields.Nested(RenewalWithinSchema)
    contact_left = fields.Nested(ContactLeftSchema)
    no_contact_for = fields.Nested(NoContactForSchema)
    event_logged = fields.Nested(EventLoggedSchema)
    segment = optional_text(200)
    tier = one_of(TIERS, allow_none=True)

    @validates_schema
    def _one_condition(self, data: dict[str, Any], **_kwargs: Any) -> None:
        named = [name for name in CONDITIONS if name in data]
        if len(named) != 1:
            raise ma.ValidationError(
                f"Exactly one condition: one of {', '.join(CONDITIONS)}"
                + (f" (got {', '.join(named)})." if named else ".")
            )


class CreateTaskActionSchema(ma.Schema):
    title = Name(required=True)
    assignee_role = one_of(TEAM_ROLES, allow_none=True)
    due_in_days = days(0, 365, load_default=7)
    steps = text_list(max_items=20, max_length=300, load_default=list)


class RaiseAlertActionSchema(ma.Schema):
    reason = Name(max_length=500, required=True)


class SuggestActionSchema(ma.Schema):
    catalog_item_id = Text(required=True, validate=ID)


class ThenSchema(ma.Schema):
    """One or more actions."""

    create_task = fields.Nested(CreateTaskActionSchema)
    raise_alert = fields.Nested(RaiseAlertActionSchema)
    suggest = fields.Nested(SuggestActionSchema)

    @validates_schema
    def _some_action(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("At least one action: create_task, raise_alert or suggest.")


class TriggerCreateSchema(ma.Schema):
    name = Name(required=True)
    when = fields.Nested(WhenSchema, required=True)
    then = fields.Nested(ThenSchema, required=True)
    active = StrictBoolean(load_default=True)


class TriggerPatchSchema(ma.Schema):
    name = Name()
    when = fields.Nested(WhenSchema)
    then = fields.Nested(ThenSchema)
    active = StrictBoolean()


class ConfirmArgs(ma.Schema):
    confirm = fields.Boolean(
        load_default=False,
        metadata={"description": "Save a trigger that holds for every active account now"},
    )


class TriggerSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    when = fields.Dict(required=True)
    then = fields.Dict(required=True)
    active = fields.Boolean(required=True)
    builtin = fields.Function(
        lambda t: t.builtin_key is not None,
        metadata={"description": "Shipped with the product (docs/plays.md)"},
    )
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class TriggerListArgs(PageArgs):
    active = fields.Boolean()


class FiringSchema(Schema):
    id = fields.String(required=True)
    trigger_id = fields.String(required=True)
    account_id = fields.String(required=True)
    account_name = fields.String(required=True, allow_none=True)
    cause = fields.String(required=True)
    fired_at = Timestamp(required=True)
    facts = fields.Dict(required=True, metadata={"description": "What made it fire"})
    actions = fields.List(fields.Dict(), required=True, metadata={"description": "What it did"})
    cleared_at = Timestamp(
        required=True, allow_none=True, metadata={"description": "When the cause cleared"}
    )


class FiringListArgs(PageArgs):
    account_id = Text(validate=ID)


class TaskSourceSchema(ma.Schema):
    type = one_of(TASK_SOURCES, required=True)
    id = Text(allow_none=True, validate=ID)


class TaskCreateSchema(ma.Schema):
    account_id = Text(required=True, validate=ID)
    title = Name(required=True)
    description = optional_text(5000)
    assignee_id = Text(allow_none=True, validate=ID)
    assignee_role = one_of(TEAM_ROLES, allow_none=True)
    due_on = Day(required=True)
    steps = text_list(max_items=50, max_length=300, load_default=list)
    source = fields.Nested(TaskSourceSchema, load_default=None)


class TaskPatchSchema(ma.Schema):
    title = Name()
    description = optional_text(5000)
    assignee_id = Text(allow_none=True, validate=ID)
    assignee_role = one_of(TEAM_ROLES, allow_none=True)
    due_on = Day()
    steps = text_list(max_items=50, max_length=300)
    status = one_of(TASK_STATUSES)
    note = optional_text(5000, metadata={"description": "Why it was closed or dismissed"})


class TaskSourceOutSchema(Schema):
    type = one_of(TASK_SOURCES, required=True)
    id = fields.String(required=True, allow_none=True)


class TaskSchema(Schema):
    id = fields.String(required=True)
    account_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    account_name = fields.String(required=True, allow_none=True)
    assignee_id = fields.String(required=True, allow_none=True)
    assignee_name = fields.String(
        required=True, allow_none=True, metadata={"description": "The team member's name"}
    )
    assignee_role = one_of(TEAM_ROLES, required=True, allow_none=True)
    due_on = Day(required=True)
    steps = fields.List(fields.String(), required=True)
    status = one_of(TASK_STATUSES, required=True)
    overdue = fields.Boolean(required=True)
    source = fields.Nested(TaskSourceOutSchema, required=True)
    firing_id = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    closed_at = Timestamp(required=True, allow_none=True)
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class TaskListArgs(PageArgs):
    account_id = Text(validate=ID)
    assignee_id = Text(validate=ID, metadata={"description": "My tasks: my team member id"})
    assignee_email = fields.Email(
        validate=validate.Length(max=320),
        metadata={"description": "My tasks on every account: the team members with this email"},
    )
    assignee_role = one_of(TEAM_ROLES)
    status = one_of(TASK_STATUSES)
    source = one_of(TASK_SOURCES)
    overdue = fields.Boolean(metadata={"description": "Open and due before today"})


class CoverageLinkCreateSchema(ma.Schema):
    member_id = Text(required=True, validate=ID)
    contact_id = Text(required=True, validate=ID)


class CoverageLinkSchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    contact_id = fields.String(required=True)
    last_touch_at = Timestamp(required=True, allow_none=True)
    member_name = fields.String(allow_none=True)
    member_role = one_of(TEAM_ROLES, allow_none=True)
    contact_name = fields.String(allow_none=True)
    buying_role = one_of(BUYING_ROLES, allow_none=True)
    created_at = Timestamp(required=True)


class CoverageGapSchema(Schema):
    contact_id = fields.String(required=True, allow_none=True)
    code = one_of(
        ("uncovered_decision_maker", "champion_left", "detractor_not_met", "no_contacts"),
        required=True,
    )
    reason = fields.String(required=True)


class CoverageMapSchema(Schema):
    account_id = fields.String(required=True)
    links = fields.List(fields.Nested(CoverageLinkSchema), required=True)
    gaps = fields.List(fields.Nested(CoverageGapSchema), required=True)
    score = fields.Integer(
        required=True,
        metadata={"minimum": 0, "maximum": 100, "description": "docs/plays.md, Coverage"},
    )


class TouchSchema(Schema):
    kind = fields.String(
        required=True, metadata={"description": "interaction kind or campaign_email"}
    )
    occurred_at = Timestamp(required=True)
    ref_id = fields.String(required=True, metadata={"description": "interaction or campaign id"})
    summary = fields.String(required=True, allow_none=True)


class OnboardingSchema(Schema):
    goal = fields.Integer(required=True, allow_none=True)
    done = fields.Integer(required=True)
    complete = fields.Boolean(required=True, allow_none=True)


class TouchesSchema(Schema):
    account_id = fields.String(required=True)
    contact_id = fields.String(required=True)
    touches = fields.List(fields.Nested(TouchSchema), required=True)
    total = fields.Integer(required=True)
    last_touch_at = Timestamp(required=True, allow_none=True)
    cadence_days = fields.Integer(required=True)
    cadence_source = one_of(("contact", "account"), required=True)
    next_due_on = Day(required=True)
    overdue = fields.Boolean(required=True)
    onboarding = fields.Nested(OnboardingSchema, required=True)


class AudienceSchema(ma.Schema):
    segment = optional_text(200)
    tier = one_of(TIERS, allow_none=True)
    bands = fields.List(one_of(BANDS), validate=validate.Length(max=4))
    buying_roles = fields.List(one_of(BUYING_ROLES), validate=validate.Length(max=7))
    account_ids = fields.List(Text(validate=ID), validate=validate.Length(max=1000))


class CampaignCreateSchema(ma.Schema):
    name = Name(required=True)
    kind = one_of(("promotional", "informational"), required=True)
    subject = Name(max_length=300, required=True)
    body = Text(
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": "Plain text (at most 100,000 characters) with placeholders "
            "{{name}}, {{first_name}}, {{title}}, {{account_name}}, {{sender_name}}; its links "
            "are tracked and an unsubscribe link is added"
        },
    )
    audience = fields.Nested(AudienceSchema, required=True)
    sender_name = optional_text(200, metadata={"description": "Default: the account manager"})


class CampaignStatsSchema(Schema):
    sent = fields.Integer(required=True)
    delivered = fields.Integer(required=True)
    bounced = fields.Integer(required=True)
    opened = fields.Integer(required=True)
    clicked = fields.Integer(required=True)
    unsubscribed = fields.Integer(required=True)


class SuppressedSchema(Schema):
    contact_id = fields.String(required=True)
    contact_name = fields.String(required=True, allow_none=True)
    account_id = fields.String(required=True)
    account_name = fields.String(required=True, allow_none=True)
    code = fields.String(required=True)
    reason = fields.String(required=True)


class AccountStatsSchema(CampaignStatsSchema):
    account_id = fields.String(required=True)
    account_name = fields.String(required=True, allow_none=True)
    suppressed = fields.Integer(required=True)


class CampaignSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = one_of(("promotional", "informational"), required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    audience = fields.Dict(required=True)
    status = one_of(("draft", "sending", "sent"), required=True)
    audience_size = fields.Integer(
        required=True, allow_none=True, metadata={"description": "People the audience names"}
    )
    pending = fields.Integer(required=True, metadata={"description": "Messages still to send"})
    suppressed = fields.List(
        fields.Nested(SuppressedSchema),
        required=True,
        allow_none=True,
        metadata={"description": "Held back, with the reason (in a campaign's own view)"},
    )
    stats = fields.Nested(CampaignStatsSchema, required=True)
    by_account = fields.List(fields.Nested(AccountStatsSchema))
    last_error = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    sent_at = Timestamp(required=True, allow_none=True)


class CampaignListArgs(PageArgs):
    status = one_of(("draft", "sending", "sent"))
    kind = one_of(("promotional", "informational"))


class AccountCampaignSchema(CampaignStatsSchema):
    campaign_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    suppressed = fields.Integer(required=True)


class PressureSchema(Schema):
    account_id = fields.String(required=True)
    suppressed = fields.Boolean(required=True)
    code = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
