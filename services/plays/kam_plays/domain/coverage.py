"""The coverage map's judgement: which of the client's people nobody on our side covers, and
how well the account is covered as one number (docs/plays.md, "Coverage").

Plain Python: people, links and last touches in; gaps and the score out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The people who decide, pay or carry us inside the client.
DECIDING_ROLES = frozenset({"decision_maker", "economic_buyer"})
KEY_ROLES = frozenset({"decision_maker", "economic_buyer", "technical_buyer", "champion"})
HIGH_INFLUENCE = 4
DETRACTOR_UNMET_DAYS = 60
# A covered person nobody has touched for this long counts half.
STALE_COVER_DAYS = 90
GAP_PENALTY = 10


@dataclass(frozen=True)
class Person:
    contact_id: str
    name: str
    buying_role: str | None
    influence: int
    stance: str
    active: bool
    last_touch_at: datetime | None


@dataclass(frozen=True)
class Gap:
    contact_id: str | None
    code: str
    reason: str


def is_key(person: Person) -> bool:
    return person.buying_role in KEY_ROLES or person.influence >= HIGH_INFLUENCE


def gaps(people: list[Person], covered: set[str], now: datetime) -> list[Gap]:
    """Worst first: nobody on a decision-maker, a champion gone unreplaced, a detractor unmet."""
    found: list[Gap] = []
    active = [p for p in people if p.active]
    if not active:
        found.append(
            Gap(None, "no_contacts", "No decision-maker of the client is known: map them first.")
        )
    for person in active:
        if person.buying_role in DECIDING_ROLES and person.contact_id not in covered:
            role = person.buying_role.replace("_", " ")
            found.append(
                Gap(
                    person.contact_id,
                    "uncovered_decision_maker",
                    f"{person.name} ({role}) is covered by nobody on our team.",
                )
            )
    if not any(p.buying_role == "champion" for p in active):
        for person in people:
            if not person.active and person.buying_role == "champion":
                found.append(
                    Gap(
                        person.contact_id,
                        "champion_left",
                        f"Our champion {person.name} left and nobody has replaced them.",
                    )
                )
    limit = now - timedelta(days=DETRACTOR_UNMET_DAYS)
    for person in active:
        if person.stance != "detractor" or person.influence < HIGH_INFLUENCE:
            continue
        if person.last_touch_at is None or person.last_touch_at < limit:
            when = (
                f"since {person.last_touch_at.date().isoformat()}"
                if person.last_touch_at
                else "ever"
            )
            found.append(
                Gap(
                    person.contact_id,
                    "detractor_not_met",
                    f"{person.name}, a detractor of influence {person.influence}, has not been "
                    f"met {when} (more than {DETRACTOR_UNMET_DAYS} days).",
                )
            )
    return found


def score(people: list[Person], covered: set[str], found: list[Gap], now: datetime) -> int:
    """0–100: the influence-weighted share of key people covered (half for a covered person
    untouched for STALE_COVER_DAYS), less GAP_PENALTY per champion gone or detractor unmet."""
    key = [p for p in people if p.active and is_key(p)]
    total = sum(p.influence for p in key)
    if total == 0:
        return 0
    stale = now - timedelta(days=STALE_COVER_DAYS)
    earned = 0.0
    for person in key:
        if person.contact_id in covered:
            fresh = person.last_touch_at is not None and person.last_touch_at >= stale
            earned += person.influence * (1.0 if fresh else 0.5)
    penalty = GAP_PENALTY * sum(g.code in ("champion_left", "detractor_not_met") for g in found)
    return max(0, min(100, round(100 * earned / total) - penalty))
