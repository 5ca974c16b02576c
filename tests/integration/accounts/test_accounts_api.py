"""Accounts: create, read, search, filter, sort, update with If-Match, archive."""

import pytest


def test_create_returns_the_account_with_defaults(client):
    response = client.post("/api/v1/accounts", json={"name": "Northwind"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "Northwind"
    assert body["tier"] == "key"
    assert body["orientation"] == "mixed"
    assert body["currency"] == "USD"
    assert body["contact_cadence_days"] == 30
    assert body["status"] == "active"
    assert body["version"] == 1
    assert body["needs"] == [] and body["capabilities"] == []
    assert body["created_at"].endswith("Z")
    assert len(body["id"]) == 36  # opaque uuid, not a sequence
    assert client.get(f"/api/v1/accounts/{body['id']}").get_json() == body


def test_money_is_exact_to_two_decimals(client):
    body = client.post(
        "/api/v1/accounts", json={"name": "M", "annual_revenue": 1234567.89}
    ).get_json()
    assert body["annual_revenue"] == 1234567.89
    refused = client.post("/api/v1/accounts", json={"name": "M", "annual_revenue": 1.234})
    assert refused.status_code == 422
    assert "annual_revenue" in refused.get_json()["errors"]


@pytest.mark.parametrize(
    "name",
    [
        "شرکت فولاد مبارکه",
        "مجموعة الخليج",
        "東京精密工業株式会社",
        "Orbital 🚀✨",
        "Ünïcødé Straße",
    ],
)
def test_any_script_round_trips_byte_for_byte_and_is_searchable(client, name):
    created = client.post("/api/v1/accounts", json={"name": name})
    assert created.status_code == 201
    account_id = created.get_json()["id"]
    raw = client.get(f"/api/v1/accounts/{account_id}").data
    assert name.encode("utf-8") in raw  # not \u-escaped, not normalised
    part = name.split()[-1][:3]
    found = client.get("/api/v1/accounts", query_string={"q": part}).get_json()
    assert [a["id"] for a in found["items"]] == [account_id]


def test_search_is_case_insensitive_and_literal(client, make_account):
    make_account(name="ÉCOLE Centrale")
    make_account(name="100% Pure Juice")
    make_account(name="1000 Pure Things")
    assert [a["name"] for a in client.get("/api/v1/accounts?q=école").get_json()["items"]] == [
        "ÉCOLE Centrale"
    ]
    assert [a["name"] for a in client.get("/api/v1/accounts?q=100%25").get_json()["items"]] == [
        "100% Pure Juice"
    ]


def test_filters_and_sorts(client, make_account):
    make_account(
        name="B", tier="strategic", orientation="relational", segment="retail", annual_revenue=10
    )
    make_account(
        name="A", tier="standard", orientation="transactional", segment="retail", annual_revenue=30
    )
    make_account(
        name="C", tier="strategic", orientation="mixed", segment="energy", annual_revenue=20
    )

    def names(**query):
        return [
            a["name"]
            for a in client.get("/api/v1/accounts", query_string=query).get_json()["items"]
        ]

    assert names() == ["A", "B", "C"]
    assert names(tier="strategic") == ["B", "C"]
    assert names(orientation="transactional") == ["A"]
    assert names(segment="retail") == ["A", "B"]
    assert names(sort="-annual_revenue") == ["A", "C", "B"]
    # A value that names nothing the list knows is a 400 naming the parameter.
    assert client.get("/api/v1/accounts?sort=revenue").status_code == 400
    assert client.get("/api/v1/accounts?tier=gold").status_code == 400


def test_pagination_envelope_and_bounds(client, make_account):
    for i in range(5):
        make_account(name=f"Acc {i}")
    page = client.get("/api/v1/accounts?page=2&per_page=2").get_json()
    assert page["total"] == 5 and page["page"] == 2 and page["per_page"] == 2
    assert [a["name"] for a in page["items"]] == ["Acc 2", "Acc 3"]
    for bad in ("per_page=101", "per_page=0", "page=0", "page=abc", "page=99999999999"):
        response = client.get(f"/api/v1/accounts?{bad}")
        assert response.status_code == 422, bad
        assert response.content_type == "application/problem+json"
    assert client.get("/api/v1/accounts?page=50").get_json()["items"] == []


def test_patch_changes_fields_and_bumps_version(client, make_account):
    account = make_account(name="Old")
    response = client.patch(
        f"/api/v1/accounts/{account['id']}", json={"name": "New", "needs": ["speed"]}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "New" and body["needs"] == ["speed"]
    assert body["version"] == 2
    assert body["updated_at"] >= account["updated_at"]
    assert client.get("/api/v1/accounts?q=new").get_json()["total"] == 1


def test_if_match_guards_against_lost_updates(client, make_account):
    account = make_account()
    url = f"/api/v1/accounts/{account['id']}"
    assert client.patch(url, json={"industry": "x"}, headers={"If-Match": "1"}).status_code == 200
    stale = client.patch(url, json={"industry": "y"}, headers={"If-Match": "1"})
    assert stale.status_code == 412
    assert stale.content_type == "application/problem+json"
    assert client.get(url).get_json()["industry"] == "x"
    assert client.patch(url, json={"industry": "z"}, headers={"If-Match": '"2"'}).status_code == 200


def test_archive_hides_from_default_list_and_erases_nothing(client, make_account, make_contact):
    account = make_account(name="Gone")
    make_contact(account["id"], name="Still here")
    assert client.delete(f"/api/v1/accounts/{account['id']}").status_code == 204
    assert client.get("/api/v1/accounts").get_json()["total"] == 0
    archived = client.get("/api/v1/accounts?status=archived").get_json()["items"]
    assert [a["id"] for a in archived] == [account["id"]]
    assert client.get(f"/api/v1/accounts/{account['id']}").get_json()["status"] == "archived"
    contacts = client.get(f"/api/v1/accounts/{account['id']}/contacts").get_json()
    assert [c["name"] for c in contacts["items"]] == ["Still here"]
    assert client.delete(f"/api/v1/accounts/{account['id']}").status_code == 204
    closed = client.post(f"/api/v1/accounts/{account['id']}/contacts", json={"name": "New"})
    assert closed.status_code == 409
    restored = client.patch(f"/api/v1/accounts/{account['id']}", json={"status": "active"})
    assert restored.get_json()["status"] == "active"


def test_missing_account_is_a_problem_404(client):
    response = client.get("/api/v1/accounts/does-not-exist")
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_partner_scope_filters_lists_and_hides_others(client, make_account):
    mine = make_account(name="Mine")
    other = make_account(name="Other")
    scope = {"X-KAM-Account-Scope": mine["id"]}
    listed = client.get("/api/v1/accounts", headers=scope).get_json()
    assert [a["id"] for a in listed["items"]] == [mine["id"]] and listed["total"] == 1
    assert client.get(f"/api/v1/accounts/{other['id']}", headers=scope).status_code == 404
    assert client.get(f"/api/v1/accounts/{other['id']}/contacts", headers=scope).status_code == 404
    assert client.get(f"/api/v1/accounts/{mine['id']}", headers=scope).status_code == 200
