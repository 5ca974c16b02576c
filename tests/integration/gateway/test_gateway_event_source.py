"""Events record who logged them, and for partner keys the reporter is the key itself: a
partner cannot file an event in an internal person's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from support import HttpClient, serve

from kam_gateway.keys import create_key
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase


def test_a_partner_event_is_reported_by_its_key_and_records_its_source(
    make_gateway: Callable[..., HttpClient],
    service_client: Callable[..., Any],
    accounts_service: str,
    echo_upstreams: dict[str, str],
) -> None:
    health = service_client(
        "health", create_health, HealthBase.metadata, ACCOUNTS_URL=accounts_service
    )
    token = {"X-Internal-Token": health.application.config["INTERNAL_TOKEN"]}
    account = requests.post(
        accounts_service + "/api/v1/accounts", json={"name": "Acme"}, headers=token, timeout=5
    ).json()
    with serve(health.application) as health_url:
        gateway = make_gateway(
            ACCOUNTS_URL=accounts_service,
            HEALTH_URL=health_url,
            OFFERINGS_URL=echo_upstreams["offerings"],
        )
        with gateway.application.db.session() as session:
            partner, partner_secret = create_key(
                session=session, name="پورتال آکمه", role="partner", account_ids=[account["id"]]
            )
            engineer, engineer_secret = create_key(
                session=session, name="Field app", role="engineer"
            )
        as_partner = {"Authorization": f"Bearer {partner_secret}"}
        event = {"account_id": account["id"], "type": "support", "severity": "low"}

        posing = gateway.post(
            "/api/v1/health/events",
            json={**event, "reported_by": "Dana (our CEO)"},
            headers=as_partner,
        )
        assert posing.status_code == 422
        assert "reported_by" in posing.json["errors"]

        logged = gateway.post("/api/v1/health/events", json=event, headers=as_partner)
        assert logged.status_code == 201, logged.json
        assert logged.json["reported_by"] == "پورتال آکمه"
        assert logged.json["source"] == {
            "type": "key", "id": partner.id, "name": "پورتال آکمه", "role": "partner"
        }  # fmt: skip

        batch = gateway.post(
            "/api/v1/health/events/batch",
            json={"events": [event, {**event, "reported_by": "Someone else"}]},
            headers=as_partner,
        )
        assert batch.status_code == 422
        assert set(batch.json["errors"]) == {"events.1.reported_by"}

        by_engineer = gateway.post(
            "/api/v1/health/events",
            json={**event, "reported_by": "Kai Lund"},
            headers={"Authorization": f"Bearer {engineer_secret}"},
        )
        assert by_engineer.status_code == 201
        assert by_engineer.json["reported_by"] == "Kai Lund"  # staff name the person
        assert by_engineer.json["source"]["id"] == engineer.id
        assert by_engineer.json["source"]["role"] == "engineer"
