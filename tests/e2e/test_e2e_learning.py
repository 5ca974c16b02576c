"""An executive judges the scorecard by outcomes through the gateway: backtest and proposal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

TODAY = datetime.now(UTC).date()


@pytest.fixture(scope="module")
def keys(make_key: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    return {role: make_key(role) for role in ("sales", "engineer", "executive")}


@pytest.fixture(scope="module")
def api(gateway_url: str) -> Callable[..., requests.Response]:
    def call(method: str, path: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{gateway_url}/api/v1{path}", headers=headers, timeout=30, **kwargs
        )

    return call


def test_an_executive_backtests_the_scorecard_and_gets_a_proposal(api, keys):
    sales, engineer, executive = keys["sales"], keys["engineer"], keys["executive"]
    long_ago = (datetime.now(UTC) - timedelta(days=120)).isoformat()
    events, outcomes = [], []
    for n in range(24):
        body = {"name": f"Outcome {uuid.uuid4().hex[:8]}", "annual_revenue": 100000}
        account = api("POST", "/accounts", sales, json=body)
        assert account.status_code == 201, account.text
        troubled = n % 3 == 0  # 8 of 24: an open critical issue four months ago, then churn
        if troubled:
            events.append(
                {
                    "account_id": account.json()["id"],
                    "type": "quality",
                    "severity": "critical",
                    "occurred_at": long_ago,
                }
            )
        outcomes.append((account.json()["id"], "churned" if troubled else "renewed"))
    logged = api("POST", "/health/events/batch", engineer, json={"events": events})
    assert logged.status_code == 201, logged.text
    for account_id, outcome in outcomes:
        made = api(
            "POST",
            "/health/outcomes",
            sales,
            json={"account_id": account_id, "outcome": outcome, "on": str(TODAY)},
        )
        assert made.status_code == 201, made.text
    assert api("GET", "/health/outcomes?outcome=churned", executive).json()["total"] >= 8

    judged = api("GET", "/health/scorecard/backtest?horizon_days=90", executive)
    assert judged.status_code == 200, judged.text
    body = judged.json()
    assert body["outcomes"] >= 24 and body["churns"] >= 8 and body["auc"] > 0.9
    assert set(body["by_band"]) == {"healthy", "watch", "at_risk", "critical"}
    # Judging the scorecard is an executive's: sales and engineers are refused.
    assert api("GET", "/health/scorecard/backtest", sales).status_code == 403
    assert api("POST", "/health/scorecard/proposals", engineer, json={}).status_code == 403

    made = api("POST", "/health/scorecard/proposals", executive, json={"horizon_days": 90})
    assert made.status_code == 201, made.text
    proposal = made.json()
    assert abs(sum(proposal["weights"].values()) - 1) < 1e-9
    assert proposal["current"]["auc"] == body["auc"] and proposal["explanation"]
    # Only quality troubled the churned accounts: the fit gives it the largest weight.
    assert max(proposal["weights"], key=proposal["weights"].get) == "quality"
    read = api("GET", f"/health/scorecard/proposals/{proposal['id']}", executive)
    assert read.status_code == 200 and read.json()["id"] == proposal["id"]
    assert api("GET", f"/health/scorecard/proposals/{proposal['id']}", sales).status_code == 403

    spec = api("GET", "/openapi.json", executive).json()
    for path in (
        "/api/v1/health/outcomes",
        "/api/v1/health/scorecard/backtest",
        "/api/v1/health/scorecard/proposals",
        "/api/v1/health/scorecard/proposals/{proposal_id}/adopt",
        "/api/v1/health/scorecards/{segment}",
    ):
        assert path in spec["paths"], path
