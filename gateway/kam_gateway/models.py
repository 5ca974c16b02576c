"""Tables of the gateway (owned by it alone): API keys, people and their sessions,
webhooks, and its idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kam_common.audit import audit_table, auditable
from kam_common.db import UTCDateTime, new_id, new_metadata, utcnow
from kam_common.idempotency import idempotency_table
from kam_common.integration import inbox_table


class Base(DeclarativeBase):
    metadata = new_metadata()


idempotency_keys = idempotency_table(Base.metadata)
# Changes to keys, people and webhooks (kam_common.audit): who made them, never their secrets.
audit_entries = audit_table(Base.metadata)


@auditable("api_key", account_id=None, ignore=("prefix",))
class ApiKey(Base):
    """A client credential. Only the SHA-256 of the secret is kept; the secret is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Only partner keys carry accounts; every other role sees everything its role allows.
    account_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Unique, so concurrent bootstraps of the same secret collapse into one row.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret: enough to recognise a key in a list, useless to guess it.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# Integration events the gateway consumed (event id as primary key: each applied once).
inbox = inbox_table(Base.metadata)


@auditable("webhook", account_id=None, redact=("previous_secret",))
class Webhook(Base):
    """A partner system's endpoint for our events. The secret signs every delivery, so it is
    kept as it is (it must be usable, unlike an API key's); it is shown once, at creation or
    rotation. A partner's webhook carries its key's accounts: it gets only their events."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_type: Mapped[str] = mapped_column(String(10), default="key")
    owner_role: Mapped[str] = mapped_column(String(20))
    # Null: every account (an admin's webhook); else the only accounts whose events it gets.
    account_ids: Mapped[list[str] | None] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too (a second signature) for a day, so a receiver
    # can switch over without losing a delivery.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@auditable("user", account_id=None)
class User(Base):
    """A person who signs in to the web app. Role and (partners) accounts as for an API key; only
    an argon2 hash of the password is kept."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Kept in lower case, so one address is one person whatever its spelling.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    account_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook, from the moment it is due until it is delivered or failed.
    `seq` orders them: a webhook's deliveries for one account leave in that order."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "event_id"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


Index("ix_webhook_deliveries_due", WebhookDelivery.status, WebhookDelivery.next_attempt_at)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # Every change made with this session carries this token (form field or X-CSRF-Token).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
