"""Proposals with three options, recommendations by orientation, and accepting one."""

from __future__ import annotations

import pytest
from conftest import add_catalog
from sqlalchemy import select

from kam_offerings.models import outbox

PROBLEM = "application/problem+json"
STRATEGIES = ["unbundled", "collaborative", "flexible"]


def _problem(response, status):
    assert response.status_code == status, response.get_json()
    assert response.content_type == PROBLEM
    return response.get_json()


def option(proposal, strategy):
    return next(o for o in proposal["options"] if o["strategy"] == strategy)


def agreements(client, **query):
    return client.get("/api/v1/offerings/agreements", query_string=query).get_json()


def published(client):
    db = client.application.extensions["kam_db"]
    with db.session(write=False) as session:
        rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
    return [(row.type, row.payload, row.destination) for row in rows]


def test_transactional_gets_unbundled_and_relational_collaborative(
    client, catalog, make_account, propose
):
    buyer = make_account(name="Price first", orientation="transactional", annual_revenue=100000)
    partner = make_account(
        name="Together",
        orientation="relational",
        annual_revenue=900000,
        needs=["guaranteed delivery"],
    )
    for account, expected in ((buyer, "unbundled"), (partner, "collaborative")):
        proposal = propose(account["id"])
        assert proposal["recommended"] == expected
        assert proposal["status"] == "draft" and proposal["account_id"] == account["id"]
        assert [o["strategy"] for o in proposal["options"]] == STRATEGIES
        for each in proposal["options"]:
            assert round(each["price"] - each["cost_to_serve"], 2) == each["margin"]
            assert each["rationale"] and each["items"]
        text = " ".join(proposal["reasons"])
        assert "Orientation is" in text and "80/20" in text and "Health band is healthy" in text
    # (core 100000 + help desk 12 × 1000 + 2-day delivery 15000) less the 8% bundle discount
    assert option(proposal, "collaborative")["price"] == 116840.0
    included = [i["name"] for i in option(proposal, "collaborative")["items"] if i["included"]]
    assert included == ["Core supply", "Help desk", "Guaranteed delivery (2 days)"]


def test_a_new_proposal_supersedes_the_earlier_draft(client, catalog, make_account, propose):
    account = make_account()
    first, second = propose(account["id"]), propose(account["id"])
    assert client.get(f"/api/v1/offerings/proposals/{first['id']}").get_json()["status"] == (
        "superseded"
    )
    listed = client.get(f"/api/v1/offerings/proposals?account_id={account['id']}").get_json()
    assert [p["id"] for p in listed["items"]] == [second["id"], first["id"]]
    body = _problem(
        client.post(
            f"/api/v1/offerings/proposals/{first['id']}/accept", json={"strategy": "flexible"}
        ),
        409,
    )
    assert "superseded" in body["detail"]
    assert agreements(client)["total"] == 0


