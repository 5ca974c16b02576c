"""One contact-pressure rule: offerings asks plays before it suggests, and falls back on what it
knows itself when plays is down."""

from __future__ import annotations

from support import closed_port_url, serve

from kam_offerings import create_app as create_offerings
from kam_offerings.models import Base as OfferingsBase


def offer_made(plays, account_id: str, at: str) -> None:
    event = {
        "id": f"offer-{account_id[:20]}",
        "type": "offer.made",
        "source": "offerings",
        "payload": {"account_id": account_id, "proposal_id": "p-1", "at": at},
    }
    assert plays.post("/internal/events", json={"events": [event]}).status_code == 200


def test_suggestions_follow_plays_verdict_and_fall_back_when_plays_is_down(
    service_client, plays, accounts, make_account, deliver
):
    from kam_common.db import utcnow

    account = make_account()
    deliver()
    verdict = plays.get(f"/internal/pressure/{account['id']}").get_json()
    assert verdict == {
        "account_id": account["id"],
        "suppressed": False,
        "code": None,
        "reason": None,
    }
    # Plays heard of an offer that offerings' own facts do not hold (another instance, a
    # campaign...): plays' rule decides.
    offer_made(plays, account["id"], utcnow().isoformat())
    held = plays.get(f"/internal/pressure/{account['id']}").get_json()
    assert held["suppressed"] is True and held["code"] == "account_recently_solicited"

    with serve(plays.application) as plays_url:
        offerings = service_client(
            "offerings",
            create_offerings,
            OfferingsBase.metadata,
            ACCOUNTS_URL=accounts.url,
            HEALTH_URL=closed_port_url(),
            PLAYS_URL=plays_url,
        )
        recs = offerings.get(f"/api/v1/offerings/recommendations?account_id={account['id']}")
        body = recs.get_json()
        assert recs.status_code == 200, body
        assert body["suppressed"] is True and body["suppressed_reason"] == held["reason"]
        assert "plays" not in body["degraded"]

    down = service_client(
        "offerings",
        create_offerings,
        OfferingsBase.metadata,
        ACCOUNTS_URL=accounts.url,
        HEALTH_URL=closed_port_url(),
        PLAYS_URL=closed_port_url(),
    )
    body = down.get(f"/api/v1/offerings/recommendations?account_id={account['id']}").get_json()
    assert body["suppressed"] is False  # offerings itself knows of no offer to this account
    assert body["degraded"] == ["health", "plays"]
