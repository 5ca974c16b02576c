"""Accounts publishes its facts through the outbox, in the same transaction as the change."""

from sqlalchemy import select

from kam_accounts.models import outbox


def published(client):
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        return session.execute(select(outbox).order_by(outbox.c.seq)).all()


def test_changes_publish_events_for_health(client, make_account, make_contact):
    account = make_account(name="Pub", contact_cadence_days=14)
    base = f"/api/v1/accounts/{account['id']}"
    champion = make_contact(account["id"], name="Cham", buying_role="champion")
    client.patch(base, json={"annual_revenue": 5000})
    client.delete(f"{base}/contacts/{champion['id']}")
    client.patch(base, json={"status": "active"})  # already active: no change, no event
    client.post(base + "/interactions", json={"kind": "call"})
    client.post(
        base + "/purchases",
        json={"product_line": "valves", "amount": 120.5, "occurred_on": "2026-03-01"},
    )
    client.delete(base)
    everything = published(client)
    rows = [r for r in everything if r.destination != "plays"]
    assert [(r.type, r.destination) for r in rows] == [
        ("account.created", "health"),
        ("account.created", "offerings"),
        ("account.created", "gateway"),  # for webhooks
        ("account.updated", "health"),
        ("account.updated", "offerings"),
        ("account.updated", "gateway"),
        ("contact.left", "health"),
        ("interaction.logged", "health"),
        ("purchase.recorded", "offerings"),
        ("account.archived", "health"),
        ("account.archived", "offerings"),
        ("account.archived", "gateway"),
    ]
    assert len({r.event_id for r in rows}) == 6  # one event, one row per consumer
    created, updated, left = rows[0].payload, rows[3].payload, rows[6].payload
    assert created["contact_cadence_days"] == 14 and created["account_id"] == account["id"]
    assert updated["annual_revenue"] == 5000
    assert left["name"] == "Cham" and left["buying_role"] == "champion" and left["left_on"]
    assert rows[8].payload == {
        "account_id": account["id"],
        "purchase_id": rows[8].payload["purchase_id"],
        "product_line": "valves",
        "amount": 120.5,
        "occurred_on": "2026-03-01",
    }
    assert rows[11].payload["status"] == "archived"


def test_refused_changes_publish_nothing(client, make_account):
    account = make_account()
    before = len(published(client))
    client.patch(f"/api/v1/accounts/{account['id']}", json={"tier": "gold"})
    client.post(f"/api/v1/accounts/{account['id']}/interactions", json={"kind": "party"})
    assert len(published(client)) == before


def test_plays_hears_of_accounts_people_team_interactions_and_purchases(client, make_account):
    account = make_account(name="Plays")
    base = f"/api/v1/accounts/{account['id']}"
    person = client.post(
        base + "/contacts",
        json={"name": "Nas", "buying_role": "economic_buyer", "email": "nas@example.com"},
    ).get_json()
    client.patch(f"{base}/contacts/{person['id']}", json={"influence": 5})
    member = client.post(base + "/team", json={"name": "Sam", "role": "sales"}).get_json()
    client.post(base + "/interactions", json={"kind": "visit", "contact_ids": [person["id"]]})
    client.delete(f"{base}/team/{member['id']}")
    rows = [r for r in published(client) if r.destination == "plays"]
    assert [r.type for r in rows] == [
        "account.created",
        "contact.changed",
        "contact.changed",
        "team_member.added",
        "interaction.logged",
        "team_member.removed",
    ]
    assert rows[1].payload["email"] == "nas@example.com"
    assert rows[2].payload["influence"] == 5
    assert rows[3].payload["role"] == "sales"
    assert rows[4].payload["contact_ids"] == [person["id"]]
    assert rows[5].payload["member_id"] == member["id"]
