"""Scores that learn, measured on a portfolio whose truth is known (`kam_cli.synthetic`).

Prints, side by side: the backtest AUC of the default scorecard against the fitted proposal's
AUC on held-out accounts (5-fold cross-validation over accounts), the weight order the fit
recovered against the hidden one, how long the fit takes; and cross-sell hits in the top 3
of a hold-out (each account's last purchase hidden) against the popularity baseline.

    .venv/bin/python bench/learning.py [--outcome-accounts 1000] [--purchase-accounts 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from kam_cli import synthetic
from kam_common.context import Caller
from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_health.domain.scorecard import DEFAULT_WEIGHTS
from kam_health.services import learning
from kam_offerings.domain import suggestions


def say(message: str) -> None:
    print(message, flush=True)


def scorecards(accounts: int) -> dict[str, object]:
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='kam-bench-learning-')) / 'health.db'}"
    upgrade("kam_health", url)
    db = Database(url)
    with db.session() as session:
        truth = synthetic.load_health(session, accounts=accounts, seed=7)
        session.commit()
    with db.session() as session:
        started = time.perf_counter()
        default = learning.backtest(session=session, horizon_days=synthetic.HORIZON_DAYS)
        backtest_s = time.perf_counter() - started
        started = time.perf_counter()
        proposal = learning.propose(
            session=session,
            caller=Caller(client_id="bench"),
            horizon_days=synthetic.HORIZON_DAYS,
        )
        fit_s = time.perf_counter() - started
    db.engine.dispose()
    return {
        "truth": truth,
        "default": default,
        "proposal": proposal,
        "backtest_s": backtest_s,
        "fit_s": fit_s,
    }


def order(weights: dict[str, float]) -> str:
    return " > ".join(f"{c} {weights[c]:.2f}" for c in sorted(weights, key=lambda c: -weights[c]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outcome-accounts", type=int, default=1000)
    parser.add_argument("--purchase-accounts", type=int, default=1000)
    args, _others = parser.parse_known_args()

    say(f"learning benchmark: {args.outcome_accounts:,} accounts with one outcome each")
    found = scorecards(args.outcome_accounts)
    default, proposal = found["default"], found["proposal"]
    assert isinstance(default, dict) and isinstance(proposal, learning.ScorecardProposal)
    truth = found["truth"]
    assert isinstance(truth, synthetic.Truth)
    hidden = sorted(truth.weights, key=lambda c: -truth.weights[c])
    recovered = sorted(proposal.weights, key=lambda c: -proposal.weights[c])

    say(f"  building the cross-sell hold-out: {args.purchase_accounts:,} accounts' purchases")
    histories = synthetic.purchase_histories(accounts=args.purchase_accounts, seed=11)
    started = time.perf_counter()
    method = suggestions.hold_out(histories, suggestions.ranked_lines)
    method_s = time.perf_counter() - started
    baseline = suggestions.hold_out(
        histories, lambda own, peers: suggestions.popular(account_lines=own, similar=peers)
    )

    say("")
    say(
        f"results ({truth.outcomes:,} outcomes, {truth.churns:,} churned; horizon "
        f"{synthetic.HORIZON_DAYS} days)"
    )
    say(f"  {'':<46} {'baseline':>12} {'learnt':>12}   ratio")
    say(
        f"  {'churn AUC (default scorecard | fit, held out)':<46} "
        f"{default['auc']:>12.3f} {proposal.proposed['auc']:>12.3f}   "
        f"{proposal.proposed['auc'] / default['auc']:.2f}×"
    )
    say(
        f"  {'cross-sell hits@3 (popularity | item-to-item)':<46} "
        f"{baseline.rate:>12.3f} {method.rate:>12.3f}   {method.rate / baseline.rate:.2f}×"
    )
    say(f"  hidden weights:    {order(truth.weights)}")
    say(f"  recovered weights: {order(proposal.weights)}")
    say(f"  default weights:   {order(DEFAULT_WEIGHTS)}")
    say(f"  weight order recovered: {'yes' if recovered == hidden else 'no'}")
    say(f"  fitted half-life {proposal.half_life_days:g} days; thresholds {proposal.thresholds}")
    say(
        f"  cross-sell: {method.hits} of {method.accounts} hidden purchases in the top 3, "
        f"against {baseline.hits} for popularity ({method_s:.2f} s)"
    )
    say(
        f"  timings: backtest {found['backtest_s']:.2f} s, proposal (5 half-lives × 5 folds) "
        f"{found['fit_s']:.2f} s"
    )
    for line in proposal.explanation:
        say(f"  | {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
