"""Where an account sits on the portfolio's 80/20 revenue curve, per currency.

Money in different currencies is never added up: the curve is drawn once per currency, over the
active accounts billed in it. Within a currency, accounts are ranked by annual revenue, highest
first (ties by account id). An account's `cumulative_share` is the share of that currency's
revenue held by it and every account ranked above it. It is in the top 20% when its rank is
within the first ceil(20% of the accounts in its currency); it is among the "vital few" when the
accounts above it hold less than 80% of the revenue, i.e. it is needed to reach 80%.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ParetoPosition:
    currency: str
    rank: int
    accounts: int
    revenue: Decimal
    cumulative_revenue: Decimal
    portfolio_revenue: Decimal

    @property
    def cumulative_share(self) -> float:
        if not self.portfolio_revenue:
            return 0.0
        return round(float(self.cumulative_revenue / self.portfolio_revenue), 4)

    @property
    def in_top_20_percent(self) -> bool:
        return self.revenue > 0 and self.rank <= top_20_count(self.accounts)

    @property
    def vital_few(self) -> bool:
        if not self.portfolio_revenue or self.revenue <= 0:
            return False
        before = self.cumulative_revenue - self.revenue
        return before < Decimal("0.8") * self.portfolio_revenue

    def sentence(self) -> str:
        place = (
            "in the top 20% of accounts"
            if self.in_top_20_percent
            else "outside the top 20% of accounts"
        )
        few = "among" if self.vital_few else "not among"
        return (
            f"Annual revenue {self.revenue:,.2f} {self.currency} ranks {self.rank} of "
            f"{self.accounts} active accounts billed in {self.currency}; with those above it, it "
            f"makes {self.cumulative_share:.1%} of their revenue: {place} and {few} the accounts "
            "that bring the first 80% (80/20 curve)."
        )


def top_20_count(accounts: int) -> int:
    """How many accounts the top 20% holds: ceil(20% of them)."""
    return math.ceil(accounts * 0.2)


def positions(
    revenues: Mapping[str, Decimal], currencies: Mapping[str, str] | None = None
) -> dict[str, ParetoPosition]:
    """The reference computation (the service does the same in one SQL query). `currencies`
    names each account's currency (default: all `USD`)."""
    by_currency: dict[str, list[tuple[str, Decimal]]] = {}
    for account_id, revenue in revenues.items():
        currency = (currencies or {}).get(account_id, "USD")
        by_currency.setdefault(currency, []).append((account_id, revenue))
    result: dict[str, ParetoPosition] = {}
    for currency, accounts in by_currency.items():
        ranked = sorted(accounts, key=lambda item: (-item[1], item[0]))
        portfolio = sum((revenue for _, revenue in ranked), Decimal("0"))
        running = Decimal("0")
        for rank, (account_id, revenue) in enumerate(ranked, start=1):
            running += revenue
            result[account_id] = ParetoPosition(
                currency, rank, len(ranked), revenue, running, portfolio
            )
    return result
