"""Tables of the health service (owned by it alone)."""

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
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kam_common.audit import audit_table, auditable
from kam_common.db import Money, UTCDateTime, new_id, new_metadata, utcnow
from kam_common.idempotency import idempotency_table
from kam_common.integration import inbox_table, outbox_table
from kam_common.tabular import imports_table


class Base(DeclarativeBase):
    metadata = new_metadata()


idempotency_keys = idempotency_table(Base.metadata)
audit_entries = audit_table(Base.metadata)
inbox = inbox_table(Base.metadata)
outbox = outbox_table(Base.metadata)
imports = imports_table(Base.metadata)


class AccountFacts(Base):
    """What health keeps of each account, from the accounts service's events (or a read-through)."""

    __tablename__ = "account_facts"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    segment: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str | None] = mapped_column(String(20))
    annual_revenue: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    contact_cadence_days: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The tightest guaranteed delivery delay of the account's active agreement, if any.
    breach_limit_days: Mapped[int | None] = mapped_column(Integer)
    agreement_id: Mapped[str | None] = mapped_column(String(36))
    # The account's parent in its client group (the portfolio filters by group).
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    facts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TeamMember(Base):
    """Someone on our side who works the account (from the accounts service's events): the
    portfolio's `owner` filter."""

    __tablename__ = "account_team"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(30))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DepartedContact(Base):
    """A decision-maker who left: a commitment warning sign."""

    __tablename__ = "departed_contacts"

    contact_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    buying_role: Mapped[str | None] = mapped_column(String(30))
    left_on: Mapped[date] = mapped_column(Date)


@auditable("health_event")
class Event(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"))
    type: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_by: Mapped[str | None] = mapped_column(String(200))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(20))
    signal: Mapped[str | None] = mapped_column(String(30))
    promised_on: Mapped[date | None] = mapped_column(Date)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_hours: Mapped[float | None] = mapped_column(Float)
    # Who logged it: `{"type": "key" | "system", "id", "name", "role"}` (None before it was kept).
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Plain numbers (epoch seconds, day numbers) so the set-based rescore does the same
    # arithmetic on SQLite and PostgreSQL without dialect-specific date functions.
    occurred_ts: Mapped[float] = mapped_column(Float)
    opened_ts: Mapped[float | None] = mapped_column(Float)
    resolved_ts: Mapped[float | None] = mapped_column(Float)
    promised_day: Mapped[int | None] = mapped_column(Integer)
    delivered_day: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("account_id", "type", "external_ref", name="uq_events_external_ref"),
        # Covers every column the tallies read, so scoring one account, a batch or the whole
        # portfolio reads this index alone, in account order (3× faster than the table).
        Index(
            "ix_events_tally",
            "account_id",
            "occurred_ts",
            "type",
            "severity",
            "signal",
            "promised_day",
            "delivered_day",
            "opened_ts",
            "resolved_ts",
            "sla_hours",
        ),
        Index("ix_events_type_time", "type", "occurred_at"),
    )


@auditable("scorecard", account_id=None)
class Scorecard(Base):
    __tablename__ = "scorecards"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    window_days: Mapped[int] = mapped_column(Integer)
    half_life_days: Mapped[float] = mapped_column(Float)
    thresholds: Mapped[dict[str, float]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    # None: the default scorecard; else the segment whose accounts it scores.
    segment: Mapped[str | None] = mapped_column(String(200), index=True)
    # The fitted proposal it was adopted from, if any.
    proposal_id: Mapped[str | None] = mapped_column(String(36))


@auditable("outcome")
class Outcome(Base):
    """How a relationship turned out on a day: what scores are judged against."""

    __tablename__ = "outcomes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    # "on" is an SQL keyword: the column has a plainer name.
    on: Mapped[date] = mapped_column("happened_on", Date, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # Set when an agreement ended with this outcome (one outcome per agreement ending).
    agreement_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@auditable("scorecard_proposal", account_id=None)
class ScorecardProposal(Base):
    """Weights, thresholds and half-life fitted to the outcomes, with the cross-validated
    backtest of the scorecard in force and of the proposal; adopted, it becomes a version."""

    __tablename__ = "scorecard_proposals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    segment: Mapped[str | None] = mapped_column(String(200))
    based_on_version: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    folds: Mapped[int] = mapped_column(Integer)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    window_days: Mapped[int] = mapped_column(Integer)
    half_life_days: Mapped[float] = mapped_column(Float)
    thresholds: Mapped[dict[str, float]] = mapped_column(JSON)
    outcomes: Mapped[int] = mapped_column(Integer)
    churns: Mapped[int] = mapped_column(Integer)
    current: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON)
    explanation: Mapped[list[str]] = mapped_column(JSON)
    adopted_version: Mapped[int | None] = mapped_column(Integer)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Score(Base):
    """The current computed score of each account."""

    __tablename__ = "scores"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("account_facts.account_id"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(20), index=True)
    components: Mapped[dict[str, Any]] = mapped_column(JSON)
    drivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scorecard_version: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The fingerprint of what the score was computed from: a rescore skips unchanged rows.
    digest: Mapped[str | None] = mapped_column(String(16))


class Snapshot(Base):
    """A point of an account's score history, written whenever the score changes."""

    __tablename__ = "snapshots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(20))
    scorecard_version: Mapped[int] = mapped_column(Integer)
    # A point of the weekly history (rebuilt from the events, see services.history), not one
    # written when the score changed.
    weekly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Its history in order, and the score it had at a past moment (the portfolio's deltas),
    # both read from the index alone.
    __table_args__ = (
        Index("ix_snapshots_account_time", "account_id", "at", "scorecard_version", "score"),
    )


class HistoryQueue(Base):
    """Accounts whose weekly history a back-dated fact changed (`*`: every account, after a
    new scorecard version); the worker rebuilds them."""

    __tablename__ = "history_queue"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContactMade(Base):
    """Each interaction with the account (from the accounts service's events): how overdue
    contact was at any past moment."""

    __tablename__ = "contacts_made"

    interaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


@auditable("override")
class Override(Base):
    """An executive's judgement, shown beside the computed score until it expires."""

    __tablename__ = "overrides"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


@auditable("alert")
class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("account_facts.account_id"))
    cause: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    message: Mapped[str] = mapped_column(Text)
    suggested_action: Mapped[str] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    event_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # De-duplication: at most one unresolved alert per account and cause.
        Index(
            "uq_alerts_unresolved_cause",
            "account_id",
            "cause",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_alerts_account_time", "account_id", "created_at"),
    )


class RescoreQueue(Base):
    """Accounts whose score a batch changed; the worker rescores them within a second or so."""

    __tablename__ = "rescore_queue"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
