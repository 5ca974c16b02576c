"""Customer economics: what an account brings, what it costs us, and its place on the curve."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_offerings.domain.money import ZERO, cents
from kam_offerings.domain.pareto import ParetoPosition
from kam_offerings.models import AccountFacts, Agreement
from kam_offerings.services.context import Readers, Settings
from kam_offerings.services.facts import account_for_lookup

SUPPORT_WINDOW = timedelta(days=365)


def pareto_position(session: Session, facts: AccountFacts) -> ParetoPosition | None:
    """The account's place on the 80/20 revenue curve of the active accounts, in one aggregate
    query over the whole portfolio (the account's own row, stored or not, is added here)."""
    if facts.status != "active":
        return None
    revenue = facts.annual_revenue
    others = and_(AccountFacts.status == "active", AccountFacts.account_id != facts.account_id)
    above = or_(
        AccountFacts.annual_revenue > revenue,
        and_(AccountFacts.annual_revenue == revenue, AccountFacts.account_id < facts.account_id),
    )
    row = session.execute(
        select(
            func.count().label("accounts"),
            func.count(case((above, 1))).label("above"),
            func.coalesce(func.sum(AccountFacts.annual_revenue), 0).label("portfolio"),
            func.coalesce(func.sum(case((above, AccountFacts.annual_revenue), else_=0)), 0).label(
                "above_revenue"
            ),
        ).where(others)
    ).one()
    return ParetoPosition(
        rank=int(row.above) + 1,
        accounts=int(row.accounts) + 1,
        revenue=revenue,
        cumulative_revenue=_money(row.above_revenue) + revenue,
        portfolio_revenue=_money(row.portfolio) + revenue,
    )


def _money(value: Any) -> Decimal:
    # Sums of a Money column come back through Money (so in currency units already).
    return Decimal(value or 0).quantize(Decimal("0.01"))


def active_agreement(session: Session, account_id: str) -> Agreement | None:
    return session.scalar(
        select(Agreement).where(Agreement.account_id == account_id, Agreement.status == "active")
    )


def pareto_view(position: ParetoPosition | None) -> dict[str, Any] | None:
    if position is None:
        return None
    return {
        "rank": position.rank,
        "accounts": position.accounts,
        "cumulative_revenue": position.cumulative_revenue,
        "portfolio_revenue": position.portfolio_revenue,
        "cumulative_share": position.cumulative_share,
        "in_top_20_percent": position.in_top_20_percent,
        "vital_few": position.vital_few,
    }


def account_economics(
    *, session: Session, caller: Caller, account_id: str, settings: Settings, readers: Readers
) -> dict[str, Any]:
    facts = account_for_lookup(session, caller, account_id, readers.accounts)
    agreement = active_agreement(session, account_id)
    ticket_cost = settings.support_ticket_cost
    tickets = readers.health.support_tickets(account_id, utcnow() - SUPPORT_WINDOW)
    agreement_cost = agreement.cost_to_serve if agreement else ZERO
    support_load = None if tickets is None else cents(ticket_cost * tickets)
    cost_to_serve = cents(agreement_cost + (support_load or ZERO))
    revenue = facts.annual_revenue
    notes = [
        "Revenue is the account's annual revenue with us (from the accounts service).",
        "Cost to serve is the active agreement's yearly cost"
        + (f" ({agreement_cost})" if agreement else " (no active agreement: 0)")
        + " plus the support load: support tickets in the last 12 months × "
        f"{ticket_cost} per ticket.",
    ]
    degraded = []
    if tickets is None:
        degraded.append("health")
        notes.append(
            "Support load unknown: the health service did not answer, so cost to serve "
            "holds only the agreement's cost."
        )
    return {
        "account_id": facts.account_id,
        "currency": facts.currency,
        "revenue": revenue,
        "agreement_id": agreement.id if agreement else None,
        "agreement_price": agreement.price if agreement else None,
        "agreement_cost": agreement_cost,
        "support_tickets": tickets,
        "support_load": support_load,
        "cost_to_serve": cost_to_serve,
        "margin": revenue - cost_to_serve,
        "margin_share": round(float((revenue - cost_to_serve) / revenue), 4) if revenue else None,
        "pareto": pareto_view(pareto_position(session, facts)),
        "degraded": degraded,
        "notes": notes,
    }
