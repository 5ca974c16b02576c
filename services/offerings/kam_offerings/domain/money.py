"""Exact money: Decimal to the cent, and prices put on one yearly footing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Option prices are yearly: a monthly service counts twelve times, an annual one once, and a
# one-time service once (it is paid in the agreement's first year).
PERIODS_PER_YEAR = {"monthly": 12, "annual": 1, "one_time": 1}


def cents(amount: Decimal | int | str) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def annualised(amount: Decimal, billing: str) -> Decimal:
    return cents(amount * PERIODS_PER_YEAR[billing])


def total(amounts: list[Decimal]) -> Decimal:
    return cents(sum(amounts, ZERO))
