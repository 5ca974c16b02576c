"""Client groups: `parent_id` with its checks, and the group an account belongs to."""

from __future__ import annotations

from kam_common.scope import ROLE_HEADER, SCOPE_HEADER


def test_a_holding_and_its_subsidiaries_form_one_group_whichever_member_is_asked(
    client, make_account
):
    holding = make_account(name="Pars Holding", annual_revenue=1000, currency="EUR")
    steel = make_account(name="Pars Steel", parent_id=holding["id"], annual_revenue=300)
    mills = make_account(
        name="Pars Mills", parent_id=steel["id"], annual_revenue=200, currency="EUR"
    )
    make_account(name="Alone")
    assert steel["parent_id"] == holding["id"]

    for member in (holding, steel, mills):
        group = client.get(f"/internal/groups/{member['id']}").get_json()
        assert group["root_id"] == holding["id"]
        (top,) = group["members"]
        assert top["name"] == "Pars Holding" and top["parent_id"] is None
        assert [c["name"] for c in top["children"]] == ["Pars Steel"]
        assert [c["name"] for c in top["children"][0]["children"]] == ["Pars Mills"]
        assert group["rollup"] == {"accounts": 3, "annual_revenue": {"EUR": 1200.0, "USD": 300.0}}

    # Archived members stay in the tree, out of the roll-up.
    client.delete(f"/api/v1/accounts/{mills['id']}")
    group = client.get(f"/internal/groups/{steel['id']}").get_json()
    assert group["rollup"] == {"accounts": 2, "annual_revenue": {"EUR": 1000.0, "USD": 300.0}}


def test_an_unknown_parent_and_a_loop_are_422s_naming_parent_id(client, make_account):
    holding = make_account(name="H")
    child = make_account(name="C", parent_id=holding["id"])
    grandchild = make_account(name="G", parent_id=child["id"])

    unknown = client.post("/api/v1/accounts", json={"name": "X", "parent_id": "nope"})
    assert unknown.status_code == 422 and "parent_id" in unknown.get_json()["errors"]
    for parent in (holding["id"], child["id"], grandchild["id"]):
        looped = client.patch(f"/api/v1/accounts/{holding['id']}", json={"parent_id": parent})
        assert looped.status_code == 422, parent
        assert "parent_id" in looped.get_json()["errors"]
    assert client.get(f"/api/v1/accounts/{holding['id']}").get_json()["parent_id"] is None

    # Moving a subsidiary, and leaving the group, are ordinary changes.
    moved = client.patch(f"/api/v1/accounts/{grandchild['id']}", json={"parent_id": holding["id"]})
    assert moved.status_code == 200 and moved.get_json()["parent_id"] == holding["id"]
    left = client.patch(f"/api/v1/accounts/{child['id']}", json={"parent_id": None})
    assert left.get_json()["parent_id"] is None
    alone = client.get(f"/internal/groups/{child['id']}").get_json()
    assert alone["root_id"] == child["id"] and alone["members"][0]["children"] == []


def test_a_partner_sees_only_its_accounts_of_the_group(client, make_account):
    holding = make_account(name="H", annual_revenue=900)
    child = make_account(name="C", parent_id=holding["id"], annual_revenue=100)
    grandchild = make_account(name="G", parent_id=child["id"], annual_revenue=10)
    partner = {ROLE_HEADER: "partner", SCOPE_HEADER: f"{holding['id']},{grandchild['id']}"}

    group = client.get(f"/internal/groups/{grandchild['id']}", headers=partner).get_json()
    assert group["root_id"] == holding["id"]
    (top,) = group["members"]
    assert [c["id"] for c in top["children"]] == [grandchild["id"]]  # C is not theirs
    assert group["rollup"] == {"accounts": 2, "annual_revenue": {"USD": 910.0}}

    only_child = {ROLE_HEADER: "partner", SCOPE_HEADER: grandchild["id"]}
    group = client.get(f"/internal/groups/{grandchild['id']}", headers=only_child).get_json()
    assert group["root_id"] == grandchild["id"] and len(group["members"]) == 1
    hidden = client.get(f"/internal/groups/{child['id']}", headers=only_child)
    assert hidden.status_code == 404
