"""The web app's pages at portfolio scale: 10,000 accounts, 200,000 health events.

Starts the four apps as gunicorn processes on SQLite in a temporary folder, loads the accounts
(with a few contacts each) and their events straight into the databases, rescores and builds
the weekly history (about 350,000 points, what trends and top declines read), signs a
person in and times each page through the gateway: the time to the whole answer, measured by
the client (median and p95), and the gateway's own share of it (`X-Gateway-Latency`, which
leaves out the wait on the services).

    .venv/bin/python bench/web_pages.py [--accounts 10000] [--events 200000] [--requests 60]
"""

from __future__ import annotations

import argparse
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import requests
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_stack import (  # noqa: E402
    APPS,
    Stack,
    free_port,
    migrate,
    stack_env,
    start_redis,
    wait_until_ready,
)
from health_scoring import generate as generate_health  # noqa: E402

from kam_accounts.domain.text import fold  # noqa: E402
from kam_accounts.models import Account, Contact  # noqa: E402
from kam_common.db import Database, make_engine  # noqa: E402
from kam_gateway.people import create_user  # noqa: E402
from kam_health.models import AccountFacts  # noqa: E402
from kam_health.services.history import rebuild_history  # noqa: E402
from kam_health.services.scoring import rescore_portfolio  # noqa: E402

NOW = datetime.now(UTC)
PASSWORD = "bench password long"  # noqa: S105 - a throwaway person for a local benchmark


def say(message: str) -> None:
    print(message, flush=True)


def load_accounts(stack: Stack, health_url: str, accounts: int, events: int) -> list[str]:
    """Health's facts and events first (their generator), then the same ids in accounts."""
    ids = generate_health(health_url, accounts, events)
    health = make_engine(health_url)
    with health.connect() as conn:
        facts = {
            row.account_id: row
            for row in conn.execute(
                AccountFacts.__table__.select().with_only_columns(
                    AccountFacts.account_id, AccountFacts.name, AccountFacts.annual_revenue
                )
            )
        }
    health.dispose()
    rng = random.Random(3)
    engine = make_engine(stack.env["ACCOUNTS_DATABASE_URL"])
    segments = ("manufacturing", "retail", "energy", "logistics", "life sciences")
    with engine.begin() as conn:
        conn.execute(
            insert(Account),
            [
                {
                    "id": i,
                    "name": facts[i].name,
                    "name_folded": fold(facts[i].name),
                    "segment": rng.choice(segments),
                    "tier": rng.choice(("strategic", "key", "standard")),
                    "orientation": "mixed",
                    "annual_revenue": Decimal(facts[i].annual_revenue),
                    "currency": "USD",
                    "contact_cadence_days": 30,
                    "needs": [],
                    "capabilities": [],
                    "status": "active",
                    "version": 1,
                    "created_at": NOW - timedelta(days=400),
                    "updated_at": NOW,
                }
                for i in ids
            ],
        )
        contacts = []
        for i in ids[:2000]:
            boss = f"c-{i[:30]}-0"
            contacts.append(_contact(boss, i, "Director", None))
            contacts.extend(_contact(f"c-{i[:30]}-{n}", i, f"Buyer {n}", boss) for n in (1, 2))
        conn.execute(insert(Contact), contacts)
    engine.dispose()
    db = Database(health_url)
    with db.session() as session:
        rescore_portfolio(session)
        session.commit()
    with db.session() as session:
        # The weekly history the worker builds: what trends and top declines read.
        rebuild_history(session)
        session.commit()
    db.engine.dispose()
    return ids


def _contact(contact_id: str, account_id: str, name: str, boss: str | None) -> dict[str, object]:
    return {
        "id": contact_id,
        "account_id": account_id,
        "name": name,
        "buying_role": "decision_maker" if boss is None else "influencer",
        "influence": 4,
        "stance": "neutral",
        "reports_to_id": boss,
        "active": True,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def sign_in(base: str) -> requests.Session:
    client = requests.Session()
    page = client.get(base + "/signin", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = client.post(
        base + "/signin",
        data={"email": "bench@example.com", "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def time_page(client: requests.Session, url: str, count: int) -> tuple[list[float], list[float]]:
    client.get(url, timeout=30)  # warm
    total, own = [], []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(url, timeout=30)
        total.append(time.perf_counter() - started)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        own.append(float(answer.headers.get("X-Gateway-Latency", "nan")) / 1000)
    return total, own


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000 if len(samples) > 1 else samples[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=60)
    args, others = parser.parse_known_args()
    if others:
        say(f"(not for this benchmark, ignored: {' '.join(others)})")
    data_dir = Path(tempfile.mkdtemp(prefix="kam-bench-web-"))
    ports = {app: free_port() for app in APPS}
    env = stack_env(data_dir, ports, "kam_bench_" + secrets.token_urlsafe(16))
    for app in APPS:  # this benchmark's own SQLite files, whatever the shell says
        env[f"{app.upper()}_DATABASE_URL"] = f"sqlite:///{data_dir / (app + '.db')}"
    env.update(KAM_RATE_LIMIT_EXECUTIVE="100000/minute", KAM_LOG_LEVEL="warning")
    # Two gateway workers share their counts in Redis, as the reference deployment.
    redis, env["KAM_REDIS_URL"] = start_redis(data_dir)
    stack = Stack(data_dir, env, ports, env["KAM_BOOTSTRAP_ADMIN_KEY"])
    say(f"web pages benchmark on sqlite: {args.accounts:,} accounts, {args.events:,} events")
    migrate(stack)
    ids = load_accounts(stack, env["HEALTH_DATABASE_URL"], args.accounts, args.events)
    gateway_db = Database(env["GATEWAY_DATABASE_URL"])
    with gateway_db.session() as session:
        create_user(
            session=session,
            email="bench@example.com",
            name="Bench Exec",
            role="executive",
            password=PASSWORD,
        )
    gateway_db.engine.dispose()
    try:
        for app in APPS:
            stack.start(app)
        wait_until_ready(stack)
        base = stack.url("gateway")
        client = sign_in(base)
        pages = {
            "portfolio": "/",
            "portfolio, filtered, page 3": "/?tier=strategic&segment=retail&page=3",
            "account": f"/accounts/{ids[5]}",
            "account, timeline page 2": f"/accounts/{ids[7]}?page=2",
            "log event search": "/log?q=Account%2012",
        }
        say(f"{'page':<30} {'median ms':>10} {'p95 ms':>10} {'gateway p95 ms':>15}")
        worst = 0.0
        for name, path in pages.items():
            total, own = time_page(client, base + path, args.requests)
            worst = max(worst, p95(total))
            say(
                f"{name:<30} {statistics.median(total) * 1000:>10.1f} {p95(total):>10.1f}"
                f" {p95(own):>15.1f}"
            )
        say(f"worst page p95: {worst:.1f} ms (target: 100 ms)")
    finally:
        stack.stop()
        redis.terminate()
        redis.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
