"""On a synthetic portfolio whose churn follows hidden weights: the backtest of the default
scorecard, a fitted proposal that finds the hidden order and beats the default on held-out
accounts, and adopting it (a new version; scores and history follow)."""

from __future__ import annotations

import pytest

from kam_cli import synthetic

ORDER = sorted(synthetic.HIDDEN_WEIGHTS, key=lambda c: -synthetic.HIDDEN_WEIGHTS[c])


@pytest.fixture
def portfolio(client):
    with client.application.extensions["kam_db"].session() as session:
        truth = synthetic.load_health(session, accounts=600, seed=7)
        session.commit()
    return truth


def rebuild(client) -> int:
    from kam_health.services.history import rebuild_queued

    with client.application.extensions["kam_db"].session() as session:
        rebuilt = rebuild_queued(session)
        session.commit()
    return rebuilt


def test_backtest_fit_and_adopt_on_a_planted_portfolio(client, portfolio):
    judged = client.get("/api/v1/health/scorecard/backtest?horizon_days=90")
    assert judged.status_code == 200, judged.get_json()
    default = judged.get_json()
    assert default["version"] == 1 and default["outcomes"] == 600
    assert default["churns"] == portfolio.churns and default["warning"] is None
    assert 0.6 < default["auc"] < 0.85
    assert sum(band["accounts"] for band in default["by_band"].values()) == 600
    # Lower bands churn more: the default is right in direction, wrong in weights.
    rates = [default["by_band"][b]["churn_rate"] for b in ("healthy", "watch")]
    assert rates[0] < rates[1]

    made = client.post("/api/v1/health/scorecard/proposals", json={"horizon_days": 90})
    assert made.status_code == 201, made.get_json()
    proposal = made.get_json()
    weights = proposal["weights"]
    assert sorted(weights, key=lambda c: -weights[c]) == ORDER
    assert abs(sum(weights.values()) - 1) < 1e-9 and min(weights.values()) >= 0
    assert proposal["current"]["auc"] == default["auc"]
    assert proposal["proposed"]["auc"] > default["auc"] + 0.03  # held-out accounts
    assert proposal["outcomes"] == 600 and proposal["status"] == "proposed"
    t = proposal["thresholds"]
    assert 100 >= t["healthy"] > t["watch"] > t["at_risk"] > 0
    assert "it beats the scorecard in force" in proposal["explanation"][0]
    assert proposal["explanation"][1].startswith(f"support now weighs {weights['support']:.2f}")
    assert " of " in proposal["explanation"][1] and "churns" in proposal["explanation"][1]
    assert client.get(f"/api/v1/health/scorecard/proposals/{proposal['id']}").get_json() == (
        proposal
    )

    adopted = client.post(f"/api/v1/health/scorecard/proposals/{proposal['id']}/adopt")
    assert adopted.status_code == 201, adopted.get_json()
    card = adopted.get_json()
    assert card["version"] == 2 and card["proposal_id"] == proposal["id"]
    assert card["weights"] == weights and card["rescored"] == 600
    again = client.post(f"/api/v1/health/scorecard/proposals/{proposal['id']}/adopt")
    assert again.status_code == 409
    after = client.get(f"/api/v1/health/scorecard/proposals/{proposal['id']}").get_json()
    assert after["status"] == "adopted" and after["adopted_version"] == 2
    assert client.get("/api/v1/health/scorecard").get_json()["version"] == 2

    # Scores and history follow the new version.
    account_id = portfolio.account_ids[0]
    score = client.get(f"/api/v1/health/accounts/{account_id}").get_json()
    assert score["scorecard_version"] == 2
    assert score["components"]["support"]["weight"] == weights["support"]
    assert rebuild(client) == 600
    points = client.get(f"/api/v1/health/accounts/{account_id}/history").get_json()["points"]
    assert len(points) > 50 and {p["scorecard_version"] for p in points} == {2}
    # The adopted version backtests better than the default on the same outcomes.
    now = client.get("/api/v1/health/scorecard/backtest").get_json()
    assert now["version"] == 2 and now["auc"] > default["auc"]
    past = client.get("/api/v1/health/scorecard/backtest?version=1").get_json()
    assert past["auc"] == default["auc"]


def test_a_proposal_for_a_segment_becomes_that_segments_own_scorecard(client, portfolio):
    made = client.post("/api/v1/health/scorecard/proposals", json={"segment": "retail"})
    assert made.status_code == 201, made.get_json()
    proposal = made.get_json()
    assert proposal["segment"] == "retail" and proposal["outcomes"] == 300  # every other account
    adopted = client.post(f"/api/v1/health/scorecard/proposals/{proposal['id']}/adopt").get_json()
    assert adopted["segment"] == "retail" and adopted["version"] == 2
    retail, manufacturing = portfolio.account_ids[1], portfolio.account_ids[0]
    scored = client.get(f"/api/v1/health/accounts/{retail}").get_json()
    assert (scored["scorecard_version"], scored["scorecard_segment"]) == (2, "retail")
    kept = client.get(f"/api/v1/health/accounts/{manufacturing}").get_json()
    assert (kept["scorecard_version"], kept["scorecard_segment"]) == (1, None)
    judged = client.get("/api/v1/health/scorecard/backtest?version=2").get_json()
    assert judged["segment"] == "retail" and judged["outcomes"] == 300
    assert client.get("/api/v1/health/scorecard").get_json()["version"] == 1  # the default
