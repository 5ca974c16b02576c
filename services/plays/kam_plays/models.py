"""Tables of the plays service (owned by it alone).

What plays knows of accounts, their people, our team, their health and their agreements comes
from the other services' integration events (the `*_facts` tables); triggers, firings, tasks,
coverage links and touches are its own.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kam_common.audit import audit_table, auditable
from kam_common.db import Money, UTCDateTime, new_id, new_metadata, utcnow
from kam_common.idempotency import idempotency_table
from kam_common.integration import inbox_table, outbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


idempotency_keys = idempotency_table(Base.metadata)
audit_entries = audit_table(Base.metadata)
inbox = inbox_table(Base.metadata)
outbox = outbox_table(Base.metadata)


class AccountFacts(Base):
    """An account as plays knows it: the accounts service's facts, health's band and
    components, the active agreement's renewal date and the last contact."""

    __tablename__ = "account_facts"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    segment: Mapped[str | None] = mapped_column(String(200), index=True)
    tier: Mapped[str] = mapped_column(String(20), default="key")
    annual_revenue: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    contact_cadence_days: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    band: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    # {"delivery": 80.0, "quality": ..., "support": ..., "commitment": ...}
    components: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreement_id: Mapped[str | None] = mapped_column(String(36))
    renewal_on: Mapped[date | None] = mapped_column(Date)
    # When an offer (a proposal) was last made to the account: the contact-pressure rule.
    last_offer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    facts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContactFacts(Base):
    """A decision-maker at the client, from the accounts service."""

    __tablename__ = "contact_facts"

    contact_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    buying_role: Mapped[str | None] = mapped_column(String(30))
    influence: Mapped[int] = mapped_column(Integer, default=3)
    stance: Mapped[str] = mapped_column(String(20), default="unknown")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    # The person's own cadence, when it differs from the account's.
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberFacts(Base):
    """One of our people on an account's team, from the accounts service."""

    __tablename__ = "member_facts"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(30))


class PurchaseFacts(Base):
    __tablename__ = "purchase_facts"

    purchase_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"), index=True)
    product_line: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money())
    occurred_on: Mapped[date] = mapped_column(Date)


class EventFacts(Base):
    """A health event (delivery, quality, support, warning) and whether it is still open."""

    __tablename__ = "event_facts"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(20))
    signal: Mapped[str | None] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    open: Mapped[bool] = mapped_column(Boolean, default=True)


@auditable("trigger", account_id=None)
class Trigger(Base):
    __tablename__ = "triggers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # The condition's kind (`band_entered`, ...), kept apart so evaluation can pick by it.
    kind: Mapped[str] = mapped_column(String(30), index=True)
    when: Mapped[dict[str, Any]] = mapped_column(JSON)
    then: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Shipped with the product (`kam seed`), so a re-seed does not add it twice.
    builtin_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Firing(Base):
    """A trigger's condition became true for an account, for one cause: what it saw, what it
    did. At most one uncleared firing per trigger, account and cause."""

    __tablename__ = "firings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    trigger_id: Mapped[str] = mapped_column(ForeignKey("triggers.id"))
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    cause: Mapped[str] = mapped_column(String(120))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "uq_firings_uncleared_cause",
            "trigger_id",
            "account_id",
            "cause",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
        Index("ix_firings_trigger_time", "trigger_id", "fired_at"),
    )


@auditable("task")
class Task(Base):
    """A play for the account team: from a trigger, an alert, or written by hand."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[str | None] = mapped_column(String(36), index=True)
    assignee_role: Mapped[str | None] = mapped_column(String(30))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    source_type: Mapped[str] = mapped_column(String(20), default="manual")
    source_id: Mapped[str | None] = mapped_column(String(36))
    firing_id: Mapped[str | None] = mapped_column(ForeignKey("firings.id"), index=True)
    closed_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_tasks_status_due", "status", "due_on"),)


@auditable("coverage_link")
class CoverageLink(Base):
    """One of our team members owns the relationship with one of the client's people."""

    __tablename__ = "coverage_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36))
    contact_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("member_id", "contact_id", name="uq_coverage_links_member_contact"),
    )


@auditable("touch")
class Touch(Base):
    """One time a person at the client heard from us: an interaction they took part in, or a
    campaign e-mail that reached them."""

    __tablename__ = "touches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36))
    contact_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(30))  # an interaction's kind, or campaign_email
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ref_id: Mapped[str] = mapped_column(String(36))  # the interaction or the campaign
    summary: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("contact_id", "ref_id", name="uq_touches_contact_ref"),
        Index("ix_touches_contact_time", "contact_id", "occurred_at"),
    )


@auditable("campaign", account_id=None)
class Campaign(Base):
    """A mail to a segment of the client's people, sent through SMTP and measured."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # promotional | informational
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    # draft → sending (recipients chosen, mail going out) → sent
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    audience_size: Mapped[int | None] = mapped_column(Integer)
    sender_name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(64))
    send_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One sender at a time: a delivery run holds the campaign until this moment.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Recipient(Base):
    """One person a campaign was meant for: sent to, or held back with the reason."""

    __tablename__ = "recipients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    contact_id: Mapped[str] = mapped_column(String(36), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    # pending → sent | bounced; or suppressed from the start
    status: Mapped[str] = mapped_column(String(20), default="pending")
    suppressed_code: Mapped[str | None] = mapped_column(String(40))
    suppressed_reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", name="uq_recipients_campaign_contact"),
        Index("ix_recipients_campaign_status", "campaign_id", "status"),
    )


class Unsubscribe(Base):
    """A person who asked for no more campaigns: honoured for ever, by person and address."""

    __tablename__ = "unsubscribes"

    contact_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
