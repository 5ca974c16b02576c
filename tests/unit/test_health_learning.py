"""Judging and fitting scorecards (pure logic): AUC, bands, the fit and its explanation."""

from __future__ import annotations

import numpy as np

from kam_health.domain import learning
from kam_health.domain.vocabulary import COMPONENTS

HIDDEN = {"delivery": 0.15, "quality": 0.10, "support": 0.45, "commitment": 0.30}
DEFAULT = {"delivery": 0.30, "quality": 0.25, "support": 0.20, "commitment": 0.25}
THRESHOLDS = {"healthy": 75.0, "watch": 55.0, "at_risk": 35.0}


def planted(n: int = 600, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Component scores, and churn drawn from the hidden weights over them."""
    rng = np.random.default_rng(seed)
    components = np.clip(100 - rng.gamma(1.5, 15, size=(n, 4)), 0, 100)
    risk = ((100 - components) / 100) @ np.array([HIDDEN[c] for c in COMPONENTS])
    churned = rng.random(n) < 1 / (1 + np.exp(-(-3 + 12 * risk)))
    return components, churned


def test_auc_of_a_known_case():
    scores = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    churned = np.array([True, False, True, False, False])
    # Churned scored 10 and 30; retained 20, 40, 50: of 6 pairs the churned is lower in 5.
    assert learning.auc(scores, churned) == 5 / 6
    assert learning.auc(np.array([1.0, 1.0]), np.array([True, False])) == 0.5  # a tie: half
    assert learning.auc(scores, np.zeros(5, dtype=bool)) is None  # no churn: nothing to judge


def test_backtest_counts_churn_per_band_and_warns_when_outcomes_are_few():
    scores = np.array([90.0, 80.0, 60.0, 40.0, 20.0])
    churned = np.array([False, False, True, True, True])
    judged = learning.backtest(scores, learning.band_indexes(scores, THRESHOLDS), churned)
    assert judged["auc"] == 1.0 and judged["outcomes"] == 5 and judged["churns"] == 3
    assert judged["by_band"]["healthy"] == {"accounts": 2, "churned": 0, "churn_rate": 0.0}
    assert judged["by_band"]["critical"] == {"accounts": 1, "churned": 1, "churn_rate": 1.0}
    assert "Only 5 outcomes (3 churned)" in judged["warning"]
    components, churned = planted()
    assert learning.too_few(len(churned), int(churned.sum())) is None


def test_the_fit_recovers_the_order_of_the_hidden_weights():
    components, churned = planted()
    fitted = learning.fit(components, churned)
    assert abs(sum(fitted.weights.values()) - 1.0) < 1e-9
    assert all(w >= 0 for w in fitted.weights.values())
    order = sorted(COMPONENTS, key=lambda c: -fitted.weights[c])
    assert order == sorted(COMPONENTS, key=lambda c: -HIDDEN[c])
    thresholds = fitted.thresholds(THRESHOLDS)
    assert 100 >= thresholds["healthy"] > thresholds["watch"] > thresholds["at_risk"] > 0


def test_cross_validated_fit_beats_the_default_weights_on_held_out_accounts():
    components, churned = planted()
    default = components @ np.array([DEFAULT[c] for c in COMPONENTS])
    judged = learning.cross_validate(components, churned, np.arange(len(churned)), THRESHOLDS)
    assert learning.auc(judged.scores, churned) > learning.auc(default, churned) + 0.03
    said = learning.explain(
        components=components,
        churned=churned,
        current=DEFAULT,
        proposed=judged.fit.weights,
        thresholds=judged.thresholds,
        half_life_days=45,
        current_half_life_days=60,
    )
    assert said[0].startswith(f"support now weighs {judged.fit.weights['support']:.2f} (was 0.20)")
    assert "churns" in said[0] and "Half-life 45 days (was 60)" in said[-1]


def test_folds_keep_each_account_whole():
    groups = np.array([0, 0, 1, 2, 2, 2, 3, 4])
    folds = learning.folds_of(groups, folds=3)
    for group in np.unique(groups):
        assert len(set(folds[groups == group].tolist())) == 1
