"""Scores with evidence, alerts, overrides, history, portfolio and the scorecard."""

from datetime import UTC, datetime, timedelta

import pytest

TODAY = datetime.now(UTC).date()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def score_of(client, account_id, **headers):
    response = client.get(f"/api/v1/health/accounts/{account_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def trouble(log, account_id):
    """The issue's troubled account: late deliveries, a critical quality issue, an open high
    ticket and a new competitor."""
    log(account_id=account_id, type="delivery", promised_on=days_ago(15), delivered_on=days_ago(10))
    log(account_id=account_id, type="delivery", promised_on=days_ago(9), delivered_on=days_ago(4))
    log(account_id=account_id, type="quality", severity="critical", note="Cracked housings")
    log(
        account_id=account_id,
        type="support",
        severity="high",
        opened_at=(datetime.now(UTC) - timedelta(hours=12)).isoformat(),
    )
    log(account_id=account_id, type="warning", signal="new_competitor", severity="medium")


def test_a_clean_account_is_healthy_with_no_evidence_yet(client, make_account):
    account = make_account()
    score = score_of(client, account["id"])
    assert score["score"] == 100.0 and score["band"] == "healthy"
    assert set(score["components"]) == {"delivery", "quality", "support", "commitment"}
    for component in score["components"].values():
        assert component["evidence"][0].startswith("No evidence yet")
    assert score["drivers"] == [] and score["override"] is None
    assert score["trend"] == {"delta_30d": None, "delta_90d": None}
    assert score["scorecard_version"] == 1


def test_trouble_falls_to_at_risk_with_evidence_naming_each_cause_and_an_alert(
    client, make_account, log
):
    account = make_account()
    trouble(log, account["id"])
    score = score_of(client, account["id"])
    assert score["band"] in ("at_risk", "critical"), score
    components = score["components"]
    assert sum(c["contribution"] for c in components.values()) == pytest.approx(score["score"])
    assert components["delivery"]["evidence"][0].startswith("2 of 2 deliveries late")
    assert "1 critical" in components["quality"]["evidence"][0]
    assert "1 high or critical still open" in components["support"]["evidence"][0]
    assert "new competitor" in components["commitment"]["evidence"][0]
    # 2 × (15 + 4×5) = 70 delivery points × 0.30 beat 50 × 1.5 = 75 quality points × 0.25
    assert [d["component"] for d in score["drivers"]][:2] == ["delivery", "quality"]
    alerts = client.get("/api/v1/health/alerts", query_string={"account_id": account["id"]})
    causes = {a["cause"]: a for a in alerts.get_json()["items"]}
    assert "critical_quality" in causes and "band_worsened" in causes
    assert causes["critical_quality"]["status"] == "open"
    assert "quality engineer" in causes["critical_quality"]["suggested_action"]
    assert "Cracked housings" in causes["critical_quality"]["message"]


def test_alerts_are_deduplicated_per_account_and_cause_and_flow(client, make_account, log):
    account = make_account()
    for _ in range(3):
        log(account_id=account["id"], type="quality", severity="critical")
    items = client.get("/api/v1/health/alerts?status=open").get_json()["items"]
    quality = [a for a in items if a["cause"] == "critical_quality"]
    assert len(quality) == 1 and quality[0]["occurrences"] == 3
    url = f"/api/v1/health/alerts/{quality[0]['id']}"
    acked = client.patch(url, json={"status": "acknowledged", "note": "Visit booked"})
    assert acked.status_code == 200 and acked.get_json()["status"] == "acknowledged"
    resolved = client.patch(url, json={"status": "resolved"})
    assert resolved.get_json()["status"] == "resolved"
    assert client.patch(url, json={"status": "open"}).status_code == 409
    assert client.patch(url, json={"status": "closed"}).status_code == 422
    log(account_id=account["id"], type="quality", severity="critical")
    fresh = client.get("/api/v1/health/alerts?status=open").get_json()["items"]
    assert [a["cause"] for a in fresh].count("critical_quality") == 1
    assert (
        client.patch("/api/v1/health/alerts/nope", json={"status": "resolved"}).status_code == 404
    )


def test_override_is_shown_beside_the_computed_score(client, make_account, log):
    account = make_account()
    trouble(log, account["id"])
    url = f"/api/v1/health/accounts/{account['id']}/override"
    created = client.post(
        url,
        json={
            "score": 80,
            "reason": "CEO confirmed renewal",
            "expires_on": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    assert created.status_code == 201
    score = score_of(client, account["id"])
    assert score["override"]["score"] == 80 and score["override"]["band"] == "healthy"
    assert score["override"]["reason"] == "CEO confirmed renewal"
    assert score["band"] != "healthy"  # the computed score stays what the evidence says
    for bad in (
        {"score": 101, "reason": "x"},
        {"score": 50},
        {"score": 50, "reason": ""},
        {"score": 50, "reason": "x", "expires_on": "2020-01-01"},
    ):
        assert client.post(url, json=bad).status_code == 422, bad


def test_history_keeps_a_point_per_change_oldest_first(client, make_account, log, deliver):
    account = make_account()
    assert deliver() == 1  # account.created: scored and kept from the start
    log(account_id=account["id"], type="quality", severity="major")
    log(account_id=account["id"], type="quality", severity="minor")
    points = client.get(f"/api/v1/health/accounts/{account['id']}/history").get_json()["points"]
    assert [p["score"] for p in points] == sorted([p["score"] for p in points], reverse=True)
    assert points[0]["score"] == 100.0 and len(points) == 3
    assert all(p["scorecard_version"] == 1 for p in points)
    later = client.get(
        f"/api/v1/health/accounts/{account['id']}/history",
        query_string={"from": "2099-01-01T00:00:00Z"},
    ).get_json()
    assert later["points"] == []
    assert client.get("/api/v1/health/accounts/nope/history").status_code == 404


def test_portfolio_counts_bands_and_revenue_at_risk_over_visible_accounts(
    client, make_account, log, deliver
):
    healthy = make_account(name="Fine", annual_revenue=1000)
    troubled = make_account(name="Troubled", annual_revenue=250000)
    deliver()
    trouble(log, troubled["id"])
    portfolio = client.get("/api/v1/health/portfolio").get_json()
    assert portfolio["accounts"] == 2
    assert portfolio["by_band"]["healthy"] == 1
    assert portfolio["by_band"]["at_risk"] + portfolio["by_band"]["critical"] == 1
    assert portfolio["revenue_at_risk"] == 250000 and portfolio["currency"] == "USD"
    mine = client.get(
        "/api/v1/health/portfolio", headers={"X-KAM-Account-Scope": healthy["id"]}
    ).get_json()
    assert mine["accounts"] == 1 and mine["revenue_at_risk"] == 0


def test_scorecard_read_and_replace_rescores_everyone(client, make_account, log):
    account = make_account()
    log(account_id=account["id"], type="quality", severity="major")
    card = client.get("/api/v1/health/scorecard").get_json()
    assert card["version"] == 1 and card["window_days"] == 180
    new = {
        "weights": {"delivery": 0.1, "quality": 0.7, "support": 0.1, "commitment": 0.1},
        "window_days": 90,
        "half_life_days": 30,
        "thresholds": card["thresholds"],
    }
    replaced = client.put("/api/v1/health/scorecard", json=new)
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json()["version"] == 2 and replaced.get_json()["rescored"] == 1
    score = score_of(client, account["id"])
    assert score["scorecard_version"] == 2
    assert score["components"]["quality"]["weight"] == 0.7
    assert score["score"] == round(0.7 * (100 - 15 * 1.5) + 0.3 * 100, 2)  # unresolved major
    for bad in (
        {**new, "weights": {**new["weights"], "quality": 0.9}},
        {**new, "weights": {"delivery": 1.0}},
        {**new, "thresholds": {"healthy": 40, "watch": 55, "at_risk": 35}},
        {**new, "window_days": 0},
        {**new, "version": 9},
    ):
        assert client.put("/api/v1/health/scorecard", json=bad).status_code == 422, bad
    assert client.get("/api/v1/health/scorecard").get_json()["version"] == 2


def test_unknown_account_score_is_404(client):
    assert client.get("/api/v1/health/accounts/nope").status_code == 404


def test_a_rescore_rewrites_only_the_scores_that_changed(client, make_account, log, deliver):
    from sqlalchemy import select

    from kam_health.models import Score
    from kam_health.services.scoring import rescore_portfolio

    changed, same = make_account(name="Changed"), make_account(name="Same")
    deliver()
    db = client.application.extensions["kam_db"]

    def computed_at():
        with db.session(write=False) as session:
            return dict(session.execute(select(Score.account_id, Score.computed_at)).all())

    before = computed_at()
    log(account_id=changed["id"], type="quality", severity="minor")
    with db.session() as session:
        assert rescore_portfolio(session) == 2
        session.commit()
    after = computed_at()
    assert after[same["id"]] == before[same["id"]]
    assert after[changed["id"]] > before[changed["id"]]


def test_trend_and_top_declines_compare_with_the_past_under_the_same_scorecard(
    client, make_account, log, deliver
):
    from kam_common.db import new_id
    from kam_health.models import Snapshot

    falling, steady = make_account(name="Falling"), make_account(name="Steady")
    deliver()
    db = client.application.extensions["kam_db"]
    past = datetime.now(UTC) - timedelta(days=40)
    with db.session() as session:
        for account_id, score, version in (
            (falling["id"], 95.0, 1),
            (steady["id"], 100.0, 1),
            (falling["id"], 20.0, 0),  # another scorecard: never compared
        ):
            session.add(
                Snapshot(
                    id=new_id(),
                    account_id=account_id,
                    at=past,
                    score=score,
                    band="healthy",
                    scorecard_version=version,
                )
            )
        session.add(
            Snapshot(
                id=new_id(),
                account_id=falling["id"],
                at=past - timedelta(days=1),
                score=50.0,
                band="at_risk",
                scorecard_version=1,
            )
        )
        session.commit()
    log(account_id=falling["id"], type="quality", severity="major", resolved_at=None)
    score = score_of(client, falling["id"])
    assert score["trend"]["delta_30d"] == round(score["score"] - 95.0, 2)
    assert score["trend"]["delta_90d"] is None  # no point is 90 days old
    declines = client.get("/api/v1/health/portfolio").get_json()["top_declines"]
    assert [d["account_id"] for d in declines] == [falling["id"]]
    assert declines[0]["delta_30d"] == round(score["score"] - 95.0, 2)
    assert declines[0]["name"] == "Falling"
