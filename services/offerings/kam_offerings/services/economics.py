"""Customer economics: what an account brings, what it costs us, and its place on the curve;
and the portfolio's 80/20 curve, per currency."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_offerings.domain.economics import (
    Load,
    cost_shares,
    line_costs,
    margin_of,
    window_start,
)
from kam_offerings.domain.money import ZERO, cents, convert_sum
from kam_offerings.domain.pareto import ParetoPosition
from kam_offerings.models import AccountFacts, Agreement, PurchaseFact
from kam_offerings.services.catalog import active_services
from kam_offerings.services.context import Readers, Settings
from kam_offerings.services.exchange_rates import rates_in_force
from kam_offerings.services.facts import account_for_lookup

SUPPORT_WINDOW = timedelta(days=365)


def _curve(*conditions: Any) -> Any:
    """Every active account with its place on its currency's revenue curve, in one query
    (window functions: the same on SQLite and PostgreSQL)."""
    # Integer cents inside the query (as stored): exact sums, plain integer arithmetic.
    revenue = type_coerce(AccountFacts.annual_revenue, BigInteger)
    order = (revenue.desc(), AccountFacts.account_id)
    currency = AccountFacts.currency
    return select(
        AccountFacts.account_id,
        AccountFacts.name,
        AccountFacts.segment,
        AccountFacts.tier,
        AccountFacts.currency,
        revenue.label("revenue"),
        func.row_number().over(partition_by=currency, order_by=order).label("rank"),
        func.count().over(partition_by=currency).label("accounts"),
        func.sum(revenue)
        .over(partition_by=currency, order_by=order, rows=(None, 0))
        .label("cumulative"),
        func.sum(revenue).over(partition_by=currency).label("portfolio"),
    ).where(AccountFacts.status == "active", *conditions)


def _money(value: Any) -> Decimal:
    """Integer cents from the curve query, in currency units."""
    return (Decimal(value or 0) / 100).quantize(Decimal("0.01"))


def _position(row: Any) -> ParetoPosition:
    return ParetoPosition(
        currency=row.currency,
        rank=int(row.rank),
        accounts=int(row.accounts),
        revenue=_money(row.revenue),
        cumulative_revenue=_money(row.cumulative),
        portfolio_revenue=_money(row.portfolio),
    )


def pareto_position(session: Session, facts: AccountFacts) -> ParetoPosition | None:
    """The account's place on the 80/20 revenue curve of the active accounts billed in its
    currency (its own row, stored or only read through, is counted here)."""
    if facts.status != "active":
        return None
    revenue = facts.annual_revenue
    same = (AccountFacts.currency == facts.currency, AccountFacts.account_id != facts.account_id)
    above = (AccountFacts.annual_revenue > revenue) | (
        (AccountFacts.annual_revenue == revenue) & (AccountFacts.account_id < facts.account_id)
    )
    row = session.execute(
        select(
            func.count().label("accounts"),
            func.count(case((above, 1))).label("above"),
            func.coalesce(func.sum(AccountFacts.annual_revenue), 0).label("portfolio"),
            func.coalesce(func.sum(case((above, AccountFacts.annual_revenue), else_=0)), 0).label(
                "above_revenue"
            ),
        ).where(AccountFacts.status == "active", *same)
    ).one()
    return ParetoPosition(
        currency=facts.currency,
        rank=int(row.above) + 1,
        accounts=int(row.accounts) + 1,
        revenue=revenue,
        cumulative_revenue=cents(row.above_revenue) + revenue,
        portfolio_revenue=cents(row.portfolio) + revenue,
    )


def active_agreement(session: Session, account_id: str) -> Agreement | None:
    return session.scalar(
        select(Agreement).where(Agreement.account_id == account_id, Agreement.status == "active")
    )


def pareto_view(position: ParetoPosition | None) -> dict[str, Any] | None:
    if position is None:
        return None
    return {
        "currency": position.currency,
        "rank": position.rank,
        "accounts": position.accounts,
        "revenue": position.revenue,
        "cumulative_revenue": position.cumulative_revenue,
        "portfolio_revenue": position.portfolio_revenue,
        "cumulative_share": position.cumulative_share,
        "in_top_20_percent": position.in_top_20_percent,
        "vital_few": position.vital_few,
    }


def _purchases_by_line(session: Session, account_id: str, since: Any) -> dict[str, Decimal]:
    rows = session.execute(
        select(PurchaseFact.product_line, func.sum(PurchaseFact.amount))
        .where(PurchaseFact.account_id == account_id, PurchaseFact.occurred_on >= since)
        .group_by(PurchaseFact.product_line)
    )
    return {line: cents(amount or 0) for line, amount in rows}


def account_economics(
    *, session: Session, caller: Caller, account_id: str, settings: Settings, readers: Readers
) -> dict[str, Any]:
    facts = account_for_lookup(session, caller, account_id, readers.accounts)
    agreement = active_agreement(session, account_id)
    now = utcnow()
    since = window_start(now.date())
    since_at = datetime.combine(since, time.min, tzinfo=now.tzinfo)
    purchases = _purchases_by_line(session, account_id, since)
    lines = line_costs(
        purchases, cost_shares(active_services(session)), settings.assumed_cost_share
    )
    tickets = readers.health.support_tickets(account_id, since_at)
    visits = readers.visits.visits(account_id, since_at)
    loads = [
        Load(
            "support tickets",
            tickets,
            settings.support_ticket_cost,
            "the support load is unknown: the health service could not say",
        ),
        Load(
            "visits",
            visits,
            settings.visit_cost,
            "the visits load is unknown: the accounts service could not say",
        ),
    ]
    agreement_price = agreement.price if agreement else ZERO
    agreement_cost = agreement.cost_to_serve if agreement else ZERO
    money = margin_of(
        purchases_revenue=sum(purchases.values(), ZERO),
        agreement_price=agreement_price,
        agreement_cost=agreement_cost,
        lines=lines,
        loads=loads,
    )
    notes = [
        f"Revenue is what the client pays us: purchases since {since.isoformat()} "
        f"({sum(purchases.values(), ZERO):,.2f}) plus the active agreement's yearly price "
        f"({agreement_price:,.2f}), in {facts.currency}.",
        "Cost to serve is the agreement's yearly cost (catalog unit costs), each product line's "
        "purchases at the cost share of the catalog items sold as that line, and the service "
        f"load: support tickets × {settings.support_ticket_cost} and visits × "
        f"{settings.visit_cost}.",
        "The 80/20 position ranks the account's annual revenue (its record) among the active "
        f"accounts billed in {facts.currency}; other currencies are never added in.",
    ]
    assumed = [line.product_line for line in lines if line.assumed]
    if assumed:
        notes.append(
            f"Assumption: {', '.join(assumed)} {'is' if len(assumed) == 1 else 'are'} sold as no "
            f"catalog item, so {'its' if len(assumed) == 1 else 'their'} cost is taken as "
            f"{settings.assumed_cost_share:%} of revenue (KAM_OFFERINGS_ASSUMED_COST_SHARE)."
        )
    if agreement is not None and agreement.currency != facts.currency:
        money = margin_of(
            purchases_revenue=money.revenue,
            agreement_price=ZERO,
            agreement_cost=ZERO,
            lines=[],
            loads=[Load("agreement", None, ZERO, _currency_mismatch(agreement, facts.currency))],
        )
    degraded = [
        service for service, count in (("health", tickets), ("accounts", visits)) if count is None
    ]
    return {
        "account_id": facts.account_id,
        "currency": facts.currency,
        "revenue": money.revenue,
        "purchases_revenue": sum(purchases.values(), ZERO),
        "annual_revenue": facts.annual_revenue,
        "agreement_id": agreement.id if agreement else None,
        "agreement_price": agreement.price if agreement else None,
        "agreement_cost": agreement_cost,
        "product_lines": [
            {
                "product_line": line.product_line,
                "revenue": line.revenue,
                "cost": line.cost,
                "cost_share": None if line.cost_share is None else round(float(line.cost_share), 4),
                "priced_by": list(line.priced_by),
                "assumed": line.assumed,
            }
            for line in lines
        ],
        "support_tickets": tickets,
        "support_load": loads[0].cost,
        "visits": visits,
        "visit_load": loads[1].cost,
        "cost_to_serve": money.known_cost,
        "cost_complete": not money.unknown_because,
        "margin": money.margin,
        "margin_share": money.margin_share,
        "margin_unknown_because": money.unknown_because,
        "pareto": pareto_view(pareto_position(session, facts)),
        "degraded": degraded,
        "notes": notes,
    }


def _currency_mismatch(agreement: Agreement, currency: str) -> str:
    return (
        f"the active agreement is priced in {agreement.currency}, the account is billed in "
        f"{currency}: the two are not added without a rate"
    )


def portfolio_economics(
    *,
    session: Session,
    caller: Caller,
    page: int,
    per_page: int,
    currency: str | None = None,
    segment: str | None = None,
    tier: str | None = None,
    vital_few: bool | None = None,
) -> dict[str, Any]:
    """Every active account the caller may see on its currency's 80/20 curve (by currency,
    then rank), each currency's curve summed on its own, and the total converted only with
    the rates in force (named beside it)."""
    visible = caller.scoped(select(AccountFacts.account_id), AccountFacts.account_id)
    curve = _curve(AccountFacts.account_id.in_(visible.scalar_subquery())).subquery()
    filters = [
        condition
        for given, condition in (
            (currency, curve.c.currency == currency),
            (segment, curve.c.segment == segment),
            (tier, curve.c.tier == tier),
        )
        if given
    ]
    if vital_few is not None:
        before = curve.c.cumulative - curve.c.revenue
        needed = (before * 10 < curve.c.portfolio * 8) & (curve.c.revenue > 0)
        filters.append(needed if vital_few else ~needed)
    stmt = select(curve).where(*filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(curve.c.currency, curve.c.rank).limit(per_page).offset((page - 1) * per_page)
    ).all()
    items = []
    for row in rows:
        position = _position(row)
        items.append(
            {
                "account_id": row.account_id,
                "name": row.name,
                "segment": row.segment,
                "tier": row.tier,
                **pareto_view(position),  # type: ignore[dict-item]
            }
        )
    curves = _curves(session, curve)
    base, rates = rates_in_force(session)
    converted = convert_sum({c["currency"]: c["revenue"] for c in curves}, rates, base)
    return {
        "items": items,
        "total": total,
        "page": page,
        "per_page": per_page,
        "currencies": curves,
        "converted": {
            "currency": converted.currency,
            "revenue": converted.amount,
            "rates": [
                {"currency": r.currency, "rate": r.rate, "as_of": r.as_of} for r in converted.rates
            ],
            "missing_rates": list(converted.missing),
        },
    }


def _curves(session: Session, curve: Any) -> list[dict[str, Any]]:
    """Per currency: accounts, revenue, and what the top 20% and the vital few hold."""
    top = curve.c.rank * 5 <= curve.c.accounts + 4  # rank <= ceil(accounts / 5)
    vital = ((curve.c.cumulative - curve.c.revenue) * 10 < curve.c.portfolio * 8) & (
        curve.c.revenue > 0
    )
    rows = session.execute(
        select(
            curve.c.currency,
            func.count().label("accounts"),
            func.max(curve.c.portfolio).label("revenue"),
            func.coalesce(func.sum(case((top, curve.c.revenue), else_=0)), 0).label("top_revenue"),
            func.count(case((top & (curve.c.revenue > 0), 1))).label("top_accounts"),
            func.count(case((vital, 1))).label("vital_accounts"),
        )
        .group_by(curve.c.currency)
        .order_by(curve.c.currency)
    ).all()
    found = []
    for row in rows:
        revenue = _money(row.revenue)
        top_revenue = _money(row.top_revenue)
        found.append(
            {
                "currency": row.currency,
                "accounts": int(row.accounts),
                "revenue": revenue,
                "top_20_percent": {
                    "accounts": int(row.top_accounts),
                    "revenue": top_revenue,
                    "share": round(float(top_revenue / revenue), 4) if revenue else 0.0,
                },
                "vital_few": {
                    "accounts": int(row.vital_accounts),
                    "share_of_accounts": round(int(row.vital_accounts) / int(row.accounts), 4),
                },
            }
        )
    return found
