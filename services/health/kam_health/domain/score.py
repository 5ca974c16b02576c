"""A score from tallies: components, contributions that add up, band and drivers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from kam_health.domain import evidence
from kam_health.domain.scorecard import Scorecard
from kam_health.domain.tally import Tallies
from kam_health.domain.vocabulary import COMPONENTS

MAX_DRIVERS = 3


@dataclass(frozen=True)
class Computed:
    score: float
    band: str
    components: dict[str, dict[str, Any]]
    drivers: list[dict[str, Any]]


def component_scores(tallies: Tallies) -> dict[str, float]:
    penalties = {
        "delivery": tallies.delivery.penalty,
        "quality": tallies.quality.penalty,
        "support": tallies.support.penalty,
        "commitment": tallies.commitment.penalty,
    }
    return {name: round(max(0.0, 100.0 - penalties[name]), 1) for name in COMPONENTS}


def fingerprint(tallies: Tallies, scorecard: Scorecard, breach_limit: int | None) -> str:
    """Everything a score and its sentences are made of, hashed: the same fingerprint means
    the same score, band, evidence and drivers, so nothing needs computing or writing."""
    d, q, s, c = tallies.delivery, tallies.quality, tallies.support, tallies.commitment
    parts = (
        scorecard.version,
        breach_limit,
        tuple(component_scores(tallies).values()),
        (d.due, d.late, round(d.days_late_total, 1), d.breaches, d.outstanding_late),
        (sorted(q.by_severity.items()), q.unresolved),
        (s.tickets, s.open_severe, s.sla_breaches),
        (sorted(c.signals.items()), c.high_signals, int(c.days_since_contact), c.cadence_days),
        tuple((p.name, p.buying_role, p.left_on) for p in c.departed),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def compute(tallies: Tallies, scorecard: Scorecard, breach_limit: int | None = None) -> Computed:
    sentences = evidence.for_all(tallies, scorecard.window_days, breach_limit)
    scores = component_scores(tallies)
    components: dict[str, dict[str, Any]] = {}
    for name in COMPONENTS:
        component_score = scores[name]
        weight = scorecard.weights[name]
        components[name] = {
            "score": component_score,
            "weight": weight,
            "contribution": round(weight * component_score, 2),
            "evidence": sentences[name],
        }
    score = round(sum(c["contribution"] for c in components.values()), 2)
    lost = sorted(
        (
            (c["weight"] * (100.0 - c["score"]), name)
            for name, c in components.items()
            if c["score"] < 100.0
        ),
        reverse=True,
    )
    drivers = [
        {
            "component": name,
            "points_lost": round(points, 2),
            "reason": components[name]["evidence"][0],
        }
        for points, name in lost[:MAX_DRIVERS]
    ]
    return Computed(score, scorecard.band(score), components, drivers)
