"""Webhooks: partner systems registered for our events, and what each is sent.

The gateway consumes every public event type like any other consumer (outbox → HTTP push →
its inbox, `receive_events`): each new event becomes one *delivery* per active webhook that
asked for its type and may see its account. `kam_gateway.delivery` sends them.

Admins' webhooks get every account's events; a partner's only its key's accounts'. A partner
sees and changes only its own webhooks; another's looks exactly like a missing one (404).
Targets on loopback, private, link-local or otherwise non-public addresses are refused unless
`KAM_WEBHOOKS_ALLOW_PRIVATE=1` (a receiver on the same machine, in development and tests).
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from kam_common.db import new_id, utcnow
from kam_common.errors import Invalid, NotFound
from kam_common.pagination import paginate
from kam_gateway.access import Caller
from kam_gateway.models import Webhook, WebhookDelivery, inbox

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks marker, not a secret
TEST_EVENT = "webhook.test"
# Every public event type a webhook may ask for.
EVENT_TYPES = (
    "account.created",
    "account.updated",
    "account.archived",
    "health.band_changed",
    "alert.raised",
    "agreement.activated",
    "agreement.ended",
    "task.created",
)
DELIVERY_STATUSES = ("pending", "delivered", "failed")
# How long the secret replaced by a rotation still signs (beside the new one).
ROTATION_OVERLAP = timedelta(hours=24)

Resolver = Callable[..., Sequence[tuple[Any, ...]]]


def new_secret() -> str:
    """`whsec_` + base64 of 24 random bytes: the Standard Webhooks form of a signing secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


# Targets -------------------------------------------------------------------------------------


