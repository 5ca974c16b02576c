"""Ending an agreement with how the relationship turned out: health records the outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def accept(client, propose, account_id: str) -> dict:
    proposal = propose(account_id)
    response = client.post(
        f"/api/v1/offerings/proposals/{proposal['id']}/accept", json={"strategy": "unbundled"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_ending_an_agreement_with_an_outcome_records_it_in_health(
    client, catalog, make_account, propose, deliver_offerings, health
):
    account = make_account()
    agreement = accept(client, propose, account["id"])
    ended = client.post(
        f"/api/v1/offerings/agreements/{agreement['id']}/end",
        json={"outcome": "churned"},
    )
    assert ended.status_code == 200, ended.get_json()
    body = ended.get_json()
    assert body["status"] == "ended" and body["outcome"] == "churned"
    assert body["ended_on"] == datetime.now(UTC).date().isoformat()
    deliver_offerings()
    deliver_offerings()  # a second run delivers nothing new and records nothing twice
    outcomes = health.client.get(
        "/api/v1/health/outcomes", query_string={"account_id": account["id"]}
    ).get_json()
    assert outcomes["total"] == 1
    recorded = outcomes["items"][0]
    assert recorded["outcome"] == "churned" and recorded["agreement_id"] == agreement["id"]
    assert recorded["on"] == body["ended_on"] and recorded["note"] is None
    # Ended once: ending it again is a conflict and changes nothing.
    again = client.post(
        f"/api/v1/offerings/agreements/{agreement['id']}/end", json={"outcome": "renewed"}
    )
    assert again.status_code == 409
    assert client.get(f"/api/v1/offerings/agreements/{agreement['id']}").get_json()["outcome"] == (
        "churned"
    )


def test_ending_refuses_a_bad_outcome_or_a_future_day(client, catalog, make_account, propose):
    account = make_account()
    agreement = accept(client, propose, account["id"])
    url = f"/api/v1/offerings/agreements/{agreement['id']}/end"
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    for body, field in (
        ({"outcome": "lost"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "renewed", "on": tomorrow}, "on"),
        ({"outcome": "renewed", "on": "2020-01-01"}, "on"),
        ({"outcome": "renewed", "extra": 1}, "extra"),
        # Partner systems receive agreement.ended: an internal note has no place in it.
        ({"outcome": "churned", "note": "Went to a competitor"}, "note"),
    ):
        response = client.post(url, json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["errors"], response.get_json()
    assert client.get(f"/api/v1/offerings/agreements/{agreement['id']}").get_json()["status"] == (
        "active"
    )
    assert (
        client.post(
            "/api/v1/offerings/agreements/nope/end", json={"outcome": "renewed"}
        ).status_code
        == 404
    )
