"""Relationship health through the gateway, as an engineer, a partner and an executive would."""

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
def keys(make_key: MakeKey) -> dict[str, dict[str, str]]:
    return {role: make_key(role) for role in ("sales", "engineer", "executive")}


@pytest.fixture(scope="module")
def api(gateway_url: str) -> Callable[..., requests.Response]:
    def call(method: str, path: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{gateway_url}/api/v1{path}", headers=headers, timeout=15, **kwargs
        )

    return call


def new_account(api, sales, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Health {uuid.uuid4().hex[:8]}", "annual_revenue": 500000, **fields}
    response = api("POST", "/accounts", sales, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_clean_account_is_healthy(api, keys):
    account = new_account(api, keys["sales"])
    score = api("GET", f"/health/accounts/{account['id']}", keys["executive"])
    assert score.status_code == 200, score.text
    body = score.json()
    assert body["band"] == "healthy" and body["score"] == 100.0
    assert all(c["evidence"][0].startswith("No evidence yet") for c in body["components"].values())


def test_a_troubled_account_falls_with_evidence_and_an_open_alert(api, keys, make_key):
    account = new_account(api, keys["sales"])
    partner = make_key("partner", [account["id"]])
    engineer = keys["engineer"]
    events = [
        ({"type": "delivery", "promised_on": days_ago(15), "delivered_on": days_ago(10)}, partner),
        ({"type": "delivery", "promised_on": days_ago(9), "delivered_on": days_ago(3)}, partner),
        ({"type": "quality", "severity": "critical", "note": "Seal failures"}, engineer),
        (
            {
                "type": "support",
                "severity": "high",
                "opened_at": (datetime.now(UTC) - timedelta(hours=20)).isoformat(),
            },
            partner,
        ),
        ({"type": "warning", "signal": "new_competitor", "severity": "medium"}, keys["sales"]),
    ]
    for event, who in events:
        response = api("POST", "/health/events", who, json={"account_id": account["id"], **event})
        assert response.status_code == 201, response.text

    score = api("GET", f"/health/accounts/{account['id']}", keys["executive"]).json()
    assert score["band"] in ("at_risk", "critical"), score
    evidence = " ".join(line for c in score["components"].values() for line in c["evidence"])
    for cause in ("deliveries late", "critical", "still open", "new competitor"):
        assert cause in evidence, evidence
    alerts = api(
        "GET",
        "/health/alerts",
        keys["executive"],
        params={"account_id": account["id"], "status": "open"},
    ).json()
    assert {"critical_quality", "band_worsened"} <= {a["cause"] for a in alerts["items"]}

    # the partner sees its own account's score and events only
    assert api("GET", f"/health/accounts/{account['id']}", partner).status_code == 200
    other = new_account(api, keys["sales"])
    assert api("GET", f"/health/accounts/{other['id']}", partner).status_code == 404
    refused = api(
        "POST",
        "/health/events",
        partner,
        json={"account_id": other["id"], "type": "support", "severity": "low"},
    )
    assert refused.status_code == 422
    assert (
        api(
            "POST",
            "/health/events",
            partner,
            json={"account_id": account["id"], "type": "quality", "severity": "minor"},
        ).status_code
        == 403
    )


def test_roles_on_health_writes(api, keys):
    account = new_account(api, keys["sales"])
    warning = {
        "account_id": account["id"],
        "type": "warning",
        "signal": "cost_pressure",
        "severity": "low",
    }
    assert api("POST", "/health/events", keys["sales"], json=warning).status_code == 201
    quality = {"account_id": account["id"], "type": "quality", "severity": "minor"}
    assert api("POST", "/health/events", keys["sales"], json=quality).status_code == 403
    assert api("POST", "/health/events", keys["executive"], json=quality).status_code == 403
    override = {"score": 70, "reason": "Renewal signed"}
    path = f"/health/accounts/{account['id']}/override"
    assert api("POST", path, keys["engineer"], json=override).status_code == 403
    assert api("POST", path, keys["executive"], json=override).status_code == 201
    assert api("GET", "/health/scorecard", keys["sales"]).status_code == 200
    assert api("GET", "/health/scorecard", keys["engineer"]).status_code == 200
    assert api("PUT", "/health/scorecard", keys["sales"], json={}).status_code == 403


def test_account_facts_reach_health_through_the_worker(api, keys):
    account = new_account(api, keys["sales"], contact_cadence_days=5)
    champion = api(
        "POST",
        f"/accounts/{account['id']}/contacts",
        keys["sales"],
        json={"name": "Leila", "buying_role": "champion"},
    ).json()
    api("DELETE", f"/accounts/{account['id']}/contacts/{champion['id']}", keys["sales"])
    deadline = time.monotonic() + 20
    evidence = ""
    while time.monotonic() < deadline:
        score = api("GET", f"/health/accounts/{account['id']}", keys["executive"]).json()
        evidence = " ".join(score["components"]["commitment"]["evidence"])
        if "Leila" in evidence:
            break
        time.sleep(0.3)
    assert "Leila (champion) left on" in evidence


def test_portfolio_covers_only_what_the_key_may_see(api, keys, make_key):
    account = new_account(api, keys["sales"], annual_revenue=1234)
    api("GET", f"/health/accounts/{account['id']}", keys["executive"])
    partner = make_key("partner", [account["id"]])
    deadline = time.monotonic() + 15  # until the worker has brought the account to health
    while True:
        mine = api("GET", "/health/portfolio", partner)
        assert mine.status_code == 200
        if mine.json()["accounts"] == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    everyone = api("GET", "/health/portfolio", keys["executive"]).json()

    assert mine.json()["accounts"] == 1
    assert everyone["accounts"] >= 1
    assert mine.json()["revenue_at_risk"] == 0  # only its own, healthy account
