"""Sending webhook deliveries: signed as Standard Webhooks says, at least once, in order per
account, each webhook on its own so a slow or dead receiver delays nobody else.

Each delivery is a `POST` of `{"type", "timestamp", "data"}` with `webhook-id` (the event's
id: the same on every retry, so a receiver keeps each event once), `webhook-timestamp` and
`webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, made by the
`standardwebhooks` library; two signatures for a day after a secret's rotation).

A 2xx answer delivers it. Anything else (another status, a redirect — never followed, so a
receiver cannot bounce us to a private address —, a refused connection, the time-out) is
retried with growing back-off until `retry_window` has passed since it was queued; then it is
`failed` (and may be retried by hand). While one of a webhook's deliveries for an account waits
for its retry, that account's later ones wait behind it; other accounts' go on.

`Dispatcher.run` is the worker's job: it hands each webhook with due deliveries to a thread
pool, at most one task per webhook, and returns at once, so the worker's other jobs and lanes
never wait on a receiver.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import requests
from sqlalchemy import CursorResult, select, update
from standardwebhooks.webhooks import Webhook as Signer

from kam_common.config import env_bool, env_float, env_int
from kam_common.db import Database, utcnow
from kam_common.errors import Invalid
from kam_gateway.models import Webhook, WebhookDelivery
from kam_gateway.webhooks import check_target

log = logging.getLogger("kam.gateway.webhooks")

USER_AGENT = "kam-webhooks/1"
BATCH = 500  # deliveries of one webhook looked at per pass


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout: float = 10.0  # seconds for one delivery, connect and answer
    first_backoff: float = 5.0
    max_backoff: float = 3600.0
    retry_window: float = 26 * 3600.0  # over a day of retries before `failed`
    allow_private: bool = False
    parallel: int = 16  # webhooks sent to at the same time

    @classmethod
    def from_env(cls) -> DeliveryPolicy:
        return cls(
            timeout=env_float("KAM_WEBHOOKS_TIMEOUT", cls.timeout),
            first_backoff=env_float("KAM_WEBHOOKS_FIRST_BACKOFF", cls.first_backoff),
            max_backoff=env_float("KAM_WEBHOOKS_MAX_BACKOFF", cls.max_backoff),
            retry_window=env_float("KAM_WEBHOOKS_RETRY_WINDOW", cls.retry_window),
            allow_private=env_bool("KAM_WEBHOOKS_ALLOW_PRIVATE", False),
            parallel=env_int("KAM_WEBHOOKS_PARALLEL", cls.parallel),
        )

    def backoff(self, attempts: int) -> float:
        grown: float = self.first_backoff * 2 ** min(attempts - 1, 30)
        return min(self.max_backoff, grown)

    @property
    def lease(self) -> timedelta:
        """How long a delivery being sent is held from other senders."""
        return timedelta(seconds=self.timeout + 30)


@dataclass
class Attempt:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


def signed_request(hook: Webhook, event_id: str, body: str, *, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one body."""
    signatures = [Signer(hook.secret).sign(msg_id=event_id, timestamp=now, data=body)]
    if hook.previous_secret and hook.previous_secret_until and hook.previous_secret_until > now:
        signatures.append(
            Signer(hook.previous_secret).sign(msg_id=event_id, timestamp=now, data=body)
        )
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def body_of(delivery: WebhookDelivery) -> str:
    return json.dumps(
        {
            "type": delivery.type,
            "timestamp": delivery.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": delivery.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def send(hook: Webhook, delivery: WebhookDelivery, policy: DeliveryPolicy) -> Attempt:
    """One attempt: POST it, redirects not followed, within the policy's time-out."""
    try:  # the name may point elsewhere by now than when the webhook was registered
        check_target(hook.url, allow_private=policy.allow_private)
    except Invalid as exc:
        return Attempt(
            False, None, "refused target: " + "; ".join((exc.errors or {}).get("url", []))
        )
    body = body_of(delivery)
    headers = signed_request(hook, delivery.event_id, body, now=datetime.now(UTC))
    try:
        response = requests.post(
            hook.url,
            data=body.encode("utf-8"),
            headers=headers,
            timeout=policy.timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        return Attempt(False, None, f"no answer within {policy.timeout:g} s")
    except requests.RequestException as exc:
        return Attempt(False, None, f"unreachable: {exc.__class__.__name__}")
    if 200 <= response.status_code < 300:
        return Attempt(True, response.status_code)
    return Attempt(False, response.status_code, f"answered {response.status_code}")


def _outcome(row: WebhookDelivery, attempt: Attempt, policy: DeliveryPolicy) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {
        "attempts": row.attempts + 1,
        "last_status_code": attempt.status_code,
        "last_error": attempt.error,
    }
    if attempt.delivered:
        return {**values, "status": "delivered", "delivered_at": now, "next_attempt_at": now}
    if (now - row.created_at).total_seconds() >= policy.retry_window:
        return {**values, "status": "failed", "next_attempt_at": now}
    wait = timedelta(seconds=policy.backoff(row.attempts + 1))
    return {**values, "next_attempt_at": now + wait}


def drain(db: Database, webhook_id: str, policy: DeliveryPolicy) -> int:
    """Send what is due for one webhook, in order per account; return how many arrived."""
    with db.session(write=False) as session:
        hook = session.get(Webhook, webhook_id)
        if hook is None or not hook.active:
            return 0
        rows = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == "pending")
            .order_by(WebhookDelivery.seq)
            .limit(BATCH)
        ).all()
    waiting: set[str] = set()  # accounts with an earlier delivery not yet through
    delivered = 0
    for row in rows:
        account = row.account_id or f"event:{row.event_id}"  # no account: nothing to wait on
        if account in waiting:
            continue
        now = utcnow()
        if row.next_attempt_at > now or not _claim(db, row, now + policy.lease):
            waiting.add(account)
            continue
        attempt = send(hook, row, policy)
        with db.session() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.seq == row.seq)
                .values(**_outcome(row, attempt, policy))
            )
            session.commit()
        if attempt.delivered:
            delivered += 1
        else:
            waiting.add(account)
            log.info("webhook %s: delivery %s: %s", webhook_id, row.id, attempt.error)
    return delivered


