"""Triggers fire on the facts the other services publish, once per account and cause, and open
tasks for the right member of the account team; tasks by hand; bad triggers refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from support import statements_on

from kam_common.db import utcnow
from kam_plays.services.evaluation import evaluate


def tasks_of(plays, account_id, **filters):
    query = {"account_id": account_id, **filters}
    response = plays.get("/api/v1/tasks", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def trigger_by_name(plays, words):
    items = plays.get("/api/v1/triggers", query_string={"per_page": 100}).get_json()["items"]
    return next(t for t in items if words in t["name"])


def test_a_critical_quality_issue_sends_the_accounts_quality_engineer_within_3_days(
    plays, health, make_account, add_member, deliver, install_defaults
):
    install_defaults()
    account = make_account(name="Borna Steel")
    engineer = add_member(account["id"], "quality_engineer", name="Ziba")
    add_member(account["id"], "account_manager", name="Omid")
    issue = health.post(
        "/api/v1/health/events",
        json={"account_id": account["id"], "type": "quality", "severity": "critical"},
    ).get_json()
    assert deliver() > 0

    [task] = [t for t in tasks_of(plays, account["id"]) if t["source"]["type"] == "trigger"]
    assert task["assignee_id"] == engineer["id"]
    assert task["assignee_role"] == "quality_engineer"
    assert date.fromisoformat(task["due_on"]) == utcnow().date() + timedelta(days=3)
    assert task["steps"] and task["status"] == "open"

    trigger = trigger_by_name(plays, "Critical quality issue")
    assert task["source"]["id"] == trigger["id"]
    [firing] = plays.get(f"/api/v1/triggers/{trigger['id']}/firings").get_json()["items"]
    assert firing["account_id"] == account["id"]
    assert firing["facts"]["event_id"] == issue["id"]
    assert firing["facts"]["severity"] == "critical"
    assert firing["actions"][0]["create_task"]["task_id"] == task["id"]

    # The same facts again fire nothing more.
    evaluate_all(plays)
    assert len(plays.get(f"/api/v1/triggers/{trigger['id']}/firings").get_json()["items"]) == 1

    # Resolving the issue clears the cause, and the task it opened closes with it.
    health.patch(
        f"/api/v1/health/events/{issue['id']}",
        json={"resolved_at": utcnow().isoformat()},
    )
    deliver()
    closed = plays.get(f"/api/v1/tasks/{task['id']}").get_json()
    assert closed["status"] == "done" and "cleared" in closed["note"]
    [firing] = plays.get(f"/api/v1/triggers/{trigger['id']}/firings").get_json()["items"]
    assert firing["cleared_at"] is not None


def evaluate_all(plays, now=None):
    with plays.application.extensions["kam_db"].session() as session:
        counts = evaluate(session, now=now)
        session.commit()
    return counts


def test_a_champion_leaving_opens_a_task_for_the_executive_sponsor(
    plays, accounts, make_account, add_member, add_contact, deliver, install_defaults
):
    install_defaults()
    account = make_account()
    sponsor = add_member(account["id"], "executive_sponsor", name="Leila")
    champion = add_contact(account["id"], buying_role="champion")
    accounts.client.delete(f"/api/v1/accounts/{account['id']}/contacts/{champion['id']}")
    deliver()
    [task] = tasks_of(plays, account["id"], source="trigger")
    assert task["assignee_id"] == sponsor["id"]
    assert task["assignee_role"] == "executive_sponsor"
    # The person coming back clears the cause.
    accounts.client.patch(
        f"/api/v1/accounts/{account['id']}/contacts/{champion['id']}", json={"active": True}
    )
    deliver()
    assert plays.get(f"/api/v1/tasks/{task['id']}").get_json()["status"] == "done"


def test_no_contact_past_the_cadence_fires_on_the_schedule_and_clears_on_an_interaction(
    plays, accounts, make_account, add_member, deliver, install_defaults
):
    install_defaults()
    account = make_account(contact_cadence_days=10)
    manager = add_member(account["id"], "account_manager")
    deliver()
    assert evaluate_all(plays)["fired"] == 0
    later = utcnow() + timedelta(days=30)
    assert evaluate_all(plays, now=later)["fired"] == 1
    [task] = tasks_of(plays, account["id"], source="trigger")
    assert task["assignee_id"] == manager["id"]
    assert evaluate_all(plays, now=later)["fired"] == 0  # once per cause
    accounts.client.post(f"/api/v1/accounts/{account['id']}/interactions", json={"kind": "call"})
    deliver()
    assert plays.get(f"/api/v1/tasks/{task['id']}").get_json()["status"] == "done"


def test_purchases_over_a_threshold_suggest_while_the_account_is_not_solicited(
    plays, accounts, make_account, deliver
):
    account = make_account()
    created = plays.post(
        "/api/v1/triggers",
        json={
            "name": "Heavy packaging buyer: offer the recycling service",
            "when": {"purchases_over": {"product_line": "Packaging", "amount": 1000, "days": 90}},
            "then": {"suggest": {"catalog_item_id": "cat-recycling"}},
        },
    )
    assert created.status_code == 201, created.get_json()
    for amount in (600, 700):
        accounts.client.post(
            f"/api/v1/accounts/{account['id']}/purchases",
            json={"product_line": "Packaging", "amount": amount},
        )
    deliver()
    [firing] = plays.get(f"/api/v1/triggers/{created.get_json()['id']}/firings").get_json()["items"]
    assert firing["facts"]["total"] == 1300
    assert firing["actions"] == [
        {
            "suggest": {
                "catalog_item_id": "cat-recycling",
                "suppressed": False,
                "suppressed_reason": None,
            }
        }
    ]


def test_a_trigger_that_can_never_fire_is_refused_naming_the_field(plays):
    for when, field in (
        ({"band_entered": []}, "when.band_entered"),
        (
            {"event_logged": {"type": "delivery", "severity": "critical"}},
            "when.event_logged.severity",
        ),
        ({"component_below": {"component": "quality", "score": 0}}, "when.component_below.score"),
        ({"contact_left": {"buying_roles": []}}, "when.contact_left.buying_roles"),
    ):
        response = plays.post(
            "/api/v1/triggers",
            json={"name": "x", "when": when, "then": {"raise_alert": {"reason": "x"}}},
        )
        assert response.status_code == 422, (when, response.get_json())
        assert field in response.get_json()["errors"], response.get_json()
    for body, field in (
        ({"when": {}, "then": {"raise_alert": {"reason": "x"}}}, "when"),
        (
            {"when": {"band_entered": ["watch"], "renewal_within": {"days": 3}}, "then": {}},
            "when",
        ),
        ({"when": {"band_entered": ["watch"]}, "then": {}}, "then"),
        ({"when": {"band_entered": ["sad"]}, "then": {}}, "when.band_entered.0"),
    ):
        response = plays.post("/api/v1/triggers", json={"name": "x", **body})
        assert response.status_code == 422
        assert field in response.get_json()["errors"], response.get_json()
    assert plays.get("/api/v1/triggers").get_json()["total"] == 0


def test_a_trigger_that_would_fire_on_every_account_at_once_needs_confirmation(
    plays, make_account, deliver
):
    for name in ("One", "Two", "Three"):
        make_account(name=name)
    deliver()
    body = {
        "name": "Everyone is healthy",
        "when": {"band_entered": ["healthy"]},
        "then": {"raise_alert": {"reason": "hello"}},
    }
    refused = plays.post("/api/v1/triggers", json=body)
    assert refused.status_code == 422
    assert "all 3 active accounts" in refused.get_json()["errors"]["when"][0]
    assert plays.get("/api/v1/triggers").get_json()["total"] == 0
    confirmed = plays.post("/api/v1/triggers?confirm=true", json=body)
    assert confirmed.status_code == 201
    firings = plays.get(f"/api/v1/triggers/{confirmed.get_json()['id']}/firings").get_json()
    assert firings["total"] == 3
    # Narrowed to a segment nobody is in, it is accepted as it is.
    body["when"] = {"band_entered": ["healthy"], "segment": "Mining"}
    assert plays.post("/api/v1/triggers", json=body).status_code == 201


def test_tasks_by_hand_go_to_the_member_of_a_role_and_list_as_mine_and_overdue(
    plays, make_account, add_member, deliver
):
    account = make_account()
    other = make_account(name="Other")
    engineer = add_member(account["id"], "service_engineer", name="Reza")
    outsider = add_member(other["id"], "sales", name="Nima")
    deliver()
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    created = plays.post(
        "/api/v1/tasks",
        json={
            "account_id": account["id"],
            "title": "Call about the outage — 电话 ☎",
            "assignee_role": "service_engineer",
            "due_on": yesterday,
            "steps": ["Call", "Write it up"],
        },
    )
    assert created.status_code == 201, created.get_json()
    task = created.get_json()
    assert task["assignee_id"] == engineer["id"] and task["title"].endswith("电话 ☎")
    assert task["source"] == {"type": "manual", "id": None} and task["overdue"] is True

    mine = plays.get("/api/v1/tasks", query_string={"assignee_id": engineer["id"]}).get_json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]
    late = plays.get("/api/v1/tasks", query_string={"overdue": "true"}).get_json()
    assert [t["id"] for t in late["items"]] == [task["id"]]

    refused = plays.post(
        "/api/v1/tasks",
        json={
            "account_id": account["id"],
            "title": "x",
            "assignee_id": outsider["id"],
            "due_on": yesterday,
        },
    )
    assert refused.status_code == 422 and "assignee_id" in refused.get_json()["errors"]
    unknown = plays.post(
        "/api/v1/tasks", json={"account_id": "nope", "title": "x", "due_on": yesterday}
    )
    assert unknown.status_code == 422 and "account_id" in unknown.get_json()["errors"]

    done = plays.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"status": "done", "note": "Called"},
        headers={"If-Match": str(task["version"])},
    )
    assert done.status_code == 200 and done.get_json()["closed_at"]
    stale = plays.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"status": "open"},
        headers={"If-Match": str(task["version"])},
    )
    assert stale.status_code == 412
    assert plays.get("/api/v1/tasks", query_string={"overdue": "true"}).get_json()["total"] == 0


def test_a_task_with_a_role_nobody_holds_waits_for_the_role(
    plays, make_account, add_member, deliver
):
    account = make_account()
    deliver()
    task = plays.post(
        "/api/v1/tasks",
        json={
            "account_id": account["id"],
            "title": "Sponsor visit",
            "assignee_role": "executive_sponsor",
            "due_on": datetime.now(UTC).date().isoformat(),
            "source": {"type": "alert", "id": "alert-1"},
        },
    ).get_json()
    assert task["assignee_id"] is None and task["assignee_role"] == "executive_sponsor"
    assert task["source"] == {"type": "alert", "id": "alert-1"}

    # The team fact arrives after the task was opened (events travel apart): the task that
    # waited for the role goes to the member who now holds it.
    sponsor = add_member(account["id"], "executive_sponsor", name="Roya")
    deliver()
    waited = plays.get(f"/api/v1/tasks/{task['id']}").get_json()
    assert waited["assignee_id"] == sponsor["id"] and waited["assignee_role"] == "executive_sponsor"


def test_task_created_is_published(plays, make_account, deliver):
    from sqlalchemy import select

    from kam_plays.models import outbox

    account = make_account()
    deliver()
    task = plays.post(
        "/api/v1/tasks",
        json={"account_id": account["id"], "title": "x", "due_on": "2030-01-01"},
    ).get_json()
    with plays.application.extensions["kam_db"].session(write=False) as session:
        # A public event: the gateway hands it to the partner systems' webhooks.
        rows = session.execute(select(outbox.c.destination, outbox.c.type, outbox.c.payload)).all()
    assert [(r.destination, r.type) for r in rows] == [("gateway", "task.created")]
    assert rows[0].payload["task_id"] == task["id"]
    assert rows[0].payload["account_id"] == account["id"]


def test_a_raise_alert_action_raises_one_alert_in_health_per_account_and_trigger(
    plays, health, make_account, deliver
):
    from support import TEST_TOKEN, serve

    from kam_common.http import ServiceClient
    from kam_common.relay import Relay
    from kam_plays.events import OUTBOX

    account = make_account(name="Alerted", tier="strategic")
    make_account(name="Quiet", tier="key")
    deliver()
    created = plays.post(
        "/api/v1/triggers",
        json={
            "name": "Strategic account needs a look",
            "when": {"band_entered": ["healthy"], "tier": "strategic"},
            "then": {"raise_alert": {"reason": "A strategic account: review it this week."}},
        },
    )
    assert created.status_code == 201, created.get_json()
    with serve(health.application) as url:
        relay = Relay(
            OUTBOX,
            plays.application.extensions["kam_db"],
            {"health": ServiceClient("health", url, TEST_TOKEN)},
        )
        assert relay.run_once() == 1
    [alert] = health.get(
        "/api/v1/health/alerts", query_string={"account_id": account["id"]}
    ).get_json()["items"]
    assert alert["message"] == "A strategic account: review it this week."
    assert "Strategic account needs a look" in alert["suggested_action"]


def test_resolving_an_alert_closes_the_tasks_opened_for_it_and_only_those(
    plays, health, make_account, deliver
):
    account = make_account(name="Recall", tier="strategic")
    deliver()
    logged = health.post(
        "/api/v1/health/events",
        json={
            "account_id": account["id"],
            "type": "quality",
            "severity": "critical",
            "occurred_at": "2026-01-05T09:00:00+00:00",
            "reported_by": "Quality lab",
        },
    )
    assert logged.status_code == 201, logged.get_json()
    [alert] = health.get(
        "/api/v1/health/alerts", query_string={"account_id": account["id"]}
    ).get_json()["items"]

    def task_for(source: dict[str, Any]) -> dict[str, Any]:
        created = plays.post(
            "/api/v1/tasks",
            json={
                "account_id": account["id"],
                "title": "Visit the plant about the recall",
                "due_on": "2026-01-08",
                "source": source,
            },
        )
        assert created.status_code == 201, created.get_json()
        return created.get_json()

    for_alert = task_for({"type": "alert", "id": alert["id"]})
    by_hand = task_for({"type": "manual"})
    deliver()
    assert plays.get(f"/api/v1/tasks/{for_alert['id']}").get_json()["status"] == "open"

    resolved = health.patch(
        f"/api/v1/health/alerts/{alert['id']}",
        json={"status": "resolved", "note": "Root cause fixed"},
    )
    assert resolved.status_code == 200, resolved.get_json()
    deliver()

    closed = plays.get(f"/api/v1/tasks/{for_alert['id']}").get_json()
    assert closed["status"] == "done"
    assert "resolved" in closed["note"]
    assert closed["closed_at"] is not None
    assert plays.get(f"/api/v1/tasks/{by_hand['id']}").get_json()["status"] == "open"
    # Delivered twice (at least once), the second changes nothing.
    deliver()
    assert plays.get(f"/api/v1/tasks/{for_alert['id']}").get_json() == closed


def test_my_tasks_by_email_across_accounts_name_the_account_and_the_assignee(
    plays, make_account, add_member, deliver
):
    first = make_account(name="Північ Logistics")
    second = make_account(name="第二 Holdings")
    mine = [
        add_member(first["id"], "sales", name="Sara"),
        add_member(second["id"], "implementation_engineer", name="Sara"),
    ]
    other = add_member(first["id"], "quality_engineer", name="Omid")
    deliver()
    from sqlalchemy import update

    from kam_plays.models import MemberFacts

    with plays.application.extensions["kam_db"].session() as session:
        session.execute(
            update(MemberFacts)
            .where(MemberFacts.member_id.in_([m["id"] for m in mine]))
            .values(email="Sara@Example.com")
        )
        session.commit()
    for account, member in ((first, mine[0]), (second, mine[1]), (first, other)):
        created = plays.post(
            "/api/v1/tasks",
            json={
                "account_id": account["id"],
                "title": f"Call for {member['name']}",
                "due_on": "2030-01-01",
                "assignee_id": member["id"],
            },
        )
        assert created.status_code == 201, created.get_json()
    listed = plays.get("/api/v1/tasks", query_string={"assignee_email": "sara@example.com"})
    assert listed.status_code == 200, listed.get_json()
    items = listed.get_json()["items"]
    assert {t["assignee_id"] for t in items} == {m["id"] for m in mine}
    assert {t["account_name"] for t in items} == {"Північ Logistics", "第二 Holdings"}
    assert {t["assignee_name"] for t in items} == {"Sara"}
    one = plays.get(f"/api/v1/tasks/{items[0]['id']}").get_json()
    assert one["account_name"] == items[0]["account_name"]
    nobody = plays.get("/api/v1/tasks", query_string={"assignee_email": "nobody@example.com"})
    assert nobody.get_json()["items"] == []
    bad = plays.get("/api/v1/tasks", query_string={"assignee_email": "not an email"})
    assert bad.status_code in (400, 422) and "assignee_email" in str(bad.get_json())


def test_an_imported_run_of_accounts_and_contacts_is_applied_together_and_evaluated(
    plays, make_account, add_contact, deliver
):
    made = [make_account(name=f"Imported {i}", segment="Imported") for i in range(25)]
    people = [add_contact(a["id"], name=f"Person {i}") for i, a in enumerate(made)]
    with statements_on(plays.application.extensions["kam_db"].engine) as statements:
        assert deliver() == 50

    # Two runs (accounts, then contacts), each in one transaction: not a dozen per event.
    assert len(statements) < 60, len(statements)
    body = {
        "name": "Every imported account",
        "when": {"band_entered": ["healthy"], "segment": "Imported"},
        "then": {"raise_alert": {"reason": "hello"}},
    }
    refused = plays.post("/api/v1/triggers", json=body)
    assert "all 25 active accounts" in refused.get_json()["errors"]["when"][0]
    touches = plays.get(f"/api/v1/accounts/{made[7]['id']}/contacts/{people[7]['id']}/touches")
    assert touches.status_code == 200, touches.get_json()


def test_a_run_of_scores_is_applied_together_and_fires_once_per_account(
    plays, make_account, deliver
):
    made = [make_account(name=f"Scored {i}") for i in range(12)]
    deliver()
    trigger = plays.post(
        "/api/v1/triggers",
        json={
            "name": "Critical now",
            "when": {"band_entered": ["critical"]},
            "then": {"raise_alert": {"reason": "critical"}},
        },
    )
    assert trigger.status_code == 201, trigger.get_json()
    at = utcnow().isoformat()
    scores = [
        {
            "id": f"score-{i}-{band}",
            "type": "health.scored",
            "source": "health",
            "payload": {
                "account_id": a["id"],
                "score": 20.0 if band == "critical" else 90.0,
                "band": band,
                "components": {"delivery": 50.0},
                "at": at,
            },
        }
        for band in ("healthy", "critical")
        for i, a in enumerate(made)
    ]
    with statements_on(plays.application.extensions["kam_db"].engine) as statements:
        applied = plays.post("/internal/events", json={"events": scores})

    assert applied.get_json() == {"applied": 24, "duplicates": 0}, applied.get_json()
    assert len(statements) < 150, len(statements)  # one at a time: 300
    firings = plays.get(f"/api/v1/triggers/{trigger.get_json()['id']}/firings").get_json()
    assert firings["total"] == 12
