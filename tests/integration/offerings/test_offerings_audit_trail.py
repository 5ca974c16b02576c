"""Offerings' audit trail: catalog changes are recorded with their actor."""

from __future__ import annotations

from conftest import CATALOG

from kam_common.scope import CLIENT_HEADER, ROLE_HEADER

ADMIN = {CLIENT_HEADER: "key-1", ROLE_HEADER: "admin"}


def test_catalog_changes_are_recorded_with_before_and_after(client):
    made = client.post("/api/v1/offerings/catalog", json=CATALOG[0], headers=ADMIN)
    assert made.status_code == 201, made.get_json()
    item = made.get_json()
    patched = client.patch(
        f"/api/v1/offerings/catalog/{item['id']}", json={"name": "Renamed"}, headers=ADMIN
    )
    assert patched.status_code == 200, patched.get_json()

    entries = client.get("/internal/audit").get_json()["items"]
    assert [(e["resource"]["type"], e["action"]) for e in entries] == [
        ("catalog_item", "updated"),
        ("catalog_item", "created"),
    ]
    assert entries[0]["changes"]["name"] == [CATALOG[0]["name"], "Renamed"]
    assert entries[1]["account_id"] is None and entries[1]["actor"]["role"] == "admin"


def test_rows_changed_by_one_statement_are_recorded_each(client):
    """Replacing the exchange rates deletes the old ones with one DELETE: each is recorded."""
    rates = {"base": "USD", "rates": [{"currency": "EUR", "rate": 1.1, "as_of": "2026-12-01"}]}
    assert client.put("/api/v1/admin/exchange-rates", json=rates, headers=ADMIN).status_code == 200
    rates["rates"][0]["rate"] = 1.2
    assert client.put("/api/v1/admin/exchange-rates", json=rates, headers=ADMIN).status_code == 200
    entries = client.get(
        "/internal/audit", query_string={"resource_type": "exchange_rate"}
    ).get_json()["items"]
    actions = sorted(e["action"] for e in entries)
    assert actions == ["created", "created", "deleted"]
    (gone,) = [e for e in entries if e["action"] == "deleted"]
    assert gone["resource"]["id"] == "EUR" and gone["changes"]["rate"][0] == 1.1


def test_a_draft_superseded_by_a_new_proposal_is_recorded(client, catalog, make_account):
    account = make_account(name="Acme")
    sales = {CLIENT_HEADER: "key-2", ROLE_HEADER: "sales"}
    first = client.post(
        "/api/v1/offerings/proposals", json={"account_id": account["id"]}, headers=sales
    )
    assert first.status_code == 201, first.get_json()
    second = client.post(
        "/api/v1/offerings/proposals", json={"account_id": account["id"]}, headers=sales
    )
    assert second.status_code == 201, second.get_json()
    entries = client.get(
        "/internal/audit", query_string={"resource_type": "proposal", "account_id": account["id"]}
    ).get_json()["items"]
    superseded = [e for e in entries if e["action"] == "updated"]
    assert [e["resource"]["id"] for e in superseded] == [first.get_json()["id"]]
    assert superseded[0]["changes"]["status"] == ["draft", "superseded"]
    assert sorted(e["action"] for e in entries) == ["created", "created", "updated"]
