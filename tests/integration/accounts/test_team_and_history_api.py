"""Account team, interactions, purchases and the account's own timeline."""

from datetime import UTC, datetime, timedelta


def test_team_add_list_remove(client, make_account):
    account = make_account()
    url = f"/api/v1/accounts/{account['id']}/team"
    member = client.post(url, json={"name": "Kai", "role": "quality_engineer"})
    assert member.status_code == 201
    client.post(url, json={"name": "Dana", "role": "account_manager", "email": "d@ex.com"})
    team = client.get(url).get_json()
    assert [m["role"] for m in team["items"]] == ["account_manager", "quality_engineer"]
    assert client.get(url + "?role=quality_engineer").get_json()["total"] == 1
    assert client.post(url, json={"name": "X", "role": "janitor"}).status_code == 422
    assert client.delete(f"{url}/{member.get_json()['id']}").status_code == 204
    assert client.get(url).get_json()["total"] == 1
    assert client.delete(f"{url}/{member.get_json()['id']}").status_code == 404


def test_interactions_name_known_contacts_only(client, make_account, make_contact):
    account = make_account()
    other = make_account(name="Other")
    ours = make_contact(account["id"], name="Ours")
    theirs = make_contact(other["id"], name="Theirs")
    url = f"/api/v1/accounts/{account['id']}/interactions"
    bad = client.post(url, json={"kind": "meeting", "contact_ids": [ours["id"], theirs["id"]]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"contact_ids.1": ["Not a contact of this account."]}
    assert client.get(url).get_json()["total"] == 0
    ok = client.post(
        url,
        json={
            "kind": "visit",
            "summary": "Plant tour",
            "occurred_at": "2026-03-01T10:00:00+03:30",
            "contact_ids": [ours["id"]],
        },
    )
    assert ok.status_code == 201
    assert ok.get_json()["occurred_at"] == "2026-03-01T06:30:00Z"


def test_interactions_in_the_future_are_refused(client, make_account):
    account = make_account()
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    response = client.post(
        f"/api/v1/accounts/{account['id']}/interactions",
        json={"kind": "call", "occurred_at": later},
    )
    assert response.status_code == 422 and "occurred_at" in response.get_json()["errors"]


def test_interactions_list_newest_first_with_filters(client, make_account):
    account = make_account()
    url = f"/api/v1/accounts/{account['id']}/interactions"
    for day, kind in ((1, "call"), (3, "meeting"), (2, "call")):
        client.post(url, json={"kind": kind, "occurred_at": f"2026-01-0{day}T09:00:00Z"})
    listed = client.get(url).get_json()["items"]
    assert [i["occurred_at"][:10] for i in listed] == ["2026-01-03", "2026-01-02", "2026-01-01"]
    assert client.get(url + "?kind=call").get_json()["total"] == 2
    assert client.get(url + "?since=2026-01-02T00:00:00Z").get_json()["total"] == 2


def test_purchases_by_product_line(client, make_account):
    account = make_account()
    url = f"/api/v1/accounts/{account['id']}/purchases"
    created = client.post(
        url, json={"product_line": "valves", "amount": 1500.5, "occurred_on": "2026-02-01"}
    )
    assert created.status_code == 201 and created.get_json()["amount"] == 1500.5
    client.post(url, json={"product_line": "pumps", "amount": 99})
    assert client.get(url + "?product_line=valves").get_json()["total"] == 1
    for bad in (
        {"product_line": "x", "amount": 0},
        {"product_line": "x", "amount": -5},
        {"product_line": "x", "amount": "12"},
        {"amount": 5},
        {"product_line": "x", "amount": 5, "occurred_on": "2026-13-01"},
    ):
        assert client.post(url, json=bad).status_code == 422, bad
    assert client.get(url).get_json()["total"] == 2


def test_timeline_merges_history_newest_first(client, make_account, make_contact):
    account = make_account(name="T")
    base = f"/api/v1/accounts/{account['id']}"
    person = make_contact(account["id"], name="Mina")
    client.post(
        base + "/interactions",
        json={
            "kind": "meeting",
            "summary": "QBR",
            "occurred_at": "2026-01-05T09:00:00Z",
            "contact_ids": [person["id"]],
        },
    )
    client.post(
        base + "/purchases",
        json={"product_line": "valves", "amount": 10, "occurred_on": "2026-01-03"},
    )
    client.patch(f"{base}/contacts/{person['id']}", json={"stance": "supporter"})
    timeline = client.get(base + "/timeline").get_json()
    kinds = [e["type"] for e in timeline["items"]]
    assert sorted(kinds) == [
        "account",
        "contact_change",
        "contact_change",
        "interaction",
        "purchase",
    ]
    times = [e["at"] for e in timeline["items"]]
    assert times == sorted(times, reverse=True)
    summaries = {e["summary"] for e in timeline["items"]}
    assert "Meeting with Mina: QBR" in summaries
    assert "Bought valves for 10.00 USD" in summaries
    assert "Mina updated: stance unknown → supporter" in summaries
    only = client.get(base + "/timeline?type=purchase").get_json()
    assert [e["type"] for e in only["items"]] == ["purchase"]


def test_archived_accounts_history_stays_readable(client, make_account):
    account = make_account()
    base = f"/api/v1/accounts/{account['id']}"
    client.post(base + "/purchases", json={"product_line": "valves", "amount": 10})
    client.delete(base)
    assert client.get(base + "/purchases").get_json()["total"] == 1
    assert client.get(base + "/timeline").status_code == 200
    assert (
        client.post(base + "/purchases", json={"product_line": "v", "amount": 1}).status_code == 409
    )
