"""The coverage map names who covers whom and the gaps; touches per person with their cadence
and a new decision-maker's onboarding."""

from __future__ import annotations

from datetime import date, timedelta

from kam_common.db import utcnow


def test_the_coverage_map_names_its_gaps_and_scores_the_cover(
    plays, accounts, make_account, add_member, add_contact, deliver
):
    account = make_account(tier="strategic")
    base = f"/api/v1/accounts/{account['id']}"
    sales = add_member(account["id"], "sales", name="Sara")
    buyer = add_contact(account["id"], name="Bahar", buying_role="economic_buyer", influence=5)
    maker = add_contact(account["id"], name="Kian", buying_role="decision_maker", influence=4)
    critic = add_contact(account["id"], name="Dara", stance="detractor", influence=4)
    champion = add_contact(account["id"], name="Mina", buying_role="champion", influence=3)
    accounts.client.delete(f"{base}/contacts/{champion['id']}")
    deliver()

    link = plays.post(
        f"{base}/coverage", json={"member_id": sales["id"], "contact_id": buyer["id"]}
    )
    assert link.status_code == 201, link.get_json()
    again = plays.post(
        f"{base}/coverage", json={"member_id": sales["id"], "contact_id": buyer["id"]}
    )
    assert again.status_code == 409
    accounts.client.post(
        base + "/interactions", json={"kind": "meeting", "contact_ids": [buyer["id"]]}
    )
    deliver()

    body = plays.get(f"{base}/coverage").get_json()
    [only] = body["links"]
    assert only["member_id"] == sales["id"] and only["contact_id"] == buyer["id"]
    assert only["last_touch_at"] is not None
    gaps = {(g["contact_id"], g["code"]) for g in body["gaps"]}
    assert gaps == {
        (maker["id"], "uncovered_decision_maker"),
        (champion["id"], "champion_left"),
        (critic["id"], "detractor_not_met"),
    }
    assert all(g["reason"] for g in body["gaps"])
    # Key people: Bahar (5, covered, fresh), Kian (4), Dara (4): 5/13 → 38, less 2 gaps × 10.
    assert body["score"] == 18

    # Covering the decision-maker closes that gap and raises the score.
    plays.post(f"{base}/coverage", json={"member_id": sales["id"], "contact_id": maker["id"]})
    after = plays.get(f"{base}/coverage").get_json()
    assert (maker["id"], "uncovered_decision_maker") not in {
        (g["contact_id"], g["code"]) for g in after["gaps"]
    }
    assert after["score"] > body["score"]

    removed = plays.delete(f"{base}/coverage/{only['id']}")
    assert removed.status_code == 204
    assert len(plays.get(f"{base}/coverage").get_json()["links"]) == 1


def test_coverage_links_must_join_the_accounts_own_people(
    plays, make_account, add_member, add_contact, deliver
):
    account = make_account()
    other = make_account(name="Other")
    member = add_member(account["id"], "sales")
    stranger = add_contact(other["id"])
    deliver()
    base = f"/api/v1/accounts/{account['id']}"
    refused = plays.post(
        f"{base}/coverage", json={"member_id": member["id"], "contact_id": stranger["id"]}
    )
    assert refused.status_code == 422 and "contact_id" in refused.get_json()["errors"]
    refused = plays.post(
        f"{base}/coverage", json={"member_id": "nobody", "contact_id": stranger["id"]}
    )
    assert refused.status_code == 422 and "member_id" in refused.get_json()["errors"]
    assert plays.get("/api/v1/accounts/missing/coverage").status_code == 404


