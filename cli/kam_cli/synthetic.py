"""A synthetic portfolio whose truth is known: for tests and `bench/learning.py`.

Health: accounts with two years of events (late deliveries, quality issues, tickets, warning
signs), each account with its own hidden rate of each kind of trouble; each account has one
outcome, and whether it churned is drawn from a hidden weight vector over the four components
as the history engine computes them `HORIZON_DAYS` before the outcome (the weekly point):
`P(churn) = 1 / (1 + exp(-(INTERCEPT + SLOPE × Σ hidden_weight × (100 - component) / 100)))`.
The hidden weights rank the components differently from the default scorecard, so a fit that
finds them beats the default's AUC.

Purchases: product lines fall into hidden clusters of lines bought together; an account buys
a first line (some lines are far more popular than others), then each next line from the
cluster of a line it already holds (with probability `AFFINITY`), else a popular line. A
cross-sell method that learns the affinities beats suggesting the most popular lines.

Everything is drawn from one seeded generator: the same seed gives the same portfolio.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from kam_common.db import new_id

HIDDEN_WEIGHTS = {"support": 0.45, "commitment": 0.30, "delivery": 0.15, "quality": 0.10}
INTERCEPT, SLOPE = -3.6, 14.0
HORIZON_DAYS = 90
SEGMENTS = ("manufacturing", "retail")
CLUSTERS = (
    ("erp", "analytics", "data_platform"),
    ("logistics", "warehousing", "customs"),
    ("field_service", "spare_parts", "training"),
    ("security", "compliance", "audit"),
)
# Popularity of each line as a first purchase and as a random later one: not the clusters.
POPULARITY = {
    "erp": 3,
    "logistics": 9,
    "field_service": 2,
    "security": 8,
    "analytics": 1,
    "warehousing": 2,
    "spare_parts": 7,
    "compliance": 1,
    "data_platform": 6,
    "customs": 1,
    "training": 10,
    "audit": 2,
}
AFFINITY = 0.8
_KINDS = ("delivery", "quality", "support", "warning")


@dataclass
class Truth:
    """What the generator planted, to compare what is learnt with."""

    weights: dict[str, float] = field(default_factory=lambda: dict(HIDDEN_WEIGHTS))
    account_ids: list[str] = field(default_factory=list)
    outcomes: int = 0
    churns: int = 0


def _event(rng: random.Random, account_id: str, kind: str, at: datetime) -> dict[str, Any]:
    """One event as the health service stores it, already resolved or delivered (mostly)."""
    row: dict[str, Any] = {
        "id": new_id(),
        "account_id": account_id,
        "type": kind,
        "occurred_at": at,
        "reported_by": "synthetic",
        "external_ref": None,
        "note": None,
        "severity": None,
        "signal": None,
        "promised_on": None,
        "delivered_on": None,
        "opened_at": None,
        "resolved_at": None,
        "sla_hours": None,
        "source": {"type": "system", "id": "synthetic", "name": None, "role": None},
        "version": 1,
        "created_at": at,
        "updated_at": at,
    }
    if kind == "delivery":
        promised = at.date()
        row["promised_on"] = promised
        row["delivered_on"] = promised + timedelta(days=rng.randint(1, 8))
    elif kind == "quality":
        row["severity"] = rng.choices(("minor", "major", "critical"), (6, 3, 1))[0]
        row["resolved_at"] = at + timedelta(days=rng.uniform(1, 20))
    elif kind == "support":
        row["severity"] = rng.choices(("low", "medium", "high", "critical"), (3, 4, 2, 1))[0]
        row["opened_at"] = at
        row["resolved_at"] = at + timedelta(hours=rng.uniform(2, 120))
    else:
        row["signal"] = rng.choice(("new_competitor", "cost_pressure", "needs_change", "other"))
        row["severity"] = rng.choices(("low", "medium", "high"), (5, 3, 1))[0]
    return row


def load_health(
    session: Session, *, accounts: int = 300, seed: int = 7, now: datetime | None = None
) -> Truth:
    """Write the synthetic accounts, events and outcomes into the health service's tables
    (the session's database), and return the planted truth. Nothing is committed."""
    from kam_health.domain.history import python_round
    from kam_health.domain.scorecard import Scorecard
    from kam_health.domain.vocabulary import COMPONENTS
    from kam_health.models import AccountFacts, Event, Outcome
    from kam_health.services.events import numeric_columns
    from kam_health.services.history import penalties_at

    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    truth = Truth()
    facts, events, planned = [], [], []
    for n in range(accounts):
        account_id = new_id()
        truth.account_ids.append(account_id)
        facts.append(
            {
                "account_id": account_id,
                "name": f"Synthetic {n:04d}",
                "status": "active",
                "segment": SEGMENTS[n % len(SEGMENTS)],
                "tier": "key",
                "annual_revenue": Decimal(rng.randint(50, 5000) * 1000),
                "currency": "USD",
                "contact_cadence_days": 3650,  # contact never overdue: events carry the signal
                "created_at": now - timedelta(days=800),
                "last_contact_at": None,
                "facts_at": now,
            }
        )
        # Each account's own monthly rate of each kind of trouble.
        rates = {kind: rng.expovariate(1 / 0.45) for kind in _KINDS}
        for kind in _KINDS:
            expected = rates[kind] * 24  # two years
            for _ in range(_poisson(rng, expected)):
                at = now - timedelta(days=rng.uniform(1, 730))
                row = _event(rng, account_id, kind, at)
                row.update(numeric_columns(row))
                events.append(row)
        planned.append((account_id, (now - timedelta(days=rng.uniform(1, 360))).date()))
    session.execute(insert(AccountFacts), facts)
    if events:
        session.execute(insert(Event), events)
    session.flush()

    moments = [(a, _monday_before(on, HORIZON_DAYS)) for a, on in planned]
    penalties = penalties_at(session, Scorecard(), moments)
    hidden = np.array([HIDDEN_WEIGHTS[c] for c in COMPONENTS])
    components = np.column_stack(
        [python_round(np.maximum(0.0, 100.0 - penalties[c]), 1) for c in COMPONENTS]
    )
    risk = ((100.0 - components) / 100.0) @ hidden
    outcomes = []
    for (account_id, on), r in zip(planned, risk.tolist(), strict=True):
        p = 1.0 / (1.0 + math.exp(-(INTERCEPT + SLOPE * r)))
        churned = rng.random() < p
        kept = rng.choices(("renewed", "expanded", "contracted"), (6, 2, 2))[0]
        outcomes.append(
            {
                "id": new_id(),
                "account_id": account_id,
                "outcome": "churned" if churned else kept,
                "on": on,
                "note": None,
                "agreement_id": None,
                "source": {"type": "system", "id": "synthetic", "name": None, "role": None},
                "created_at": now,
            }
        )
        truth.churns += churned
    session.add_all(Outcome(**row) for row in outcomes)
    session.flush()
    truth.outcomes = len(outcomes)
    return truth


def _monday_before(on: date, horizon_days: int) -> float:
    """The weekly point the backtest reads: the Monday at or before `on - horizon_days`."""
    from kam_health.domain.history import monday_at_or_before

    midnight = datetime.combine(on, datetime.min.time(), tzinfo=UTC).timestamp()
    return monday_at_or_before(midnight - horizon_days * 86400.0)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (the means here are small)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def purchase_histories(
    *, accounts: int = 400, seed: int = 11, start: date | None = None
) -> dict[str, list[tuple[date, str]]]:
    """Each account's purchases by product line, oldest first, following the hidden
    affinities (`CLUSTERS`)."""
    rng = random.Random(seed)
    start = start or date(2025, 1, 1)
    lines = list(POPULARITY)
    weights = [POPULARITY[line] for line in lines]
    cluster_of = {line: cluster for cluster in CLUSTERS for line in cluster}
    histories: dict[str, list[tuple[date, str]]] = {}
    for n in range(accounts):
        owned = [rng.choices(lines, weights)[0]]
        for _ in range(rng.randint(2, 4)):
            if rng.random() < AFFINITY:
                base = rng.choice(owned)
                choices = [line for line in cluster_of[base] if line not in owned]
            else:
                choices = []
            if not choices:
                choices = [line for line in rng.choices(lines, weights, k=4) if line not in owned]
            if choices:
                owned.append(rng.choice(choices))
        day = start
        bought = []
        for line in owned:
            day += timedelta(days=rng.randint(20, 120))
            bought.append((day, line))
        histories[f"synthetic-{n:04d}"] = bought
    return histories
