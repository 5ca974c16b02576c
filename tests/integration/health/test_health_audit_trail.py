"""Health's audit trail: events logged and changed for a caller are recorded with their actor,
in the same transaction; the system's own work (integration events) is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kam_common.scope import CLIENT_HEADER, CLIENT_NAME_HEADER, ROLE_HEADER


def AGO(days: int) -> str:  # noqa: N802 - reads as the moment it stands for
    return (
        (datetime.now(UTC) - timedelta(days=days))
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )


ENGINEER = {CLIENT_HEADER: "key-9", CLIENT_NAME_HEADER: "Plant feed", ROLE_HEADER: "engineer"}


def test_events_logged_and_changed_are_recorded_and_system_work_is_not(
    client, make_account, deliver
):
    account = make_account(name="Acme")
    deliver()  # account facts arrive as integration events: no caller, no entry
    assert client.get("/internal/audit").get_json()["total"] == 0
    logged = client.post(
        "/api/v1/health/events",
        json={
            "account_id": account["id"],
            "type": "quality",
            "severity": "major",
            "occurred_at": AGO(3),
        },
        headers={**ENGINEER, "X-Request-ID": "req-h-1"},
    )
    assert logged.status_code == 201, logged.get_json()
    event = logged.get_json()
    changed = client.patch(
        f"/api/v1/health/events/{event['id']}",
        json={"resolved_at": AGO(1)},
        headers=ENGINEER,
    )
    assert changed.status_code == 200, changed.get_json()

    entries = client.get(
        "/internal/audit", query_string={"resource_type": "health_event"}
    ).get_json()["items"]
    assert [e["action"] for e in entries] == ["updated", "created"]
    update, creation = entries
    assert creation["resource"] == {"type": "health_event", "id": event["id"]}
    assert creation["account_id"] == account["id"] and creation["request_id"] == "req-h-1"
    assert creation["actor"] == {
        "type": "key",
        "id": "key-9",
        "name": "Plant feed",
        "role": "engineer",
    }
    assert creation["changes"]["severity"] == [None, "major"]
    assert update["changes"]["resolved_at"] == [None, AGO(1)]