def test_accepting_creates_one_active_agreement_and_ends_the_previous(
    client, catalog, make_account, propose
):
    account = make_account(orientation="relational", needs=["guaranteed delivery"])
    first = propose(account["id"])
    promo = catalog["PROMO"]["id"]
    accepted = client.post(
        f"/api/v1/offerings/proposals/{first['id']}/accept",
        json={"strategy": "collaborative", "optional_item_ids": [promo]},
    )
    assert accepted.status_code == 201, accepted.get_json()
    old = accepted.get_json()
    chosen = option(first, "collaborative")
    assert old["price"] == chosen["price"] + 8000
    assert old["margin"] == round(old["price"] - old["cost_to_serve"], 2)
    assert old["commitments"] == {"max_delivery_delay_days": 2}
    assert old["status"] == "active" and old["proposal_id"] == first["id"]
    assert [i["optional"] for i in old["items"]].count(True) == 1
    _problem(
        client.post(
            f"/api/v1/offerings/proposals/{first['id']}/accept", json={"strategy": "unbundled"}
        ),
        409,
    )

    second = propose(account["id"])
    new = client.post(
        f"/api/v1/offerings/proposals/{second['id']}/accept", json={"strategy": "unbundled"}
    ).get_json()
    assert new["commitments"] == {}
    active = agreements(client, account_id=account["id"], status="active")["items"]
    assert [a["id"] for a in active] == [new["id"]]
    ended = agreements(client, account_id=account["id"], status="ended")["items"]
    assert [a["id"] for a in ended] == [old["id"]] and ended[0]["ended_on"]

    events = [(kind, payload) for kind, payload, dest in published(client) if dest == "health"]
    assert [kind for kind, _ in events] == [
        "agreement.activated",
        "agreement.ended",
        "agreement.activated",
    ]
    assert events[0][1] == {
        "account_id": account["id"],
        "agreement_id": old["id"],
        "strategy": "collaborative",
        "commitments": {"max_delivery_delay_days": 2},
        "starts_on": old["starts_on"],
    }
    assert events[1][1]["agreement_id"] == old["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"strategy": "premium"}, "strategy"),
        ({}, "strategy"),
        ({"strategy": "unbundled", "optional_item_ids": ["nope"]}, "optional_item_ids.0"),
        ({"strategy": "unbundled", "optional_item_ids": "x"}, "optional_item_ids"),
        ({"strategy": "unbundled", "extra": 1}, "extra"),
    ],
)
def test_bad_acceptances_are_422_and_store_nothing(
    client, catalog, make_account, propose, body, field
):
    proposal = propose(make_account()["id"])
    response = client.post(f"/api/v1/offerings/proposals/{proposal['id']}/accept", json=body)
    assert field in _problem(response, 422)["errors"]
    assert agreements(client)["total"] == 0
    assert client.get(f"/api/v1/offerings/proposals/{proposal['id']}").get_json()["status"] == (
        "draft"
    )


def test_an_item_included_in_the_option_is_not_optional(client, catalog, make_account, propose):
    proposal = propose(make_account()["id"])
    flexible = option(proposal, "flexible")
    included = next(i for i in flexible["items"] if i["included"])["catalog_item_id"]
    optional = next(i for i in flexible["items"] if not i["included"])["catalog_item_id"]
    response = client.post(
        f"/api/v1/offerings/proposals/{proposal['id']}/accept",
        json={"strategy": "flexible", "optional_item_ids": [optional, included, optional]},
    )
    errors = _problem(response, 422)["errors"]
    assert set(errors) == {"optional_item_ids.1", "optional_item_ids.2"}
    assert agreements(client)["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"account_id": "no-such-account"},
        {"account_id": ""},
        {"account_id": 12},
        {"account_id": "a\u0000b"},
        {},
    ],
)
def test_unknown_or_malformed_account_is_422(client, catalog, body):
    errors = _problem(client.post("/api/v1/offerings/proposals", json=body), 422)["errors"]
    assert "account_id" in errors
    assert client.get("/api/v1/offerings/proposals").get_json()["total"] == 0


def test_archived_account_is_422(client, catalog, make_account, accounts):
    account = make_account()
    accounts.client.delete(f"/api/v1/accounts/{account['id']}")
    response = client.post("/api/v1/offerings/proposals", json={"account_id": account["id"]})
    assert "archived" in _problem(response, 422)["errors"]["account_id"][0]


def test_without_a_core_service_there_is_nothing_to_propose(client, make_account):
    add_catalog(client, [{"code": "S", "name": "S", "kind": "support", "list_price": 1,
                          "unit_cost": 1}])  # fmt: skip
    response = client.post("/api/v1/offerings/proposals", json={"account_id": make_account()["id"]})
    _problem(response, 409)


def test_unknown_proposal_is_404(client):
    _problem(client.get("/api/v1/offerings/proposals/nope"), 404)
    _problem(
        client.post("/api/v1/offerings/proposals/nope/accept", json={"strategy": "flexible"}), 404
    )


def test_health_down_degrades_the_proposal_instead_of_failing_it(
    client_without_health, make_account, propose
):
    add_catalog(client_without_health)
    account = make_account(orientation="relational")
    proposal = propose(account["id"], http=client_without_health)
    assert proposal["recommended"] == "collaborative"
    assert proposal["degraded"] == ["health"]
    assert any("Health band is unknown" in reason for reason in proposal["reasons"])


def test_accounts_down_is_503(service_client, catalog):
    from support import closed_port_url

    from kam_offerings import create_app
    from kam_offerings.models import Base

    lonely = service_client("offerings", create_app, Base.metadata, ACCOUNTS_URL=closed_port_url())
    response = lonely.post("/api/v1/offerings/proposals", json={"account_id": "x"})
    _problem(response, 503)


