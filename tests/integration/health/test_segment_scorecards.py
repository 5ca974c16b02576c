"""A segment may have a scorecard of its own; every other account keeps the default, and each
score names the version and segment that scored it."""

from __future__ import annotations

import pytest

CARD = {
    "weights": {"delivery": 0.1, "quality": 0.7, "support": 0.1, "commitment": 0.1},
    "window_days": 180,
    "half_life_days": 60,
    "thresholds": {"healthy": 75, "watch": 55, "at_risk": 35},
}


def rebuild(client) -> int:
    from kam_health.services.history import rebuild_queued

    with client.application.extensions["kam_db"].session() as session:
        rebuilt = rebuild_queued(session)
        session.commit()
    return rebuilt


def test_a_segment_scorecard_scores_its_accounts_and_the_default_the_rest(
    client, make_account, log, deliver
):
    retail, other = make_account(segment="retail"), make_account(segment="energy")
    deliver()
    for account in (retail, other):
        log(account_id=account["id"], type="quality", severity="critical")
    before = client.get("/api/v1/health/scorecards/retail").get_json()
    assert before["fallback"] is True and before["segment"] is None and before["version"] == 1

    changed = client.put("/api/v1/health/scorecards/retail", json=CARD)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["segment"] == "retail" and changed.get_json()["version"] == 2
    own = client.get("/api/v1/health/scorecards/retail").get_json()
    assert own["fallback"] is False and own["version"] == 2 and own["weights"] == CARD["weights"]
    # The default is unchanged, and still what the energy segment falls back to.
    assert client.get("/api/v1/health/scorecard").get_json()["version"] == 1
    assert client.get("/api/v1/health/scorecards/energy").get_json()["version"] == 1

    scored = client.get(f"/api/v1/health/accounts/{retail['id']}").get_json()
    assert (scored["scorecard_version"], scored["scorecard_segment"]) == (2, "retail")
    assert scored["components"]["quality"]["weight"] == 0.7
    kept = client.get(f"/api/v1/health/accounts/{other['id']}").get_json()
    assert (kept["scorecard_version"], kept["scorecard_segment"]) == (1, None)
    assert kept["components"]["quality"]["weight"] == 0.25
    assert scored["score"] < kept["score"]  # quality weighs more in retail

    # A new default leaves the retail accounts on their own scorecard.
    default = {
        **CARD,
        "weights": {"delivery": 0.4, "quality": 0.2, "support": 0.2, "commitment": 0.2},
    }
    assert client.put("/api/v1/health/scorecard", json=default).status_code == 200
    assert (
        client.get(f"/api/v1/health/accounts/{retail['id']}").get_json()["scorecard_version"] == 2
    )
    assert client.get(f"/api/v1/health/accounts/{other['id']}").get_json()["scorecard_version"] == 3
    rebuild(client)
    points = client.get(f"/api/v1/health/accounts/{retail['id']}/history").get_json()["points"]
    weekly = [p for p in points if p["at"].endswith("T00:00:00Z")]  # the rebuilt Mondays
    assert weekly and {p["scorecard_version"] for p in weekly} == {2}


@pytest.mark.parametrize(
    ("segment", "change", "field"),
    [
        ("nowhere", {}, "segment"),
        (
            "retail",
            {"weights": {"delivery": 0.5, "quality": 0.5, "support": 0.5, "commitment": 0}},
            "weights",
        ),
        ("retail", {"thresholds": {"healthy": 50, "watch": 60, "at_risk": 35}}, "thresholds"),
        ("retail", {"weights": {"delivery": 1.0}}, "weights"),
    ],
)
def test_bad_segment_scorecards_are_refused_naming_the_field(
    client, make_account, log, deliver, segment, change, field
):
    account = make_account(segment="retail")
    deliver()
    log(account_id=account["id"], type="support", severity="low")
    response = client.put(f"/api/v1/health/scorecards/{segment}", json={**CARD, **change})
    assert response.status_code == 422, response.get_json()
    named = response.get_json()["errors"]
    assert any(key == field or key.startswith(field + ".") for key in named), named
    assert client.get("/api/v1/health/scorecard/versions").get_json()["total"] == 1
    if segment == "nowhere":
        unknown = client.get("/api/v1/health/scorecards/nowhere")
        assert unknown.status_code == 404, unknown.get_json()
        assert "nowhere" in unknown.get_json()["detail"]
