"""The gateway's own reads: the account overview, readiness and the merged OpenAPI document.

The accounts service here is the real app; health and offerings are echo services or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from flask import Flask, jsonify
from support import HttpClient

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def tools(upstream_tools: SimpleNamespace) -> SimpleNamespace:
    return upstream_tools


def _health_and_offerings_stub() -> Flask:
    """Answers the two calls the overview makes to health and offerings like those services."""
    app = Flask("health-and-offerings")

    @app.get("/api/v1/health/accounts/<account_id>")
    def score(account_id: str) -> object:
        return {"account_id": account_id, "score": 81.5, "band": "healthy"}

    @app.get("/api/v1/offerings/agreements")
    def agreements() -> object:
        return jsonify(items=[{"id": "ag-1", "status": "active"}], total=1, page=1, per_page=20)

    return app


def _create_account(gateway: HttpClient, headers: dict[str, str]) -> str:
    created = gateway.post("/api/v1/accounts", json={"name": "Acme Kft."}, headers=headers)
    assert created.status_code == 201, created.json
    account_id: str = created.json["id"]
    contact = gateway.post(
        f"/api/v1/accounts/{account_id}/contacts", json={"name": "Dana"}, headers=headers
    )
    assert contact.status_code == 201, contact.json
    return account_id


def test_overview_combines_the_services(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> None:
    with tools.serve(_health_and_offerings_stub()) as other:
        gateway = make_gateway(ACCOUNTS_URL=accounts_service, HEALTH_URL=other, OFFERINGS_URL=other)
        sales = {"Authorization": f"Bearer {key_for('sales')}"}
        account_id = _create_account(gateway, sales)

        overview = gateway.get(f"/api/v1/accounts/{account_id}/overview", headers=sales)

    assert overview.status_code == 200
    body = overview.json
    assert body["account"]["id"] == account_id
    assert [c["name"] for c in body["contacts"]] == ["Dana"]
    assert body["team"] == []
    assert body["health"] == {"account_id": account_id, "score": 81.5, "band": "healthy"}
    assert body["agreement"] == {"id": "ag-1", "status": "active"}
    assert body["degraded"] == []


def test_overview_degrades_when_health_and_offerings_are_down(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> None:
    gateway = make_gateway(
        ACCOUNTS_URL=accounts_service,
        HEALTH_URL=tools.closed_port_url(),
        OFFERINGS_URL=tools.closed_port_url(),
    )
    sales = {"Authorization": f"Bearer {key_for('sales')}"}
    account_id = _create_account(gateway, sales)

    overview = gateway.get(f"/api/v1/accounts/{account_id}/overview", headers=sales)

    assert overview.status_code == 200
    body = overview.json
    assert body["account"]["name"] == "Acme Kft."
    assert body["health"] is None and body["agreement"] is None
    assert sorted(body["degraded"]) == ["health", "offerings"]


def test_overview_of_a_missing_account_is_404_and_partners_get_no_team(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> None:
    with tools.serve(_health_and_offerings_stub()) as other:
        gateway = make_gateway(ACCOUNTS_URL=accounts_service, HEALTH_URL=other, OFFERINGS_URL=other)
        sales = {"Authorization": f"Bearer {key_for('sales')}"}
        account_id = _create_account(gateway, sales)
        partner = {"Authorization": f"Bearer {key_for('partner', [account_id, 'gone'])}"}

        missing = gateway.get("/api/v1/accounts/gone/overview", headers=partner)
        mine = gateway.get(f"/api/v1/accounts/{account_id}/overview", headers=partner)

    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert mine.status_code == 200
    assert "team" not in mine.json
    assert mine.json["contacts"][0]["name"] == "Dana"


def test_overview_with_accounts_down_is_503_naming_accounts(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    tools: SimpleNamespace,
    auth: Auth,
) -> None:
    gateway = make_gateway(**tools.config({**echo_upstreams, "accounts": tools.closed_port_url()}))

    response = gateway.get("/api/v1/accounts/acc-1/overview", headers=auth("executive"))

    assert response.status_code == 503
    assert response.json["service"] == "accounts"


def test_readyz_is_200_when_every_service_answers(gateway: HttpClient) -> None:
    response = gateway.get("/readyz")

    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["services"] == {
        "accounts": "up",
        "offerings": "up",
        "health": "up",
        "plays": "up",
    }
    # Echo stubs have no outbox to report: the detail says so instead of inventing numbers.
    assert response.json["outbox"] == {
        "accounts": None,
        "offerings": None,
        "health": None,
        "plays": None,
    }


def test_readyz_is_503_naming_the_service_that_is_down(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    tools: SimpleNamespace,
) -> None:
    gateway = make_gateway(**tools.config({**echo_upstreams, "offerings": tools.closed_port_url()}))

    response = gateway.get("/readyz")

    assert response.status_code == 503
    assert response.json["services"] == {
        "accounts": "up",
        "offerings": "down",
        "health": "up",
        "plays": "up",
    }
    assert response.json["down"] == ["offerings"]
    assert "offerings" in response.json["detail"]


def test_healthz_needs_no_key(gateway: HttpClient) -> None:
    assert gateway.get("/healthz").json["status"] == "ok"


def test_openapi_merges_the_services_documents(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    echo_upstreams: dict[str, str],
    tools: SimpleNamespace,
    auth: Auth,
) -> None:
    gateway = make_gateway(**tools.config({**echo_upstreams, "accounts": accounts_service}))

    assert gateway.get("/api/v1/openapi.json").status_code == 401
    response = gateway.get("/api/v1/openapi.json", headers=auth("partner", ["acc-1"]))

    assert response.status_code == 200
    doc = response.json
    paths = doc["paths"]
    # The accounts service's own paths, the gateway's, and /healthz.
    assert {"get", "post"} <= set(paths["/api/v1/accounts"])
    assert "patch" in paths["/api/v1/accounts/{account_id}"]
    assert "get" in paths["/api/v1/accounts/{account_id}/contacts"]
    assert "post" in paths["/api/v1/admin/keys"]
    assert "get" in paths["/api/v1/accounts/{account_id}/overview"]
    assert "/healthz" in paths and "/readyz" in paths
    # Services' infrastructure endpoints are not part of the public API.
    assert "/openapi.json" not in paths
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]
    assert paths["/readyz"]["get"]["security"] == []
    # Every reference resolves.
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        section, name = ref.split("/")[2:4]
        assert name in doc["components"][section], ref
    assert "KeyCreate" in schemas
    assert "x-degraded" not in doc


def test_openapi_lists_the_services_it_could_not_reach(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    tools: SimpleNamespace,
    auth: Auth,
) -> None:
    gateway = make_gateway(
        ACCOUNTS_URL=accounts_service,
        HEALTH_URL=tools.closed_port_url(),
        OFFERINGS_URL=tools.closed_port_url(),
        PLAYS_URL=tools.closed_port_url(),
    )

    doc = gateway.get("/api/v1/openapi.json", headers=auth("engineer")).json

    assert sorted(doc["x-degraded"]) == ["health", "offerings", "plays"]
    assert "/api/v1/accounts" in doc["paths"]


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []
