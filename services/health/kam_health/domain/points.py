"""Penalty points: what each event costs its component (the README's formula).

Each component starts at 100 and loses the age-weighted points of its events:
`component = max(0, 100 − Σ weight(age) × points)`, with `weight = 0.5 ^ (age_days / half_life)`.
Events older than the scorecard's window are ignored, except live trouble (a delivery still
outstanding past its promise, an unresolved quality issue or ticket), which always counts in
full. The bulk rescore computes the same numbers in SQL from these constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# delivery: a late delivery costs LATE_BASE + LATE_PER_DAY × days late, at most LATE_CAP;
# breaking an agreement's guaranteed delay multiplies that by BREACH_FACTOR.
LATE_BASE = 15.0
LATE_PER_DAY = 4.0
LATE_CAP = 50.0
BREACH_FACTOR = 2.0

QUALITY_POINTS = {"minor": 5.0, "major": 15.0, "critical": 50.0}
UNRESOLVED_QUALITY_FACTOR = 1.5

SUPPORT_POINTS = {"low": 2.0, "medium": 5.0, "high": 12.0, "critical": 25.0}
OPEN_SEVERE_FACTOR = 2.0  # an open high or critical ticket hurts twice as much
SLA_BREACH_POINTS = 10.0
DEFAULT_SLA_HOURS = {"low": 72.0, "medium": 24.0, "high": 8.0, "critical": 4.0}

WARNING_POINTS = {"low": 10.0, "medium": 25.0, "high": 40.0}
KEY_PEOPLE_ROLES = ("champion", "decision_maker", "economic_buyer")
DEPARTED_KEY_PERSON_POINTS = 25.0
DEPARTED_OTHER_POINTS = 8.0
OVERDUE_BASE = 10.0  # contact overdue: OVERDUE_BASE + days overdue, at most OVERDUE_CAP
OVERDUE_CAP = 40.0

DAY = 86400.0


def age_weight(age_days: float, half_life_days: float) -> float:
    return float(0.5 ** (max(0.0, age_days) / half_life_days))


def delivery_points(days_late: float, breach_limit_days: int | None) -> tuple[float, bool]:
    """(points, breached) for a delivery `days_late` days after its promise."""
    if days_late <= 0:
        return 0.0, False
    points = min(LATE_CAP, LATE_BASE + LATE_PER_DAY * days_late)
    breached = breach_limit_days is not None and days_late > breach_limit_days
    return (points * BREACH_FACTOR if breached else points), breached


def quality_points(severity: str, resolved: bool) -> float:
    base = QUALITY_POINTS[severity]
    return base if resolved else base * UNRESOLVED_QUALITY_FACTOR


def support_points(severity: str, resolved: bool, hours_taken: float, sla_hours: float) -> float:
    points = SUPPORT_POINTS[severity]
    if not resolved and severity in ("high", "critical"):
        points *= OPEN_SEVERE_FACTOR
    if hours_taken > sla_hours:
        points += SLA_BREACH_POINTS
    return points


def departed_points(buying_role: str | None) -> float:
    return DEPARTED_KEY_PERSON_POINTS if buying_role in KEY_PEOPLE_ROLES else DEPARTED_OTHER_POINTS


def overdue_points(days_overdue: float) -> float:
    return 0.0 if days_overdue <= 0 else min(OVERDUE_CAP, OVERDUE_BASE + days_overdue)


def days_between(earlier: date, later: date) -> int:
    return (later - earlier).days


def age_days(moment: datetime, now: datetime) -> float:
    return (now - moment).total_seconds() / DAY


@dataclass(frozen=True)
class Window:
    """Which events count at `now`, and how much."""

    now: datetime
    window_days: int
    half_life_days: float

    def weight(self, moment: datetime, live: bool) -> float | None:
        """None when the event is outside the window and not live trouble."""
        if live:
            return 1.0
        age = age_days(moment, self.now)
        if age > self.window_days:
            return None
        return age_weight(age, self.half_life_days)
