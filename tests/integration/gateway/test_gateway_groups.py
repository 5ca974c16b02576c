"""GET /api/v1/accounts/{id}/group: the accounts service's group with health's scores and the
roll-up, degraded when health is down, scoped for partners."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from flask import Flask, jsonify, request
from support import HttpClient


def _health_and_offerings(scores: dict[str, dict[str, Any]], seen: list[str]) -> Flask:
    """Health's portfolio of a group (the scores the test set) and offerings' exchange rates."""
    app = Flask("health-and-offerings")

    @app.get("/api/v1/health/portfolio")
    def portfolio() -> Any:
        seen.append(request.args["group_id"])
        items = [{"account_id": k, **v} for k, v in scores.items()]
        return jsonify(items=items, total=len(items), page=1, per_page=100)

    @app.get("/api/v1/admin/exchange-rates")
    def rates() -> Any:
        return {"base": "USD", "rates": [{"currency": "EUR", "rate": 1.5, "as_of": "2026-12-01"}]}

    return app


def test_the_group_rolls_up_revenue_per_currency_worst_band_and_weighted_score(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    upstream_tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> None:
    scores: dict[str, dict[str, Any]] = {}
    seen: list[str] = []
    with upstream_tools.serve(_health_and_offerings(scores, seen)) as other:
        gateway = make_gateway(ACCOUNTS_URL=accounts_service, HEALTH_URL=other, OFFERINGS_URL=other)
        sales = {"Authorization": f"Bearer {key_for('sales')}"}

        def account(**body: Any) -> dict[str, Any]:
            made = gateway.post("/api/v1/accounts", json=body, headers=sales)
            assert made.status_code == 201, made.json
            return made.json

        holding = account(name="Pars Holding", annual_revenue=1000)
        steel = account(name="Pars Steel", parent_id=holding["id"], annual_revenue=500)
        scores[holding["id"]] = {"score": 80.0, "band": "healthy"}
        scores[steel["id"]] = {"score": 50.0, "band": "at_risk"}

        group = gateway.get(f"/api/v1/accounts/{steel['id']}/group", headers=sales)
        assert group.status_code == 200, group.json
        body = group.json
        assert seen == [holding["id"]]  # health is asked for the whole group, by its root
        assert body["root_id"] == holding["id"] and body["degraded"] == []
        assert [c["id"] for c in body["members"][0]["children"]] == [steel["id"]]
        assert body["rollup"] == {
            "accounts": 2,
            "annual_revenue": {"USD": 1500.0},
            "worst_band": "at_risk",
            "revenue_weighted_score": 70.0,
        }
        assert body["health"][steel["id"]] == {"score": 50.0, "band": "at_risk"}

        # A euro subsidiary: revenue stays per currency, the score is weighed in USD.
        euro = account(name="Pars EU", parent_id=holding["id"], annual_revenue=1000, currency="EUR")
        scores[euro["id"]] = {"score": 20.0, "band": "critical"}
        body = gateway.get(f"/api/v1/accounts/{holding['id']}/group", headers=sales).json
        assert body["rollup"]["annual_revenue"] == {"EUR": 1000.0, "USD": 1500.0}
        assert body["rollup"]["worst_band"] == "critical"
        # (80×1000 + 50×500 + 20×1500) / 3000
        assert body["rollup"]["revenue_weighted_score"] == 45.0
        assert body["rollup"]["converted"]["rates"][0]["currency"] == "EUR"

        partner = {"Authorization": f"Bearer {key_for('partner', [steel['id']])}"}
        mine = gateway.get(f"/api/v1/accounts/{steel['id']}/group", headers=partner).json
        assert mine["root_id"] == steel["id"] and mine["rollup"]["accounts"] == 1
        foreign = gateway.get(f"/api/v1/accounts/{holding['id']}/group", headers=partner)
        assert foreign.status_code == 404

    down = make_gateway(
        empty=False,
        ACCOUNTS_URL=accounts_service,
        HEALTH_URL=upstream_tools.closed_port_url(),
        OFFERINGS_URL=upstream_tools.closed_port_url(),
    )
    degraded = down.get(f"/api/v1/accounts/{steel['id']}/group", headers=sales).json
    assert degraded["degraded"] == ["health"]
    assert degraded["rollup"]["worst_band"] is None and degraded["rollup"]["accounts"] == 3
    assert degraded["health"] == {}


def test_an_unknown_account_has_no_group(
    make_gateway: Callable[..., HttpClient], accounts_service: str, key_for: Callable[..., str]
) -> None:
    gateway = make_gateway(ACCOUNTS_URL=accounts_service)
    answer = gateway.get(
        "/api/v1/accounts/nope/group", headers={"Authorization": f"Bearer {key_for('sales')}"}
    )
    assert answer.status_code == 404


def test_the_account_page_shows_the_group_and_links_its_portfolio(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    upstream_tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> None:
    from test_gateway_people import person, sign_in

    scores: dict[str, dict[str, Any]] = {}
    with upstream_tools.serve(_health_and_offerings(scores, [])) as other:
        gateway = make_gateway(ACCOUNTS_URL=accounts_service, HEALTH_URL=other, OFFERINGS_URL=other)
        sales = {"Authorization": f"Bearer {key_for('sales')}"}
        holding = gateway.post("/api/v1/accounts", json={"name": "Pars Holding"}, headers=sales)
        steel = gateway.post(
            "/api/v1/accounts",
            json={"name": "Pars Steel", "parent_id": holding.json["id"], "annual_revenue": 10},
            headers=sales,
        ).json
        alone = gateway.post("/api/v1/accounts", json={"name": "Alone"}, headers=sales).json
        scores[steel["id"]] = {"score": 30.0, "band": "critical"}
        browser = sign_in(gateway, person(gateway, "sales"))

        page = browser.get(f"{gateway.base_url}/accounts/{steel['id']}", timeout=10)
        assert page.status_code == 200
        section = page.text[page.text.index('id="group-title"') :]
        assert "Pars Holding" in section and "Pars Steel" in section
        assert f'href="/accounts/{holding.json["id"]}"' in section
        assert "band-critical" in section and f"/?group_id={holding.json['id']}" in section
        single = browser.get(f"{gateway.base_url}/accounts/{alone['id']}", timeout=10)
        assert single.status_code == 200 and 'id="group-title"' not in single.text
