"""Logging, listing, reading and correcting health events."""

from datetime import UTC, date, datetime, timedelta

import pytest

TODAY = datetime.now(UTC).date()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def test_an_event_for_an_account_created_a_moment_ago_is_accepted(client, make_account, log):
    account = make_account()  # health has not heard of it: it reads through to accounts
    event = log(
        account_id=account["id"],
        type="delivery",
        promised_on=days_ago(3),
        delivered_on=days_ago(0),
        external_ref="DN-1",
    )
    assert event["type"] == "delivery" and event["version"] == 1
    assert event["delivered_on"] == TODAY.isoformat()
    assert client.get(f"/api/v1/health/events/{event['id']}").get_json() == event


def test_unknown_or_archived_accounts_are_422(client, accounts, make_account):
    response = client.post(
        "/api/v1/health/events",
        json={"account_id": "nope", "type": "warning", "signal": "other", "severity": "low"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"account_id": ["Unknown account."]}
    account = make_account()
    accounts.client.delete(f"/api/v1/accounts/{account['id']}")
    response = client.post(
        "/api/v1/health/events",
        json={"account_id": account["id"], "type": "warning", "signal": "other", "severity": "low"},
    )
    assert response.status_code == 422
    assert client.get("/api/v1/health/events").get_json()["total"] == 0


def test_repeated_external_ref_is_409_per_account_and_type(client, make_account, log):
    account = make_account()
    base = {"account_id": account["id"], "external_ref": "T-9"}
    log(**base, type="support", severity="low")
    again = client.post(
        "/api/v1/health/events", json={**base, "type": "support", "severity": "high"}
    )
    assert again.status_code == 409
    assert "external_ref" in again.get_json()["errors"]
    log(**base, type="quality", severity="minor")  # another type: fine
    assert client.get("/api/v1/health/events").get_json()["total"] == 2


def test_idempotency_key_replays(client, make_account):
    account = make_account()
    body = {"account_id": account["id"], "type": "quality", "severity": "major"}
    headers = {"Idempotency-Key": "q-1"}
    first = client.post("/api/v1/health/events", json=body, headers=headers)
    second = client.post("/api/v1/health/events", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert client.get("/api/v1/health/events").get_json()["total"] == 1


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "delivery"}, "promised_on"),
        ({"type": "quality"}, "severity"),
        ({"type": "quality", "severity": "low"}, "severity"),
        ({"type": "support", "severity": "minor"}, "severity"),
        ({"type": "warning", "severity": "high"}, "signal"),
        ({"type": "warning", "signal": "aliens", "severity": "high"}, "signal"),
        ({"type": "warning", "signal": "other"}, "severity"),
        ({"type": "gossip"}, "type"),
        ({"type": "delivery", "promised_on": "2026-02-30"}, "promised_on"),
        ({"type": "delivery", "promised_on": "2099-01-01"}, "promised_on"),
        (
            {"type": "delivery", "promised_on": days_ago(5), "delivered_on": "2099-01-01"},
            "delivered_on",
        ),
        ({"type": "delivery", "promised_on": days_ago(1), "severity": "major"}, "severity"),
        (
            {"type": "quality", "severity": "major", "occurred_at": "2099-01-01T00:00:00Z"},
            "occurred_at",
        ),
        (
            {
                "type": "quality",
                "severity": "major",
                "occurred_at": "2026-01-10T00:00:00Z",
                "resolved_at": "2026-01-09T00:00:00Z",
            },
            "resolved_at",
        ),
        (
            {
                "type": "support",
                "severity": "low",
                "opened_at": "2026-01-10T00:00:00Z",
                "resolved_at": "2026-01-09T00:00:00Z",
            },
            "resolved_at",
        ),
        ({"type": "support", "severity": "low", "sla_hours": 0}, "sla_hours"),
        ({"type": "support", "severity": "low", "sla_hours": "8"}, "sla_hours"),
        ({"type": "quality", "severity": "major", "occurred_at": "2026-01-10"}, "occurred_at"),
        ({"type": "quality", "severity": "major", "colour": "red"}, "colour"),
        ({"type": "quality", "severity": "major", "id": "x"}, "id"),
    ],
)
def test_bad_events_are_422_naming_the_field_and_store_nothing(client, make_account, event, field):
    account = make_account()
    response = client.post("/api/v1/health/events", json={"account_id": account["id"], **event})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()
    assert client.get("/api/v1/health/events").get_json()["total"] == 0


