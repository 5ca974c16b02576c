"""History from day one: back-dated facts give the weekly history the account would have had,
rescored under each new scorecard; a dry run names who would change band; past versions are
readable; an override can be withdrawn early."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

TODAY = datetime.now(UTC).date()
SCORECARD = {
    "weights": {"delivery": 0.1, "quality": 0.7, "support": 0.1, "commitment": 0.1},
    "window_days": 90,
    "half_life_days": 30,
    "thresholds": {"healthy": 75, "watch": 55, "at_risk": 35},
}


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def moment_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def rebuild(client) -> int:
    from kam_health.services.history import rebuild_queued

    with client.application.extensions["kam_db"].session() as session:
        rebuilt = rebuild_queued(session)
        session.commit()
    return rebuilt


def history(client, account_id: str, **query):
    response = client.get(f"/api/v1/health/accounts/{account_id}/history", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["points"]


def test_back_dated_events_give_weekly_history_back_to_the_earliest_event(
    client, make_account, log, deliver
):
    account = make_account(name="Late reports")
    deliver()
    # Reported today, happened months ago: a critical issue resolved after three weeks.
    log(
        account_id=account["id"],
        type="quality",
        severity="critical",
        occurred_at=moment_ago(200),
        resolved_at=moment_ago(179),
    )
    log(
        account_id=account["id"],
        type="delivery",
        promised_on=days_ago(60),
        delivered_on=days_ago(40),
    )
    # The request answered without writing history: the worker does it.
    assert [p for p in history(client, account["id"]) if p["at"] < moment_ago(7)] == []
    assert rebuild(client) == 1
    points = history(client, account["id"])
    weekly = [p for p in points if p["at"] < moment_ago(1)]
    assert 28 <= len(weekly) <= 31  # every week since the first event, 200 days ago
    ats = [datetime.fromisoformat(p["at"]) for p in weekly]
    assert all(b - a == timedelta(days=7) for a, b in zip(ats, ats[1:], strict=False))
    assert all(at.weekday() == 0 and at.hour == 0 for at in ats)  # Mondays, midnight UTC
    assert all(p["scorecard_version"] == 1 for p in points)
    # While the issue was open it hurt most; the late delivery hurt again 60 days ago.
    open_issue = [p for p in weekly if moment_ago(199) < p["at"] < moment_ago(180)]
    resolved = [p for p in weekly if moment_ago(175) < p["at"] < moment_ago(120)]
    assert open_issue and resolved
    assert max(p["score"] for p in open_issue) < min(p["score"] for p in resolved)
    lowest = min(weekly, key=lambda p: p["score"])
    assert moment_ago(200) < lowest["at"] < moment_ago(178)
    # Trend and top declines are real at once: 30 days ago the delivery still weighed more.
    score = client.get(f"/api/v1/health/accounts/{account['id']}").get_json()
    past = [p for p in weekly if p["at"] <= moment_ago(30)][-1]
    assert score["trend"]["delta_30d"] == round(score["score"] - past["score"], 2)
    assert score["trend"]["delta_90d"] is not None
    # The history's last point is the current score.
    assert points[-1]["score"] == score["score"]


def test_a_rebuild_replaces_the_weekly_points_and_keeps_no_duplicates(
    client, make_account, log, deliver
):
    account = make_account()
    deliver()
    log(account_id=account["id"], type="quality", severity="minor", occurred_at=moment_ago(50))
    rebuild(client)
    first = history(client, account["id"])
    log(account_id=account["id"], type="quality", severity="major", occurred_at=moment_ago(40))
    rebuild(client)
    second = history(client, account["id"])
    weekly = [p for p in second if p["at"] < moment_ago(1)]
    assert len({p["at"] for p in weekly}) == len(weekly)
    assert len(weekly) == len([p for p in first if p["at"] < moment_ago(1)])
    # Lower from the week of the second issue on.
    assert min(p["score"] for p in second) < min(p["score"] for p in first)


def test_the_engine_scores_now_exactly_as_the_current_score(
    client, make_account, deliver, accounts
):
    """Every kind of fact, random: the history engine at `now` gives each account's current
    score to the cent, and its band."""
    from sqlalchemy import select

    from kam_health.models import Score
    from kam_health.services.history import scores_as_of
    from kam_health.services.scoring import rescore_portfolio

    rng = random.Random(5)
    ids = [make_account(name=f"A{n}", contact_cadence_days=14)["id"] for n in range(25)]
    for account_id in ids[:10]:  # spoken to at times; the others never
        for days in (60, 35):
            logged = accounts.client.post(
                f"/api/v1/accounts/{account_id}/interactions",
                json={"kind": "call", "occurred_at": moment_ago(days + rng.uniform(0, 5))},
            )
            assert logged.status_code == 201, logged.get_json()
    deliver()
    events = []
    for _ in range(250):
        kind = rng.choice(("delivery", "quality", "support", "warning"))
        occurred = rng.uniform(0, 300)
        event = {"account_id": rng.choice(ids), "type": kind, "occurred_at": moment_ago(occurred)}
        if kind == "delivery":
            promised = int(occurred) + rng.randint(-5, 5)
            event["promised_on"] = days_ago(max(promised, 0))
            if rng.random() < 0.8:
                event["delivered_on"] = days_ago(max(0, promised - rng.randint(-2, 15)))
        elif kind in ("quality", "support"):
            severities = (
                ("minor", "major", "critical")
                if kind == "quality"
                else (
                    "low",
                    "medium",
                    "high",
                    "critical",
                )
            )
            event["severity"] = rng.choice(severities)
            if rng.random() < 0.6:
                event["resolved_at"] = moment_ago(max(0.01, occurred - rng.uniform(0.1, 20)))
        else:
            event["signal"] = "cost_pressure"
            event["severity"] = rng.choice(("low", "medium", "high"))
        events.append(event)
    response = client.post("/api/v1/health/events/batch", json={"events": events})
    assert response.status_code == 201, response.get_json()
    db = client.application.extensions["kam_db"]
    now = datetime.now(UTC)
    with db.session() as session:
        rescore_portfolio(session, now=now)
        session.commit()
        current = {s.account_id: (s.score, s.band) for s in session.scalars(select(Score))}
        assert scores_as_of(session, now) == current


def test_a_new_scorecard_rescores_history_and_a_dry_run_names_who_would_move(
    client, make_account, log, deliver
):
    steady = make_account(name="Steady")
    shaky = make_account(name="Shaky")
    deliver()
    log(account_id=shaky["id"], type="quality", severity="major", occurred_at=moment_ago(45))
    log(account_id=shaky["id"], type="quality", severity="major", occurred_at=moment_ago(35))
    rebuild(client)
    before = client.get(f"/api/v1/health/accounts/{shaky['id']}").get_json()

    dry = client.put("/api/v1/health/scorecard?dry_run=true", json=SCORECARD)
    assert dry.status_code == 200, dry.get_json()
    body = dry.get_json()
    assert body["dry_run"] is True and body["rescored"] == 0
    assert body["band_changes"] == len(body["changes"]) == 1
    change = body["changes"][0]
    assert change["account_id"] == shaky["id"] and change["from_band"] == before["band"]
    assert change["from_score"] == before["score"] and change["to_score"] < before["score"]
    # Nothing saved.
    assert client.get("/api/v1/health/scorecard").get_json()["version"] == 1
    assert client.get(f"/api/v1/health/accounts/{shaky['id']}").get_json() == before

    done = client.put("/api/v1/health/scorecard", json=SCORECARD).get_json()
    assert done["dry_run"] is False and done["version"] == 2
    assert [c["account_id"] for c in done["changes"]] == [shaky["id"]]
    assert rebuild(client) == 2  # everyone's history, in the background
    weekly = [p for p in history(client, shaky["id"]) if p["at"] < moment_ago(1)]
    assert weekly and all(p["scorecard_version"] == 2 for p in weekly)
    # Trend compares like with like at once, under the new version.
    assert client.get(f"/api/v1/health/accounts/{steady['id']}").get_json()["trend"] == {
        "delta_30d": None,  # no fact of its own: no weekly history
        "delta_90d": None,
    }
    score = client.get(f"/api/v1/health/accounts/{shaky['id']}").get_json()
    assert score["scorecard_version"] == 2 and score["trend"]["delta_30d"] is not None


def test_past_scorecard_versions_can_be_read(client):
    assert client.put("/api/v1/health/scorecard", json=SCORECARD).status_code == 200
    first = client.get("/api/v1/health/scorecard/versions/1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["version"] == 1 and first.get_json()["window_days"] == 180
    second = client.get("/api/v1/health/scorecard/versions/2").get_json()
    assert second["weights"]["quality"] == 0.7
    listed = client.get("/api/v1/health/scorecard/versions").get_json()
    assert [v["version"] for v in listed["items"]] == [2, 1] and listed["total"] == 2
    assert client.get("/api/v1/health/scorecard/versions/9").status_code == 404
    # A number wider than any column names no version either (not a 500).
    huge = client.get("/api/v1/health/scorecard/versions/17586731184481609791717919606964224")
    assert huge.status_code == 404, huge.get_json()
    assert client.get("/api/v1/health/scorecard/versions/x").status_code == 404


def test_an_override_can_be_withdrawn_before_it_expires(client, make_account):
    account = make_account()
    path = f"/api/v1/health/accounts/{account['id']}/override"
    created = client.post(path, json={"score": 30, "reason": "Board escalation"})
    assert created.status_code == 201, created.get_json()
    assert client.get(f"/api/v1/health/accounts/{account['id']}").get_json()["override"]
    withdrawn = client.delete(path)
    assert withdrawn.status_code == 204
    assert client.get(f"/api/v1/health/accounts/{account['id']}").get_json()["override"] is None
    again = client.delete(path)
    assert again.status_code == 404 and again.mimetype == "application/problem+json"
    assert client.delete("/api/v1/health/accounts/nope/override").status_code == 404


def test_a_rebuild_before_any_dated_fact_gives_no_points(client, make_account, deliver):
    # A portfolio just created (the demo's first moments): accounts, nothing dated yet.
    account = make_account(name="Nothing yet")
    deliver()
    before = history(client, account["id"])

    rebuild(client)

    assert history(client, account["id"]) == before  # no weekly point: nothing is dated
