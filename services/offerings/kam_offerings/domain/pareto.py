"""Where an account sits on the portfolio's 80/20 revenue curve.

Active accounts are ranked by annual revenue, highest first (ties by account id). An account's
`cumulative_share` is the share of the portfolio's revenue held by it and every account ranked
above it. It is in the top 20% when its rank is within the first ceil(20% of the accounts);
it is among the "vital few" when the accounts above it hold less than 80% of the revenue, i.e.
it is needed to reach 80%.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ParetoPosition:
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
        return self.revenue > 0 and self.rank <= math.ceil(self.accounts * 0.2)

    @property
    def vital_few(self) -> bool:
        if not self.portfolio_revenue or self.revenue <= 0:
            return False
        before = self.cumulative_revenue - self.revenue
        return before < Decimal("0.8") * self.portfolio_revenue

    def sentence(self, currency: str) -> str:
        place = (
            "in the top 20% of accounts"
            if self.in_top_20_percent
            else "outside the top 20% of accounts"
        )
        few = "among" if self.vital_few else "not among"
        return (
            f"Annual revenue {self.revenue:,.2f} {currency} ranks {self.rank} of "
            f"{self.accounts} active accounts; with those above it, it makes "
            f"{self.cumulative_share:.1%} of portfolio revenue: {place} and {few} the accounts "
            "that bring the first 80% (80/20 curve)."
        )


def positions(revenues: Mapping[str, Decimal]) -> dict[str, ParetoPosition]:
    """The reference computation (the service does the same in one SQL query)."""
    ranked = sorted(revenues.items(), key=lambda item: (-item[1], item[0]))
    portfolio = sum(revenues.values(), Decimal("0"))
    result: dict[str, ParetoPosition] = {}
    running = Decimal("0")
    for rank, (account_id, revenue) in enumerate(ranked, start=1):
        running += revenue
        result[account_id] = ParetoPosition(rank, len(ranked), revenue, running, portfolio)
    return result
