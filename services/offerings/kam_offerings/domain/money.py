"""Exact money: Decimal to the cent, prices put on one yearly footing, and sums over several
currencies converted only with a named rate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
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


@dataclass(frozen=True)
class Rate:
    """One unit of `currency` is worth `rate` units of `base`, as of `as_of`."""

    currency: str
    base: str
    rate: Decimal
    as_of: date


@dataclass(frozen=True)
class Converted:
    """A sum over several currencies in one: only when every currency has a rate. `rates`
    names each rate used and its date, so the figure can be checked by hand."""

    currency: str
    amount: Decimal | None
    rates: tuple[Rate, ...]
    missing: tuple[str, ...]


def convert_sum(amounts: Mapping[str, Decimal], rates: Mapping[str, Rate], base: str) -> Converted:
    """Σ amount × rate into `base`; `amount` None (and `missing` naming the currencies) when a
    currency other than the base has no rate: a partial sum would mislead."""
    used = []
    missing = []
    converted = ZERO
    for currency in sorted(amounts):
        amount = amounts[currency]
        if currency == base:
            converted += amount
            continue
        rate = rates.get(currency)
        if rate is None:
            missing.append(currency)
            continue
        used.append(rate)
        converted += amount * rate.rate
    if missing:
        return Converted(base, None, tuple(used), tuple(missing))
    return Converted(base, cents(converted), tuple(used), ())
