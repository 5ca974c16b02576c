"""Score history for many accounts at once: every account's score as of past moments.

The same arithmetic as `domain.tally` and `domain.score`, in numpy arrays, evaluated for every
event at every moment at once: what a single score reads from one account's events, this
reads from all accounts' events for a hundred weeks in one pass, so a full rebuild of ten
thousand accounts and a million events takes seconds, not the hours of a query per account
and week.

"As of" a moment means as it would have been then: an event counts from its earliest date
(`occurred_at`, `promised_on` or `opened_at`); a delivery not yet delivered then was
outstanding; a ticket or issue resolved later was still open; a contact who left later had
not left yet. Ageing weighs each event by `0.5 ^ (age / half-life)`; events older than the
window count only while they are live trouble.

Final rounding follows Python's `round` exactly (the current score's), so the point at
`now` is the current score to the cent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kam_health.domain import points as pts
from kam_health.domain.scorecard import Scorecard
from kam_health.domain.vocabulary import BANDS, COMPONENTS

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

WEEK = 7 * pts.DAY
MAX_HISTORY_DAYS = 730  # at most two years back
EVENT_TYPES = ("delivery", "quality", "support", "warning")
# Events are evaluated in chunks at every moment: memory stays at tens of megabytes.
_CHUNK_CELLS = 3_000_000


@dataclass(frozen=True)
class EventColumns:
    """All events to score, one array per column (NaN where a value is absent)."""

    account: Ints  # index into the accounts
    kind: Ints  # index into EVENT_TYPES
    severity_points: Floats  # the severity's base points for its type (see `base_points`)
    severity_sla: Floats  # the severity's default SLA in hours (support)
    severe: npt.NDArray[np.bool_]  # high or critical (support)
    occurred: Floats  # epoch seconds
    opened: Floats
    resolved: Floats
    promised_day: Floats  # day numbers since 1970-01-01
    delivered_day: Floats
    sla_hours: Floats

    @property
    def starts(self) -> Floats:
        """When each event began to count: its earliest date."""
        start = self.occurred.copy()
        promised = self.promised_day * pts.DAY
        np.fmin(start, promised, out=start)
        np.fmin(start, self.opened, out=start)
        return start


@dataclass(frozen=True)
class AccountColumns:
    created: Floats  # epoch seconds
    cadence_days: Floats
    breach_limit_days: Floats  # NaN: no guaranteed delay


@dataclass(frozen=True)
class ContactColumns:
    """Each time we spoke with an account (its interactions)."""

    account: Ints
    at: Floats  # epoch seconds


@dataclass(frozen=True)
class DepartureColumns:
    account: Ints
    left: Floats  # epoch seconds of the day they left
    points: Floats


def base_points(kind: str, severity: str | None) -> float:
    table = {
        "quality": pts.QUALITY_POINTS,
        "support": pts.SUPPORT_POINTS,
        "warning": pts.WARNING_POINTS,
    }.get(kind, {})
    return float(table.get(severity or "", 0.0))


def weekly_moments(now_ts: float, earliest_ts: float) -> Floats:
    """Midnight UTC of each Monday from the week of `earliest_ts` (at most two years back) up
    to the latest one at or before now, oldest first; none when nothing is dated yet
    (`earliest_ts` infinite)."""
    if not math.isfinite(earliest_ts):
        return np.zeros(0)
    day = math.floor(now_ts / pts.DAY)
    # 1970-01-01 was a Thursday: day numbers of Mondays are ≡ 4 (mod 7).
    latest_monday = day - ((day - 4) % 7)
    first = max(earliest_ts, now_ts - MAX_HISTORY_DAYS * pts.DAY)
    first_day = math.floor(first / pts.DAY)
    first_monday = first_day - ((first_day - 4) % 7)
    if first_monday > latest_monday:
        return np.zeros(0)
    return np.arange(first_monday, latest_monday + 1, 7, dtype=np.float64) * pts.DAY


def monday_at_or_before(moment: float) -> float:
    """The weekly point at or before `moment`: midnight UTC of that week's Monday."""
    day = math.floor(moment / pts.DAY)
    return float(day - ((day - 4) % 7)) * pts.DAY  # day numbers of Mondays are ≡ 4 (mod 7)


