"""A score from tallies: components, contributions that add up, band and drivers."""

from __future__ import annotations

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


def compute(tallies: Tallies, scorecard: Scorecard, breach_limit: int | None = None) -> Computed:
    penalties = {
        "delivery": tallies.delivery.penalty,
        "quality": tallies.quality.penalty,
        "support": tallies.support.penalty,
        "commitment": tallies.commitment.penalty,
    }
    sentences = evidence.for_all(tallies, scorecard.window_days, breach_limit)
    components: dict[str, dict[str, Any]] = {}
    for name in COMPONENTS:
        component_score = round(max(0.0, 100.0 - penalties[name]), 1)
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