def refused_address(address: str) -> bool:
    """Whether a webhook may not be sent to this IP address: anything but a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_target(
    url: str, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo, field: str = "url"
) -> None:
    """An http(s) URL with a host whose every address is public (unless private ones are
    allowed); else `Invalid` naming `field`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Invalid(field, "Must be an http:// or https:// URL.")
    host = parts.hostname
    if not host:
        raise Invalid(field, "Must name a host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Invalid(field, "The port is not a number from 1 to 65535.") from None
    if allow_private:
        return
    try:
        found = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Invalid(field, f"The host {host!r} cannot be resolved.") from None
    addresses = sorted({str(info[4][0]) for info in found})
    if not addresses:
        raise Invalid(field, f"The host {host!r} cannot be resolved.")
    for address in addresses:
        if refused_address(address):
            raise Invalid(
                field,
                f"The host resolves to {address}, a loopback, private or reserved address: "
                "webhooks go to public addresses only.",
            )


# Registration --------------------------------------------------------------------------------


def _owned(session: Session, caller: Caller, webhook_id: str) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None or (caller.is_partner and hook.owner_id != caller.key_id):
        raise NotFound("Webhook not found.")
    return hook


def _check_events(events: Iterable[str]) -> list[str]:
    kinds = list(dict.fromkeys(events))
    if not kinds:
        raise Invalid("events", "Name at least one event type.")
    return kinds


def create_webhook(
    *,
    session: Session,
    caller: Caller,
    url: str,
    events: Sequence[str],
    description: str | None = None,
    allow_private: bool,
    resolve: Resolver = socket.getaddrinfo,
) -> Webhook:
    """Register a webhook; the returned row holds the secret, shown to the caller this once."""
    check_target(url, allow_private=allow_private, resolve=resolve)
    now = utcnow()
    hook = Webhook(
        id=new_id(),
        owner_id=caller.key_id,
        owner_type=caller.kind,
        owner_role=caller.role,
        account_ids=list(caller.account_ids) if caller.is_partner else None,
        url=url,
        events=_check_events(events),
        description=description,
        secret=new_secret(),
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(hook)
    session.commit()
    return hook


def paginate_webhooks(
    *, session: Session, caller: Caller, page: int, per_page: int
) -> dict[str, Any]:
    stmt = select(Webhook).order_by(Webhook.created_at.desc(), Webhook.id)
    if caller.is_partner:
        stmt = stmt.where(Webhook.owner_id == caller.key_id)
    return paginate(session, stmt, page=page, per_page=per_page)


def get_webhook(*, session: Session, caller: Caller, webhook_id: str) -> Webhook:
    return _owned(session, caller, webhook_id)


def update_webhook(
    *,
    session: Session,
    caller: Caller,
    webhook_id: str,
    changes: Mapping[str, Any],
    allow_private: bool,
    resolve: Resolver = socket.getaddrinfo,
) -> Webhook:
    """Change only the fields sent (`url`, `events`, `active`, `description`)."""
    hook = _owned(session, caller, webhook_id)
    if "url" in changes:
        check_target(changes["url"], allow_private=allow_private, resolve=resolve)
        hook.url = changes["url"]
    if "events" in changes:
        hook.events = _check_events(changes["events"])
    if "active" in changes:
        hook.active = changes["active"]
    if "description" in changes:
        hook.description = changes["description"]
    hook.updated_at = utcnow()
    session.commit()
    return hook


def rotate_secret(*, session: Session, caller: Caller, webhook_id: str) -> Webhook:
    """A new secret, shown this once; the old one signs beside it for `ROTATION_OVERLAP`."""
    hook = _owned(session, caller, webhook_id)
    now = utcnow()
    hook.previous_secret, hook.previous_secret_until = hook.secret, now + ROTATION_OVERLAP
    hook.secret = new_secret()
    hook.updated_at = now
    session.commit()
    return hook


def delete_webhook(*, session: Session, caller: Caller, webhook_id: str) -> None:
    """Remove the webhook and its delivery log; nothing more is sent to it."""
    hook = _owned(session, caller, webhook_id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    session.delete(hook)
    session.commit()


# Deliveries ----------------------------------------------------------------------------------


def paginate_deliveries(
    *,
    session: Session,
    caller: Caller,
    webhook_id: str,
    page: int,
    per_page: int,
    status: str | None = None,
) -> dict[str, Any]:
    """The webhook's delivery log, newest first."""
    hook = _owned(session, caller, webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    stmt = stmt.order_by(WebhookDelivery.seq.desc())
    return paginate(session, stmt, page=page, per_page=per_page)


def retry_delivery(
    *, session: Session, caller: Caller, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send it again now, whatever its state: a failed one gets a new retry window."""
    hook = _owned(session, caller, webhook_id)
    delivery = session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.webhook_id == hook.id, WebhookDelivery.id == delivery_id
        )
    )
    if delivery is None:
        raise NotFound("Delivery not found.")
    now = utcnow()
    if delivery.status != "pending":
        delivery.created_at = now  # the retry window starts again
    delivery.status = "pending"
    delivery.next_attempt_at = now
    session.commit()
    return delivery


def send_test(*, session: Session, caller: Caller, webhook_id: str) -> WebhookDelivery:
    """Queue a `webhook.test` event for this webhook alone (sent within a moment)."""
    hook = _owned(session, caller, webhook_id)
    now = utcnow()
    event_id = str(uuid.uuid4())
    delivery = WebhookDelivery(
        id=new_id(),
        webhook_id=hook.id,
        event_id=event_id,
        type=TEST_EVENT,
        account_id=None,
        payload={"webhook_id": hook.id, "message": "A test event: your endpoint is reachable."},
        occurred_at=now,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.commit()
    return delivery


# The inbox: events from the services --------------------------------------------------------


def receive_events(*, session: Session, events: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Each event not seen before becomes a delivery for every active webhook that asked for
    its type and may see its account, all in one transaction (the relay resends the batch on
    any failure, and the inbox then skips what was applied)."""
    ids = [str(event["id"]) for event in events]
    seen = set(session.scalars(select(inbox.c.event_id).where(inbox.c.event_id.in_(ids))))
    hooks = session.scalars(select(Webhook).where(Webhook.active.is_(True))).all()
    now = utcnow()
    applied = duplicates = 0
    rows: list[dict[str, Any]] = []
    for event in events:
        event_id = str(event["id"])
        if event_id in seen:
            duplicates += 1
            continue
        seen.add(event_id)
        applied += 1
        kind = str(event["type"])
        session.execute(
            insert(inbox).values(
                event_id=event_id, type=kind, source=event.get("source"), received_at=now
            )
        )
        payload = dict(event.get("payload") or {})
        account_id = payload.get("account_id")
        occurred_at = _timestamp(event.get("occurred_at")) or now
        for hook in hooks:
            if kind not in hook.events:
                continue
            if hook.account_ids is not None and account_id not in hook.account_ids:
                continue
            rows.append(
                {
                    "id": new_id(),
                    "webhook_id": hook.id,
                    "event_id": event_id,
                    "type": kind,
                    "account_id": account_id,
                    "payload": payload,
                    "occurred_at": occurred_at,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    if rows:
        session.execute(insert(WebhookDelivery), rows)
    session.commit()
    return {"applied": applied, "duplicates": duplicates}


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def deactivate_owned_by(*, session: Session, owner_id: str) -> None:
    """A revoked key's webhooks stop: nothing is sent on behalf of a credential that is gone."""
    session.execute(
        update(Webhook)
        .where(Webhook.owner_id == owner_id)
        .values(active=False, updated_at=utcnow())
    )
