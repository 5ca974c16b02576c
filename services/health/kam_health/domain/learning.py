"""Judging scorecards by what happened, and fitting better ones.

A scorecard foretells churn if the accounts that later churned had lower scores, some time
before, than those that renewed. The backtest measures that with the AUC (the Mann-Whitney
statistic: the chance that a churned account scored below a retained one; 0.5 is chance,
1.0 foretells every churn) and with the churn rate of each band.

The fit keeps the scorecard's own form, `score = Σ weight × component` with weights that are
non-negative and sum to 1, and asks which weights make the score the best predictor of churn:
a logistic regression of churn on each component's risk `(100 - component) / 100` with
non-negative coefficients and a ridge penalty (scipy's L-BFGS-B with bounds); the weights are
the coefficients' shares, so `P(churn) = 1 / (1 + exp(-(a + b × risk)))` with
`risk = (100 - score) / 100` and `b` the coefficients' sum. Band
thresholds follow from the fitted curve (the score where the fitted churn risk passes 10 %,
25 % and 50 %). Judged by k-fold cross-validation over accounts: each account's outcomes are
scored by weights fitted without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from kam_health.domain.vocabulary import BANDS, COMPONENTS

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

OUTCOMES = ("renewed", "expanded", "contracted", "churned")
MIN_OUTCOMES = 20
MIN_CHURNS = 5
# The fitted churn risk at which each band ends (healthy above the first, and so on).
BAND_RISKS = {"healthy": 0.10, "watch": 0.25, "at_risk": 0.50}
RIDGE = 0.002  # the ridge penalty on the coefficients (per outcome)
_FOLDS = 5

TROUBLE = {
    "delivery": "late deliveries",
    "quality": "quality issues",
    "support": "support trouble (SLA breaches, open severe tickets)",
    "commitment": "warning signs, departed decision-makers or overdue contact",
}


def auc(scores: Floats, churned: Bools) -> float | None:
    """The chance that a churned account scored below a retained one (ties count half);
    None when either kind is missing."""
    kept, lost = scores[~churned], scores[churned]
    if not len(kept) or not len(lost):
        return None
    u = stats.mannwhitneyu(kept, lost, alternative="two-sided").statistic
    return float(u) / (len(kept) * len(lost))


def too_few(outcomes: int, churns: int) -> str | None:
    """Why these outcomes are too few to trust, in plain words, or None."""
    if outcomes < MIN_OUTCOMES or churns < MIN_CHURNS:
        return (
            f"Only {outcomes} outcomes ({churns} churned): at least {MIN_OUTCOMES} outcomes "
            f"with {MIN_CHURNS} churns are needed before these figures can be trusted."
        )
    return None


def backtest(scores: Floats, bands: Ints, churned: Bools) -> dict[str, Any]:
    """AUC and churn rate per band of scores taken before each outcome."""
    by_band: dict[str, dict[str, Any]] = {}
    for index, band in enumerate(BANDS):
        chosen = bands == index
        accounts, lost = int(chosen.sum()), int((chosen & churned).sum())
        by_band[band] = {
            "accounts": accounts,
            "churned": lost,
            "churn_rate": round(lost / accounts, 4) if accounts else None,
        }
    found = auc(scores, churned)
    return {
        "outcomes": len(scores),
        "churns": int(churned.sum()),
        "auc": None if found is None else round(found, 4),
        "by_band": by_band,
        "warning": too_few(len(scores), int(churned.sum())),
    }


def band_indexes(scores: Floats, thresholds: dict[str, float]) -> Ints:
    band = np.full(scores.shape, BANDS.index("critical"), dtype=np.int64)
    band[scores >= thresholds["at_risk"]] = BANDS.index("at_risk")
    band[scores >= thresholds["watch"]] = BANDS.index("watch")
    band[scores >= thresholds["healthy"]] = BANDS.index("healthy")
    return band


@dataclass(frozen=True)
class Fit:
    weights: dict[str, float]
    intercept: float  # a
    slope: float  # b, per unit of risk (1 = score 0)

    def score(self, components: Floats) -> Floats:
        weights = np.array([self.weights[c] for c in COMPONENTS], dtype=np.float64)
        scored: Floats = components @ weights
        return scored

    def thresholds(self, fallback: dict[str, float]) -> dict[str, float]:
        """The score at which the fitted churn risk passes each band's limit; the fallback's
        when the fit found no slope to speak of."""
        if self.slope < 1e-3:
            return dict(fallback)
        found: dict[str, float] = {}
        ceiling = 99.0
        for band, risk in BAND_RISKS.items():
            logit = math.log(risk / (1 - risk))
            at = 100.0 * (1.0 - (logit - self.intercept) / self.slope)
            at = min(ceiling, max(at, 3.0 - len(found)))
            found[band] = round(at, 1)
            ceiling = found[band] - 1.0
        return found


def fit(components: Floats, churned: Bools) -> Fit:
    """Weights on the simplex and the logistic curve that best foretell `churned` from
    `components` (rows of the four component scores, 0-100).

    A logistic regression on each component's risk `(100 - component) / 100` with
    non-negative coefficients (a component's trouble never makes churn less likely) and a
    ridge penalty, solved with bounds (L-BFGS-B); the weights are the coefficients' shares
    and the slope their sum. A component that never varies gets no coefficient from the data,
    and the ridge keeps it at none."""
    risk_parts = (100.0 - components) / 100.0  # per component, 0 (perfect) to 1
    y = churned.astype(np.float64)
    n = len(y)
    k = len(COMPONENTS)

    def loss(theta: Floats) -> tuple[float, Floats]:
        a, beta = theta[0], theta[1:]
        z = a + risk_parts @ beta
        p = 1.0 / (1.0 + np.exp(-z))
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z)) / n  # log(1 + e^z) - y z, stably
        residual = (p - y) / n
        grad = np.concatenate([[residual.sum()], risk_parts.T @ residual + 2 * RIDGE * beta])
        return nll + RIDGE * float(beta @ beta), grad

    base = min(max(y.mean(), 1e-3), 1 - 1e-3)
    start = np.concatenate([[math.log(base / (1 - base))], np.ones(k)])
    found = optimize.minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(None, None)] + [(0.0, None)] * k,
        options={"maxiter": 1000},
    )
    beta = np.clip(found.x[1:], 0.0, None)
    slope = float(beta.sum())
    w = beta / slope if slope > 1e-9 else np.full(k, 1.0 / k)
    # Weights to two places that still sum to exactly 1: the rounding lands on the largest.
    rounded = np.round(w, 2)
    rounded[int(np.argmax(rounded))] += round(1.0 - float(rounded.sum()), 2)
    weights = {c: round(float(v), 2) for c, v in zip(COMPONENTS, rounded, strict=True)}
    return Fit(weights, float(found.x[0]), slope)


def folds_of(groups: Ints, folds: int = _FOLDS, seed: int = 0) -> Ints:
    """A fold per row, the same for all rows of one account (its group)."""
    unique = np.unique(groups)
    order = np.random.default_rng(seed).permutation(len(unique))
    spread = (np.arange(len(unique)) % folds).tolist()
    fold_of_group = dict(zip(unique[order].tolist(), spread, strict=True))
    return np.array([fold_of_group[g] for g in groups.tolist()], dtype=np.int64)


@dataclass(frozen=True)
class Judged:
    """Held-out scores and bands of every row (each from a fit that did not see its account),
    and the fit on all rows."""

    scores: Floats
    bands: Ints
    fit: Fit
    thresholds: dict[str, float]


def cross_validate(
    components: Floats,
    churned: Bools,
    groups: Ints,
    fallback_thresholds: dict[str, float],
    folds: int = _FOLDS,
) -> Judged:
    assignment = folds_of(groups, folds)
    scores = np.zeros(len(churned))
    bands = np.zeros(len(churned), dtype=np.int64)
    for fold in range(folds):
        held = assignment == fold
        if not held.any():
            continue
        trained = fit(components[~held], churned[~held])
        scores[held] = trained.score(components[held])
        bands[held] = band_indexes(scores[held], trained.thresholds(fallback_thresholds))
    everything = fit(components, churned)
    return Judged(scores, bands, everything, everything.thresholds(fallback_thresholds))


def explain(
    *,
    components: Floats,
    churned: Bools,
    current: dict[str, float],
    proposed: dict[str, float],
    thresholds: dict[str, float],
    half_life_days: float,
    current_half_life_days: float,
) -> list[str]:
    """Plain sentences: each weight, most weighty first, with the evidence that moved it."""
    n_churn, n_other = int(churned.sum()), int((~churned).sum())
    said = []
    for c in sorted(COMPONENTS, key=lambda name: -proposed[name]):
        column = components[:, COMPONENTS.index(c)]
        cut = float(np.median(column))
        trouble = column < (cut if cut < 100.0 else 100.0)
        if not trouble.any():
            trouble = column < 100.0
        limit = f"{c} below {round(cut, 1):g}" if cut < 100.0 else f"any {c} points lost"
        move = "now weighs" if abs(proposed[c] - current[c]) >= 0.005 else "keeps"
        said.append(
            f"{c} {move} {proposed[c]:.2f} (was {current[c]:.2f}): {TROUBLE[c]} ({limit}) "
            f"preceded {int((trouble & churned).sum())} of {n_churn} churns and "
            f"{int((trouble & ~churned).sum())} of {n_other} other outcomes."
        )
    said.append(
        f"Bands: healthy from {thresholds['healthy']:g}, watch from {thresholds['watch']:g}, "
        f"at_risk from {thresholds['at_risk']:g}: where the fitted churn risk passes "
        + ", ".join(f"{int(r * 100)} %" for r in BAND_RISKS.values())
        + "."
    )
    if half_life_days != current_half_life_days:
        said.append(
            f"Half-life {half_life_days:g} days (was {current_half_life_days:g}): events of that "
            "age foretold the outcomes best."
        )
    return said
