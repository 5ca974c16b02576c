"""Plays' audit trail: triggers written by an executive are recorded with their actor."""

from __future__ import annotations

from kam_common.scope import CLIENT_HEADER, CLIENT_NAME_HEADER, CLIENT_TYPE_HEADER, ROLE_HEADER

EXECUTIVE = {
    CLIENT_HEADER: "user-5",
    CLIENT_NAME_HEADER: "Farah Haddad",
    ROLE_HEADER: "executive",
    CLIENT_TYPE_HEADER: "user",
}
TRIGGER = {
    "name": "Critical accounts get a call",
    "when": {"purchases_over": {"product_line": "Packaging", "amount": 1000, "days": 90}},
    "then": {"suggest": {"catalog_item_id": "cat-recycling"}},
}


def test_a_trigger_written_by_a_person_is_recorded_as_theirs(plays):
    made = plays.post("/api/v1/triggers", json=TRIGGER, headers=EXECUTIVE)
    assert made.status_code == 201, made.get_json()
    trigger = made.get_json()
    changed = plays.patch(
        f"/api/v1/triggers/{trigger['id']}", json={"name": "Call critical accounts"},
        headers=EXECUTIVE,
    )  # fmt: skip
    assert changed.status_code == 200, changed.get_json()

    entries = plays.get("/internal/audit", query_string={"actor_id": "user-5"}).get_json()
    assert [e["action"] for e in entries["items"]] == ["updated", "created"]
    assert entries["items"][0]["changes"]["name"] == [TRIGGER["name"], "Call critical accounts"]
    assert entries["items"][1]["actor"] == {
        "type": "user", "id": "user-5", "name": "Farah Haddad", "role": "executive",
    }  # fmt: skip
