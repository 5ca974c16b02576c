"""What an account brings us and what it costs us, without pretending about what is unknown.

Revenue is what the client pays us: its purchases in the last 12 months plus the active
agreement's yearly price. Cost to serve is what delivering that costs us: the agreement's
yearly cost (the catalog's unit costs), the purchases' cost (each product line at the cost
share of the catalog items sold as that line: their unit cost over their list price), and the
service load (support tickets and visits, each at a set cost). A cost that cannot be known (a
product line no catalog item prices, a service that did not answer) makes the margin unknown:
`margin` is null and `margin_unknown_because` says why; the known part of the cost is still
shown, as a floor. An operator may instead state an assumption for lines no item prices
(`KAM_OFFERINGS_ASSUMED_COST_SHARE`); the answer then names it beside the lines it priced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kam_offerings.domain.catalog import Service
from kam_offerings.domain.money import cents, total


@dataclass(frozen=True)
class LineCost:
    """The purchases of one product line in the window, and what they cost us if known."""

    product_line: str
    revenue: Decimal
    cost_share: Decimal | None
    priced_by: tuple[str, ...]  # codes of the catalog items whose cost share is used
    assumed: bool = False  # the cost share is the operator's stated assumption

    @property
    def cost(self) -> Decimal | None:
        return None if self.cost_share is None else cents(self.revenue * self.cost_share)


def cost_shares(services: Iterable[Service]) -> dict[str, tuple[Decimal, tuple[str, ...]]]:
    """Per product line, our cost per unit of revenue: the yearly unit costs of the catalog
    items sold as that line over their yearly list prices (lines priced at 0 have none)."""
    by_line: dict[str, list[Service]] = {}
    for service in services:
        if service.product_line:
            by_line.setdefault(service.product_line, []).append(service)
    shares = {}
    for line, items in by_line.items():
        price = total([s.yearly_price for s in items])
        if price > 0:
            cost = total([s.yearly_cost for s in items])
            shares[line] = (cost / price, tuple(sorted(s.code for s in items)))
    return shares


def line_costs(
    purchases: Mapping[str, Decimal],
    shares: Mapping[str, tuple[Decimal, tuple[str, ...]]],
    assumed_share: Decimal | None = None,
) -> list[LineCost]:
    """Each line's purchases and cost; a line no catalog item prices takes `assumed_share`
    when the operator stated one (marked `assumed`), else its cost is unknown."""
    found = []
    for line, revenue in sorted(purchases.items()):
        if line in shares:
            share, codes = shares[line]
            found.append(LineCost(line, revenue, share, codes))
        else:
            found.append(
                LineCost(line, revenue, assumed_share, (), assumed=assumed_share is not None)
            )
    return found


@dataclass(frozen=True)
class Load:
    """A service load: how many (None: unknown) at what cost each."""

    what: str  # "support tickets", "visits"
    count: int | None
    unit_cost: Decimal
    unknown_because: str

    @property
    def cost(self) -> Decimal | None:
        return None if self.count is None else cents(self.unit_cost * self.count)


@dataclass(frozen=True)
class Margin:
    revenue: Decimal
    known_cost: Decimal
    margin: Decimal | None
    margin_share: float | None
    unknown_because: list[str]


def margin_of(
    *,
    purchases_revenue: Decimal,
    agreement_price: Decimal,
    agreement_cost: Decimal,
    lines: list[LineCost],
    loads: list[Load],
) -> Margin:
    revenue = cents(purchases_revenue + agreement_price)
    unknown = [
        f"no catalog item is sold as product line {line.product_line!r}, so what its "
        f"{line.revenue:,.2f} of purchases cost us is unknown (give a catalog item that "
        "product_line)"
        for line in lines
        if line.cost is None
    ]
    unknown += [load.unknown_because for load in loads if load.cost is None]
    known = total(
        [
            agreement_cost,
            *(line.cost for line in lines if line.cost is not None),
            *(load.cost for load in loads if load.cost is not None),
        ]
    )
    if unknown:
        return Margin(revenue, known, None, None, unknown)
    margin = revenue - known
    share = round(float(margin / revenue), 4) if revenue else None
    return Margin(revenue, known, margin, share, [])


def window_start(today: date) -> date:
    """The first day of the last 12 months (365 days, today included)."""
    return date.fromordinal(today.toordinal() - 364)
