"""Outcomes, and what they teach: backtests of scorecard versions and fitted proposals.

An outcome (renewed, expanded, contracted, churned) is recorded directly or when an agreement
ends with one. A backtest takes each outcome's account score `horizon_days` before it, at the
weekly point of the history (the Monday at or before that day), computed under the version
judged by the same engine that writes the history (`services.history.penalties_at`), and
measures how well it foretold churn (`domain.learning`). A proposal fits weights, thresholds
and half-life to the outcomes; adopting it makes a new scorecard version through the same
path as any change of the scorecard (rescore now, history rebuilt by the worker).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Conflict, Invalid, NotFound
from kam_common.pagination import paginate, where_given
from kam_health.domain import history as engine
from kam_health.domain import learning
from kam_health.domain import points as pts
from kam_health.domain.scorecard import Scorecard
from kam_health.domain.vocabulary import COMPONENTS
from kam_health.models import AccountFacts, Outcome, ScorecardProposal
from kam_health.models import Scorecard as ScorecardRow
from kam_health.services.facts import AccountLookup, require_active_account
from kam_health.services.history import penalties_at
from kam_health.services.judgement import get_scorecard, get_scorecard_version, replace_scorecard
from kam_health.services.scoring import as_card

HALF_LIVES = (30.0, 45.0, 60.0, 90.0, 120.0)  # days: the half-lives a proposal tries


class ProposalNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such scorecard proposal.")


def record_outcome(
    *, session: Session, caller: Caller, data: dict[str, Any], lookup: AccountLookup
) -> Outcome:
    """An outcome of a known account (archived accounts too: churned ones often are)."""
    if data["on"] > utcnow().date():
        raise Invalid("on", "Must not be in the future.")
    require_active_account(session, caller, data["account_id"], lookup, archived_too=True)
    outcome = Outcome(
        account_id=data["account_id"],
        outcome=data["outcome"],
        on=data["on"],
        note=data.get("note"),
        source=caller.source(),
        created_at=utcnow(),
    )
    session.add(outcome)
    session.commit()
    return outcome


def list_outcomes(
    *,
    session: Session,
    caller: Caller,
    page: int,
    per_page: int,
    account_id: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    stmt = where_given(
        caller.scoped(select(Outcome), Outcome.account_id),
        (Outcome.account_id, account_id),
        (Outcome.outcome, outcome),
    )
    stmt = stmt.order_by(Outcome.on.desc(), Outcome.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def outcome_from_agreement(session: Session, payload: dict[str, Any]) -> None:
    """An agreement ended with an outcome: record it once (a redelivered event adds none)."""
    if not payload.get("outcome") or session.get(AccountFacts, payload["account_id"]) is None:
        return
    taken = session.scalar(
        select(Outcome.id).where(Outcome.agreement_id == payload["agreement_id"])
    )
    if taken is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                Outcome(
                    account_id=payload["account_id"],
                    outcome=payload["outcome"],
                    on=date.fromisoformat(payload["ended_on"]),
                    note=payload.get("note"),
                    agreement_id=payload["agreement_id"],
                    source={"type": "system", "id": "offerings", "name": None, "role": None},
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        pass  # the same event, delivered twice at once


@dataclass(frozen=True)
class _Sample:
    """Each outcome, with what its account looked like `horizon_days` before it."""

    components: engine.Floats  # (outcomes, 4) component scores
    churned: learning.Bools
    groups: engine.Ints  # the account of each row, as a number (folds keep accounts whole)
    scores: engine.Floats
    bands: engine.Ints


def _outcome_rows(session: Session, segment: str | None) -> list[tuple[str, date, str]]:
    stmt = select(Outcome.account_id, Outcome.on, Outcome.outcome).join(
        AccountFacts, AccountFacts.account_id == Outcome.account_id
    )
    if segment is not None:
        stmt = stmt.where(AccountFacts.segment == segment)
    return [
        (r.account_id, r.on, r.outcome)
        for r in session.execute(stmt.order_by(Outcome.on, Outcome.id))
    ]


def _sample(
    session: Session, card: Scorecard, horizon_days: int, rows: list[tuple[str, date, str]]
) -> _Sample:
    moments = [
        (
            account_id,
            engine.monday_at_or_before(
                datetime.combine(on, datetime.min.time(), tzinfo=UTC).timestamp()
                - horizon_days * pts.DAY
            ),
        )
        for account_id, on, _ in rows
    ]
    penalties = penalties_at(session, card, moments)
    scores, bands = engine.scores(penalties, card)
    components = (
        np.column_stack(
            [engine.python_round(np.maximum(0.0, 100.0 - penalties[c]), 1) for c in COMPONENTS]
        )
        if rows
        else np.zeros((0, len(COMPONENTS)))
    )
    number = {a: n for n, a in enumerate(sorted({a for a, _, _ in rows}))}
    return _Sample(
        components=components,
        churned=np.array([o == "churned" for _, _, o in rows], dtype=np.bool_),
        groups=np.array([number[a] for a, _, _ in rows], dtype=np.int64),
        scores=scores,
        bands=bands,
    )


def _version(session: Session, version: int | None, segment: str | None = None) -> ScorecardRow:
    if version is None:
        return get_scorecard(session=session, segment=segment)
    return get_scorecard_version(session=session, version=version)


def backtest(*, session: Session, horizon_days: int, version: int | None = None) -> dict[str, Any]:
    """How well the scores of `version` (default: the one in force), `horizon_days` before each
    outcome, foretold churn. A segment's version is judged on that segment's accounts."""
    row = _version(session, version)
    sample = _sample(session, as_card(row), horizon_days, _outcome_rows(session, row.segment))
    return {
        "version": row.version,
        "segment": row.segment,
        "horizon_days": horizon_days,
        **learning.backtest(sample.scores, sample.bands, sample.churned),
    }


def propose(
    *,
    session: Session,
    caller: Caller,
    horizon_days: int,
    folds: int = 5,
    segment: str | None = None,
) -> ScorecardProposal:
    """Fit weights, thresholds and half-life to the outcomes, judged by k-fold
    cross-validation over accounts against the scorecard in force. Too few outcomes: a 422
    naming why, and nothing proposed."""
    row = _version(session, None, segment)
    current = as_card(row)
    rows = _outcome_rows(session, segment)
    churns = sum(o == "churned" for _, _, o in rows)
    why = learning.too_few(len(rows), churns)
    if why is None and len(rows) - churns < learning.MIN_CHURNS:
        why = f"Only {len(rows) - churns} outcomes that were not churn: nothing to compare with."
    if why is None and len({a for a, _, _ in rows}) < folds:
        why = (
            f"Only {len({a for a, _, _ in rows})} accounts have outcomes: fewer than {folds} folds."
        )
    if why is not None:
        raise Invalid("outcomes", why + " Nothing is proposed.")
    base = _sample(session, current, horizon_days, rows)
    best: tuple[float, float, _Sample, learning.Judged] | None = None
    for half_life in sorted({*HALF_LIVES, current.half_life_days}):
        sample = (
            base
            if half_life == current.half_life_days
            else _sample(session, replace(current, half_life_days=half_life), horizon_days, rows)
        )
        judged = learning.cross_validate(
            sample.components, sample.churned, sample.groups, current.thresholds, folds
        )
        held_out = learning.auc(judged.scores, sample.churned) or 0.0
        # The best held-out AUC; a tie keeps the half-life closest to the one in force.
        key = (round(held_out, 4), -abs(half_life - current.half_life_days))
        if best is None or key > (round(best[0], 4), -abs(best[1] - current.half_life_days)):
            best = (held_out, half_life, sample, judged)
    assert best is not None  # noqa: S101 - at least the half-life in force was tried
    _held_out, half_life, sample, judged = best
    judged_current = learning.backtest(base.scores, base.bands, base.churned)
    judged_proposal = learning.backtest(judged.scores, judged.bands, sample.churned)
    explanation = [
        _verdict(judged_current["auc"], judged_proposal["auc"], row.version, folds),
        *learning.explain(
            components=sample.components,
            churned=sample.churned,
            current=current.weights,
            proposed=judged.fit.weights,
            thresholds=judged.thresholds,
            half_life_days=half_life,
            current_half_life_days=current.half_life_days,
        ),
    ]
    proposal = ScorecardProposal(
        status="proposed",
        segment=segment,
        based_on_version=row.version,
        horizon_days=horizon_days,
        folds=folds,
        weights=judged.fit.weights,
        window_days=current.window_days,
        half_life_days=half_life,
        thresholds=judged.thresholds,
        outcomes=len(rows),
        churns=churns,
        current=judged_current,
        proposed=judged_proposal,
        explanation=explanation,
        created_by=caller.client_id,
        created_at=utcnow(),
    )
    session.add(proposal)
    session.commit()
    return proposal


def _verdict(current: float | None, proposed: float | None, version: int, folds: int) -> str:
    if current is None or proposed is None:
        return "The AUC cannot be measured on these outcomes."
    better = "beats" if proposed > current else "does not beat"
    return (
        f"On held-out accounts ({folds}-fold cross-validation) the proposal's AUC is "
        f"{proposed:.2f}, against {current:.2f} for version {version}: it {better} the "
        "scorecard in force (1.0 foretells every churn, 0.5 is chance)."
    )


def get_proposal(*, session: Session, proposal_id: str) -> ScorecardProposal:
    proposal = session.get(ScorecardProposal, proposal_id)
    if proposal is None:
        raise ProposalNotFound()
    return proposal


def adopt_proposal(*, session: Session, caller: Caller, proposal_id: str) -> dict[str, Any]:
    """The proposal becomes a new scorecard version: every account is rescored under it now
    and its history rebuilt by the worker, as with any change of the scorecard."""
    proposal = get_proposal(session=session, proposal_id=proposal_id)
    if proposal.status != "proposed":
        raise Conflict(f"The proposal was already adopted (version {proposal.adopted_version}).")
    data = {
        "weights": dict(proposal.weights),
        "window_days": proposal.window_days,
        "half_life_days": proposal.half_life_days,
        "thresholds": dict(proposal.thresholds),
    }
    return replace_scorecard(
        session=session, caller=caller, data=data, segment=proposal.segment, proposal=proposal
    )
