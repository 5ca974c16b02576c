"""A client group's health roll-up: plain Python over the accounts service's group and
health's scores of its members.

`worst_band` is the worst band of the group's active, scored accounts. The
`revenue_weighted_score` weighs each score by the account's annual revenue; revenue in several
currencies is converted with the exchange rates (offerings), and the rates used are named beside
it. Without a rate for one of them, or with no revenue at all, there is no weighted score, and
`notes` says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

BAND_ORDER = ("critical", "at_risk", "watch", "healthy")


def members_of(nodes: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from members_of(node.get("children") or [])


def health_rollup(
    members: list[dict[str, Any]],
    scores: dict[str, dict[str, Any]],
    rates: dict[str, Any] | None,
) -> dict[str, Any]:
    """`scores`: account id → {"score", "band"}; `rates`: offerings' exchange rates, or None."""
    scored = [
        (m, scores[m["id"]]) for m in members if m.get("status") == "active" and m["id"] in scores
    ]
    bands = [s["band"] for _m, s in scored if s.get("band") in BAND_ORDER]
    rollup: dict[str, Any] = {
        "worst_band": min(bands, key=BAND_ORDER.index) if bands else None,
        "revenue_weighted_score": None,
    }
    currencies = sorted({m["currency"] for m, _s in scored})
    factor: dict[str, Decimal] = {c: Decimal(1) for c in currencies[:1]}
    if len(currencies) > 1:
        known = {r["currency"]: r for r in (rates or {}).get("rates", [])}
        base = (rates or {}).get("base")
        missing = [c for c in currencies if c != base and c not in known]
        if missing:
            rollup["notes"] = [f"No exchange rate for {', '.join(missing)}: no weighted score."]
            return rollup
        factor = {
            c: Decimal(1) if c == base else Decimal(str(known[c]["rate"])) for c in currencies
        }
        rollup["converted"] = {
            "base": base,
            "rates": [known[c] for c in currencies if c != base],
        }
    weight = total = Decimal(0)
    for member, score in scored:
        revenue = Decimal(str(member.get("annual_revenue") or 0)) * factor[member["currency"]]
        weight += revenue
        total += revenue * Decimal(str(score["score"]))
    if weight > 0:
        rollup["revenue_weighted_score"] = float(round(total / weight, 2))
    elif scored:
        rollup["notes"] = ["No revenue recorded in the group: no weighted score."]
    return rollup
