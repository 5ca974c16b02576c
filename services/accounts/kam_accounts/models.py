"""Tables of the accounts service (owned by it alone)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kam_common.audit import audit_table, auditable
from kam_common.db import Money, UTCDateTime, new_id, new_metadata, utcnow
from kam_common.idempotency import idempotency_table
from kam_common.integration import outbox_table
from kam_common.tabular import imports_table


class Base(DeclarativeBase):
    metadata = new_metadata()


idempotency_keys = idempotency_table(Base.metadata)
audit_entries = audit_table(Base.metadata)
outbox = outbox_table(Base.metadata)
imports = imports_table(Base.metadata)


@auditable("account", account_id="id", ignore=("name_folded",))
class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # The partner's own CRM id, so a second import updates instead of duplicating.
    external_id: Mapped[str | None] = mapped_column(String(100), index=True, unique=True)
    # Case- and width-folded name, so `q` finds "ÉCOLE" from "école" on SQLite and PostgreSQL alike.
    name_folded: Mapped[str] = mapped_column(String(800), index=True)
    industry: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(200), index=True)
    country: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(20), default="key")
    orientation: Mapped[str] = mapped_column(String(20), default="mixed")
    annual_revenue: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    contact_cadence_days: Mapped[int] = mapped_column(Integer, default=30)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    # The account this one belongs to (a holding's subsidiary): groups are trees, no loops.
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    __mapper_args__ = {"version_id_col": version}


@auditable("contact")
class Contact(Base):
    """A decision-maker at the client."""

    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    buying_role: Mapped[str | None] = mapped_column(String(30))
    influence: Mapped[int] = mapped_column(Integer, default=3)
    stance: Mapped[str] = mapped_column(String(20), default="unknown")
    reports_to_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # The person's own contact cadence (days), when it differs from the account's.
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ContactChange(Base):
    """What changed about a decision-maker and when: the contact side of the timeline."""

    __tablename__ = "contact_changes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(20))  # added | updated | left | returned
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_contact_changes_account_time", "account_id", "occurred_at"),)


@auditable("team_member")
class TeamMember(Base):
    """Someone on our side who works the account."""

    __tablename__ = "team_members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@auditable("interaction")
class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary: Mapped[str | None] = mapped_column(Text)
    contact_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_interactions_account_time", "account_id", "occurred_at"),)


@auditable("purchase")
class Purchase(Base):
    __tablename__ = "purchases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    product_line: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Money())
    occurred_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_purchases_account_day", "account_id", "occurred_on"),)
