"""Health at portfolio scale: 10,000 accounts, 1,000,000 events.

Prints the full portfolio rescore time (set-based), one event's incremental rescore through
the service (HTTP, median), the portfolio summary over all accounts (HTTP, median) and the
batch ingest rate (HTTP, 1000-event batches). Runs on SQLite in a temporary folder, or on
PostgreSQL with --database-url (the database is emptied first).

    .venv/bin/python bench/health_scoring.py [--accounts 10000] [--events 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import requests
from sqlalchemy import insert, text

from kam_common.db import make_engine, new_id
from kam_common.migrations import upgrade
from kam_health.models import AccountFacts, Base, Event
from kam_health.services.scoring import rescore_portfolio

TOKEN = "bench-internal-token"  # noqa: S105 - a throwaway token for a local benchmark
NOW = datetime.now(UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC).date()
# executemany wants the same keys in every row.
OPTIONAL = (
    "promised_on",
    "promised_day",
    "delivered_on",
    "delivered_day",
    "severity",
    "signal",
    "resolved_at",
    "resolved_ts",
    "opened_at",
    "opened_ts",
    "sla_hours",
    "note",
    "reported_by",
    "external_ref",
)


def say(message: str) -> None:
    print(message, flush=True)


def event_row(rng: random.Random, account_id: str, days: int = 240) -> dict:
    occurred = NOW - timedelta(days=rng.uniform(0, days))
    kind = rng.choices(("delivery", "quality", "support", "warning"), (5, 2, 2, 1))[0]
    row = dict.fromkeys(OPTIONAL)
    row.update(
        id=new_id(),
        account_id=account_id,
        type=kind,
        occurred_at=occurred,
        occurred_ts=occurred.timestamp(),
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    resolved = occurred + timedelta(hours=rng.uniform(1, 96))
    if kind == "delivery":
        promised = (occurred - timedelta(days=rng.randint(-2, 6))).date()
        row["promised_on"], row["promised_day"] = promised, (promised - EPOCH).days
        if rng.random() < 0.95:
            delivered = min(occurred.date(), NOW.date())
            row["delivered_on"], row["delivered_day"] = delivered, (delivered - EPOCH).days
    elif kind in ("quality", "support"):
        row["severity"] = rng.choice(
            ("minor", "major", "critical")
            if kind == "quality"
            else ("low", "medium", "high", "critical")
        )
        if rng.random() < 0.9 and resolved < NOW:
            row["resolved_at"], row["resolved_ts"] = resolved, resolved.timestamp()
    else:
        row["signal"] = rng.choice(("new_competitor", "cost_pressure", "market_change"))
        row["severity"] = rng.choice(("low", "medium", "high"))
    return row


def generate(url: str, accounts: int, events: int, days: int = 240) -> list[str]:
    """`events` over the last `days` days, spread over `accounts` accounts (emptied first)."""
    engine = make_engine(url)
    rng = random.Random(7)
    ids = [new_id() for _ in range(accounts)]
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(
            insert(AccountFacts),
            [
                {
                    "account_id": i,
                    "name": f"Account {n}",
                    "status": "active",
                    "annual_revenue": Decimal(rng.randint(10_000, 5_000_000)),
                    "currency": "USD",
                    "contact_cadence_days": 30,
                    "created_at": NOW - timedelta(days=400),
                    "last_contact_at": NOW - timedelta(days=rng.randint(0, 60)),
                    "facts_at": NOW,
                }
                for n, i in enumerate(ids)
            ],
        )
    chunk = 50_000
    started = time.perf_counter()
    for start in range(0, events, chunk):
        rows = [
            event_row(rng, ids[rng.randrange(accounts)], days)
            for _ in range(min(chunk, events - start))
        ]
        with engine.begin() as conn:
            conn.execute(insert(Event), rows)
        done = start + len(rows)
        say(f"  generated {done:,} / {events:,} events ({time.perf_counter() - started:.0f} s)")
    if engine.dialect.name == "postgresql":
        # What autovacuum does shortly after any bulk load: statistics, and the visibility map
        # that lets the covering index answer without visiting the table.
        say("  VACUUM ANALYZE (as autovacuum would after a bulk load)")
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return ids


def time_rescore(url: str) -> float:
    from kam_common.db import Database

    db = Database(url)
    with db.session() as session:
        started = time.perf_counter()
        scored = rescore_portfolio(session)
        session.commit()
        elapsed = time.perf_counter() - started
    db.engine.dispose()
    say(f"  rescored {scored:,} accounts")
    return elapsed


def start_health(url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HEALTH_DATABASE_URL": url,
        "KAM_INTERNAL_TOKEN": TOKEN,
        "KAM_DATA_DIR": str(data_dir),
        "KAM_WORKERS": "2",
        "KAM_LOG_LEVEL": "warning",
        "KAM_SERVICE_NAME": "health",
    }
    bin_dir = Path(sys.executable).parent
    with open(data_dir / "health.log", "ab") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "-c",
                "python:kam_common.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "kam_health.wsgi:app",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("health service did not start; see health.log")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_HEALTH_DATABASE_URL"))
    parser.add_argument("--port", type=int, default=18083)
    args, others = parser.parse_known_args()
    if others:
        print(f"(not for this benchmark, ignored: {' '.join(others)})", flush=True)

    data_dir = Path(tempfile.mkdtemp(prefix="kam-bench-"))
    url = args.database_url or f"sqlite:///{data_dir / 'health.db'}"
    backend = url.split(":", 1)[0]
    say(f"health benchmark on {backend}: {args.accounts:,} accounts, {args.events:,} events")
    upgrade("kam_health", url)
    ids = generate(url, args.accounts, args.events)

    first = time_rescore(url)
    again = time_rescore(url)
    proc = start_health(url, data_dir, args.port)
    session = requests.Session()
    headers = {"X-Internal-Token": TOKEN}
    base = f"http://127.0.0.1:{args.port}/api/v1/health"
    try:
        rng = random.Random(11)
        single = []
        for n in range(200):
            body = {
                "account_id": ids[rng.randrange(len(ids))],
                "type": "delivery",
                "promised_on": (NOW - timedelta(days=3)).date().isoformat(),
                "delivered_on": NOW.date().isoformat(),
                "external_ref": f"bench-{n}",
            }
            started = time.perf_counter()
            response = session.post(f"{base}/events", json=body, headers=headers)
            single.append(time.perf_counter() - started)
            assert response.status_code == 201, response.text
        summary = []
        for _ in range(20):
            started = time.perf_counter()
            response = session.get(f"{base}/portfolio", headers=headers)
            summary.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        batches, per_batch = 10, 1000
        started = time.perf_counter()
        for b in range(batches):
            body = {
                "events": [
                    {
                        "account_id": ids[rng.randrange(len(ids))],
                        "type": "support",
                        "severity": "low",
                        "external_ref": f"bench-batch-{b}-{i}",
                    }
                    for i in range(per_batch)
                ]
            }
            response = session.post(f"{base}/events/batch", json=body, headers=headers)
            assert response.status_code == 201, response.text
        ingest = batches * per_batch / (time.perf_counter() - started)
    finally:
        proc.terminate()
        proc.wait(10)

    rows = [
        ("full portfolio rescore, first scoring", f"{first:.2f} s", "≤ 2 s"),
        ("full portfolio rescore, again", f"{again:.2f} s", "≤ 2 s"),
        ("one event + incremental rescore, median", f"{median_ms(single):.2f} ms", "≤ 10 ms"),
        ("portfolio summary, median", f"{median_ms(summary):.2f} ms", "≤ 200 ms"),
        ("batch ingest (1000-event batches)", f"{ingest:,.0f} events/s", "≥ 5,000 events/s"),
    ]
    say("")
    say(f"results ({backend}, {args.accounts:,} accounts, {args.events:,} events)")
    for label, value, target in rows:
        say(f"  {label:<42} {value:>16}   target {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
