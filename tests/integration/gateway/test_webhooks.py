"""Webhooks through the real gateway, delivered to real HTTP receivers on local ports."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook as Verifier
from support import TEST_TOKEN, HttpClient, WebhookReceiver

from kam_common.db import Database, utcnow
from kam_gateway.delivery import DeliveryPolicy, Dispatcher
from kam_gateway.models import WebhookDelivery

HOOKS = "/api/v1/webhooks"
FAST = DeliveryPolicy(timeout=2, first_backoff=0.0, max_backoff=0.0, allow_private=True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture
def other_receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.stop()


def push(gateway: HttpClient, *events: dict[str, Any]) -> dict[str, Any]:
    """What a service's relay does: POST the events to the gateway's inbox."""
    response = requests.post(
        gateway.base_url + "/internal/events",
        json={"events": list(events)},
        headers={"X-Internal-Token": TEST_TOKEN},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def event(kind: str, account_id: str, **payload: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "source": "accounts",
        "occurred_at": utcnow().isoformat(),
        "payload": {"account_id": account_id, **payload},
    }


def register(
    gateway: HttpClient, headers: dict[str, str], url: str, events: list[str] | None = None
) -> dict[str, Any]:
    response = gateway.post(
        HOOKS,
        json={"url": url, "events": events or ["account.created", "account.updated"]},
        headers=headers,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.json)


def dispatcher(gateway: HttpClient, policy: DeliveryPolicy = FAST) -> Dispatcher:
    return Dispatcher(Database(gateway.application.settings["DATABASE_URL"]), policy)


def make_all_due(gateway: HttpClient) -> None:
    with gateway.application.db.session() as session:
        session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        session.commit()


def verified(receiver: WebhookReceiver, secret: str) -> list[dict[str, Any]]:
    """Every body the receiver got, each checked against its signature as a receiver would."""
    return [Verifier(secret).verify(item["body"], item["headers"]) for item in receiver.received]


def test_an_event_reaches_a_registered_receiver_signed(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    admin = auth("admin")
    hook = register(gateway, admin, receiver.url)
    assert hook["secret"].startswith("whsec_")
    sent = event("account.created", "acc-1", name="Tehran Steel · فولاد")

    assert push(gateway, sent) == {"applied": 1, "duplicates": 0}
    assert dispatcher(gateway).run_until_idle() == 1

    (body,) = verified(receiver, hook["secret"])
    assert body["type"] == "account.created"
    assert body["data"] == sent["payload"]
    assert body["timestamp"].endswith("Z")
    assert receiver.received[0]["headers"]["webhook-id"] == sent["id"]
    log = gateway.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json
    assert log["total"] == 1
    (delivery,) = log["items"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 204 and delivery["next_attempt_at"] is None
    assert delivery["event_id"] == sent["id"]


def test_the_secret_is_shown_once_and_rotation_gives_a_new_one(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    admin = auth("admin")
    hook = register(gateway, admin, receiver.url)

    listed = gateway.get(HOOKS, headers=admin).json
    read = gateway.get(f"{HOOKS}/{hook['id']}", headers=admin).json
    assert "secret" not in listed["items"][0] and "secret" not in read
    rotated = gateway.post(f"{HOOKS}/{hook['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200
    new_secret = rotated.json["secret"]
    assert new_secret.startswith("whsec_") and new_secret != hook["secret"]

    push(gateway, event("account.updated", "acc-1"))
    dispatcher(gateway).run_until_idle()
    assert len(verified(receiver, new_secret)) == 1  # the new secret verifies it
    assert len(verified(receiver, hook["secret"])) == 1  # and the old one still does, for a day


def test_a_repeated_event_is_delivered_once(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    register(gateway, auth("admin"), receiver.url)
    sent = event("account.created", "acc-1")

    push(gateway, sent)
    assert push(gateway, sent) == {"applied": 0, "duplicates": 1}  # the relay's retry
    dispatcher(gateway).run_until_idle()
    dispatcher(gateway).run_until_idle()

    assert len(receiver.received) == 1


def test_only_asked_for_types_and_a_partners_own_accounts_are_sent(
    gateway: HttpClient,
    auth: Callable[..., dict[str, str]],
    receiver: WebhookReceiver,
    other_receiver: WebhookReceiver,
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    partner = auth("partner", ["acc-mine"])
    mine = register(gateway, partner, receiver.url, ["account.updated", "health.band_changed"])
    assert mine["account_ids"] == ["acc-mine"]
    register(gateway, auth("admin"), other_receiver.url, ["health.band_changed"])

    push(
        gateway,
        event("account.updated", "acc-other"),
        event("account.created", "acc-mine"),  # a type it did not ask for
        event("health.band_changed", "acc-mine", band="at_risk", previous_band="watch"),
        event("health.band_changed", "acc-other", band="critical", previous_band="at_risk"),
    )
    dispatcher(gateway).run_until_idle()

    assert [(e["type"], e["data"]["account_id"]) for e in receiver.events()] == [
        ("health.band_changed", "acc-mine")
    ]
    assert [e["data"]["account_id"] for e in other_receiver.events()] == ["acc-mine", "acc-other"]


def test_partners_see_only_their_own_webhooks_and_other_roles_none(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    one, two, admin = auth("partner", ["acc-1"]), auth("partner", ["acc-2"]), auth("admin")
    hook = register(gateway, one, receiver.url)

    assert gateway.get(HOOKS, headers=two).json["total"] == 0
    assert gateway.get(f"{HOOKS}/{hook['id']}", headers=two).status_code == 404
    assert gateway.delete(f"{HOOKS}/{hook['id']}", headers=two).status_code == 404
    assert gateway.post(f"{HOOKS}/{hook['id']}/test", headers=two).status_code == 404
    assert gateway.get(HOOKS, headers=admin).json["total"] == 1
    for role in ("sales", "executive", "engineer"):
        assert gateway.get(HOOKS, headers=auth(role)).status_code == 403
    assert gateway.delete(f"{HOOKS}/{hook['id']}", headers=one).status_code == 204
    assert gateway.get(HOOKS, headers=one).json["total"] == 0


def test_private_and_non_http_targets_are_refused_unless_allowed(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    admin = auth("admin")
    for url in (receiver.url, "http://10.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/"):
        refused = gateway.post(
            HOOKS, json={"url": url, "events": ["account.created"]}, headers=admin
        )
        assert refused.status_code == 422, url
        assert "url" in refused.json["errors"]
    for url in ("ftp://example.com/x", "not a url"):
        refused = gateway.post(
            HOOKS, json={"url": url, "events": ["account.created"]}, headers=admin
        )
        assert refused.status_code == 422 and "url" in refused.json["errors"]
    unknown = gateway.post(HOOKS, json={"url": receiver.url, "events": ["nope"]}, headers=admin)
    assert unknown.status_code == 422 and "events.0" in unknown.json["errors"]

    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    hook = register(gateway, admin, receiver.url)
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = False
    moved = gateway.patch(f"{HOOKS}/{hook['id']}", json={"url": "http://127.0.0.2/"}, headers=admin)
    assert moved.status_code == 422 and "url" in moved.json["errors"]


def test_a_receiver_down_then_up_gets_every_missed_event_once_in_order_per_account(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    hook = register(gateway, auth("admin"), receiver.url)
    receiver.stop()
    sent = [
        event("account.updated", account, step=step)
        for step in range(4)
        for account in ("acc-a", "acc-b")
    ]
    push(gateway, *sent[:3])
    push(gateway, *sent[3:])

    send = dispatcher(gateway)
    assert send.run_until_idle() == 0  # down: the first of each account fails, the rest wait
    with gateway.application.db.session() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.seq)).all()
    assert [row.attempts for row in rows] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert all(row.status == "pending" for row in rows)
    assert rows[0].last_error and "unreachable" in rows[0].last_error
    assert send.run_until_idle() == 0  # still down: tried again, nothing lost

    receiver.start()
    make_all_due(gateway)
    assert send.run_until_idle() == len(sent)
    assert send.run_until_idle() == 0

    got = verified(receiver, hook["secret"])
    ids = [item["headers"]["webhook-id"] for item in receiver.received]
    assert sorted(ids) == sorted(e["id"] for e in sent)  # each once
    for account in ("acc-a", "acc-b"):
        steps = [body["data"]["step"] for body in got if body["data"]["account_id"] == account]
        assert steps == [0, 1, 2, 3]


def test_an_error_answer_is_retried_with_growing_back_off_then_failed(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    admin = auth("admin")
    hook = register(gateway, admin, receiver.url)
    receiver.answer = 500
    push(gateway, event("account.updated", "acc-1"))
    slow = DeliveryPolicy(timeout=2, first_backoff=60, max_backoff=3600, allow_private=True)

    waits = []
    for _ in range(3):
        dispatcher(gateway, slow).run_until_idle()
        with gateway.application.db.session() as session:
            row = session.scalars(select(WebhookDelivery)).one()
        waits.append((row.next_attempt_at - utcnow()).total_seconds())
        make_all_due(gateway)
    assert waits[0] < waits[1] < waits[2] and waits[0] > 30
    assert row.last_status_code == 500 and row.attempts == 3

    expired = DeliveryPolicy(timeout=2, retry_window=0, allow_private=True)
    dispatcher(gateway, expired).run_until_idle()
    (delivery,) = gateway.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json["items"]
    assert delivery["status"] == "failed" and delivery["attempts"] == 4

    receiver.answer = 200
    retried = gateway.post(f"{HOOKS}/{hook['id']}/deliveries/{delivery['id']}/retry", headers=admin)
    assert retried.status_code == 202 and retried.json["status"] == "pending"
    assert dispatcher(gateway).run_until_idle() == 1
    (delivery,) = gateway.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json["items"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 5
    assert (
        len(receiver.received) == 5
        and len({r["headers"]["webhook-id"] for r in receiver.received}) == 1
    )


def test_a_redirect_is_not_followed(
    gateway: HttpClient,
    auth: Callable[..., dict[str, str]],
    receiver: WebhookReceiver,
    other_receiver: WebhookReceiver,
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    hook = register(gateway, auth("admin"), receiver.url)
    receiver.answer, receiver.location = 307, other_receiver.url
    push(gateway, event("account.updated", "acc-1"))

    dispatcher(gateway).run_until_idle()

    assert other_receiver.received == []
    with gateway.application.db.session() as session:
        row = session.scalars(select(WebhookDelivery)).one()
    assert row.webhook_id == hook["id"]
    assert row.status == "pending" and row.last_status_code == 307


def test_a_slow_receiver_does_not_hold_up_another_webhook(
    gateway: HttpClient,
    auth: Callable[..., dict[str, str]],
    receiver: WebhookReceiver,
    other_receiver: WebhookReceiver,
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    admin = auth("admin")
    register(gateway, admin, receiver.url)
    register(gateway, admin, other_receiver.url)
    receiver.hold = threading.Event()  # the slow one answers only when let go
    push(gateway, event("account.updated", "acc-1"))
    send = dispatcher(gateway, DeliveryPolicy(timeout=15, allow_private=True))

    try:
        send.run()  # the worker's job: starts each webhook's sending, returns at once
        deadline = time.monotonic() + 10
        while not other_receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(other_receiver.received) == 1
        assert receiver.received == []  # still held
    finally:
        receiver.hold.set()
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(receiver.received) == 1
    send.close()


def test_a_test_event_is_sent_on_request(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    partner = auth("partner", ["acc-1"])
    hook = register(gateway, partner, receiver.url)

    queued = gateway.post(f"{HOOKS}/{hook['id']}/test", headers=partner)
    assert queued.status_code == 202 and queued.json["type"] == "webhook.test"
    dispatcher(gateway).run_until_idle()

    (body,) = verified(receiver, hook["secret"])
    assert body["type"] == "webhook.test" and body["data"]["webhook_id"] == hook["id"]


def test_a_paused_webhook_gets_nothing_and_a_revoked_partners_hooks_stop(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], receiver: WebhookReceiver
) -> None:
    gateway.application.settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    admin = auth("admin")
    partner = auth("partner", ["acc-1"])
    hook = register(gateway, partner, receiver.url)
    paused = gateway.patch(f"{HOOKS}/{hook['id']}", json={"active": False}, headers=partner)
    assert paused.status_code == 200 and paused.json["active"] is False
    push(gateway, event("account.updated", "acc-1"))
    dispatcher(gateway).run_until_idle()
    assert receiver.received == []

    gateway.patch(f"{HOOKS}/{hook['id']}", json={"active": True}, headers=partner)
    key_id = gateway.get("/api/v1/admin/keys", headers=admin).json["items"][0]["id"]
    assert gateway.delete(f"/api/v1/admin/keys/{key_id}", headers=admin).status_code == 204
    listed = gateway.get(f"{HOOKS}/{hook['id']}", headers=admin).json
    assert listed["active"] is False


def test_the_inbox_needs_the_internal_token(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    response = requests.post(
        gateway.base_url + "/internal/events",
        json={"events": []},
        headers=auth("admin"),
        timeout=10,
    )
    assert response.status_code == 401


def test_events_from_the_accounts_service_reach_a_receiver_through_its_relay(
    make_gateway: Callable[..., HttpClient],
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
    accounts_service: str,
    database_url: Callable[[str], str],
    receiver: WebhookReceiver,
) -> None:
    from kam_accounts.events import OUTBOX
    from kam_common.http import ServiceClient
    from kam_common.relay import Relay
    from kam_gateway.keys import create_key

    gateway = make_gateway(
        WEBHOOKS_ALLOW_PRIVATE=True,
        **upstream_tools.config({**echo_upstreams, "accounts": accounts_service}),
    )
    with gateway.application.db.session() as session:
        _key, secret = create_key(session=session, name="ops", role="admin")
        _key, sales = create_key(session=session, name="seller", role="sales")
    hook = register(gateway, {"Authorization": f"Bearer {secret}"}, receiver.url)
    created = gateway.post(
        "/api/v1/accounts",
        json={"name": "شرکت نمونه"},
        headers={"Authorization": f"Bearer {sales}"},
    )
    assert created.status_code == 201
    relay = Relay(
        OUTBOX,
        Database(database_url("accounts")),
        {"gateway": ServiceClient("gateway", gateway.base_url, TEST_TOKEN)},
    )

    assert relay.run_once() == 1
    dispatcher(gateway).run_until_idle()

    (body,) = verified(receiver, hook["secret"])
    assert body["type"] == "account.created"
    assert body["data"]["account_id"] == created.json["id"]
    assert body["data"]["name"] == "شرکت نمونه"
