"""Honest money: no sum adds one currency to another, rates are named beside every converted
figure, and a margin is never made up from a cost nobody knows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from test_insights_and_events import account, send

from kam_offerings.domain.pareto import positions

RECENT = (date.today() - timedelta(days=30)).isoformat()


def economics(client, account_id):
    response = client.get(f"/api/v1/offerings/economics/{account_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_80_20_curve_never_adds_euros_to_dollars(client):
    revenues = {"u1": 600, "u2": 400, "e1": 900, "e2": 100, "e3": 100}
    currencies = {"u1": "USD", "u2": "USD", "e1": "EUR", "e2": "EUR", "e3": "EUR"}
    for account_id, revenue in revenues.items():
        account(client, account_id, annual_revenue=float(revenue), currency=currencies[account_id])
    expected = positions({k: Decimal(v) for k, v in revenues.items()}, currencies)
    for account_id, position in expected.items():
        pareto = economics(client, account_id)["pareto"]
        assert pareto["currency"] == currencies[account_id]
        assert pareto["rank"] == position.rank and pareto["accounts"] == position.accounts
        assert pareto["portfolio_revenue"] == float(position.portfolio_revenue)
        assert pareto["cumulative_share"] == position.cumulative_share
    assert economics(client, "u2")["pareto"]["portfolio_revenue"] == 1000.0
    assert economics(client, "e1")["pareto"]["portfolio_revenue"] == 1100.0
    assert economics(client, "e1")["pareto"]["rank"] == 1  # not ranked against dollars


def test_portfolio_economics_draws_one_curve_per_currency(client):
    for account_id, revenue, currency in (
        ("u1", 600, "USD"), ("u2", 400, "USD"), ("e1", 900, "EUR"), ("e2", 100, "EUR"),
    ):  # fmt: skip
        account(client, account_id, annual_revenue=float(revenue), currency=currency)
    account(client, "gone", annual_revenue=5000.0, currency="USD", status="archived")
    body = client.get("/api/v1/offerings/economics").get_json()
    assert body["total"] == 4 and body["page"] == 1 and body["per_page"] == 20
    assert [(i["account_id"], i["currency"], i["rank"]) for i in body["items"]] == [
        ("e1", "EUR", 1), ("e2", "EUR", 2), ("u1", "USD", 1), ("u2", "USD", 2),
    ]  # fmt: skip
    assert body["items"][1]["cumulative_share"] == 1.0
    curves = {c["currency"]: c for c in body["currencies"]}
    assert curves["EUR"]["revenue"] == 1000.0 and curves["USD"]["revenue"] == 1000.0
    assert curves["EUR"]["top_20_percent"] == {"accounts": 1, "revenue": 900.0, "share": 0.9}
    # No rate yet: no total over both currencies, and it says which rate is missing.
    assert body["converted"]["revenue"] is None
    assert body["converted"]["missing_rates"] == ["EUR"]

    only_euros = client.get("/api/v1/offerings/economics?currency=EUR&per_page=1").get_json()
    assert only_euros["total"] == 2 and [i["account_id"] for i in only_euros["items"]] == ["e1"]
    vital = client.get("/api/v1/offerings/economics?vital_few=true").get_json()
    assert {i["account_id"] for i in vital["items"]} == {"e1", "u1", "u2"}


def test_a_converted_total_names_its_rate_and_date(client):
    account(client, "u1", annual_revenue=1000.0, currency="USD")
    account(client, "e1", annual_revenue=500.0, currency="EUR")
    put = client.put(
        "/api/v1/admin/exchange-rates",
        json={"base": "USD", "rates": [{"currency": "EUR", "rate": 1.1, "as_of": "2026-11-30"}]},
    )
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["rates"][0]["currency"] == "EUR"
    assert client.get("/api/v1/admin/exchange-rates").get_json()["base"] == "USD"
    converted = client.get("/api/v1/offerings/economics").get_json()["converted"]
    assert converted == {
        "currency": "USD",
        "revenue": 1550.0,
        "rates": [{"currency": "EUR", "rate": 1.1, "as_of": "2026-11-30"}],
        "missing_rates": [],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"base": "XYZ", "rates": []}, "base"),
        ({"base": "USD", "rates": [{"currency": "XYZ", "rate": 1, "as_of": "2026-11-30"}]},
         "rates.0.currency"),
        ({"base": "USD", "rates": [{"currency": "EUR", "rate": 0, "as_of": "2026-11-30"}]},
         "rates.0.rate"),
        ({"base": "USD", "rates": [{"currency": "USD", "rate": 1, "as_of": "2026-11-30"}]},
         "rates.0.currency"),
        ({"base": "USD", "rates": [{"currency": "EUR", "rate": 1, "as_of": "2026-11-30"},
                                    {"currency": "EUR", "rate": 2, "as_of": "2026-11-30"}]},
         "rates.1.currency"),
    ],
)  # fmt: skip
def test_bad_exchange_rates_are_refused_naming_the_field(client, body, field):
    response = client.put("/api/v1/admin/exchange-rates", json=body)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [field]
    assert client.get("/api/v1/admin/exchange-rates").get_json()["rates"] == []


def test_an_unknown_purchase_cost_makes_the_margin_unknown_not_96_percent(
    client, make_account, accounts
):
    created = make_account(annual_revenue=100000)
    accounts.client.post(
        f"/api/v1/accounts/{created['id']}/purchases",
        json={"product_line": "steel", "amount": 50000, "occurred_on": RECENT},
    )
    bought_event(client, created["id"], "steel", 50000)
    body = economics(client, created["id"])
    assert body["revenue"] == 50000.0 and body["margin"] is None
    assert any("'steel'" in why for why in body["margin_unknown_because"])
    assert body["product_lines"] == [
        {"product_line": "steel", "revenue": 50000.0, "cost": None, "cost_share": None,
         "priced_by": [], "assumed": False},
    ]  # fmt: skip


def test_purchases_are_costed_at_their_catalog_items_share_and_visits_count(
    client, make_account, accounts
):
    client.post(
        "/api/v1/offerings/catalog",
        json={"code": "STEEL", "name": "Steel supply", "kind": "core", "list_price": 1000,
              "unit_cost": 700, "product_line": "steel"},
    )  # fmt: skip
    created = make_account(annual_revenue=100000)
    for _ in range(2):
        visit = accounts.client.post(
            f"/api/v1/accounts/{created['id']}/interactions", json={"kind": "visit"}
        )
        assert visit.status_code == 201, visit.get_json()
    bought_event(client, created["id"], "steel", 50000)
    old = (date.today() - timedelta(days=400)).isoformat()
    bought_event(client, created["id"], "steel", 10000, occurred_on=old)  # over 12 months ago
    body = economics(client, created["id"])
    assert body["revenue"] == 50000.0 and body["visits"] == 2 and body["visit_load"] == 800.0
    assert body["product_lines"][0]["cost"] == 35000.0
    assert body["product_lines"][0]["priced_by"] == ["STEEL"]
    assert body["cost_to_serve"] == 35800.0 and body["margin"] == 14200.0
    assert body["margin_share"] == 0.284


def bought_event(client, account_id, line, amount, occurred_on=None):
    send(
        client,
        "purchase.recorded",
        {"account_id": account_id, "purchase_id": str(uuid.uuid4()), "product_line": line,
         "amount": float(amount), "occurred_on": occurred_on or RECENT},
    )  # fmt: skip


def test_a_stated_assumption_prices_lines_no_catalog_item_does(
    service_client, accounts, health, make_account
):
    from kam_offerings import create_app
    from kam_offerings.models import Base

    client = service_client(
        "offerings", create_app, Base.metadata, ACCOUNTS_URL=accounts.url,
        HEALTH_URL=health.url, ASSUMED_COST_SHARE=Decimal("0.7"),
    )  # fmt: skip
    created = make_account(annual_revenue=100000)
    bought_event(client, created["id"], "steel", 50000)
    body = economics(client, created["id"])
    assert body["product_lines"][0]["assumed"] is True
    assert body["product_lines"][0]["cost"] == 35000.0
    assert body["margin"] == 15000.0 and body["cost_complete"] is True
    assert any("Assumption: steel" in note and "70" in note for note in body["notes"])
