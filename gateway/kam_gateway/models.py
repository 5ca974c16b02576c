"""Tables of the gateway (owned by it alone): API keys and its idempotency records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kam_common.db import UTCDateTime, new_id, new_metadata, utcnow
from kam_common.idempotency import idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


idempotency_keys = idempotency_table(Base.metadata)


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
