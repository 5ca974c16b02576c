"""Exchange rates: the only way a sum over several currencies becomes one figure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kam_common.db import utcnow
from kam_common.errors import Invalid
from kam_offerings.domain.money import Rate
from kam_offerings.models import ExchangeRate

DEFAULT_BASE = "USD"


def rates_in_force(session: Session) -> tuple[str, dict[str, Rate]]:
    """The base currency and each other currency's rate into it."""
    rows = session.scalars(select(ExchangeRate).order_by(ExchangeRate.currency)).all()
    base = rows[0].base if rows else DEFAULT_BASE
    return base, {row.currency: Rate(row.currency, row.base, row.rate, row.as_of) for row in rows}


def _view(session: Session) -> dict[str, Any]:
    rows = session.scalars(select(ExchangeRate).order_by(ExchangeRate.currency)).all()
    return {
        "base": rows[0].base if rows else DEFAULT_BASE,
        "rates": [
            {
                "currency": row.currency,
                "rate": row.rate,
                "as_of": row.as_of,
                "updated_at": row.updated_at,
            }
            for row in rows
        ],
    }


def get_rates(*, session: Session) -> dict[str, Any]:
    return _view(session)


def put_rates(*, session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Replace the whole table (one base for all), in one transaction."""
    base = data["base"]
    seen: set[str] = set()
    for index, entry in enumerate(data["rates"]):
        currency = entry["currency"]
        if currency == base:
            raise Invalid(f"rates.{index}.currency", f"{base} is the base: its rate is 1.")
        if currency in seen:
            raise Invalid(f"rates.{index}.currency", f"{currency} is given twice.")
        seen.add(currency)
    session.execute(delete(ExchangeRate))
    now = utcnow()
    for entry in data["rates"]:
        session.add(
            ExchangeRate(
                currency=entry["currency"],
                base=base,
                rate=entry["rate"],
                as_of=entry["as_of"],
                updated_at=now,
            )
        )
    session.commit()
    return _view(session)
