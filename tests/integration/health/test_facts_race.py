"""An account's facts stored twice at the same moment (its event and a read-through) is fine."""

import threading
import time
from datetime import UTC, datetime

from kam_health.models import AccountFacts
from kam_health.services.facts import upsert_account

FACTS = {
    "account_id": "acc-race",
    "name": "Race",
    "status": "active",
    "annual_revenue": 10.0,
    "created_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
}


def test_two_transactions_storing_the_same_account_both_succeed(client):
    db = client.application.extensions["kam_db"]
    first_holds = threading.Event()
    outcomes: list[str] = []

    def store(name: str, hold: float) -> None:
        try:
            with db.session() as session:
                upsert_account(session, {**FACTS, "name": name})
                if hold:
                    first_holds.set()
                    time.sleep(hold)  # the other transaction inserts the same key meanwhile
                session.commit()
            outcomes.append("ok")
        except Exception as exc:  # the assertion below names it
            outcomes.append(repr(exc))

    first = threading.Thread(target=store, args=("First", 0.5))
    first.start()
    first_holds.wait(5)
    second = threading.Thread(target=store, args=("Second", 0))
    second.start()
    first.join(10)
    second.join(10)

    assert outcomes == ["ok", "ok"]
    with db.session(write=False) as session:
        assert session.get(AccountFacts, "acc-race").name == "Second"