def test_partner_scope_hides_other_accounts(client, catalog, make_account, propose):
    mine, theirs = make_account(name="Mine"), make_account(name="Theirs")
    for account in (mine, theirs):
        proposal = propose(account["id"])
        client.post(
            f"/api/v1/offerings/proposals/{proposal['id']}/accept", json={"strategy": "flexible"}
        )
    headers = {"X-KAM-Account-Scope": mine["id"], "X-KAM-Role": "partner"}
    seen = client.get("/api/v1/offerings/agreements", headers=headers).get_json()["items"]
    assert [a["account_id"] for a in seen] == [mine["id"]]
    assert "cost_to_serve" not in seen[0] and "margin" not in seen[0]
    _problem(client.get(f"/api/v1/offerings/proposals/{proposal['id']}", headers=headers), 404)


def test_proposals_are_idempotent(client, catalog, make_account):
    body = {"account_id": make_account()["id"]}
    headers = {"Idempotency-Key": "p-1"}
    first = client.post("/api/v1/offerings/proposals", json=body, headers=headers)
    again = client.post("/api/v1/offerings/proposals", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert client.get("/api/v1/offerings/proposals").get_json()["total"] == 1


TIERED_HELP_DESK = [
    {"code": "HELPDESK-247", "name": "Help desk 24/7", "kind": "support", "billing": "monthly",
     "list_price": 1800, "unit_cost": 1100, "value_driver": "performance", "family": "HELPDESK",
     "level": 2},
]  # fmt: skip


def test_a_bundle_never_holds_two_tiers_of_one_service(client, catalog, make_account, propose):
    # The segment has fewer than 3 agreements, so the support services stand in for its
    # minimum set: both help desk tiers are support services.
    add_catalog(client, TIERED_HELP_DESK)
    proposal = propose(make_account(orientation="relational")["id"])
    for strategy in ("collaborative", "flexible"):
        included = [i["name"] for i in option(proposal, strategy)["items"] if i["included"]]
        assert "Help desk" in included and "Help desk 24/7" not in included, (strategy, included)
    richer = next(i for i in option(proposal, "flexible")["items"] if i["name"] == "Help desk 24/7")
    assert richer["included"] is False  # still on the menu

    response = client.post(
        f"/api/v1/offerings/proposals/{proposal['id']}/accept",
        json={"strategy": "flexible", "optional_item_ids": [richer["catalog_item_id"]]},
    )
    errors = _problem(response, 422)["errors"]
    assert (
        list(errors) == ["optional_item_ids.0"] and "Help desk" in errors["optional_item_ids.0"][0]
    )
    assert agreements(client)["total"] == 0
    accepted = client.post(
        f"/api/v1/offerings/proposals/{proposal['id']}/accept", json={"strategy": "collaborative"}
    )
    assert accepted.status_code == 201, accepted.get_json()
    families = [i["name"] for i in accepted.get_json()["items"] if "Help desk" in i["name"]]
    assert families == ["Help desk"]


def test_an_agreement_can_be_read_by_id(client, catalog, make_account, propose):
    mine, theirs = make_account(name="Mine"), make_account(name="Theirs")
    made = {}
    for account in (mine, theirs):
        proposal = propose(account["id"])
        accepted = client.post(
            f"/api/v1/offerings/proposals/{proposal['id']}/accept", json={"strategy": "flexible"}
        )
        made[account["id"]] = accepted.get_json()
    read = client.get(f"/api/v1/offerings/agreements/{made[mine['id']]['id']}")
    assert read.status_code == 200 and read.get_json() == made[mine["id"]]
    _problem(client.get("/api/v1/offerings/agreements/no-such-agreement"), 404)
    headers = {"X-KAM-Account-Scope": mine["id"], "X-KAM-Role": "partner"}
    own = client.get(f"/api/v1/offerings/agreements/{made[mine['id']]['id']}", headers=headers)
    assert own.status_code == 200 and "margin" not in own.get_json()
    other = f"/api/v1/offerings/agreements/{made[theirs['id']]['id']}"
    _problem(client.get(other, headers=headers), 404)
