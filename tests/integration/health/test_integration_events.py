"""Account facts reach health through outbox → relay → inbox, once, even after an outage."""

import time

from sqlalchemy import select
from support import closed_port_url, serve

from kam_accounts.events import OUTBOX
from kam_accounts.models import outbox
from kam_common.http import ServiceClient
from kam_common.integration import Relay
from kam_health.models import AccountFacts, inbox

TOKEN = "test-internal-token"


def relay_to(accounts_client, url):
    db = accounts_client.application.extensions["kam_db"]
    return Relay(OUTBOX, db, {"health": ServiceClient("health", url, TOKEN)})


def pending(accounts_client):
    db = accounts_client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        return session.execute(select(outbox).where(outbox.c.delivered_at.is_(None))).all()


def test_account_facts_flow_into_scores(client, accounts):
    created = accounts.client.post(
        "/api/v1/accounts",
        json={"name": "Flow", "annual_revenue": 9000, "contact_cadence_days": 10},
    ).get_json()
    base = f"/api/v1/accounts/{created['id']}"
    champion = accounts.client.post(
        base + "/contacts", json={"name": "Shirin", "buying_role": "champion"}
    ).get_json()
    accounts.client.delete(f"{base}/contacts/{champion['id']}")
    accounts.client.post(base + "/interactions", json={"kind": "visit"})
    with serve(client.application) as health_url:
        relay = relay_to(accounts.client, health_url)
        assert relay.run_once() == 3
        assert relay.run_once() == 0
    score = client.get(f"/api/v1/health/accounts/{created['id']}").get_json()
    evidence = " ".join(score["components"]["commitment"]["evidence"])
    assert "Shirin (champion) left on" in evidence
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        facts = session.get(AccountFacts, created["id"])
        assert facts.contact_cadence_days == 10 and float(facts.annual_revenue) == 9000
        assert facts.last_contact_at is not None


def test_repeated_delivery_is_applied_once(client, accounts):
    accounts.client.post("/api/v1/accounts", json={"name": "Once"})
    rows = pending(accounts.client)
    body = {
        "events": [
            {
                "id": r.event_id,
                "type": r.type,
                "source": "accounts",
                "occurred_at": r.occurred_at.isoformat(),
                "payload": r.payload,
            }
            for r in rows
        ]
    }
    first = client.post("/internal/events", json=body).get_json()
    again = client.post("/internal/events", json=body).get_json()
    assert first == {"applied": 1, "duplicates": 0}
    assert again == {"applied": 0, "duplicates": 1}
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        assert len(session.execute(select(inbox)).all()) == 1


def test_events_wait_while_health_is_down_and_arrive_once_it_is_back(client, accounts):
    account = accounts.client.post("/api/v1/accounts", json={"name": "Patient"}).get_json()
    down = relay_to(accounts.client, closed_port_url())
    assert down.run_once() == 0
    waiting = pending(accounts.client)
    assert len(waiting) == 1 and waiting[0].attempts == 1 and "unreachable" in waiting[0].last_error
    time.sleep(2.1)  # the first back-off
    with serve(client.application) as health_url:
        assert relay_to(accounts.client, health_url).run_once() == 1
    assert pending(accounts.client) == []
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        assert session.get(AccountFacts, account["id"]).name == "Patient"


def test_archiving_takes_the_account_out_of_the_portfolio(client, accounts):
    account = accounts.client.post("/api/v1/accounts", json={"name": "Leaving"}).get_json()
    accounts.client.delete(f"/api/v1/accounts/{account['id']}")
    with serve(client.application) as health_url:
        assert relay_to(accounts.client, health_url).run_once() == 2
    assert client.get("/api/v1/health/portfolio").get_json()["accounts"] == 0
    refused = client.post(
        "/api/v1/health/events",
        json={"account_id": account["id"], "type": "warning", "signal": "other", "severity": "low"},
    )
    assert refused.status_code == 422