def test_delivered_before_promised_is_simply_on_time(client, make_account, log):
    account = make_account()
    log(
        account_id=account["id"], type="delivery", promised_on=days_ago(0), delivered_on=days_ago(2)
    )
    score = client.get(f"/api/v1/health/accounts/{account['id']}").get_json()
    assert score["components"]["delivery"]["score"] == 100.0
    assert "all on time" in score["components"]["delivery"]["evidence"][0]


def test_batch_is_all_or_nothing_and_names_bad_indexes(client, make_account):
    account = make_account()
    good = {"account_id": account["id"], "type": "support", "severity": "low"}
    response = client.post(
        "/api/v1/health/events/batch",
        json={
            "events": [
                good,
                {**good, "severity": "catastrophic"},
                good,
                {"account_id": "missing", "type": "support", "severity": "low"},
                {**good, "external_ref": "A"},
                {**good, "external_ref": "A"},
            ]
        },
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"events.1.severity", "events.3.account_id", "events.5.external_ref"}
    assert client.get("/api/v1/health/events").get_json()["total"] == 0
    ok = client.post("/api/v1/health/events/batch", json={"events": [good] * 3})
    assert ok.status_code == 201
    body = ok.get_json()
    assert body["created"] == 3 and len(set(body["ids"])) == 3
    assert client.get("/api/v1/health/events").get_json()["total"] == 3


def test_batch_limits(client):
    assert client.post("/api/v1/health/events/batch", json={"events": []}).status_code == 422
    too_many = {"events": [{"account_id": "x", "type": "warning"}] * 1001}
    assert client.post("/api/v1/health/events/batch", json=too_many).status_code == 422


def test_list_filters(client, make_account, log):
    one, two = make_account(name="One"), make_account(name="Two")
    log(account_id=one["id"], type="delivery", promised_on=days_ago(9))
    log(account_id=one["id"], type="quality", severity="minor", resolved_at=None)
    log(
        account_id=two["id"],
        type="quality",
        severity="minor",
        occurred_at="2026-01-01T00:00:00Z",
        resolved_at="2026-01-02T00:00:00Z",
    )

    def total(**query):
        return client.get("/api/v1/health/events", query_string=query).get_json()["total"]

    assert total() == 3
    assert total(account_id=one["id"]) == 2
    assert total(type="quality") == 2
    assert total(open="true") == 2 and total(open="false") == 1
    assert total(since="2026-06-01T00:00:00Z") == 2
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert total(since=tomorrow) == 0
    scope = {"X-KAM-Account-Scope": two["id"]}
    assert client.get("/api/v1/health/events", headers=scope).get_json()["total"] == 1


def test_patch_records_delivery_and_rescores(client, make_account, log):
    account = make_account()
    event = log(account_id=account["id"], type="delivery", promised_on=days_ago(4))
    before = client.get(f"/api/v1/health/accounts/{account['id']}").get_json()
    assert "still outstanding" in " ".join(before["components"]["delivery"]["evidence"])
    url = f"/api/v1/health/events/{event['id']}"
    assert (
        client.patch(url, json={"delivered_on": days_ago(4)}, headers={"If-Match": "5"}).status_code
        == 412
    )
    patched = client.patch(url, json={"delivered_on": days_ago(4)}, headers={"If-Match": "1"})
    assert patched.status_code == 200 and patched.get_json()["version"] == 2
    after = client.get(f"/api/v1/health/accounts/{account['id']}").get_json()
    assert after["components"]["delivery"]["score"] == 100.0
    assert client.patch(url, json={"resolved_at": "2026-01-01T00:00:00Z"}).status_code == 422
    assert client.patch(url, json={"type": "quality"}).status_code == 422


