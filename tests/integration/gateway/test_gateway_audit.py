"""GET /api/v1/audit: the services' entries and the gateway's own, merged newest first, with
the actor named whether a key or a signed-in person made the change."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from support import HttpClient
from test_gateway_people import PASSWORD, csrf_of, sign_in

Auth = Callable[..., dict[str, str]]


def test_changes_by_a_key_and_by_a_person_are_in_the_merged_trail(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    upstream_tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> None:
    down = upstream_tools.closed_port_url()
    gateway = make_gateway(
        ACCOUNTS_URL=accounts_service, HEALTH_URL=down, OFFERINGS_URL=down, PLAYS_URL=down
    )
    admin = {"Authorization": f"Bearer {key_for('admin')}", "X-Request-ID": "req-new-person"}
    made = gateway.post(
        "/api/v1/admin/users",
        json={"email": "sara@example.com", "name": "Sara", "role": "sales", "password": PASSWORD},
        headers=admin,
    )
    assert made.status_code == 201, made.json
    sales = {"Authorization": f"Bearer {key_for('sales')}"}
    account = gateway.post("/api/v1/accounts", json={"name": "Acme"}, headers=sales).json

    client = sign_in(gateway, "sara@example.com")
    changed = client.patch(
        f"{gateway.base_url}/api/v1/accounts/{account['id']}",
        json={"tier": "strategic"},
        headers={"X-CSRF-Token": csrf_of(client, gateway.base_url)},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text

    executive = {"Authorization": f"Bearer {key_for('executive')}"}
    trail = gateway.get("/api/v1/audit", headers=executive)
    assert trail.status_code == 200, trail.json
    body = trail.json
    assert sorted(body["degraded"]) == ["health", "offerings", "plays"]
    summary = [(e["resource"]["type"], e["action"], e["actor"]["type"]) for e in body["items"]]
    assert summary == [
        ("account", "updated", "user"),
        ("account", "created", "key"),
        ("user", "created", "key"),
    ]
    by_person, by_key, new_person = body["items"]
    assert by_person["actor"]["name"] == "Sara" and by_person["actor"]["role"] == "sales"
    assert by_person["changes"] == {"tier": ["key", "strategic"]}
    assert by_key["actor"]["name"] == "test sales" and by_key["account_id"] == account["id"]
    assert new_person["request_id"] == "req-new-person"
    assert new_person["changes"]["password_hash"] == [None, "[redacted]"]
    assert PASSWORD not in str(body)
    assert body["total"] == 3

    only = gateway.get(f"/api/v1/audit?account_id={account['id']}", headers=executive).json
    assert [e["action"] for e in only["items"]] == ["updated", "created"]
    people = gateway.get("/api/v1/audit?resource_type=user", headers=executive).json
    assert [e["resource"]["type"] for e in people["items"]] == ["user"]
    mine = gateway.get(f"/api/v1/audit?actor_id={by_person['actor']['id']}", headers=executive)
    assert [e["id"] for e in mine.json["items"]] == [by_person["id"]]

    # On the account's timeline, for the roles that may read the trail only.
    timeline = f"/api/v1/accounts/{account['id']}/timeline"
    seen = gateway.get(timeline, headers=executive).json
    audits = [e for e in seen["items"] if e["type"] == "audit"]
    assert [e["summary"] for e in audits] == [
        "Sara (sales) updated account: tier",
        "test sales (sales) created account",
    ]
    assert audits[0]["data"]["id"] == by_person["id"]
    hidden = gateway.get(timeline, headers=sales).json
    assert hidden["items"] and all(e["type"] != "audit" for e in hidden["items"])
    refused = gateway.get(timeline + "?type=audit", headers=sales).json
    assert refused["items"] == []


def test_only_admins_and_executives_read_the_trail_and_bad_filters_are_named(
    gateway: HttpClient, auth: Auth
) -> None:
    for role in ("sales", "engineer"):
        assert gateway.get("/api/v1/audit", headers=auth(role)).status_code == 403
    assert gateway.get("/api/v1/audit", headers=auth("partner", ["a-1"])).status_code == 403
    unknown = gateway.get("/api/v1/audit?who=me", headers=auth("admin"))
    assert unknown.status_code == 400 and "who" in unknown.json["errors"]
    malformed = gateway.get("/api/v1/audit?since=last-week", headers=auth("admin"))
    assert malformed.status_code == 422 and "since" in malformed.json["errors"]
    deep = gateway.get("/api/v1/audit?page=6&per_page=100", headers=auth("admin"))
    assert deep.status_code == 422 and "page" in deep.json["errors"]


def test_revoking_a_key_is_recorded_without_its_hash(gateway: HttpClient, auth: Auth) -> None:
    admin = auth("admin")
    created = gateway.post("/api/v1/admin/keys", json={"name": "n", "role": "sales"}, headers=admin)
    assert (
        gateway.delete(f"/api/v1/admin/keys/{created.json['id']}", headers=admin).status_code == 204
    )
    entries = gateway.get("/api/v1/audit?resource_type=api_key", headers=admin).json["items"]
    assert [e["action"] for e in entries] == ["updated", "created"]
    assert set(entries[0]["changes"]) == {"revoked_at"}
    assert entries[1]["changes"]["key_hash"] == [None, "[redacted]"]
    assert created.json["key"] not in str(entries)


def test_an_executive_sees_who_changed_the_account_on_its_page(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    key_for: Callable[..., str],
) -> None:
    from test_gateway_people import person

    gateway = make_gateway(ACCOUNTS_URL=accounts_service)
    sales = {"Authorization": f"Bearer {key_for('sales')}"}
    account = gateway.post("/api/v1/accounts", json={"name": "Acme"}, headers=sales).json
    gateway.patch(f"/api/v1/accounts/{account['id']}", json={"tier": "strategic"}, headers=sales)

    executive = sign_in(gateway, person(gateway, "executive"))
    page = executive.get(f"{gateway.base_url}/accounts/{account['id']}", timeout=10)
    assert page.status_code == 200
    assert "test sales (sales) updated account: tier" in page.text
    seller = sign_in(gateway, person(gateway, "sales"))
    hidden = seller.get(f"{gateway.base_url}/accounts/{account['id']}", timeout=10)
    assert hidden.status_code == 200 and "updated account" not in hidden.text


def test_the_audit_page_lists_and_filters_changes_for_executives_only(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    key_for: Callable[..., str],
) -> None:
    from test_gateway_people import person

    gateway = make_gateway(ACCOUNTS_URL=accounts_service)
    sales = {"Authorization": f"Bearer {key_for('sales')}"}
    account = gateway.post("/api/v1/accounts", json={"name": "شرکت آلفا"}, headers=sales).json
    gateway.patch(f"/api/v1/accounts/{account['id']}", json={"tier": "strategic"}, headers=sales)

    executive = sign_in(gateway, person(gateway, "executive"))
    page = executive.get(f"{gateway.base_url}/audit", timeout=10)
    assert page.status_code == 200 and 'href="/audit"' in page.text
    assert "شرکت آلفا" in page.text and "strategic" in page.text
    only = executive.get(f"{gateway.base_url}/audit?resource_type=contact", timeout=10)
    assert "شرکت آلفا" not in only.text
    bad = executive.get(f"{gateway.base_url}/audit?since=yesterday", timeout=10)
    assert bad.status_code == 422 and 'id="a-since-error"' in bad.text
    seller = sign_in(gateway, person(gateway, "sales"))
    assert seller.get(f"{gateway.base_url}/audit", timeout=10).status_code == 403
    assert 'href="/audit"' not in seller.get(f"{gateway.base_url}/", timeout=10).text


def test_a_webhooks_secret_never_reaches_the_trail(gateway: HttpClient, auth: Auth) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    partner = auth("partner", ["acc-1"])
    made = gateway.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["account.updated"]},
        headers=partner,
    )
    assert made.status_code == 201, made.json
    rotated = gateway.post(f"/api/v1/webhooks/{made.json['id']}/rotate-secret", headers=partner)
    assert rotated.status_code in (200, 201), rotated.json
    entries = gateway.get("/api/v1/audit?resource_type=webhook", headers=auth("admin")).json
    assert [e["action"] for e in entries["items"]] == ["updated", "created"]
    assert entries["items"][1]["actor"]["role"] == "partner"
    assert entries["items"][0]["changes"]["secret"] == ["[redacted]", "[redacted]"]
    text = str(entries)
    assert made.json["secret"] not in text and rotated.json["secret"] not in text
