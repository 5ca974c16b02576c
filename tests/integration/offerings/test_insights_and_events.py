"""Facts arriving as integration events; suggestions, their suppression, customer economics."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kam_offerings.domain.pareto import positions

TODAY = "2026-11-01"


def send(client, kind, payload):
    event = {"id": str(uuid.uuid4()), "type": kind, "source": "test", "payload": payload}
    response = client.post("/internal/events", json={"events": [event, event]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"applied": 1, "duplicates": 1}


def account(client, account_id, **facts):
    payload = {
        "account_id": account_id,
        "name": account_id,
        "status": "active",
        "segment": "metals",
        "industry": None,
        "tier": "key",
        "orientation": "mixed",
        "annual_revenue": 1000.0,
        "currency": "USD",
        "contact_cadence_days": 30,
        "needs": [],
        "capabilities": [],
        "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00",
        **facts,
    }
    send(client, "account.created", payload)


def bought(client, account_id, *lines):
    for line in lines:
        send(
            client,
            "purchase.recorded",
            {
                "account_id": account_id,
                "purchase_id": str(uuid.uuid4()),
                "product_line": line,
                "amount": 100.0,
                "occurred_on": TODAY,
            },
        )


def band(client, account_id, value, at="2026-11-01T00:00:00+00:00"):
    send(
        client,
        "health.band_changed",
        {"account_id": account_id, "band": value, "score": 40, "previous_band": None, "at": at},
    )


def suggestions(client, account_id):
    response = client.get(f"/api/v1/offerings/recommendations?account_id={account_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_cross_sell_learns_from_similar_accounts(client):
    account(client, "me")
    account(client, "b")
    account(client, "c")
    account(client, "far", segment="retail")
    bought(client, "me", "steel")
    bought(client, "b", "steel", "coating")
    bought(client, "c", "steel", "coating", "logistics")
    bought(client, "far", "steel", "software")
    band(client, "me", "healthy")
    body = suggestions(client, "me")
    assert body["suppressed"] is False and body["suppressed_reason"] is None
    assert [(i["product_line"], i["kind"], i["propensity"]) for i in body["items"]] == [
        ("coating", "cross_sell", 1.0),
        ("logistics", "cross_sell", 0.5),
    ]
    assert "2 of 2 similar accounts in segment metals" in body["items"][0]["reason"]


def test_an_account_alone_in_its_segment_learns_from_the_whole_portfolio(client):
    account(client, "me", segment="aerospace")
    account(client, "b", segment="metals")
    account(client, "c", segment="retail")
    bought(client, "me", "steel")
    bought(client, "b", "steel", "coating")
    bought(client, "c", "software")
    body = suggestions(client, "me")
    assert body["peers"] == "portfolio" and "aerospace" in body["peers_note"]
    # P(coating | steel) = (1 bought both + 1 × 1/2 popularity) / (1 bought steel + 1)
    assert [(i["product_line"], i["propensity"]) for i in body["items"]] == [("coating", 0.75)]
    assert "whole portfolio" in body["items"][0]["reason"]


def test_an_empty_list_says_why(client):
    account(client, "me")
    account(client, "b")
    bought(client, "me", "steel", "coating")
    bought(client, "b", "steel")
    body = suggestions(client, "me")
    assert body["items"] == [] and body["suppressed"] is False
    assert "buy nothing this account does not already buy" in body["empty_reason"]
    assert "no active agreement" in body["empty_reason"]


def test_cross_sell_names_the_catalog_item_sold_as_that_line(client):
    made = client.post(
        "/api/v1/offerings/catalog",
        json={"code": "COAT", "name": "Coating service", "kind": "support", "list_price": 500,
              "unit_cost": 300, "product_line": "coating"},
    )  # fmt: skip
    assert made.status_code == 201, made.get_json()
    account(client, "me")
    account(client, "b")
    bought(client, "me", "steel")
    bought(client, "b", "steel", "coating", "logistics")
    items = {i["product_line"]: i for i in suggestions(client, "me")["items"]}
    assert items["coating"]["catalog_item_id"] == made.get_json()["id"]
    assert items["coating"]["name"] == "Coating service"
    assert "Coating service (COAT)" in items["coating"]["reason"]
    assert "catalog_item_id" not in items["logistics"]


def test_unhappy_account_gets_no_suggestions_and_is_told_why(client):
    account(client, "me")
    account(client, "b")
    bought(client, "b", "coating")
    band(client, "me", "at_risk")
    band(client, "me", "healthy", at="2026-10-01T00:00:00+00:00")  # older: ignored
    body = suggestions(client, "me")
    assert body["suppressed"] is True and body["items"] == []
    assert "at_risk" in body["suppressed_reason"]


def test_suggestions_use_the_band_health_shows_now(client, make_account, health):
    """Read your writes: events logged a moment ago push the account to at_risk; their
    `health.band_changed` has not reached offerings yet, which still holds `healthy`."""
    created = make_account()
    band(client, created["id"], "healthy")
    now = datetime.now(UTC)
    day = lambda n: (now - timedelta(days=n)).date().isoformat()  # noqa: E731
    for event in (
        {"type": "delivery", "promised_on": day(15), "delivered_on": day(10)},
        {"type": "delivery", "promised_on": day(9), "delivered_on": day(4)},
        {"type": "quality", "severity": "critical"},
        {"type": "support", "severity": "high",
         "opened_at": (now - timedelta(hours=12)).isoformat()},
        {"type": "warning", "signal": "new_competitor", "severity": "medium"},
    ):  # fmt: skip
        logged = health.client.post(
            "/api/v1/health/events", json={"account_id": created["id"], **event}
        )
        assert logged.status_code == 201, logged.get_json()
    shown = health.client.get(f"/api/v1/health/accounts/{created['id']}").get_json()["band"]
    assert shown in ("at_risk", "critical")
    body = suggestions(client, created["id"])
    assert body["band"] == shown and body["band_source"] == "health"
    assert body["suppressed"] is True and shown in body["suppressed_reason"]


def test_recently_offered_account_is_suppressed(client, catalog, make_account, propose):
    created = make_account()
    propose(created["id"])
    body = suggestions(client, created["id"])
    assert body["suppressed"] is True and "last 30 days" in body["suppressed_reason"]


def test_up_sell_from_the_active_agreement(client, catalog, make_account, propose):
    created = make_account()
    proposal = propose(created["id"])
    client.post(
        f"/api/v1/offerings/proposals/{proposal['id']}/accept",
        json={"strategy": "unbundled", "optional_item_ids": [catalog["DELIVERY-5"]["id"]]},
    )
    settings = client.application.extensions["kam_offerings_settings"]
    client.application.extensions["kam_offerings_settings"] = replace(
        settings, offer_cooldown_days=0
    )
    body = suggestions(client, created["id"])
    ups = {i["catalog_item_id"]: i for i in body["items"] if i["kind"] == "up_sell"}
    assert set(ups) == {catalog["DELIVERY-2"]["id"], catalog["CORE-PLUS"]["id"]}
    assert ups[catalog["DELIVERY-2"]["id"]]["propensity"] == 0.5


def test_unknown_account_is_404_on_lookups(client):
    assert client.get("/api/v1/offerings/recommendations?account_id=nope").status_code == 404
    assert client.get("/api/v1/offerings/recommendations").status_code == 422
    assert client.get("/api/v1/offerings/economics/nope").status_code == 404


@pytest.mark.parametrize("account_id", ["/x", "a//b", "//"])
def test_an_id_with_slashes_is_an_unknown_account_not_a_failing_service(client, account_id):
    # Sent on to accounts as one segment (`%2F`), it arrives there as `//`: no account, no 503.
    response = client.get(
        "/api/v1/offerings/recommendations", query_string={"account_id": account_id}
    )

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_pareto_position_matches_the_reference(client):
    revenues = {"a": 600, "b": 200, "c": 100, "d": 60, "e": 40, "z": 0}
    for account_id, revenue in revenues.items():
        account(client, account_id, annual_revenue=float(revenue))
    account(client, "gone", annual_revenue=5000.0, status="archived")
    expected = positions({k: Decimal(v) for k, v in revenues.items()})
    for account_id, position in expected.items():
        body = client.get(f"/api/v1/offerings/economics/{account_id}").get_json()
        pareto = body["pareto"]
        assert pareto["rank"] == position.rank and pareto["accounts"] == 6
        assert pareto["cumulative_revenue"] == float(position.cumulative_revenue)
        assert pareto["portfolio_revenue"] == 1000.0
        assert pareto["in_top_20_percent"] == position.in_top_20_percent
        assert pareto["vital_few"] == position.vital_few
    assert client.get("/api/v1/offerings/economics/gone").get_json()["pareto"] is None


def test_economics_counts_agreement_and_support_load(
    client, catalog, make_account, propose, health
):
    created = make_account(annual_revenue=200000)
    for n in range(3):
        logged = health.client.post(
            "/api/v1/health/events",
            json={"account_id": created["id"], "type": "support", "severity": "low",
                  "external_ref": f"t{n}"},
        )  # fmt: skip
        assert logged.status_code == 201, logged.get_json()
    proposal = propose(created["id"])
    client.post(
        f"/api/v1/offerings/proposals/{proposal['id']}/accept", json={"strategy": "unbundled"}
    )
    body = client.get(f"/api/v1/offerings/economics/{created['id']}").get_json()
    assert body["support_tickets"] == 3 and body["support_load"] == 450.0
    assert body["visits"] == 0 and body["visit_load"] == 0.0
    # Revenue is what the client pays: here the agreement only (no purchases yet).
    assert body["revenue"] == 100000.0 and body["annual_revenue"] == 200000.0
    assert body["agreement_cost"] == 70000.0 and body["cost_to_serve"] == 70450.0
    assert body["margin"] == 100000 - 70450 and body["degraded"] == []
    assert body["cost_complete"] is True and body["margin_unknown_because"] == []


def test_economics_without_health_says_the_margin_is_unknown(client_without_health, make_account):
    created = make_account(annual_revenue=1000)
    body = client_without_health.get(f"/api/v1/offerings/economics/{created['id']}").get_json()
    assert body["support_load"] is None and body["degraded"] == ["health"]
    assert body["cost_to_serve"] == 0.0 and body["margin"] is None
    assert body["margin_share"] is None and body["cost_complete"] is False
    assert any("support load is unknown" in why for why in body["margin_unknown_because"])
    recs = client_without_health.get(
        f"/api/v1/offerings/recommendations?account_id={created['id']}"
    )
    # Nor plays: the contact-pressure rule is applied to what offerings knows itself.
    assert recs.status_code == 200 and recs.get_json()["degraded"] == ["health", "plays"]
