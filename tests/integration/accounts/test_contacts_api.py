"""Decision-makers: reporting lines, loops, people who leave, the org chart."""


def test_contact_defaults_and_fields(client, make_account):
    account = make_account()
    response = client.post(
        f"/api/v1/accounts/{account['id']}/contacts",
        json={
            "name": "Mina Rahimi",
            "title": "CFO",
            "email": "mina@example.com",
            "buying_role": "economic_buyer",
            "influence": 5,
            "stance": "supporter",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["account_id"] == account["id"]
    assert body["active"] is True and body["left_on"] is None
    assert body["version"] == 1 and body["reports_to_id"] is None
    plain = client.post(f"/api/v1/accounts/{account['id']}/contacts", json={"name": "X"})
    assert plain.get_json()["stance"] == "unknown" and plain.get_json()["influence"] == 3


def test_reporting_loop_is_a_422_naming_the_field(client, make_account, make_contact):
    account = make_account()
    ceo = make_contact(account["id"], name="CEO")
    cfo = make_contact(account["id"], name="CFO", reports_to_id=ceo["id"])
    buyer = make_contact(account["id"], name="Buyer", reports_to_id=cfo["id"])
    url = f"/api/v1/accounts/{account['id']}/contacts/{ceo['id']}"
    response = client.patch(url, json={"reports_to_id": buyer["id"]})
    assert response.status_code == 422
    assert "reports_to_id" in response.get_json()["errors"]
    assert client.get(url).get_json()["reports_to_id"] is None  # nothing changed
    self_loop = client.patch(url, json={"reports_to_id": ceo["id"]})
    assert self_loop.status_code == 422


def test_manager_from_another_account_is_a_422(client, make_account, make_contact):
    first, second = make_account(name="One"), make_account(name="Two")
    outsider = make_contact(second["id"], name="Outsider")
    response = client.post(
        f"/api/v1/accounts/{first['id']}/contacts",
        json={"name": "New", "reports_to_id": outsider["id"]},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"reports_to_id": ["Not a contact of this account."]}
    assert client.get(f"/api/v1/accounts/{first['id']}/contacts").get_json()["total"] == 0


def test_contact_of_another_account_is_not_found_under_this_one(client, make_account, make_contact):
    first, second = make_account(name="One"), make_account(name="Two")
    contact = make_contact(second["id"])
    assert client.get(f"/api/v1/accounts/{first['id']}/contacts/{contact['id']}").status_code == 404


def test_leaving_is_recorded_and_the_person_stays_readable(client, make_account, make_contact):
    account = make_account()
    champion = make_contact(account["id"], name="Champion", buying_role="champion")
    url = f"/api/v1/accounts/{account['id']}/contacts/{champion['id']}"
    assert client.delete(url).status_code == 204
    gone = client.get(url).get_json()
    assert gone["active"] is False and gone["left_on"] is not None
    assert gone["version"] == 2
    active = client.get(f"/api/v1/accounts/{account['id']}/contacts?active=true").get_json()
    assert active["total"] == 0
    left = client.get(f"/api/v1/accounts/{account['id']}/contacts?active=false").get_json()
    assert [c["id"] for c in left["items"]] == [champion["id"]]


def test_left_on_implies_left_and_contradictions_are_refused(client, make_account, make_contact):
    account = make_account()
    person = make_contact(account["id"])
    url = f"/api/v1/accounts/{account['id']}/contacts/{person['id']}"
    body = client.patch(url, json={"left_on": "2026-01-31"}).get_json()
    assert body["active"] is False and body["left_on"] == "2026-01-31"
    refused = client.patch(url, json={"active": True, "left_on": "2026-02-01"})
    assert refused.status_code == 422 and "left_on" in refused.get_json()["errors"]
    back = client.patch(url, json={"active": True}).get_json()
    assert back["active"] is True and back["left_on"] is None


def test_org_chart_nests_people_under_their_managers(client, make_account, make_contact):
    account = make_account()
    ceo = make_contact(account["id"], name="A CEO")
    cfo = make_contact(account["id"], name="B CFO", reports_to_id=ceo["id"])
    make_contact(account["id"], name="C Buyer", reports_to_id=cfo["id"])
    make_contact(account["id"], name="D Lone")
    chart = client.get(f"/api/v1/accounts/{account['id']}/org-chart").get_json()
    assert [r["name"] for r in chart["roots"]] == ["A CEO", "D Lone"]
    assert chart["roots"][0]["reports"][0]["name"] == "B CFO"
    assert chart["roots"][0]["reports"][0]["reports"][0]["name"] == "C Buyer"
    assert chart["roots"][1]["reports"] == []
    assert chart["roots"][0]["buying_role"] is None and "version" in chart["roots"][0]


def test_contact_if_match(client, make_account, make_contact):
    account = make_account()
    person = make_contact(account["id"])
    url = f"/api/v1/accounts/{account['id']}/contacts/{person['id']}"
    assert (
        client.patch(url, json={"stance": "detractor"}, headers={"If-Match": "7"}).status_code
        == 412
    )
    assert client.get(url).get_json()["stance"] == "unknown"
