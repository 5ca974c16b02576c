"""Failure drills: kill -9 under load, and a consumer outage. Bounded in time.

1. **kill -9**: 8 writers create accounts and log health events through the gateway, each
   write carrying its own `Idempotency-Key` and retried with that key until it is answered
   201 (as a careful client does). Meanwhile the accounts and health services are killed
   with SIGKILL (master and workers) again and again and started again at once.
2. **consumer outage**: health is killed and kept down while writers go on; its events wait
   in the outboxes, turn into dead letters (short thresholds for the drill), offerings keeps
   receiving its own events, then health comes back and `kam outbox redrive` sends the rest.

Each prints what was acknowledged and what was found afterwards: acknowledged writes lost,
writes applied twice, events lost or applied twice, idempotency keys left pending. The run
fails (exit 1) when any of those is not 0. SQLite in a temporary folder by default; on
PostgreSQL with --database-url-prefix postgresql://kam:kam@127.0.0.1:5432/<prefix> (databases
<prefix>accounts, ...offerings, ...health, ...gateway; their tables are emptied first).

    .venv/bin/python bench/drills.py [--seconds 20] [--writers 8]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from e2e_stack import (  # noqa: E402
    APPS,
    BIN,
    Stack,
    free_port,
    migrate,
    stack_env,
    wait_until_ready,
)

from kam_accounts.models import Account  # noqa: E402
from kam_accounts.models import Base as AccountsBase  # noqa: E402
from kam_accounts.models import outbox as accounts_outbox  # noqa: E402
from kam_common.db import Database  # noqa: E402
from kam_common.idempotency import DONE  # noqa: E402
from kam_gateway.models import Base as GatewayBase  # noqa: E402
from kam_health.models import AccountFacts as HealthFacts  # noqa: E402
from kam_health.models import Base as HealthBase  # noqa: E402
from kam_health.models import Event  # noqa: E402
from kam_health.models import inbox as health_inbox  # noqa: E402
from kam_health.models import outbox as health_outbox  # noqa: E402
from kam_offerings.models import AccountFacts as OfferingsFacts  # noqa: E402
from kam_offerings.models import Base as OfferingsBase  # noqa: E402
from kam_offerings.models import inbox as offerings_inbox  # noqa: E402
from kam_offerings.models import outbox as offerings_outbox  # noqa: E402

METADATA = {
    "accounts": AccountsBase.metadata,
    "offerings": OfferingsBase.metadata,
    "health": HealthBase.metadata,
    "gateway": GatewayBase.metadata,
}


def say(text: str) -> None:
    print(text, flush=True)


class Writers:
    """Writes that retry with their own Idempotency-Key until acknowledged (201)."""

    def __init__(self, gateway: str, key: str, *, health_events: bool = True):
        self.gateway = gateway
        # Off while health is down: writers then only use accounts, whose events for health
        # wait in its outbox.
        self.health_events = health_events
        self.headers = {"Authorization": f"Bearer {key}"}
        self.lock = threading.Lock()
        self.accounts: dict[str, str] = {}  # name → id, acknowledged
        self.events: dict[str, str] = {}  # external_ref → id, acknowledged
        self.retries = 0
        self.stop = threading.Event()
        self.counter = itertools.count()

    def write(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        key = f"drill-{uuid.uuid4()}"
        headers = {**self.headers, "Idempotency-Key": key}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer = requests.post(self.gateway + path, json=body, headers=headers, timeout=10)
                if answer.status_code == 201:
                    return dict(answer.json())
                if answer.status_code not in (409, 429, 502, 503, 504):
                    raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text}")
            except requests.RequestException:
                pass
            with self.lock:
                self.retries += 1
            time.sleep(0.05)
        return None  # never acknowledged: the client knows it did not happen

    def run(self, number: int) -> None:
        while not self.stop.is_set():
            n = next(self.counter)
            name = f"drill-{number}-{n}"
            made = self.write("/api/v1/accounts", {"name": name})
            if made is None:
                continue
            with self.lock:
                self.accounts[name] = made["id"]
            if not self.health_events:
                interaction = {"kind": "call", "summary": f"call {n}"}
                self.write(f"/api/v1/accounts/{made['id']}/interactions", interaction)
                continue
            ref = f"ref-{number}-{n}"
            event = {"account_id": made["id"], "type": "quality", "severity": "minor",
                     "external_ref": ref}  # fmt: skip
            logged = self.write("/api/v1/health/events", event)
            if logged is not None:
                with self.lock:
                    self.events[ref] = logged["id"]


def restart(stack: Stack, app: str) -> None:
    stack.kill(app)
    stack.start(app)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(stack.url(app) + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{app} did not come back:\n{stack.diagnostics()}")


def drain(stack: Stack, admin: dict[str, str], seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    ready: dict[str, Any] = {}
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, ValueError):
            ready = requests.get(stack.url("gateway") + "/readyz", timeout=5).json()
            outboxes = ready.get("outbox") or {}
            if outboxes and all(o and o["pending"] == 0 for o in outboxes.values()):
                return ready
        time.sleep(0.5)
    return ready


def verify(stack: Stack, writers: Writers) -> dict[str, int]:
    dbs = {app: Database(stack.env[f"{app.upper()}_DATABASE_URL"]) for app in APPS}
    try:
        with dbs["accounts"].session(write=False) as session:
            stored = {name: count for name, count in session.execute(
                select(Account.name, func.count()).group_by(Account.name))}  # fmt: skip
            all_ids = set(session.scalars(select(Account.id)))
            from kam_accounts.models import idempotency_keys as accounts_keys

            pending = session.scalar(
                select(func.count()).select_from(accounts_keys).where(accounts_keys.c.state != DONE)
            )
        with dbs["health"].session(write=False) as session:
            refs = {ref: count for ref, count in session.execute(
                select(Event.external_ref, func.count()).group_by(Event.external_ref))}  # fmt: skip
            health_facts = set(session.scalars(select(HealthFacts.account_id)))
            from kam_health.models import idempotency_keys as health_keys

            pending += session.scalar(
                select(func.count()).select_from(health_keys).where(health_keys.c.state != DONE)
            )
        with dbs["offerings"].session(write=False) as session:
            offerings_facts = set(session.scalars(select(OfferingsFacts.account_id)))
        published: dict[tuple[str, str], set[str]] = {}
        for source, table in (("accounts", accounts_outbox), ("offerings", offerings_outbox),
                              ("health", health_outbox)):  # fmt: skip
            with dbs[source].session(write=False) as session:
                for event_id, destination in session.execute(
                    select(table.c.event_id, table.c.destination)
                ):
                    published.setdefault((source, destination), set()).add(event_id)
        applied: dict[tuple[str, str], set[str]] = {}
        for consumer, table in (("health", health_inbox), ("offerings", offerings_inbox)):
            with dbs[consumer].session(write=False) as session:
                for event_id, source in session.execute(select(table.c.event_id, table.c.source)):
                    applied.setdefault((source, consumer), set()).add(event_id)
    finally:
        for db in dbs.values():
            db.engine.dispose()
    events_published = sum(len(ids) for ids in published.values())
    events_lost = sum(len(ids - applied.get(lane, set())) for lane, ids in published.items())
    return {
        "integration events published": events_published,
        "integration events lost": events_lost,
        "acknowledged accounts": len(writers.accounts),
        "acknowledged events": len(writers.events),
        "retries": writers.retries,
        "acknowledged writes lost": sum(1 for n in writers.accounts if n not in stored)
        + sum(1 for r in writers.events if r not in refs),
        "writes applied twice": sum(1 for c in stored.values() if c > 1)
        + sum(1 for c in refs.values() if c > 1),
        "account events lost (health)": len(all_ids - health_facts),
        "account events lost (offerings)": len(all_ids - offerings_facts),
        "idempotency keys left pending": int(pending or 0),
    }


def start_stack(data_dir: Path, prefix: str | None, extra: dict[str, str]) -> Stack:
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = {app: free_port() for app in APPS}
    admin_key = "kam_drill_" + secrets.token_urlsafe(16)
    env = stack_env(data_dir, ports, admin_key)
    if prefix:
        env.update({f"{app.upper()}_DATABASE_URL": f"{prefix}{app}" for app in APPS})
    else:
        env.update(
            {f"{a.upper()}_DATABASE_URL": f"sqlite:///{data_dir / (a + '.db')}" for a in APPS}
        )
    env.update(KAM_RATE_LIMIT_ENABLED="0", KAM_WORKERS="2", KAM_THREADS="8", **extra)
    stack = Stack(data_dir, env, ports, admin_key)
    migrate(stack)
    for app in APPS:
        db = Database(env[f"{app.upper()}_DATABASE_URL"])
        with db.engine.begin() as conn:
            for table in reversed(METADATA[app].sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()
    for app in APPS:
        stack.start(app)
    stack.launch("worker", [str(BIN / "kam"), "worker"])
    wait_until_ready(stack)
    return stack


def load(
    stack: Stack,
    writers_count: int,
    seconds: float,
    chaos: Callable[[], None],
    *,
    health_events: bool = True,
) -> Writers:
    writers = Writers(stack.url("gateway"), stack.admin_key, health_events=health_events)
    threads = [threading.Thread(target=writers.run, args=(n,)) for n in range(writers_count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            chaos()
    finally:
        writers.stop.set()
        for thread in threads:
            thread.join(90)
    return writers


MUST_BE_ZERO = (
    "acknowledged writes lost",
    "writes applied twice",
    "integration events lost",
    "account events lost (health)",
    "account events lost (offerings)",
    "idempotency keys left pending",
)


def report(title: str, figures: dict[str, Any]) -> bool:
    say(f"\n{title}")
    for name, value in figures.items():
        say(f"  {name:<34} {value}")
    bad = [k for k in MUST_BE_ZERO if figures.get(k)]
    say("  result: " + ("FAILED: " + ", ".join(bad) if bad else "0 lost, 0 twice, 0 pending"))
    say("  (the inboxes key applied events by id: an event is applied at most once)")
    return not bad


def kill_drill(args: argparse.Namespace, folder: Path) -> bool:
    stack = start_stack(folder / "kill", args.database_url_prefix, {})
    kills = {"accounts": 0, "health": 0}
    victims = itertools.cycle(["accounts", "health"])

    def chaos() -> None:
        time.sleep(args.kill_every)
        victim = next(victims)
        restart(stack, victim)
        kills[victim] += 1

    try:
        writers = load(stack, args.writers, args.seconds, chaos)
        drain(stack, {})
        figures = {"kills (SIGKILL, then restart)": dict(kills), **verify(stack, writers)}
    finally:
        stack.stop()
    return report(f"kill -9 drill: {args.writers} writers for {args.seconds:g} s", figures)


def outage_drill(args: argparse.Namespace, folder: Path) -> bool:
    # Short thresholds so the drill sees dead letters within seconds, not a quarter of an hour.
    extra = {"KAM_OUTBOX_DEAD_AFTER": "3", "KAM_OUTBOX_DEAD_RETRY": "600",
             "KAM_OUTBOX_MAX_BACKOFF": "1"}  # fmt: skip
    stack = start_stack(folder / "outage", args.database_url_prefix, extra)
    admin = {"Authorization": f"Bearer {stack.admin_key}"}
    seen: dict[str, Any] = {}
    phase = {"down": False}

    def chaos() -> None:
        if not phase["down"]:
            stack.kill("health")  # and kept down: its events must wait, not vanish
            phase["down"] = True
            seen["offerings accounts at outage start"] = _count(stack, "offerings")
        time.sleep(0.5)

    try:
        writers = load(stack, args.writers, args.seconds, chaos, health_events=False)
        time.sleep(4)  # past the drill's dead-letter threshold
        ready = requests.get(stack.url("gateway") + "/readyz", timeout=5).json()
        seen["dead letters shown by /readyz"] = ready.get("dead_letters")
        scrape = requests.get(stack.url("accounts") + "/metrics", timeout=5).text
        seen["kam_outbox_dead_letters (accounts)"] = _gauge(scrape, 'consumer="health"')
        seen["offerings accounts during outage"] = _count(stack, "offerings")
        stack.start("health")
        redriven = subprocess.run(
            [str(BIN / "kam"), "outbox", "redrive"],
            env=stack.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        seen["kam outbox redrive"] = " / ".join(redriven.stdout.strip().splitlines())
        drained = drain(stack, admin)
        seen["dead letters after redrive"] = drained.get("dead_letters")
        figures = {**seen, **verify(stack, writers)}
    finally:
        stack.stop()
    return report(f"consumer-outage drill: health down for {args.seconds:g} s", figures)


def _count(stack: Stack, app: str) -> int:
    db = Database(stack.env[f"{app.upper()}_DATABASE_URL"])
    model = OfferingsFacts if app == "offerings" else HealthFacts
    with db.session(write=False) as session:
        found = session.scalar(select(func.count()).select_from(model))
    db.engine.dispose()
    return int(found or 0)


def _gauge(scrape: str, label: str) -> float | None:
    for line in scrape.splitlines():
        if line.startswith("kam_outbox_dead_letters{") and label in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="load time of each drill")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--kill-every", type=float, default=1.5, help="seconds between kills")
    parser.add_argument("--database-url-prefix", default=None)
    parser.add_argument("--only", choices=["kill", "outage"])
    args, others = parser.parse_known_args()
    if others:
        say(f"(not for this benchmark, ignored: {' '.join(others)})")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="kam-drills-") as tmp:
        folder = Path(tmp)
        ok = True
        if args.only in (None, "kill"):
            ok &= kill_drill(args, folder)
        if args.only in (None, "outage"):
            ok &= outage_drill(args, folder)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("KAM_DATA_DIR", tempfile.mkdtemp(prefix="kam-drills-data-"))
    sys.exit(main())
