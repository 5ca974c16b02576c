"""No integration event is ever dropped: failing deliveries are retried for ever with capped
back-off, rows that keep failing become visible dead letters (metric, `/internal/outbox`,
`kam outbox list`) that `kam outbox redrive` sends again, a bad event holds up no other, and
one frozen consumer never stalls the others or the worker's jobs."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator

from sqlalchemy import insert, select, update
from support import closed_port_url, serve

from kam_accounts.events import OUTBOX
from kam_accounts.models import outbox
from kam_cli.main import main as kam
from kam_cli.worker import Job, Worker
from kam_common.db import utcnow
from kam_common.http import ServiceClient
from kam_common.relay import Relay, RetryPolicy
from kam_health.models import AccountFacts, inbox
from kam_offerings import create_app as create_offerings
from kam_offerings.models import AccountFacts as OfferingsFacts
from kam_offerings.models import Base as OfferingsBase

TOKEN = "test-internal-token"


def rows_for(accounts_client, destination="health"):
    db = accounts_client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        return session.execute(
            select(outbox).where(outbox.c.destination == destination).order_by(outbox.c.seq)
        ).all()


def relay(accounts_client, url, **policy):
    db = accounts_client.application.extensions["kam_db"]
    return Relay(OUTBOX, db, {"health": ServiceClient("health", url, TOKEN)}, RetryPolicy(**policy))


def test_an_event_that_failed_sixty_times_is_still_delivered(client, accounts):
    account = accounts.client.post("/api/v1/accounts", json={"name": "Long outage"}).get_json()
    db = accounts.client.application.extensions["kam_db"]
    with db.session() as session:  # as after about half an hour of health being down
        session.execute(update(outbox).values(attempts=60, next_attempt_at=utcnow()))
        session.commit()
    with serve(client.application) as health_url:
        assert relay(accounts.client, health_url).run_once() == 1
    with client.application.extensions["kam_db"].session(write=False) as session:
        assert session.get(AccountFacts, account["id"]) is not None


def test_a_row_that_keeps_failing_becomes_a_visible_dead_letter_and_is_redriven(
    client, accounts, monkeypatch, capsys
):
    accounts.client.post("/api/v1/accounts", json={"name": "Stuck"})
    down = relay(accounts.client, closed_port_url(), dead_after=0, dead_retry=3600)
    assert down.run_once() == 0
    [row] = rows_for(accounts.client)
    assert row.dead_at is not None and row.delivered_at is None and row.attempts == 1
    assert (row.next_attempt_at - utcnow()).total_seconds() > 3000  # still retried, hourly

    state = accounts.client.get("/internal/outbox").get_json()
    assert state["dead_letters"] == 1 and state["consumers"]["health"]["dead_letters"] == 1
    scrape = accounts.client.get("/metrics").get_data(as_text=True)
    assert 'kam_outbox_dead_letters{consumer="health"} 1.0' in scrape
    assert 'kam_outbox_dead_letters{consumer="offerings"} 0.0' in scrape

    url = accounts.client.application.config["DATABASE_URL"]
    monkeypatch.setenv("ACCOUNTS_DATABASE_URL", url)
    assert kam(["outbox", "list", "--app", "accounts"]) == 0
    listed = capsys.readouterr().out
    assert "accounts -> health: 1 pending, 1 dead letter(s)" in listed
    assert "account.created" in listed and "unreachable" in listed
    assert kam(["outbox", "redrive", "--app", "accounts", "--consumer", "health"]) == 0
    assert "1 dead letter(s) made due again" in capsys.readouterr().out

    [row] = rows_for(accounts.client)
    assert row.dead_at is None and row.attempts == 0
    with serve(client.application) as health_url:
        assert relay(accounts.client, health_url).run_once() == 1
    assert accounts.client.get("/internal/outbox").get_json()["dead_letters"] == 0


def test_an_event_the_consumer_cannot_apply_holds_up_no_other(client, accounts):
    first = accounts.client.post("/api/v1/accounts", json={"name": "Before"}).get_json()
    db = accounts.client.application.extensions["kam_db"]
    bad_id = str(uuid.uuid4())
    with db.session() as session:
        session.execute(
            insert(outbox).values(
                event_id=bad_id,
                destination="health",
                type="account.updated",
                payload={"account_id": first["id"]},  # no name, no status: cannot be applied
                occurred_at=utcnow(),
                attempts=0,
                next_attempt_at=utcnow(),
            )
        )
        session.commit()
    after = accounts.client.post("/api/v1/accounts", json={"name": "After"}).get_json()
    with serve(client.application) as health_url:
        pusher = relay(accounts.client, health_url)
        pusher.run_once()
        pusher.run_once()
    by_event = {row.event_id: row for row in rows_for(accounts.client)}
    assert by_event[bad_id].dead_at is not None and by_event[bad_id].delivered_at is None
    assert "events.1.payload" in by_event[bad_id].last_error  # named by the consumer
    others = [row for event_id, row in by_event.items() if event_id != bad_id]
    assert len(others) == 2 and all(row.delivered_at is not None for row in others)
    with client.application.extensions["kam_db"].session(write=False) as session:
        assert session.get(AccountFacts, after["id"]).name == "After"
        assert session.execute(select(inbox).where(inbox.c.event_id == bad_id)).first() is None


@contextlib.contextmanager
def frozen_consumer() -> Iterator[str]:
    """Accepts connections and never answers: a service hung in a long pause."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for conn in held:
            conn.close()


def test_a_frozen_consumer_stalls_neither_the_other_consumers_nor_the_jobs(
    service_client, accounts
):
    offerings = service_client("offerings", create_offerings, OfferingsBase.metadata)
    account = accounts.client.post("/api/v1/accounts", json={"name": "Both"}).get_json()
    job_runs: list[float] = []
    job = Job(every=0.1, name="rescore-queue", run=lambda: job_runs.append(time.monotonic()))
    db = accounts.client.application.extensions["kam_db"]
    with frozen_consumer() as frozen, serve(offerings.application) as offerings_url:
        consumers = {
            "health": ServiceClient("health", frozen, TOKEN, read_timeout=4),
            "offerings": ServiceClient("offerings", offerings_url, TOKEN),
        }
        worker = Worker([Relay(OUTBOX, db, consumers)], [job])
        started = time.monotonic()
        threads = worker.start()
        try:
            deadline = started + 5
            seen = None
            while seen is None and time.monotonic() < deadline:
                with offerings.application.extensions["kam_db"].session(write=False) as session:
                    seen = session.get(OfferingsFacts, account["id"])
                time.sleep(0.05)
            arrived = time.monotonic() - started
            assert seen is not None, "offerings got nothing while health was frozen"
            assert arrived < 3, arrived
            time.sleep(0.5)
            assert len(job_runs) >= 3  # the job kept its pace while a push hung
        finally:
            worker.stop(threads)