def _claim(db: Database, row: WebhookDelivery, until: datetime) -> bool:
    """Hold the delivery for this sender (another worker's claim, or a retry asked for since
    it was read, wins: the row then no longer looks as it did)."""
    with db.session() as session:
        result = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.seq == row.seq,
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at == row.next_attempt_at,
            )
            .values(next_attempt_at=until)
        )
        session.commit()
    # An UPDATE's result is a cursor result, which counts the rows it changed.
    return bool(cast("CursorResult[Any]", result).rowcount)


def due_webhooks(db: Database) -> list[str]:
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(WebhookDelivery.webhook_id)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(
                    Webhook.active.is_(True),
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= utcnow(),
                )
                .distinct()
            )
        )


@dataclass
class Dispatcher:
    """Each webhook with due deliveries on a pool thread of its own (one task per webhook)."""

    db: Database
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy.from_env)

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.policy.parallel, thread_name_prefix="webhook")
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def run(self) -> str | None:
        """Start a task for each webhook with due deliveries that has none running."""
        started = 0
        for webhook_id in due_webhooks(self.db):
            with self._lock:
                if webhook_id in self._busy:
                    continue
                self._busy.add(webhook_id)
            self._pool.submit(self._drain, webhook_id)
            started += 1
        return f"sending to {started} webhook(s)" if started else None

    def _drain(self, webhook_id: str) -> int:
        try:
            return drain(self.db, webhook_id, self.policy)
        except Exception:
            log.exception("webhook %s: sending failed", webhook_id)
            return 0
        finally:
            with self._lock:
                self._busy.discard(webhook_id)

    def run_until_idle(self) -> int:
        """Send everything due now, each webhook on its own thread, and wait (tests, `--once`)."""
        futures = [self._pool.submit(drain, self.db, w, self.policy) for w in due_webhooks(self.db)]
        return sum(future.result() for future in futures)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
