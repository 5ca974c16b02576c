"""Internal judgement never reaches a partner key: one rule per field, wherever the field is
(a contact read, a list, the org chart, an override inside a score, an agreement), and the
documents mark those fields."""

from __future__ import annotations

from support import serve

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase

CONTACT_INTERNAL = {"notes", "stance", "influence"}


def as_partner(account_id: str) -> dict[str, str]:
    return {"X-KAM-Role": "partner", "X-KAM-Client": "key-1", "X-KAM-Account-Scope": account_id}


def test_contacts_reach_partners_without_our_reading_of_them(service_client):
    client = service_client("accounts", create_accounts, AccountsBase.metadata)
    account = client.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    base = f"/api/v1/accounts/{account['id']}"
    boss = client.post(
        f"{base}/contacts",
        json={"name": "Boss", "stance": "detractor", "influence": 5, "notes": "Hates our price"},
    ).get_json()
    client.post(f"{base}/contacts", json={"name": "Aide", "reports_to_id": boss["id"]})
    assert set(boss) >= CONTACT_INTERNAL  # our own people see them

    partner = as_partner(account["id"])
    read = client.get(f"{base}/contacts/{boss['id']}", headers=partner).get_json()
    listed = client.get(f"{base}/contacts", headers=partner).get_json()["items"]
    chart = client.get(f"{base}/org-chart", headers=partner).get_json()["roots"]
    for seen in (read, *listed, chart[0], chart[0]["reports"][0]):
        assert not CONTACT_INTERNAL & set(seen), seen
        assert seen["name"] in ("Boss", "Aide")

    spec = client.get("/openapi.json").get_json()["components"]["schemas"]["Contact"]
    marked = {name for name, prop in spec["properties"].items() if prop.get("x-kam-visibility")}
    assert marked == CONTACT_INTERNAL
    assert not CONTACT_INTERNAL & set(spec["required"])


def test_an_override_shows_partners_its_score_but_not_why_or_who(service_client):
    accounts = service_client("accounts", create_accounts, AccountsBase.metadata)
    account = accounts.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    with serve(accounts.application) as accounts_url:
        health = service_client(
            "health", create_health, HealthBase.metadata, ACCOUNTS_URL=accounts_url
        )
        made = health.post(
            f"/api/v1/health/accounts/{account['id']}/override",
            json={"score": 40, "reason": "CEO is about to leave"},
            headers={"X-KAM-Client": "exec-key", "X-KAM-Role": "executive"},
        ).get_json()
        assert made["reason"] == "CEO is about to leave" and made["created_by"] == "exec-key"
        score = health.get(
            f"/api/v1/health/accounts/{account['id']}", headers=as_partner(account["id"])
        ).get_json()
    assert score["override"]["score"] == 40
    assert "reason" not in score["override"] and "created_by" not in score["override"]