def test_partner_scope_hides_other_accounts_events(client, make_account, log):
    mine, other = make_account(name="Mine"), make_account(name="Other")
    theirs = log(account_id=other["id"], type="support", severity="low")
    scope = {"X-KAM-Account-Scope": mine["id"]}
    assert client.get(f"/api/v1/health/events/{theirs['id']}", headers=scope).status_code == 404
    response = client.post(
        "/api/v1/health/events",
        headers=scope,
        json={"account_id": other["id"], "type": "support", "severity": "low"},
    )
    assert response.status_code == 422


def test_dates_round_trip(client, make_account, log):
    account = make_account()
    event = log(
        account_id=account["id"],
        type="support",
        severity="high",
        opened_at="2026-03-01T08:00:00+01:00",
        resolved_at="2026-03-01T10:30:00+01:00",
        sla_hours=4,
        note="Pump failure ⚙️ — خرابی پمپ",
    )
    assert event["opened_at"] == "2026-03-01T07:00:00Z"
    assert event["resolved_at"] == "2026-03-01T09:30:00Z"
    assert event["note"] == "Pump failure ⚙️ — خرابی پمپ"
    assert date.fromisoformat(event["created_at"][:10]) == TODAY


def test_batch_scores_follow_through_the_rescore_queue(client, make_account, log):
    from sqlalchemy import select

    from kam_health.models import RescoreQueue, Score
    from kam_health.services.scoring import rescore_queued

    account = make_account()
    log(account_id=account["id"], type="support", severity="low")  # scored inline: 98
    batch = [{"account_id": account["id"], "type": "quality", "severity": "major"}] * 2
    assert client.post("/api/v1/health/events/batch", json={"events": batch}).status_code == 201
    db = client.application.extensions["kam_db"]
    with db.session() as session:
        assert session.scalars(select(RescoreQueue.account_id)).all() == [account["id"]]
        assert session.get(Score, account["id"]).score == 98.0 * 0.2 + 80.0
        assert rescore_queued(session) == 1
        session.commit()
        assert session.scalars(select(RescoreQueue.account_id)).all() == []
    score = client.get(f"/api/v1/health/accounts/{account['id']}").get_json()
    # two unresolved majors: 2 × 15 × 1.5 = 45 points → quality 55
    assert score["components"]["quality"]["score"] == 55.0


def test_batch_naming_an_already_recorded_external_ref_stores_nothing(client, make_account, log):
    account = make_account()
    log(account_id=account["id"], type="support", severity="low", external_ref="T-1")
    good = {"account_id": account["id"], "type": "support", "severity": "low"}
    response = client.post(
        "/api/v1/health/events/batch",
        json={"events": [good, {**good, "external_ref": "T-1"}, {**good, "external_ref": "T-2"}]},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "events.1.external_ref": ["Already recorded for this account and type."]
    }
    assert client.get("/api/v1/health/events").get_json()["total"] == 1


def test_read_through_to_a_downed_accounts_service_is_a_503_naming_it(service_client):
    from support import closed_port_url

    from kam_health import create_app
    from kam_health.models import Base

    client = service_client("health", create_app, Base.metadata, ACCOUNTS_URL=closed_port_url())
    response = client.post(
        "/api/v1/health/events",
        json={"account_id": "not-seen-yet", "type": "support", "severity": "low"},
    )
    assert response.status_code == 503
    body = response.get_json()
    assert body["service"] == "accounts" and "accounts" in body["detail"]
    assert response.content_type == "application/problem+json"
    assert client.get("/api/v1/health/events").get_json()["total"] == 0
    # reading a score has the same honest answer
    assert client.get("/api/v1/health/accounts/not-seen-yet").status_code == 503


def test_a_promise_in_year_one_is_refused_not_counted_as_centuries_late(client, make_account):
    account = make_account()
    refused = client.post(
        "/api/v1/health/events",
        json={"account_id": account["id"], "type": "delivery", "promised_on": "0001-01-01"},
    )
    assert refused.status_code == 422
    assert "promised_on" in refused.get_json()["errors"]
