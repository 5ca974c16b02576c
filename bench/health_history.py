"""Health history at portfolio scale: 10,000 accounts, 1,000,000 events over two years.

Prints, on SQLite and (given a URL) PostgreSQL side by side: the full weekly history rebuild
(every account, every week back to its first event, at most two years) through the
set-based engine, against the per-account path as the baseline (one scoring query per
account and week, timed on a sample of accounts and scaled to the portfolio), and the full
portfolio rescore.

    .venv/bin/python bench/health_history.py [--accounts 10000] [--events 1000000]
        [--database-url postgresql://...]   (or BENCH_HEALTH_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from health_scoring import generate, say
from sqlalchemy import func, select

from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_health.domain import history as engine
from kam_health.models import Snapshot
from kam_health.services.history import rebuild_history
from kam_health.services.scoring import (
    active_facts,
    load_scorecard,
    rescore_portfolio,
    score_accounts,
)

DAYS = 730
SAMPLE = 20  # accounts timed on the per-account path


def measure(url: str, accounts: int, events: int) -> dict[str, float]:
    upgrade("kam_health", url)
    generate(url, accounts, events, days=DAYS)
    db = Database(url)
    figures: dict[str, float] = {}
    with db.session() as session:
        started = time.perf_counter()
        rescore_portfolio(session)
        session.commit()
        figures["rescore_first"] = time.perf_counter() - started
    with db.session() as session:
        started = time.perf_counter()
        rebuilt = rebuild_history(session)
        session.commit()
        figures["rebuild"] = time.perf_counter() - started
        points = session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.weekly))
        figures["points"] = float(points or 0)
        say(f"  rebuilt {rebuilt:,} accounts: {points:,} weekly points")
    with db.session() as session:
        started = time.perf_counter()
        rescore_portfolio(session)
        session.commit()
        figures["rescore_again"] = time.perf_counter() - started
    with db.session(write=False) as session:
        # The per-account path: each account, each week, its own scoring query.
        card = load_scorecard(session)
        facts = active_facts(session)[:SAMPLE]
        now = time.time()
        moments = engine.weekly_moments(now, now - DAYS * 86400)
        started = time.perf_counter()
        for fact in facts:
            for moment in moments:
                score_accounts(session, [fact], datetime.fromtimestamp(float(moment), UTC), card)
        per_account = (time.perf_counter() - started) / len(facts)
        figures["baseline"] = per_account * accounts
    db.engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_HEALTH_DATABASE_URL"))
    args, _others = parser.parse_known_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kam-bench-history-"))
    targets = {"sqlite": f"sqlite:///{data_dir / 'health.db'}"}
    if args.database_url:
        targets["postgresql"] = args.database_url
    results: dict[str, dict[str, float]] = {}
    for backend, url in targets.items():
        say(f"history benchmark on {backend}: {args.accounts:,} accounts, {args.events:,} events")
        results[backend] = measure(url, args.accounts, args.events)
    names = list(results)
    rows = [
        ("full history rebuild (engine)", "rebuild", "s", "≤ 30 s"),
        ("full history rebuild, per-account path", "baseline", "s", "baseline"),
        ("full portfolio rescore, first scoring", "rescore_first", "s", "≤ 1 s"),
        ("full portfolio rescore, again", "rescore_again", "s", "≤ 1 s"),
        ("weekly points written", "points", "", ""),
    ]
    say("")
    say(f"results ({args.accounts:,} accounts, {args.events:,} events over {DAYS} days)")
    say(f"  {'':<42} " + " ".join(f"{n:>14}" for n in names) + "   target")
    for label, key, unit, target in rows:
        values = " ".join(
            f"{results[n][key]:>12.2f} {unit}" if unit else f"{results[n][key]:>14,.0f}"
            for n in names
        )
        say(f"  {label:<42} {values}   {target}")
    for n in names:
        ratio = results[n]["baseline"] / results[n]["rebuild"]
        say(f"  {n}: the engine rebuilds {ratio:,.0f}× faster than the per-account path")
    return 0


if __name__ == "__main__":
    sys.exit(main())
