"""The audit trail of the accounts service: every change made for a caller, written in the
change's own transaction, append-only, and queryable at /internal/audit."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kam_common.scope import CLIENT_HEADER, CLIENT_NAME_HEADER, CLIENT_TYPE_HEADER, ROLE_HEADER

SALES_KEY = {
    CLIENT_HEADER: "key-7",
    CLIENT_NAME_HEADER: "CRM%20sync",
    ROLE_HEADER: "sales",
    "X-Request-ID": "req-audit-1",
}
PERSON = {
    CLIENT_HEADER: "user-3",
    CLIENT_NAME_HEADER: "Sara Ahmadi",
    ROLE_HEADER: "sales",
    CLIENT_TYPE_HEADER: "user",
}


def audit(client, **query):
    answer = client.get("/internal/audit", query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_change_is_recorded_with_its_actor_fields_and_request_id(client):
    created = client.post(
        "/api/v1/accounts", json={"name": "Acme", "annual_revenue": 1200.5}, headers=SALES_KEY
    ).get_json()
    patched = client.patch(
        f"/api/v1/accounts/{created['id']}",
        json={"tier": "strategic", "name": "Acme Group"},
        headers={**PERSON, "If-Match": "1"},
    )
    assert patched.status_code == 200

    page = audit(client, account_id=created["id"])
    assert page["total"] == 2
    update, creation = page["items"]  # newest first
    assert creation["action"] == "created"
    assert creation["actor"] == {"type": "key", "id": "key-7", "name": "CRM sync", "role": "sales"}
    assert creation["resource"] == {"type": "account", "id": created["id"]}
    assert creation["account_id"] == created["id"]
    assert creation["request_id"] == "req-audit-1"
    assert creation["changes"]["name"] == [None, "Acme"]
    assert creation["changes"]["annual_revenue"] == [None, 1200.5]
    assert "name_folded" not in creation["changes"] and "version" not in creation["changes"]

    assert update["action"] == "updated"
    assert update["actor"] == {
        "type": "user",
        "id": "user-3",
        "name": "Sara Ahmadi",
        "role": "sales",
    }
    assert update["changes"] == {"name": ["Acme", "Acme Group"], "tier": ["key", "strategic"]}
    assert update["at"] >= creation["at"] and update["at"].endswith("Z")


def test_entries_of_an_account_cover_its_contacts_and_filters_narrow_them(client):
    account = client.post("/api/v1/accounts", json={"name": "A"}, headers=SALES_KEY).get_json()
    other = client.post("/api/v1/accounts", json={"name": "B"}, headers=PERSON).get_json()
    contact = client.post(
        f"/api/v1/accounts/{account['id']}/contacts",
        json={"name": "Reza", "title": "CFO"},
        headers=SALES_KEY,
    ).get_json()
    assert client.delete(
        f"/api/v1/accounts/{account['id']}/contacts/{contact['id']}", headers=SALES_KEY
    ).status_code in (200, 204)

    of_account = audit(client, account_id=account["id"])
    kinds = [(e["resource"]["type"], e["action"]) for e in of_account["items"]]
    assert ("contact", "created") in kinds and ("account", "created") in kinds
    assert all(e["account_id"] == account["id"] for e in of_account["items"])

    contacts = audit(client, resource_type="contact")["items"]
    assert {e["resource"]["id"] for e in contacts} == {contact["id"]}
    assert [e["account_id"] for e in audit(client, actor_id="user-3")["items"]] == [other["id"]]
    assert audit(client, since="2999-01-01")["total"] == 0
    assert audit(client, to="2000-01-01")["total"] == 0
    assert audit(client, since="2000-01-01T00:00:00+03:30")["total"] == of_account["total"] + 1


def test_a_change_refused_writes_no_entry_and_no_caller_writes_none(client):
    account = client.post("/api/v1/accounts", json={"name": "A"}, headers=SALES_KEY).get_json()
    stale = client.patch(
        f"/api/v1/accounts/{account['id']}",
        json={"tier": "strategic"},
        headers={**SALES_KEY, "If-Match": "9"},
    )
    assert stale.status_code == 412
    bad = client.patch(
        f"/api/v1/accounts/{account['id']}", json={"tier": "nope"}, headers=SALES_KEY
    )
    assert bad.status_code == 422
    # The system itself (no gateway identity: integration work, the CLI) is no API change.
    client.patch(f"/api/v1/accounts/{account['id']}", json={"tier": "strategic"})
    assert audit(client)["total"] == 1


def test_an_unchanged_patch_writes_no_entry(client):
    account = client.post("/api/v1/accounts", json={"name": "A"}, headers=SALES_KEY).get_json()
    client.patch(f"/api/v1/accounts/{account['id']}", json={"name": "A"}, headers=SALES_KEY)
    assert audit(client)["total"] == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [({"actor": "x"}, 400), ({"since": "yesterday"}, 422), ({"per_page": 101}, 422)],
)
def test_bad_queries_are_refused_naming_the_parameter(client, query, status):
    answer = client.get("/internal/audit", query_string=query)
    assert answer.status_code == status
    assert set(answer.get_json()["errors"]) >= set(query)


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entries SET action = 'deleted'", "DELETE FROM audit_entries"]
)
def test_entries_cannot_be_changed_or_deleted_even_in_sql(client, statement):
    client.post("/api/v1/accounts", json={"name": "A"}, headers=SALES_KEY)
    engine = client.application.extensions["kam_db"].engine
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    entries = audit(client)["items"]
    assert [e["action"] for e in entries] == ["created"]


def test_an_import_is_audited_row_by_row_inline_and_in_the_worker(service_client):
    from kam_accounts import create_app
    from kam_accounts.api.imports import _imports
    from kam_accounts.models import Base

    client = service_client("accounts", create_app, Base.metadata, IMPORT_INLINE_ROWS=3)
    small = "\ufeffexternal_id,name,annual_revenue\ne-1,شرکت یک,10\ne-2,Two,20\n".encode()
    applied = client.post(
        "/api/v1/imports?kind=accounts", data=small, content_type="text/csv", headers=PERSON
    )
    assert applied.get_json()["status"] == "applied"
    created = audit(client, resource_type="account")["items"]
    assert sorted(e["changes"]["name"][1] for e in created) == ["Two", "شرکت یک"]
    assert all(e["actor"]["id"] == "user-3" and e["action"] == "created" for e in created)

    again = "\ufeffexternal_id,name\ne-1,شرکت یک\ne-2,Two renamed\n".encode()
    client.post(
        "/api/v1/imports?kind=accounts", data=again, content_type="text/csv", headers=PERSON
    )
    (renamed,) = audit(client, resource_type="account", since="2000-01-01")["items"][:1]
    assert renamed["action"] == "updated" and renamed["changes"] == {"name": ["Two", "Two renamed"]}
    assert audit(client)["total"] == 3  # the unchanged row wrote nothing

    rows = "".join(f"w-{i},Worker {i}\n" for i in range(5))
    large = ("\ufeffexternal_id,name\n" + rows).encode()
    queued = client.post(
        "/api/v1/imports?kind=accounts", data=large, content_type="text/csv", headers=SALES_KEY
    ).get_json()
    assert queued["status"] == "running"
    with client.application.app_context():
        assert _imports().run_queued(client.application.extensions["kam_db"]).endswith("done")
    by_key = audit(client, actor_id="key-7")["items"]
    assert len(by_key) == 5 and {e["actor"]["name"] for e in by_key} == {"CRM sync"}


def test_a_removal_is_recorded_with_what_there_was(client):
    account = client.post("/api/v1/accounts", json={"name": "A"}, headers=SALES_KEY).get_json()
    member = client.post(
        f"/api/v1/accounts/{account['id']}/team",
        json={"name": "Dana", "email": "dana@example.com", "role": "sales"},
        headers=SALES_KEY,
    ).get_json()
    removed = client.delete(f"/api/v1/accounts/{account['id']}/team/{member['id']}", headers=PERSON)
    assert removed.status_code == 204
    (entry,) = audit(client, resource_type="team_member", actor_id="user-3")["items"]
    assert entry["action"] == "deleted" and entry["account_id"] == account["id"]
    assert entry["changes"]["name"] == ["Dana", None]
