"""A small demo portfolio so a new installation has something to look at."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kam_accounts.models import Account
from kam_accounts.services.accounts import create_account
from kam_accounts.services.contacts import create_contact
from kam_accounts.services.history import log_interaction, record_purchase
from kam_accounts.services.team import add_team_member
from kam_common.context import SYSTEM
from kam_common.db import utcnow

# name, segment, industry, country, tier, orientation, revenue, needs
_ACCOUNTS: list[tuple[str, str, str, str, str, str, int, list[str]]] = [
    (
        "Northwind Logistics",
        "logistics",
        "Freight",
        "US",
        "strategic",
        "relational",
        4_200_000,
        ["guaranteed delivery", "cost reduction"],
    ),
    (
        "Helios Pharma AG",
        "life sciences",
        "Pharmaceuticals",
        "DE",
        "strategic",
        "relational",
        3_100_000,
        ["quality assurance", "technical assistance"],
    ),
    ("فولاد سپاهان", "manufacturing", "Steel", "IR", "key", "mixed", 1_750_000, ["cost reduction"]),
    (
        "東京精密工業株式会社",
        "manufacturing",
        "Precision machining",
        "JP",
        "key",
        "relational",
        2_300_000,
        ["technical assistance"],
    ),
    (
        "Atlas Retail Group",
        "retail",
        "Retail",
        "GB",
        "key",
        "transactional",
        950_000,
        ["low price"],
    ),
    (
        "مجموعة الخليج للطاقة",
        "energy",
        "Energy",
        "AE",
        "strategic",
        "mixed",
        2_800_000,
        ["guaranteed delivery"],
    ),
    (
        "Café Crème Distribution",
        "retail",
        "Food distribution",
        "FR",
        "standard",
        "transactional",
        420_000,
        ["low price"],
    ),
    (
        "Orbital Components 🚀",
        "manufacturing",
        "Aerospace parts",
        "US",
        "key",
        "mixed",
        1_200_000,
        ["quality assurance"],
    ),
]


def seed_demo_portfolio(*, session: Session) -> int:
    """Create the demo accounts once; a database that has any account is left alone."""
    if session.scalar(select(func.count()).select_from(Account)):
        return 0
    now = utcnow()
    for index, (name, segment, industry, country, tier, orientation, revenue, needs) in enumerate(
        _ACCOUNTS
    ):
        account = create_account(
            session=session,
            data=_account(name, segment, industry, country, tier, orientation, revenue, needs),
        )
        boss = create_contact(
            session=session,
            caller=SYSTEM,
            account_id=account.id,
            data={
                "name": f"Director {index + 1}",
                "title": "Managing Director",
                "buying_role": "decision_maker",
                "influence": 5,
                "stance": "supporter",
            },
        )
        buyer = create_contact(
            session=session,
            caller=SYSTEM,
            account_id=account.id,
            data={
                "name": f"Buyer {index + 1}",
                "title": "Head of Procurement",
                "buying_role": "economic_buyer",
                "influence": 4,
                "stance": "neutral",
                "reports_to_id": boss.id,
            },
        )
        create_contact(
            session=session,
            caller=SYSTEM,
            account_id=account.id,
            data={
                "name": f"Engineer {index + 1}",
                "title": "Plant Engineer",
                "buying_role": "technical_buyer",
                "influence": 3,
                "stance": "supporter",
                "reports_to_id": buyer.id,
            },
        )
        for role, person in (("account_manager", "Dana Reyes"), ("service_engineer", "Kai Lund")):
            add_team_member(
                session=session,
                caller=SYSTEM,
                account_id=account.id,
                data={"name": person, "role": role},
            )
        log_interaction(
            session=session,
            caller=SYSTEM,
            account_id=account.id,
            data={
                "kind": "meeting",
                "occurred_at": now - timedelta(days=7 + index * 6),
                "summary": "Quarterly business review",
                "contact_ids": [boss.id, buyer.id],
            },
        )
        for months_ago, line in ((2, "core supply"), (5, "spare parts")):
            record_purchase(
                session=session,
                caller=SYSTEM,
                account_id=account.id,
                data={
                    "product_line": line,
                    "amount": Decimal(revenue) / 12,
                    "occurred_on": (now - timedelta(days=30 * months_ago)).date(),
                },
            )
    return len(_ACCOUNTS)


def _account(
    name: str,
    segment: str,
    industry: str,
    country: str,
    tier: str,
    orientation: str,
    revenue: int,
    needs: list[str],
) -> dict[str, Any]:
    return {
        "name": name,
        "segment": segment,
        "industry": industry,
        "country": country,
        "tier": tier,
        "orientation": orientation,
        "annual_revenue": Decimal(revenue),
        "currency": "USD",
        "needs": needs,
        "capabilities": [],
        "contact_cadence_days": 30,
    }
