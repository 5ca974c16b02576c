"""Account facts reach health through outbox → relay → inbox, once, even after an outage."""

import time

from sqlalchemy import select
from support import closed_port_url, serve, statements_on

from kam_accounts.events import OUTBOX
from kam_accounts.models import outbox
from kam_common.http import ServiceClient
from kam_common.relay import Relay
from kam_health.models import AccountFacts, inbox

TOKEN = "test-internal-token"


def relay_to(accounts_client, url):
    db = accounts_client.application.extensions["kam_db"]
    return Relay(OUTBOX, db, {"health": ServiceClient("health", url, TOKEN)})


def pending(accounts_client):
    """Undelivered events for health (other consumers have their own rows)."""
    db = accounts_client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        return session.execute(
            select(outbox).where(outbox.c.delivered_at.is_(None), outbox.c.destination == "health")
        ).all()


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


def agreement_event(kind, account_id, agreement_id, **payload):
    return {
        "id": f"{kind}-{agreement_id}",
        "type": kind,
        "source": "offerings",
        "occurred_at": "2026-11-01T00:00:00+00:00",
        "payload": {"account_id": account_id, "agreement_id": agreement_id, **payload},
    }


def test_a_delivery_breaking_the_agreed_delay_weighs_more_than_an_ordinary_delay(
    client, make_account, log
):
    from datetime import UTC, datetime, timedelta

    guaranteed, ordinary = make_account(name="Guaranteed"), make_account(name="Ordinary")
    today = datetime.now(UTC).date()
    late = {
        "type": "delivery",
        "promised_on": (today - timedelta(days=4)).isoformat(),
        "delivered_on": today.isoformat(),
    }
    log(account_id=ordinary["id"], type="support", severity="low")  # known to health
    body = {
        "events": [
            agreement_event(
                "agreement.activated",
                guaranteed["id"],
                "ag-1",
                strategy="collaborative",
                starts_on=str(today),
                commitments={"max_delivery_delay_days": 2},
            )
        ]
    }
    assert client.post("/internal/events", json=body).get_json()["applied"] == 1
    log(account_id=guaranteed["id"], **late)
    log(account_id=ordinary["id"], **late)

    def delivery(account):
        return client.get(f"/api/v1/health/accounts/{account['id']}").get_json()["components"][
            "delivery"
        ]

    assert delivery(ordinary)["score"] == 100 - 31
    assert delivery(guaranteed)["score"] == 100 - 62
    assert any("guaranteed 2-day delay" in line for line in delivery(guaranteed)["evidence"])

    # the agreement ends: later breaches are ordinary delays again
    ended = {
        "events": [
            agreement_event("agreement.ended", guaranteed["id"], "ag-1", ended_on=str(today))
        ]
    }
    client.post("/internal/events", json=ended)
    assert delivery(guaranteed)["score"] == 100 - 31


def test_an_older_agreement_ending_keeps_the_current_limit(client, make_account, log):
    account = make_account()
    log(account_id=account["id"], type="support", severity="low")
    activated = agreement_event(
        "agreement.activated",
        account["id"],
        "new",
        strategy="collaborative",
        starts_on="2026-11-01",
        commitments={"max_delivery_delay_days": 3},
    )
    ended_old = agreement_event("agreement.ended", account["id"], "old", ended_on="2026-11-01")
    client.post("/internal/events", json={"events": [activated, ended_old]})
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        assert session.get(AccountFacts, account["id"]).breach_limit_days == 3


def test_band_changes_are_published_for_offerings(client, make_account, log):
    from kam_health.models import outbox as health_outbox

    account = make_account()
    log(account_id=account["id"], type="support", severity="low")  # first score: healthy
    log(account_id=account["id"], type="quality", severity="critical")
    log(account_id=account["id"], type="quality", severity="critical")
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        rows = session.execute(select(health_outbox).order_by(health_outbox.c.seq)).all()
    # 98 (healthy) → one critical: 80.85 (healthy) → two: 0.3×100 + 0.2×98 + 0.25×100 = 74.6
    changes = [r for r in rows if r.type == "health.band_changed"]
    # Offerings holds suggestions back; the gateway tells partner systems (webhooks).
    assert [r.destination for r in changes] == ["offerings", "gateway"]
    assert changes[0].payload["account_id"] == account["id"]
    assert (changes[0].payload["previous_band"], changes[0].payload["band"]) == ("healthy", "watch")
    assert changes[0].payload["score"] == 74.6
    # Alerts (the critical issue, the worse band) are public events too: one per new alert.
    raised = [r for r in rows if r.type == "alert.raised"]
    assert raised and {(r.destination, r.payload["account_id"]) for r in raised} == {
        ("gateway", account["id"])
    }
    assert len({r.payload["alert_id"] for r in raised}) == len(raised)
    assert all(r.payload["severity"] and r.payload["cause"] for r in raised)


def test_an_event_that_cannot_be_applied_is_refused_by_name_and_not_half_applied(client, accounts):
    for name in ("First", "Third"):
        accounts.client.post("/api/v1/accounts", json={"name": name})
    first, third = (
        {"id": r.event_id, "type": r.type, "source": "accounts", "payload": r.payload}
        for r in pending(accounts.client)
    )
    broken = {"id": "evt-broken", "type": "account.archived", "payload": {"name": "No id"}}

    refused = client.post("/internal/events", json={"events": [first, broken, third]})

    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    assert "evt-broken" in refused.json["detail"]
    assert list(refused.json["errors"]) == ["events.1.payload"]
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        seen = {row.event_id for row in session.execute(select(inbox))}
        assert seen == {first["id"]}  # neither the broken event nor any after it
        assert session.get(AccountFacts, third["payload"]["account_id"]) is None
    fixed = {**broken, "payload": first["payload"]}
    again = client.post("/internal/events", json={"events": [first, fixed, third]})
    assert again.get_json() == {"applied": 2, "duplicates": 1}


def test_a_run_of_account_events_is_applied_together_once_each(client, accounts):
    for i in range(30):
        accounts.client.post("/api/v1/accounts", json={"name": f"Run {i}", "annual_revenue": i})
    events = [
        {"id": r.event_id, "type": r.type, "source": "accounts", "payload": r.payload}
        for r in pending(accounts.client)
    ]
    archived = {
        "id": "evt-archived",
        "type": "account.archived",
        "payload": {**events[0]["payload"], "status": "archived"},
    }
    body = {"events": [*events[:10], events[3], *events[10:], archived]}

    db = client.application.extensions["kam_db"]
    with statements_on(db.engine) as statements:
        first = client.post("/internal/events", json=body)
    again = client.post("/internal/events", json=body)

    assert first.get_json() == {"applied": 31, "duplicates": 1}, first.get_json()
    # One transaction for the run: a few statements, not a handful per account.
    assert len(statements) < 31, len(statements)
    assert again.get_json() == {"applied": 0, "duplicates": 32}
    with db.session(write=False) as session:
        assert len(session.execute(select(inbox)).all()) == 31
        stored = {f.account_id: f for f in session.scalars(select(AccountFacts))}
    assert len(stored) == 30
    assert stored[events[0]["payload"]["account_id"]].status == "archived"  # the later one won
    portfolio = client.get("/api/v1/health/portfolio").get_json()
    assert portfolio["accounts"] == 29, portfolio  # each active one scored, the archived left out
