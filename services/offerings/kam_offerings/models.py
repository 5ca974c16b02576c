"""Tables of the offerings service (owned by it alone)."""

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
    Numeric,
    String,
    Text,
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
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class AccountFacts(Base):
    """What offerings keeps of each account, from the accounts service's events (or a
    read-through)."""

    __tablename__ = "account_facts"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    segment: Mapped[str | None] = mapped_column(String(200), index=True)
    industry: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(20), default="key")
    orientation: Mapped[str] = mapped_column(String(20), default="mixed")
    annual_revenue: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    facts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_account_facts_status_revenue", "status", "annual_revenue"),)


class AccountBand(Base):
    """The latest health band of an account, from `health.band_changed` (or a read-through).

    Kept apart from the account facts: a band may arrive before the account's own event."""

    __tablename__ = "account_bands"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    band: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PurchaseFact(Base):
    """A purchase by product line, from `purchase.recorded`: the history cross-sell learns from."""

    __tablename__ = "purchase_facts"

    purchase_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36))
    product_line: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money())
    occurred_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_purchase_facts_account_line", "account_id", "product_line"),)


@auditable("catalog_item", account_id=None)
class CatalogItem(Base):
    """A service we can offer. Deactivated, never deleted: proposals and agreements refer to it."""

    __tablename__ = "catalog_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    list_price: Mapped[Decimal] = mapped_column(Money())
    unit_cost: Mapped[Decimal] = mapped_column(Money())
    billing: Mapped[str] = mapped_column(String(20), default="annual")
    value_driver: Mapped[str] = mapped_column(String(20), default="none")
    commitment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Up-sell ladder: items of one family, a higher level being the richer tier.
    family: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer, default=1)
    # The accounts' product line this item is sold as (purchases name lines, not items): its
    # cost share prices the purchases of that line, and cross-sell names the item.
    product_line: Mapped[str | None] = mapped_column(String(200), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


@auditable("exchange_rate", account_id=None)
class ExchangeRate(Base):
    """One unit of `currency` is worth `rate` units of `base`, as of `as_of`. Every row shares
    one base: the table is replaced as a whole (PUT)."""

    __tablename__ = "exchange_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    base: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    as_of: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@auditable("proposal")
class Proposal(Base):
    """Three options for one account, frozen as built: prices do not move under the client."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    recommended: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Each option with its lines (price and our cost per line, as strings: exact decimals).
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    degraded: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_proposals_account_time", "account_id", "created_at"),
        Index("ix_proposals_created_at", "created_at"),
    )

    @property
    def option_views(self) -> list[dict[str, Any]]:
        """The options as the API shows them: no per-item cost (that stays ours)."""
        return [_option_view(option) for option in self.options]

    @property
    def below_cost(self) -> list[str]:
        """The options priced below our cost to serve: allowed (a loss leader), but flagged."""
        return [view["strategy"] for view in self.option_views if view["below_cost"]]


def _option_view(stored: dict[str, Any]) -> dict[str, Any]:
    price, cost = Decimal(stored["price"]), Decimal(stored["cost_to_serve"])
    return {
        "strategy": stored["strategy"],
        "items": [
            {
                "catalog_item_id": item["catalog_item_id"],
                "name": item["name"],
                "kind": item["kind"],
                "included": item["included"],
                "price": Decimal(item["price"]),
                "benefit": item["benefit"],
                "commitment": item["commitment"] or None,
                "family": item["family"],
                "level": item["level"],
            }
            for item in stored["items"]
        ],
        "price": price,
        "cost_to_serve": cost,
        "margin": price - cost,
        "below_cost": price < cost,
        "rationale": stored["rationale"],
    }


@auditable("agreement")
class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36))
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), index=True)
    strategy: Mapped[str] = mapped_column(String(20))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    price: Mapped[Decimal] = mapped_column(Money())
    cost_to_serve: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    commitments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")
    starts_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    # How the relationship turned out when it ended (renewed, expanded, contracted, churned).
    outcome: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        # Exactly one active agreement per account, whatever races the application misses.
        Index(
            "uq_agreements_active_account",
            "account_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_agreements_account_time", "account_id", "created_at"),
    )

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost_to_serve
