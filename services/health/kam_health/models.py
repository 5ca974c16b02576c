"""Tables of the health service (owned by it alone)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from kam_common.db import new_metadata
from kam_common.idempotency import idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


idempotency_keys = idempotency_table(Base.metadata)
