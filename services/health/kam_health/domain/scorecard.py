"""The scorecard: weights, time window, age half-life and band thresholds, versioned."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kam_common.errors import Invalid
from kam_health.domain.vocabulary import COMPONENTS

DEFAULT_WEIGHTS = {"delivery": 0.30, "quality": 0.25, "support": 0.20, "commitment": 0.25}
DEFAULT_THRESHOLDS = {"healthy": 75.0, "watch": 55.0, "at_risk": 35.0}


@dataclass(frozen=True)
class Scorecard:
    version: int = 1
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    window_days: int = 180
    half_life_days: float = 60.0
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    segment: str | None = None  # None: the default scorecard, for every segment without one

    def band(self, score: float) -> str:
        if score >= self.thresholds["healthy"]:
            return "healthy"
        if score >= self.thresholds["watch"]:
            return "watch"
        if score >= self.thresholds["at_risk"]:
            return "at_risk"
        return "critical"


def validate_scorecard(data: dict[str, Any]) -> None:
    """Weights cover the four components and sum to 1; thresholds fall strictly."""
    weights = data["weights"]
    if set(weights) != set(COMPONENTS):
        missing = sorted(set(COMPONENTS) - set(weights))
        extra = sorted(set(weights) - set(COMPONENTS))
        raise Invalid(
            "weights",
            f"Exactly the keys {', '.join(COMPONENTS)} (missing {missing}, extra {extra}).",
        )
    if abs(sum(weights.values()) - 1.0) > 1e-6:
        raise Invalid("weights", f"Weights must sum to 1 (they sum to {sum(weights.values()):g}).")
    thresholds = data["thresholds"]
    if set(thresholds) != {"healthy", "watch", "at_risk"}:
        raise Invalid("thresholds", "Exactly the keys healthy, watch, at_risk.")
    if not 100 >= thresholds["healthy"] > thresholds["watch"] > thresholds["at_risk"] > 0:
        raise Invalid("thresholds", "Need 100 ≥ healthy > watch > at_risk > 0.")
