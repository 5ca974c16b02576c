"""The timeline composite: the accounts service's own history, health events and agreements.

Accounts is the real app; health and offerings are stubs that page like the real services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, jsonify, request
from support import HttpClient

Auth = Callable[..., dict[str, str]]

EVENTS = [
    {
        "id": "ev-2",
        "type": "quality",
        "severity": "critical",
        "note": "Cracked housings",
        "occurred_at": "2026-11-10T12:00:00Z",
    },
    {
        "id": "ev-1",
        "type": "delivery",
        "promised_on": "2026-11-01",
        "delivered_on": "2026-11-05",
        "occurred_at": "2026-11-05T09:00:00Z",
    },
]
AGREEMENTS = [
    {
        "id": "ag-1",
        "strategy": "collaborative",
        "status": "active",
        "price": 1000,
        "currency": "USD",
        "starts_on": "2026-11-07",
        "ended_on": None,
        "created_at": "2026-11-07T10:00:00Z",
    }
]


def _paged(items: list[dict[str, Any]]) -> Any:
    page, per_page = int(request.args["page"]), int(request.args["per_page"])
    start = (page - 1) * per_page
    return jsonify(
        items=items[start : start + per_page], total=len(items), page=page, per_page=per_page
    )


def stub_health_and_offerings(seen: list[str]) -> Flask:
    app = Flask("timeline-stub")

    @app.get("/api/v1/health/events")
    def events() -> Any:
        seen.append(request.full_path)
        return _paged([{**e, "account_id": request.args["account_id"]} for e in EVENTS])

    @app.get("/api/v1/offerings/agreements")
    def agreements() -> Any:
        seen.append(request.full_path)
        return _paged(AGREEMENTS)

    return app


@pytest.fixture
def setup(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    upstream_tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> Iterator[SimpleNamespace]:
    seen: list[str] = []
    with upstream_tools.serve(stub_health_and_offerings(seen)) as other:
        gateway = make_gateway(ACCOUNTS_URL=accounts_service, HEALTH_URL=other, OFFERINGS_URL=other)
        sales = {"Authorization": f"Bearer {key_for('sales')}"}
        account = gateway.post("/api/v1/accounts", json={"name": "Acme"}, headers=sales).json
        acc = f"/api/v1/accounts/{account['id']}"
        made = gateway.post(
            acc + "/interactions",
            json={"kind": "meeting", "occurred_at": "2026-11-08T09:00:00Z", "summary": "QBR"},
            headers=sales,
        )
        assert made.status_code == 201, made.json
        yield SimpleNamespace(gateway=gateway, sales=sales, acc=acc, seen=seen, account=account)


def test_the_timeline_merges_every_service_newest_first(setup: SimpleNamespace) -> None:
    response = setup.gateway.get(setup.acc + "/timeline", headers=setup.sales)

    assert response.status_code == 200, response.json
    body = response.json
    assert body["degraded"] == []
    assert (body["page"], body["per_page"]) == (1, 20)
    by_type = [(e["type"], e["summary"]) for e in body["items"]]
    # The account was opened "now" (after these fixed dates), so it comes first.
    assert by_type[0][0] == "account"
    assert by_type[1:] == [
        ("health_event", "Critical quality issue: Cracked housings"),
        ("interaction", "Meeting: QBR"),
        ("agreement", "Collaborative agreement started on 2026-11-07 (1,000.00 USD a year)"),
        ("health_event", "Late delivery: promised 2026-11-01, delivered 2026-11-05"),
    ]
    assert body["total"] == 5
    assert any("account_id=" + setup.account["id"] in path for path in setup.seen)


def test_the_timeline_pages_over_the_merged_list(setup: SimpleNamespace) -> None:
    second = setup.gateway.get(setup.acc + "/timeline?page=2&per_page=2", headers=setup.sales)
    deep = setup.gateway.get(setup.acc + "/timeline?page=6&per_page=100", headers=setup.sales)

    assert second.status_code == 200
    assert [e["type"] for e in second.json["items"]] == ["interaction", "agreement"]
    assert second.json["total"] == 5
    # Each source was asked for its newest page × per_page entries.
    assert any("page=1&per_page=4" in path for path in setup.seen)
    assert deep.status_code == 422
    assert "page" in deep.json["errors"]


def test_the_timeline_filters_by_type(setup: SimpleNamespace) -> None:
    only = setup.gateway.get(
        setup.acc + "/timeline?type=health_event&type=interaction", headers=setup.sales
    )
    wrong = setup.gateway.get(setup.acc + "/timeline?type=gossip", headers=setup.sales)

    assert [e["type"] for e in only.json["items"]] == [
        "health_event",
        "interaction",
        "health_event",
    ]
    assert only.json["total"] == 3
    assert wrong.status_code == 400  # an entry type that does not exist, named
    assert list(wrong.json["errors"]) == ["type.0"]


def test_the_timeline_of_a_missing_account_is_404_and_partners_may_not_read_it(
    setup: SimpleNamespace, auth: Auth
) -> None:
    missing = setup.gateway.get("/api/v1/accounts/nope/timeline", headers=setup.sales)
    partner = auth("partner", [setup.account["id"]])
    refused = setup.gateway.get(setup.acc + "/timeline", headers=partner)

    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert refused.status_code == 403


def test_engineers_see_no_agreements_in_the_timeline(setup: SimpleNamespace, auth: Auth) -> None:
    response = setup.gateway.get(setup.acc + "/timeline", headers=auth("engineer"))

    assert response.status_code == 200
    assert "agreement" not in {e["type"] for e in response.json["items"]}
    assert response.json["degraded"] == []
    assert not any("offerings" in path for path in setup.seen)


def test_the_timeline_degrades_when_health_and_offerings_are_down(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    upstream_tools: SimpleNamespace,
    key_for: Callable[..., str],
) -> None:
    gateway = make_gateway(
        ACCOUNTS_URL=accounts_service,
        HEALTH_URL=upstream_tools.closed_port_url(),
        OFFERINGS_URL=upstream_tools.closed_port_url(),
    )
    sales = {"Authorization": f"Bearer {key_for('sales')}"}
    account = gateway.post("/api/v1/accounts", json={"name": "Acme"}, headers=sales).json

    response = gateway.get(f"/api/v1/accounts/{account['id']}/timeline", headers=sales)

    assert response.status_code == 200
    assert sorted(response.json["degraded"]) == ["health", "offerings"]
    assert [e["type"] for e in response.json["items"]] == ["account"]
    assert response.json["total"] == 1


def test_the_timeline_with_accounts_down_is_503_naming_accounts(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: SimpleNamespace,
    auth: Auth,
) -> None:
    gateway = make_gateway(
        **upstream_tools.config({**echo_upstreams, "accounts": upstream_tools.closed_port_url()})
    )

    response = gateway.get("/api/v1/accounts/acc-1/timeline", headers=auth("sales"))

    assert response.status_code == 503
    assert response.json["service"] == "accounts"


def test_the_timeline_is_the_gateways_own_in_the_openapi_document(
    setup: SimpleNamespace,
) -> None:
    doc = setup.gateway.get("/api/v1/openapi.json", headers=setup.sales).json

    operation = doc["paths"]["/api/v1/accounts/{account_id}/timeline"]["get"]
    assert "health events" in operation["description"] + operation["summary"]
    assert "TimelinePage" in str(operation["responses"]["200"])
