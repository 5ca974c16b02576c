"""The portfolio's remembered figures: never served once a write changed what they came from.

Each health process remembers the portfolio's summary, top declines and pages under the
generation that triggers on their tables move (migration 0015). Each test warms the memory,
writes, and reads at once: the figures are the new ones, the same as computed afresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from kam_health.services import views

TODAY = datetime.now(UTC).date()


def sink(log, account_id: str) -> None:
    """Enough trouble to leave `healthy`: a critical issue still open, a late delivery."""
    log(account_id=account_id, type="quality", severity="critical")
    log(
        account_id=account_id,
        type="delivery",
        promised_on=(TODAY - timedelta(days=20)).isoformat(),
        delivered_on=(TODAY - timedelta(days=5)).isoformat(),
    )


def portfolio(client, **query):
    response = client.get("/api/v1/health/portfolio", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def warm(client, **query):
    """Read twice: the second answer is the remembered one."""
    first = portfolio(client, **query)
    assert portfolio(client, **query) == first
    return first


def afresh(client, **query):
    """What the portfolio is when nothing is remembered."""
    views._remembered.clear()
    return portfolio(client, **query)


def test_a_logged_event_changes_the_remembered_summary_and_list_at_once(
    client, make_account, log, deliver
):
    first = make_account(name="First", annual_revenue=1000)
    make_account(name="Second", annual_revenue=500)
    deliver()
    before = warm(client)
    assert before["by_band"]["healthy"] == 2 and before["revenue_at_risk"] == 0
    log(account_id=first["id"], type="quality", severity="critical")
    log(account_id=first["id"], type="quality", severity="critical")
    after = portfolio(client)
    assert after != before
    assert after["average_score"] < before["average_score"]
    assert after["items"][0]["account_id"] == first["id"]
    assert after["items"][0]["score"] < before["items"][0]["score"]
    assert after["items"][0]["open_alerts"] >= 1
    assert after == afresh(client)


def test_a_change_to_the_accounts_facts_changes_the_remembered_revenue(
    client, make_account, log, deliver, accounts
):
    account = make_account(name="Big", annual_revenue=1000)
    deliver()
    sink(log, account["id"])
    sink(log, account["id"])
    before = warm(client)
    assert before["items"][0]["band"] in ("at_risk", "critical")
    assert before["revenue_at_risk"] == 1000
    changed = accounts.client.patch(
        f"/api/v1/accounts/{account['id']}",
        json={"annual_revenue": 2500},
        headers={"If-Match": f'"{account["version"]}"'},
    )
    assert changed.status_code == 200, changed.get_json()
    deliver()
    after = portfolio(client)
    assert after["revenue_at_risk"] == 2500
    assert after["items"][0]["annual_revenue"] == 2500
    assert after == afresh(client)


def test_an_operators_own_sql_changes_the_remembered_figures(client, make_account, deliver):
    account = make_account(name="Edited", annual_revenue=100)
    deliver()
    before = warm(client)
    assert before["by_band"]["healthy"] == 1
    db = client.application.extensions["kam_db"]
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE scores SET score = 10, band = 'critical' WHERE account_id = :id"),
            {"id": account["id"]},
        )
    after = portfolio(client)
    assert after["by_band"]["critical"] == 1 and after["by_band"]["healthy"] == 0
    assert after["average_score"] == 10 and after["revenue_at_risk"] == 100
    assert after == afresh(client)


def test_a_new_past_point_changes_the_remembered_top_declines(client, make_account, log, deliver):
    from kam_common.db import new_id
    from kam_health.models import Snapshot

    falling = make_account(name="Falling")
    deliver()
    log(account_id=falling["id"], type="quality", severity="major")
    assert warm(client)["top_declines"] == []  # nothing 30 days old to compare with
    version = client.get(f"/api/v1/health/accounts/{falling['id']}").get_json()
    db = client.application.extensions["kam_db"]
    with db.session() as session:
        session.add(
            Snapshot(
                id=new_id(),
                account_id=falling["id"],
                at=datetime.now(UTC) - timedelta(days=40),
                score=99.0,
                band="healthy",
                scorecard_version=version["scorecard_version"],
            )
        )
        session.commit()
    after = portfolio(client)
    assert [d["account_id"] for d in after["top_declines"]] == [falling["id"]]
    assert after["top_declines"][0]["delta_30d"] == round(version["score"] - 99.0, 2)
    assert after["items"][0]["delta_30d"] == after["top_declines"][0]["delta_30d"]
    assert after == afresh(client)


def test_a_new_scorecard_changes_the_remembered_figures(client, make_account, log, deliver):
    account = make_account(name="Scored")
    deliver()
    log(account_id=account["id"], type="quality", severity="major")
    before = warm(client)
    card = client.get("/api/v1/health/scorecard").get_json()
    thresholds = {**card["thresholds"], "healthy": 99.5, "watch": 99.0, "at_risk": 98.5}
    changed = client.put(
        "/api/v1/health/scorecard",
        json={
            **{k: card[k] for k in ("weights", "window_days", "half_life_days")},
            "thresholds": thresholds,
        },
    )
    assert changed.status_code == 200, changed.get_json()
    after = portfolio(client)
    assert after["items"][0]["band"] != before["items"][0]["band"]
    assert after == afresh(client)


def test_every_table_the_figures_come_from_moves_the_generation(client, make_account, log, deliver):
    """A migration that rebuilt one of these tables (SQLite's batch mode drops its triggers)
    would leave stale figures: each table still moves the generation."""
    account = make_account(name="Watched")
    deliver()
    log(account_id=account["id"], type="quality", severity="major")
    card = client.get("/api/v1/health/scorecard").get_json()
    new_card = {k: card[k] for k in ("weights", "window_days", "half_life_days", "thresholds")}
    assert client.put("/api/v1/health/scorecard", json=new_card).status_code == 200
    db = client.application.extensions["kam_db"]

    def generation() -> int:
        with db.engine.connect() as conn:
            return int(conn.execute(views._GENERATION).scalar_one())

    writes = {
        "account_facts": "UPDATE account_facts SET name = name WHERE account_id = :id",
        "account_team": "DELETE FROM account_team WHERE account_id = :id",
        "scores": "UPDATE scores SET score = score WHERE account_id = :id",
        "snapshots": "UPDATE snapshots SET score = score WHERE account_id = :id",
        "scorecards": "UPDATE scorecards SET window_days = window_days",
    }
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account_team (account_id, member_id, name, role, added_at) "
                "VALUES (:id, 'm-1', 'Member', 'sales', CURRENT_TIMESTAMP)"
            ),
            {"id": account["id"]},
        )
    for table, statement in writes.items():
        start = generation()
        with db.engine.begin() as conn:
            changed = conn.execute(text(statement), {"id": account["id"]}).rowcount
        assert changed >= 1, table
        assert generation() > start, table
