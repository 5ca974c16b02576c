"""Outcomes recorded directly: validated, listed, and kept for archived accounts too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

TODAY = datetime.now(UTC).date()


def test_an_outcome_is_recorded_and_listed(client, make_account):
    first, second = make_account(name="First"), make_account(name="Second")
    made = client.post(
        "/api/v1/health/outcomes",
        json={"account_id": first["id"], "outcome": "renewed", "on": str(TODAY)},
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["outcome"] == "renewed" and body["on"] == str(TODAY) and body["note"] is None
    earlier = str(TODAY - timedelta(days=40))
    client.post(
        "/api/v1/health/outcomes",
        json={"account_id": second["id"], "outcome": "churned", "on": earlier, "note": "Lost"},
    )
    listed = client.get("/api/v1/health/outcomes").get_json()
    assert [o["outcome"] for o in listed["items"]] == ["renewed", "churned"]  # latest first
    churned = client.get("/api/v1/health/outcomes?outcome=churned").get_json()
    assert churned["total"] == 1 and churned["items"][0]["account_id"] == second["id"]
    mine = client.get(f"/api/v1/health/outcomes?account_id={first['id']}").get_json()
    assert [o["id"] for o in mine["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outcome": "lost"}, "outcome"),
        ({"on": str(TODAY + timedelta(days=1))}, "on"),
        ({"on": "yesterday"}, "on"),
        ({"account_id": "no-such-account"}, "account_id"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_outcomes_are_refused_naming_the_field(client, make_account, change, field):
    account = make_account()
    body = {"account_id": account["id"], "outcome": "churned", "on": str(TODAY), **change}
    response = client.post("/api/v1/health/outcomes", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert client.get("/api/v1/health/outcomes").get_json()["total"] == 0


def test_an_archived_account_can_still_be_given_its_outcome(
    client, make_account, accounts, deliver
):
    account = make_account()
    assert accounts.client.delete(f"/api/v1/accounts/{account['id']}").status_code in (200, 204)
    deliver()
    made = client.post(
        "/api/v1/health/outcomes",
        json={"account_id": account["id"], "outcome": "churned", "on": str(TODAY)},
    )
    assert made.status_code == 201, made.get_json()


def test_few_outcomes_give_a_warning_and_no_proposal(client, make_account, log):
    troubled, calm = make_account(name="Troubled"), make_account(name="Calm")
    log(
        account_id=troubled["id"],
        type="quality",
        severity="critical",
        occurred_at=(datetime.now(UTC) - timedelta(days=120)).isoformat(),
    )
    log(account_id=calm["id"], type="support", severity="low")
    for account, outcome in ((troubled, "churned"), (calm, "renewed")):
        client.post(
            "/api/v1/health/outcomes",
            json={"account_id": account["id"], "outcome": outcome, "on": str(TODAY)},
        )
    judged = client.get("/api/v1/health/scorecard/backtest?horizon_days=90")
    assert judged.status_code == 200, judged.get_json()
    body = judged.get_json()
    assert body["outcomes"] == 2 and body["churns"] == 1 and body["version"] == 1
    # 90 days before today the troubled account had its unresolved critical issue open.
    assert body["auc"] == 1.0
    assert body["warning"].startswith("Only 2 outcomes (1 churned)")
    assert sum(b["accounts"] for b in body["by_band"].values()) == 2
    refused = client.post("/api/v1/health/scorecard/proposals", json={})
    assert refused.status_code == 422
    assert "Nothing is proposed" in refused.get_json()["errors"]["outcomes"][0]
    assert client.get("/api/v1/health/scorecard/backtest?version=99").status_code == 404
    assert client.get("/api/v1/health/scorecard/backtest?horizon_days=0").status_code in (400, 422)
    assert client.get("/api/v1/health/scorecard/proposals/nope").status_code == 404
    assert client.post("/api/v1/health/scorecard/proposals/nope/adopt").status_code == 404


def test_an_outcome_recorded_through_the_api_is_in_the_audit_trail(client, make_account):
    from kam_common.scope import CLIENT_HEADER, CLIENT_NAME_HEADER, ROLE_HEADER

    account = make_account()
    sales = {CLIENT_HEADER: "key-9", CLIENT_NAME_HEADER: "CRM", ROLE_HEADER: "sales"}
    made = client.post(
        "/api/v1/health/outcomes",
        json={"account_id": account["id"], "outcome": "expanded", "on": str(TODAY)},
        headers=sales,
    ).get_json()
    trail = client.get("/internal/audit", query_string={"account_id": account["id"]}).get_json()
    recorded = [e for e in trail["items"] if e["resource"]["type"] == "outcome"]
    assert [(e["action"], e["resource"]["id"], e["actor"]["id"]) for e in recorded] == [
        ("created", made["id"], "key-9")
    ]
