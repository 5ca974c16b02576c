"""Events reduced to per-component tallies: the numbers behind every score and sentence.

`tally_events` is the reference, used for one account at a time; the bulk rescore builds the
same tallies with set-based SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from kam_health.domain import points as pts


@dataclass(frozen=True)
class EventFacts:
    type: str
    occurred_at: datetime
    severity: str | None = None
    signal: str | None = None
    promised_on: date | None = None
    delivered_on: date | None = None
    opened_at: datetime | None = None
    resolved_at: datetime | None = None
    sla_hours: float | None = None


@dataclass(frozen=True)
class DepartedContact:
    name: str
    buying_role: str | None
    left_on: date


@dataclass(frozen=True)
class AccountFacts:
    created_at: datetime
    cadence_days: int = 30
    last_contact_at: datetime | None = None
    breach_limit_days: int | None = None  # the tightest guaranteed delay of active agreements
    departed: tuple[DepartedContact, ...] = ()


@dataclass
class DeliveryTally:
    due: int = 0
    late: int = 0
    days_late_total: float = 0.0
    breaches: int = 0
    outstanding_late: int = 0
    penalty: float = 0.0


@dataclass
class QualityTally:
    by_severity: dict[str, int] = field(default_factory=dict)
    unresolved: int = 0
    penalty: float = 0.0


@dataclass
class SupportTally:
    tickets: int = 0
    open_severe: int = 0
    sla_breaches: int = 0
    penalty: float = 0.0


@dataclass
class CommitmentTally:
    signals: dict[str, int] = field(default_factory=dict)
    high_signals: int = 0
    warning_penalty: float = 0.0
    departed: list[DepartedContact] = field(default_factory=list)
    departed_penalty: float = 0.0
    days_since_contact: float = 0.0
    cadence_days: int = 30
    overdue_penalty: float = 0.0

    @property
    def penalty(self) -> float:
        return self.warning_penalty + self.departed_penalty + self.overdue_penalty


@dataclass
class Tallies:
    delivery: DeliveryTally = field(default_factory=DeliveryTally)
    quality: QualityTally = field(default_factory=QualityTally)
    support: SupportTally = field(default_factory=SupportTally)
    commitment: CommitmentTally = field(default_factory=CommitmentTally)
    events: int = 0


def tally_events(events: list[EventFacts], account: AccountFacts, window: pts.Window) -> Tallies:
    tallies = Tallies()
    today = window.now.date()
    for event in events:
        if event.type == "delivery":
            _tally_delivery(tallies.delivery, event, account, window, today)
        elif event.type == "quality":
            _tally_quality(tallies.quality, event, window)
        elif event.type == "support":
            _tally_support(tallies.support, event, window)
        elif event.type == "warning":
            _tally_warning(tallies.commitment, event, window)
        tallies.events += 1
    tally_people(tallies.commitment, account, window)
    return tallies


def _tally_delivery(
    tally: DeliveryTally, event: EventFacts, account: AccountFacts, window: pts.Window, today: date
) -> None:
    assert event.promised_on is not None
    outstanding = event.delivered_on is None
    if outstanding and event.promised_on >= today:
        return  # not due yet
    days_late = pts.days_between(event.promised_on, event.delivered_on or today)
    weight = window.weight(event.occurred_at, live=outstanding and days_late > 0)
    if weight is None:
        return
    tally.due += 1
    if days_late <= 0:
        return
    points, breached = pts.delivery_points(days_late, account.breach_limit_days)
    tally.late += 1
    tally.days_late_total += days_late
    tally.breaches += breached
    tally.outstanding_late += outstanding
    tally.penalty += weight * points


def _tally_quality(tally: QualityTally, event: EventFacts, window: pts.Window) -> None:
    assert event.severity is not None
    resolved = event.resolved_at is not None
    weight = window.weight(event.occurred_at, live=not resolved)
    if weight is None:
        return
    tally.by_severity[event.severity] = tally.by_severity.get(event.severity, 0) + 1
    tally.unresolved += not resolved
    tally.penalty += weight * pts.quality_points(event.severity, resolved)


def _tally_support(tally: SupportTally, event: EventFacts, window: pts.Window) -> None:
    assert event.severity is not None
    resolved = event.resolved_at is not None
    weight = window.weight(event.occurred_at, live=not resolved)
    if weight is None:
        return
    opened = event.opened_at or event.occurred_at
    hours = ((event.resolved_at or window.now) - opened).total_seconds() / 3600
    sla = event.sla_hours or pts.DEFAULT_SLA_HOURS[event.severity]
    tally.tickets += 1
    tally.open_severe += (not resolved) and event.severity in ("high", "critical")
    tally.sla_breaches += hours > sla
    tally.penalty += weight * pts.support_points(event.severity, resolved, hours, sla)


def _tally_warning(tally: CommitmentTally, event: EventFacts, window: pts.Window) -> None:
    assert event.signal is not None and event.severity is not None
    weight = window.weight(event.occurred_at, live=False)
    if weight is None:
        return
    tally.signals[event.signal] = tally.signals.get(event.signal, 0) + 1
    tally.high_signals += event.severity == "high"
    tally.warning_penalty += weight * pts.WARNING_POINTS[event.severity]


def tally_people(tally: CommitmentTally, account: AccountFacts, window: pts.Window) -> None:
    """Who left and how long since we last spoke: the account-side commitment signs."""
    for person in account.departed:
        left_at = datetime.combine(person.left_on, datetime.min.time(), tzinfo=window.now.tzinfo)
        weight = window.weight(left_at, live=False)
        if weight is None:
            continue
        tally.departed.append(person)
        tally.departed_penalty += weight * pts.departed_points(person.buying_role)
    last = account.last_contact_at or account.created_at
    tally.days_since_contact = max(0.0, pts.age_days(last, window.now))
    tally.cadence_days = account.cadence_days
    tally.overdue_penalty = pts.overdue_points(tally.days_since_contact - account.cadence_days)
