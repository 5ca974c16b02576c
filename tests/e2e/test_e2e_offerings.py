"""Offerings through the gateway, as a sales user would try them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

MakeKey = Callable[..., dict[str, str]]
TODAY = datetime.now(UTC).date()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def keys(make_key: MakeKey, admin_headers: dict[str, str]) -> dict[str, dict[str, str]]:
    made = {role: make_key(role) for role in ("sales", "engineer", "executive")}
    return {**made, "admin": admin_headers}


@pytest.fixture(scope="module")
def api(gateway_url: str) -> Callable[..., requests.Response]:
    def call(method: str, path: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{gateway_url}/api/v1{path}", headers=headers, timeout=15, **kwargs
        )

    return call


@pytest.fixture(scope="module")
def catalog(api, keys) -> dict[str, dict[str, Any]]:
    """A small catalog, added by an admin (the catalog is priced policy)."""
    tag = uuid.uuid4().hex[:6].upper()
    items = [
        {"code": "CORE", "name": "Core supply", "kind": "core", "list_price": 100000,
         "unit_cost": 70000},
        {"code": "HELPDESK", "name": "Help desk", "kind": "support", "billing": "monthly",
         "list_price": 1000, "unit_cost": 600, "value_driver": "performance"},
        {"code": "COSTRED", "name": "Coordinated cost-reduction programme",
         "kind": "value_added", "list_price": 20000, "unit_cost": 9000,
         "value_driver": "cost_reduction"},
        {"code": "DELIVERY-2", "name": "Guaranteed delivery (2 days)", "kind": "value_added",
         "list_price": 15000, "unit_cost": 6000, "value_driver": "assurance",
         "commitment": {"max_delivery_delay_days": 2}},
    ]  # fmt: skip
    made = {}
    for item in items:
        body = {**item, "code": f"{item['code']}-{tag}"}
        assert api("POST", "/offerings/catalog", keys["sales"], json=body).status_code == 403
        response = api("POST", "/offerings/catalog", keys["admin"], json=body)
        assert response.status_code == 201, response.text
        made[item["code"]] = response.json()
    return made


def new_account(api, sales, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Offerings {uuid.uuid4().hex[:8]}", "annual_revenue": 400000, **fields}
    response = api("POST", "/accounts", sales, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def propose(api, sales, account_id: str) -> dict[str, Any]:
    response = api("POST", "/offerings/proposals", sales, json={"account_id": account_id})
    assert response.status_code == 201, response.text
    return dict(response.json())


def accept(api, sales, proposal: dict[str, Any], strategy: str, *optional: str) -> dict[str, Any]:
    response = api(
        "POST",
        f"/offerings/proposals/{proposal['id']}/accept",
        sales,
        json={"strategy": strategy, "optional_item_ids": list(optional)},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_three_honest_options_and_the_recommendation_by_orientation(api, keys, catalog):
    sales = keys["sales"]
    buyer = new_account(api, sales, orientation="transactional", needs=["low price"])
    partner = new_account(api, sales, orientation="relational", needs=["guaranteed delivery"])
    for account, expected in ((buyer, "unbundled"), (partner, "collaborative")):
        proposal = propose(api, sales, account["id"])
        assert proposal["recommended"] == expected, proposal["reasons"]
        assert [o["strategy"] for o in proposal["options"]] == [
            "unbundled",
            "collaborative",
            "flexible",
        ]
        for option in proposal["options"]:
            assert round(option["price"] - option["cost_to_serve"], 2) == option["margin"]
        reasons = " ".join(proposal["reasons"])
        for fact in ("Orientation", "Needs", "80/20", "Health band"):
            assert fact in reasons, reasons
        read = api("GET", f"/offerings/proposals/{proposal['id']}", keys["executive"])
        assert read.status_code == 200 and read.json()["id"] == proposal["id"]
    economics = api("GET", f"/offerings/economics/{partner['id']}", keys["executive"])
    assert economics.status_code == 200, economics.text
    assert economics.json()["pareto"]["rank"] >= 1
    assert api("GET", f"/offerings/economics/{partner['id']}", keys["engineer"]).status_code == 403


def test_accepting_makes_exactly_one_active_agreement(api, keys, catalog, make_key):
    sales = keys["sales"]
    account = new_account(api, sales, orientation="relational")
    first = accept(api, sales, propose(api, sales, account["id"]), "collaborative")
    second_proposal = propose(api, sales, account["id"])
    second = accept(api, sales, second_proposal, "unbundled", catalog["COSTRED"]["id"])
    assert second["price"] == 120000.0 and second["margin"] == 41000.0
    read = api("GET", f"/offerings/agreements/{second['id']}", keys["executive"])
    assert read.status_code == 200 and read.json() == second

    def listed(status: str) -> list[str]:
        body = api(
            "GET",
            "/offerings/agreements",
            keys["executive"],
            params={"account_id": account["id"], "status": status},
        ).json()
        return [a["id"] for a in body["items"]]

    assert listed("active") == [second["id"]]
    assert listed("ended") == [first["id"]]
    again = api(
        "POST",
        f"/offerings/proposals/{second_proposal['id']}/accept",
        sales,
        json={"strategy": "flexible"},
    )
    assert again.status_code == 409 and again.headers["Content-Type"].startswith(
        "application/problem+json"
    )
    partner = make_key("partner", [account["id"]])
    seen = api("GET", "/offerings/agreements", partner).json()["items"]
    assert {a["account_id"] for a in seen} == {account["id"]}
    assert all("margin" not in a for a in seen)


def test_an_unhappy_account_gets_no_suggestions_and_is_told_why(api, keys, catalog):
    account = new_account(api, keys["sales"])
    engineer = keys["engineer"]
    for event in [
        {"type": "quality", "severity": "critical", "note": "Seal failures"},
        {"type": "quality", "severity": "critical", "note": "Cracked housings"},
        {"type": "delivery", "promised_on": days_ago(20), "delivered_on": days_ago(5)},
        {"type": "delivery", "promised_on": days_ago(12), "delivered_on": days_ago(1)},
        {"type": "support", "severity": "critical"},
    ]:
        logged = api(
            "POST", "/health/events", engineer, json={"account_id": account["id"], **event}
        )
        assert logged.status_code == 201, logged.text
    band = api("GET", f"/health/accounts/{account['id']}", keys["executive"]).json()["band"]
    assert band in ("at_risk", "critical")
    body = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = api(
            "GET", "/offerings/recommendations", keys["sales"], params={"account_id": account["id"]}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if body["suppressed"]:
            break
        time.sleep(0.3)
    assert body["suppressed"] is True and body["items"] == []
    assert band in body["suppressed_reason"]


def test_a_guaranteed_delivery_breach_weighs_more_than_an_ordinary_delay(api, keys, catalog):
    sales, engineer = keys["sales"], keys["engineer"]
    fields = {"orientation": "relational", "annual_revenue": 300000, "segment": "twins"}
    agreed = new_account(api, sales, **fields)
    twin = new_account(api, sales, **fields)
    proposal = propose(api, sales, agreed["id"])
    agreement = accept(api, sales, proposal, "unbundled", catalog["DELIVERY-2"]["id"])
    assert agreement["commitments"] == {"max_delivery_delay_days": 2}
    late = {"type": "delivery", "promised_on": days_ago(6), "delivered_on": days_ago(2)}
    scores: dict[str, float] = {}
    deadline = time.monotonic() + 20
    logged = False
    while time.monotonic() < deadline:
        if not logged:
            time.sleep(1.0)  # give the worker a moment to deliver agreement.activated
            for account in (agreed, twin):
                response = api(
                    "POST", "/health/events", engineer, json={"account_id": account["id"], **late}
                )
                assert response.status_code == 201, response.text
            logged = True
        scores = {
            account["id"]: api(
                "GET", f"/health/accounts/{account['id']}", keys["executive"]
            ).json()["score"]
            for account in (agreed, twin)
        }
        if scores[agreed["id"]] < scores[twin["id"]]:
            break
        time.sleep(0.5)
    assert scores[agreed["id"]] < scores[twin["id"]], scores


def test_exchange_rates_and_the_portfolio_curve_through_the_gateway(api, keys):
    rates = {"base": "USD", "rates": [{"currency": "EUR", "rate": 1.08, "as_of": days_ago(1)}]}
    assert api("PUT", "/admin/exchange-rates", keys["executive"], json=rates).status_code == 403
    bad = {"base": "XYZ", "rates": []}
    refused = api("PUT", "/admin/exchange-rates", keys["admin"], json=bad)
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["base"]
    put = api("PUT", "/admin/exchange-rates", keys["admin"], json=rates)
    assert put.status_code == 200, put.text
    assert api("GET", "/admin/exchange-rates", keys["admin"]).json()["rates"][0]["rate"] == 1.08
    curve = api("GET", "/offerings/economics?per_page=100", keys["executive"])
    assert curve.status_code == 200, curve.text
    body = curve.json()
    assert body["total"] >= 1 and body["currencies"]
    for currency in body["currencies"]:
        ranks = [i["rank"] for i in body["items"] if i["currency"] == currency["currency"]]
        assert ranks == sorted(ranks)
    assert api("GET", "/offerings/economics", keys["engineer"]).status_code == 403
    spec = api("GET", "/openapi.json", keys["executive"]).json()
    assert "put" in spec["paths"]["/api/v1/admin/exchange-rates"]
    assert "get" in spec["paths"]["/api/v1/offerings/economics"]