def penalties(
    events: EventColumns,
    accounts: AccountColumns,
    departures: DepartureColumns,
    contacts: ContactColumns,
    moments: Floats,
    card: Scorecard,
) -> dict[str, Floats]:
    """Each component's penalty per account and moment: arrays of shape (accounts, moments)."""
    n_accounts, n_moments = len(accounts.created), len(moments)
    cells = n_accounts * n_moments
    totals = {name: np.zeros(cells) for name in COMPONENTS}
    decay = math.log(2) / (card.half_life_days * pts.DAY)
    window = card.window_days * pts.DAY
    starts = events.starts
    chunk = max(1, _CHUNK_CELLS // max(1, n_moments))
    component_of = ("delivery", "quality", "support", "commitment")
    for kind_index, evaluate in enumerate((_delivery, _quality, _support, _warning)):
        chosen = np.flatnonzero(events.kind == kind_index)
        for begin in range(0, len(chosen), chunk):
            rows = chosen[begin : begin + chunk]
            at = moments[None, :]
            exists = starts[rows, None] <= at
            age = at - events.occurred[rows, None]
            weight = np.where(age <= 0, 1.0, np.exp(-decay * np.maximum(age, 0.0)))
            in_window = events.occurred[rows, None] >= at - window
            values = evaluate(events, accounts, rows, at, weight, in_window)
            values = np.where(exists, values, 0.0)
            cell = events.account[rows, None] * n_moments + np.arange(n_moments)[None, :]
            totals[component_of[kind_index]] += np.bincount(
                cell.ravel(), weights=values.ravel(), minlength=cells
            )
    shaped = {name: total.reshape(n_accounts, n_moments) for name, total in totals.items()}
    shaped["commitment"] += _people(accounts, departures, contacts, moments, card)
    return shaped


def _delivery(
    e: EventColumns, a: AccountColumns, rows: Ints, at: Floats, weight: Floats, in_window: Any
) -> Floats:
    today = np.floor(at / pts.DAY)
    delivered = e.delivered_day[rows, None]
    promised = e.promised_day[rows, None]
    outstanding = np.isnan(delivered) | (delivered > today)
    days_late = np.where(outstanding, today, delivered) - promised
    live = outstanding & (days_late > 0)
    due = ~(outstanding & (promised >= today)) & (in_window | live)
    late = due & (days_late > 0)
    limit = a.breach_limit_days[e.account[rows], None]
    breach = late & ~np.isnan(limit) & (days_late > limit)
    points = np.minimum(pts.LATE_BASE + pts.LATE_PER_DAY * days_late, pts.LATE_CAP)
    points = np.where(breach, points * pts.BREACH_FACTOR, points)
    return np.where(late, np.where(live, 1.0, weight) * points, 0.0)


def _unresolved(e: EventColumns, rows: Ints, at: Floats) -> Any:
    resolved = e.resolved[rows, None]
    return np.isnan(resolved) | (resolved > at)


def _quality(
    e: EventColumns, a: AccountColumns, rows: Ints, at: Floats, weight: Floats, in_window: Any
) -> Floats:
    unresolved = _unresolved(e, rows, at)
    points = e.severity_points[rows, None] * np.where(
        unresolved, pts.UNRESOLVED_QUALITY_FACTOR, 1.0
    )
    counted = in_window | unresolved
    return np.where(counted, np.where(unresolved, 1.0, weight) * points, 0.0)


def _support(
    e: EventColumns, a: AccountColumns, rows: Ints, at: Floats, weight: Floats, in_window: Any
) -> Floats:
    unresolved = _unresolved(e, rows, at)
    sla = np.where(np.isnan(e.sla_hours), e.severity_sla, e.sla_hours)[rows, None]
    opened = np.where(np.isnan(e.opened), e.occurred, e.opened)[rows, None]
    hours = (np.where(unresolved, at, e.resolved[rows, None]) - opened) / 3600.0
    points = e.severity_points[rows, None] * np.where(
        unresolved & e.severe[rows, None], pts.OPEN_SEVERE_FACTOR, 1.0
    ) + np.where(hours > sla, pts.SLA_BREACH_POINTS, 0.0)
    counted = in_window | unresolved
    return np.where(counted, np.where(unresolved, 1.0, weight) * points, 0.0)


def _warning(
    e: EventColumns, a: AccountColumns, rows: Ints, at: Floats, weight: Floats, in_window: Any
) -> Floats:
    return np.where(in_window, weight * e.severity_points[rows, None], 0.0)


def _people(
    accounts: AccountColumns,
    departures: DepartureColumns,
    contacts: ContactColumns,
    moments: Floats,
    card: Scorecard,
) -> Floats:
    """Who had left by each moment, and how overdue contact was (`domain.tally.tally_people`)."""
    n_accounts, n_moments = len(accounts.created), len(moments)
    at = moments[None, :]
    total = np.zeros((n_accounts, n_moments))
    if len(departures.account):
        age_days = (at - departures.left[:, None]) / pts.DAY
        counted = (departures.left[:, None] <= at) & (age_days <= card.window_days)
        weight = np.power(0.5, np.maximum(age_days, 0.0) / card.half_life_days)
        values = np.where(counted, weight * departures.points[:, None], 0.0)
        cell = departures.account[:, None] * n_moments + np.arange(n_moments)[None, :]
        total += np.bincount(
            cell.ravel(), weights=values.ravel(), minlength=n_accounts * n_moments
        ).reshape(n_accounts, n_moments)
    last = last_contact_before(accounts, contacts, moments)
    since = np.maximum(0.0, (at - last) / pts.DAY)
    overdue = since - accounts.cadence_days[:, None]
    total += np.where(overdue > 0, np.minimum(pts.OVERDUE_CAP, pts.OVERDUE_BASE + overdue), 0.0)
    return total


def last_contact_before(
    accounts: AccountColumns, contacts: ContactColumns, moments: Floats
) -> Floats:
    """The latest contact at or before each moment, else the account's creation: each
    contact is placed at the first moment it precedes, then carried forward."""
    n_accounts, n_moments = len(accounts.created), len(moments)
    latest = np.full((n_accounts, n_moments), -np.inf)
    if len(contacts.account) and n_moments:
        first = np.searchsorted(moments, contacts.at, side="left")
        keep = first < n_moments
        np.maximum.at(latest, (contacts.account[keep], first[keep]), contacts.at[keep])
        np.maximum.accumulate(latest, axis=1, out=latest)
    return np.where(np.isneginf(latest), accounts.created[:, None], latest)


def python_round(values: Floats, places: int) -> Floats:
    """`round(x, places)` of each value, as Python rounds it (the exact binary value, halves to
    even): numpy's own rounding differs on values a hair below a half (24.749999… → 24.75)."""
    scale = 10.0**places
    rounded = np.round(values, places)
    scaled = values * scale
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        flat = rounded.reshape(-1)
        for index in np.flatnonzero(near_half.reshape(-1)):
            flat[index] = round(float(values.reshape(-1)[index]), places)
    return rounded


def scores(component_penalties: dict[str, Floats], card: Scorecard) -> tuple[Floats, Ints]:
    """Scores (rounded as `domain.score.compute` rounds them) and band indexes into BANDS."""
    total: Floats | None = None
    for name in COMPONENTS:
        component = python_round(np.maximum(0.0, 100.0 - component_penalties[name]), 1)
        contribution = python_round(card.weights[name] * component, 2)
        total = contribution if total is None else total + contribution
    assert total is not None  # noqa: S101 - four components
    score = python_round(total, 2)
    t = card.thresholds
    band = np.full(score.shape, BANDS.index("critical"), dtype=np.int64)
    band[score >= t["at_risk"]] = BANDS.index("at_risk")
    band[score >= t["watch"]] = BANDS.index("watch")
    band[score >= t["healthy"]] = BANDS.index("healthy")
    return score, band
