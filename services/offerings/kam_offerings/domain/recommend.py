"""Which of the three options to recommend, and the reasons, one plain sentence per fact.

1. Orientation sets the starting point: transactional → unbundled, relational →
   collaborative, mixed → flexible.
2. Health: a relational account whose band is at_risk or critical gets flexible instead: a
   deeper joint commitment is not what an unhappy client should be asked for; a lighter core
   with a menu lets trust be rebuilt first.
3. Revenue and needs: a mixed account in the top 20% of the revenue curve, with at least one
   need an enriched service answers and a healthy or watch band, gets collaborative: it is worth
   the joint investment and has said what it wants.
4. A transactional account always gets unbundled: it buys on price. Its needs and revenue still
   appear in the reasons (they say which optional items to lead with).
An unknown band (the health service did not answer) never upgrades and never downgrades; the
reasons say it is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kam_offerings.domain.catalog import Service
from kam_offerings.domain.pareto import ParetoPosition
from kam_offerings.domain.vocabulary import UNHAPPY_BANDS

BY_ORIENTATION = {
    "transactional": "unbundled",
    "relational": "collaborative",
    "mixed": "flexible",
}
_ORIENTATION_WHY = {
    "transactional": "the client buys on price",
    "relational": "the client buys on the relationship",
    "mixed": "the client weighs price and relationship",
}


@dataclass(frozen=True)
class AccountView:
    name: str
    orientation: str
    currency: str
    matched_needs: Mapping[str, list[Service]]
    position: ParetoPosition | None
    band: str | None
    band_score: float | None = None
    band_unknown_because: str = "the health service did not answer"


def recommend(account: AccountView) -> tuple[str, list[str]]:
    base = BY_ORIENTATION.get(account.orientation, "flexible")
    reasons = [
        f"Orientation is {account.orientation}: {_ORIENTATION_WHY.get(account.orientation, '')}"
        f", which points to {base}."
    ]
    reasons.append(_needs_sentence(account.matched_needs))
    if account.position is not None:
        reasons.append(account.position.sentence())
    else:
        reasons.append("Revenue: the account is not active, so it has no place on the 80/20 curve.")
    reasons.append(_band_sentence(account))

    answered = any(account.matched_needs.values())
    top = account.position is not None and account.position.in_top_20_percent
    band = account.band
    choice = base
    if account.orientation == "relational" and band in UNHAPPY_BANDS:
        choice = "flexible"
        reasons.append(
            f"Adjusted to flexible: the band is {band}, so a lighter core with optional services "
            "comes before asking for a deeper joint commitment."
        )
    elif account.orientation == "mixed" and top and answered and band in ("healthy", "watch"):
        choice = "collaborative"
        reasons.append(
            "Adjusted to collaborative: a top-20% account with needs our enriched services "
            f"answer and a {band} band is worth a joint programme in one price."
        )
    elif account.orientation == "mixed" and top and answered and band is None:
        reasons.append(
            "Not adjusted to collaborative although revenue and needs would allow it: the health "
            "band is unknown."
        )
    reasons.append(f"Recommended: {choice}.")
    return choice, reasons


def _needs_sentence(matched: Mapping[str, list[Service]]) -> str:
    if not matched:
        return "Needs: none recorded for the account."
    parts = []
    for need, services in matched.items():
        found = ", ".join(s.name for s in services) if services else "no service in the catalog"
        parts.append(f"“{need}” → {found}")
    return "Needs matched to services: " + "; ".join(parts) + "."


def _band_sentence(account: AccountView) -> str:
    if account.band is None:
        return (
            f"Health band is unknown ({account.band_unknown_because}); it did not change the "
            "recommendation."
        )
    score = f" (score {account.band_score:g})" if account.band_score is not None else ""
    return f"Health band is {account.band}{score}."