def test_touches_count_interactions_with_the_person_against_their_own_cadence(
    plays, accounts, make_account, add_contact, deliver
):
    account = make_account(contact_cadence_days=30)
    base = f"/api/v1/accounts/{account['id']}"
    person = add_contact(account["id"], buying_role="decision_maker", cadence_days=7)
    assert person["cadence_days"] == 7
    bystander = add_contact(account["id"], name="Other")
    for days_ago in (20, 10):
        accounts.client.post(
            base + "/interactions",
            json={
                "kind": "call",
                "summary": "Checked in",
                "occurred_at": (utcnow() - timedelta(days=days_ago)).isoformat(),
                "contact_ids": [person["id"]],
            },
        )
    deliver()
    touches = plays.get(f"{base}/contacts/{person['id']}/touches").get_json()
    assert [t["kind"] for t in touches["touches"]] == ["call", "call"]
    assert touches["cadence_days"] == 7 and touches["cadence_source"] == "contact"
    last = date.fromisoformat(touches["touches"][0]["occurred_at"][:10])
    assert touches["next_due_on"] == (last + timedelta(days=7)).isoformat()
    assert touches["overdue"] is True
    # Added now, touched before: onboarding counts touches since the person was added.
    assert touches["onboarding"]["goal"] == 7 and touches["onboarding"]["done"] == 0

    accounts.client.post(
        base + "/interactions", json={"kind": "visit", "contact_ids": [person["id"]]}
    )
    deliver()
    touches = plays.get(f"{base}/contacts/{person['id']}/touches").get_json()
    assert touches["overdue"] is False and touches["onboarding"]["done"] == 1

    other = plays.get(f"{base}/contacts/{bystander['id']}/touches").get_json()
    assert other["touches"] == [] and other["cadence_days"] == 30
    assert other["cadence_source"] == "account" and other["onboarding"]["goal"] is None
    assert plays.get(f"{base}/contacts/nobody/touches").status_code == 404

    # The person's own cadence follows a change made at accounts.
    accounts.client.patch(f"{base}/contacts/{bystander['id']}", json={"cadence_days": 14})
    deliver()
    assert plays.get(f"{base}/contacts/{bystander['id']}/touches").get_json()["cadence_days"] == 14


def test_a_trigger_on_the_coverage_score_fires_on_thin_cover_and_clears_once_covered(
    plays, make_account, add_member, add_contact, deliver
):
    thin = make_account(name="Thin", tier="strategic")
    sales = add_member(thin["id"], "sales", name="Sara")
    buyer = add_contact(thin["id"], name="Bahar", buying_role="economic_buyer", influence=5)
    covered = make_account(name="Covered", tier="strategic")
    seller = add_member(covered["id"], "sales", name="Sam")
    maker = add_contact(covered["id"], name="Kian", buying_role="decision_maker", influence=4)
    deliver()
    linked = plays.post(
        f"/api/v1/accounts/{covered['id']}/coverage",
        json={"member_id": seller["id"], "contact_id": maker["id"]},
    )
    assert linked.status_code == 201, linked.get_json()
    created = plays.post(
        "/api/v1/triggers",
        json={
            "name": "Decision-makers nobody covers",
            "when": {
                "component_below": {"component": "coverage", "score": 50},
                "tier": "strategic",
            },
            "then": {
                "create_task": {
                    "title": "Map who covers their decision-makers",
                    "assignee_role": "sales",
                    "due_in_days": 7,
                }
            },
        },
    )
    assert created.status_code == 201, created.get_json()
    trigger = created.get_json()

    [firing] = plays.get(f"/api/v1/triggers/{trigger['id']}/firings").get_json()["items"]
    assert firing["account_id"] == thin["id"]
    assert firing["facts"] == {"component": "coverage", "score": 0, "below": 50.0}
    [task] = plays.get("/api/v1/tasks", query_string={"account_id": thin["id"]}).get_json()["items"]
    assert task["assignee_id"] == sales["id"] and task["status"] == "open"

    # Covering the economic buyer lifts the score to 100: the firing clears, its task closes.
    linked = plays.post(
        f"/api/v1/accounts/{thin['id']}/coverage",
        json={"member_id": sales["id"], "contact_id": buyer["id"]},
    )
    assert linked.status_code == 201, linked.get_json()
    assert plays.get(f"/api/v1/tasks/{task['id']}").get_json()["status"] == "done"
    assert plays.get(f"/api/v1/accounts/{thin['id']}/coverage").get_json()["score"] >= 50
