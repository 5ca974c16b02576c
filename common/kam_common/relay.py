"""The relay: pushes a publisher's outbox to its consumers, each consumer on a lane of its own.

Rows are claimed with a short lease in their own transaction (`FOR UPDATE SKIP LOCKED`, so many
relays may share the work), POSTed to the consumer's `/internal/events`, then marked delivered.

No event is ever dropped. A failed push is retried with doubling back-off capped at
`max_backoff` seconds, for ever. A row that has kept failing for `dead_after` seconds, or that
its consumer refused outright (a 4xx: it will not apply it as it is), is marked *dead*
(`dead_at`): it shows in the `kam_outbox_dead_letters` metric, in the gateway's `/readyz` and
in `kam outbox list`, an error line is logged once, and it is still retried every
`dead_retry` seconds, so a consumer that is fixed or comes back picks it up by itself;
`kam outbox redrive` retries it at once. When the consumer names the one event of a batch it
cannot apply (`events.<i>.payload`), the events before it count as delivered, it alone
fails, and the ones after it are sent again at once: a bad event never holds up the others.

Each lane (one publisher, one consumer) is independent: the worker runs each in a thread of its
own, so a consumer that is down or frozen delays only the events addressed to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select, update

from kam_common.config import env_float
from kam_common.db import Database, utcnow
from kam_common.http import ServiceClient
from kam_common.integration import EVENTS_PATH, Outbox

log = logging.getLogger("kam.relay")

LEASE = timedelta(seconds=30)  # a claimed row is retried if its relay dies mid-delivery
_BAD_INDEX = re.compile(r"^events\.(\d+)\.")


@dataclass(frozen=True)
class RetryPolicy:
    first_backoff: float = 2.0
    max_backoff: float = 60.0
    dead_after: float = 900.0
    dead_retry: float = 300.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(
            max_backoff=env_float("KAM_OUTBOX_MAX_BACKOFF", cls.max_backoff),
            dead_after=env_float("KAM_OUTBOX_DEAD_AFTER", cls.dead_after),
            dead_retry=env_float("KAM_OUTBOX_DEAD_RETRY", cls.dead_retry),
        )

    def backoff(self, attempts: int) -> float:
        doubled: float = self.first_backoff * 2 ** min(attempts - 1, 30)
        return min(self.max_backoff, doubled)


@dataclass
class Outcome:
    """How one push went: how many rows of the batch were applied, and why the rest failed."""

    delivered: int
    error: str | None = None
    refused: bool = False  # the consumer answered 4xx: retrying unchanged will not help


@dataclass
class Lane:
    """One publisher's events for one consumer."""

    outbox: Outbox
    db: Database
    destination: str
    client: ServiceClient
    policy: RetryPolicy = field(default_factory=RetryPolicy.from_env)
    batch_size: int = 200

    @property
    def name(self) -> str:
        return f"{self.outbox.source}->{self.destination}"

    def run_once(self) -> int:
        """Deliver what is due on this lane; return how many events were delivered."""
        table = self.outbox.table
        now = utcnow()
        with self.db.session() as session:
            rows = session.execute(
                select(table)
                .where(
                    table.c.destination == self.destination,
                    table.c.delivered_at.is_(None),
                    table.c.next_attempt_at <= now,
                )
                .order_by(table.c.seq)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            session.execute(
                update(table)
                .where(table.c.seq.in_([row.seq for row in rows]))
                .values(next_attempt_at=now + LEASE)
            )
            session.commit()
        outcome = self._push(rows)
        self._record(rows, outcome)
        return outcome.delivered

    def _record(self, rows: Sequence[Any], outcome: Outcome) -> None:
        table = self.outbox.table
        now = utcnow()
        done, failed, rest = rows[: outcome.delivered], [], []
        if outcome.error is not None and outcome.delivered < len(rows):
            failed = (
                [rows[outcome.delivered]] if outcome.refused else list(rows[outcome.delivered :])
            )
            rest = list(rows[outcome.delivered + 1 :]) if outcome.refused else []
        with self.db.session() as session:
            if done:
                session.execute(
                    update(table)
                    .where(table.c.seq.in_([row.seq for row in done]))
                    .values(delivered_at=now)
                )
            if rest:  # behind the one refused event: send again at once
                session.execute(
                    update(table)
                    .where(table.c.seq.in_([row.seq for row in rest]))
                    .values(next_attempt_at=now)
                )
            for row in failed:
                session.execute(
                    update(table)
                    .where(table.c.seq == row.seq)
                    .values(**self._failure(row, outcome, now))
                )
            session.commit()
        if failed:
            log.warning(
                "delivery %s failed (%d events, attempt %d): %s",
                self.name,
                len(failed),
                failed[0].attempts + 1,
                outcome.error,
            )

    def _failure(self, row: Any, outcome: Outcome, now: datetime) -> dict[str, Any]:
        attempts = row.attempts + 1
        failing_for = (now - row.occurred_at).total_seconds()
        dead_at = row.dead_at
        if dead_at is None and (outcome.refused or failing_for >= self.policy.dead_after):
            dead_at = now
            log.error(
                "dead letter: event %s (%s) to %s after %d attempts: %s; it is retried every "
                "%g s; `kam outbox list` shows it, `kam outbox redrive` retries it now",
                row.event_id,
                row.type,
                self.destination,
                attempts,
                outcome.error,
                self.policy.dead_retry,
            )
        wait = self.policy.dead_retry if dead_at is not None else self.policy.backoff(attempts)
        return {
            "attempts": attempts,
            "next_attempt_at": now + timedelta(seconds=wait),
            "last_error": (outcome.error or "")[:2000],
            "dead_at": dead_at,
        }

    def _push(self, batch: Sequence[Any]) -> Outcome:
        body = {
            "events": [
                {
                    "id": row.event_id,
                    "type": row.type,
                    "source": self.outbox.source,
                    "occurred_at": row.occurred_at.isoformat(),
                    "payload": row.payload,
                }
                for row in batch
            ]
        }
        try:
            response = self.client.request("POST", EVENTS_PATH, json=body)
        except requests.RequestException as exc:
            return Outcome(0, f"{self.destination} unreachable: {exc.__class__.__name__}")
        if response.status_code < 300:
            return Outcome(len(batch))
        error = f"{self.destination} answered {response.status_code}: {response.text[:500]}"
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            return Outcome(_applied_before(response, len(batch)), error, refused=True)
        return Outcome(0, error)


def _applied_before(response: requests.Response, size: int) -> int:
    """The index of the event the consumer refused (the ones before it were applied); 0 when
    it does not say, so the whole batch is retried (its inbox skips what it applied)."""
    try:
        errors = response.json().get("errors") or {}
    except (ValueError, AttributeError):
        return 0
    indexes = [int(m.group(1)) for key in errors if (m := _BAD_INDEX.match(str(key)))]
    return min(indexes) if indexes and min(indexes) < size else 0


@dataclass
class Relay:
    """Every lane of one publisher's outbox."""

    outbox: Outbox
    db: Database
    consumers: Mapping[str, ServiceClient]
    policy: RetryPolicy = field(default_factory=RetryPolicy.from_env)

    def lanes(self) -> list[Lane]:
        """A lane per consumer this relay has an address for; the events of any other consumer
        wait in the outbox (and show in its numbers) until a relay that knows it runs."""
        return [
            Lane(self.outbox, self.db, d, self.consumers[d], self.policy)
            for d in self.outbox.destinations
            if d in self.consumers
        ]

    def run_once(self) -> int:
        """One pass over every lane, one after the other (tests, `kam worker --once`)."""
        return sum(lane.run_once() for lane in self.lanes())


def relay_to_consumers(outbox: Outbox, settings: Mapping[str, Any]) -> Relay:
    """The relay of an app's outbox to every consumer it names, each found where
    `kam_common.config.service_url` says, from the app's `DATABASE_URL` and `INTERNAL_TOKEN`."""
    from kam_common.config import service_url

    consumers = {
        name: ServiceClient(name, service_url(name), settings["INTERNAL_TOKEN"])
        for name in outbox.destinations
    }
    return Relay(outbox, Database(settings["DATABASE_URL"]), consumers)
