"""What an outbox holds: pending events and dead letters, as numbers, lists and metrics, and
the re-drive of dead letters.

Read by `kam outbox list|redrive` (straight from the publisher's database), by the publisher's
`/metrics` (`kam_outbox_*` gauges, computed at scrape time) and by its `GET /internal/outbox`,
which the gateway's `/readyz` shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

import flask_smorest
import marshmallow as ma
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import CursorResult, Table, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from kam_common.db import Database, utcnow
from kam_common.web import Blueprint

log = logging.getLogger("kam.outbox")

OUTBOX_PATH = "/internal/outbox"
# The gauges each publisher's /metrics serves (deploy/prometheus/alerts.yml alerts on them).
METRICS = {
    "pending": ("kam_outbox_pending", "Integration events not yet delivered."),
    "dead_letters": (
        "kam_outbox_dead_letters",
        "Undelivered events that kept failing or were refused (still retried).",
    ),
    "oldest_pending_seconds": (
        "kam_outbox_oldest_pending_seconds",
        "Age of the oldest undelivered event.",
    ),
}


def summary(db: Database, table: Table) -> dict[str, dict[str, Any]]:
    """Per consumer: undelivered events, dead letters among them, and the oldest one's age."""
    now = utcnow()
    undelivered = table.c.delivered_at.is_(None)
    with db.session(write=False) as session:
        rows = session.execute(
            select(
                table.c.destination,
                func.count(),
                func.count(table.c.dead_at),
                func.min(table.c.occurred_at),
            )
            .where(undelivered)
            .group_by(table.c.destination)
        ).all()
    found = {
        destination: {
            "pending": int(pending),
            "dead_letters": int(dead),
            "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        }
        for destination, pending, dead, oldest in rows
    }
    return found


def dead_letters(
    db: Database, table: Table, *, destination: str | None = None, limit: int = 50
) -> list[Any]:
    stmt = select(table).where(table.c.delivered_at.is_(None), table.c.dead_at.is_not(None))
    if destination:
        stmt = stmt.where(table.c.destination == destination)
    with db.session(write=False) as session:
        return list(session.execute(stmt.order_by(table.c.seq).limit(limit)).all())


def redrive(
    db: Database,
    table: Table,
    *,
    destination: str | None = None,
    seqs: Sequence[int] | None = None,
) -> int:
    """Make dead letters due now, as if new (their attempts start again); returns how many."""
    stmt = update(table).where(table.c.delivered_at.is_(None), table.c.dead_at.is_not(None))
    if destination:
        stmt = stmt.where(table.c.destination == destination)
    if seqs:
        stmt = stmt.where(table.c.seq.in_(list(seqs)))
    with db.session() as session:
        # An UPDATE's result is a cursor result, which counts the rows it changed.
        result = cast(
            "CursorResult[Any]",
            session.execute(stmt.values(dead_at=None, attempts=0, next_attempt_at=utcnow())),
        )
        session.commit()
    return int(result.rowcount or 0)


class OutboxCollector(Collector):
    """`kam_outbox_pending`, `kam_outbox_dead_letters`, `kam_outbox_oldest_pending_seconds`
    by consumer, read from the database at each scrape."""

    def __init__(self, db: Database, table: Table, consumers: Iterable[str]):
        self.db = db
        self.table = table
        self.consumers = tuple(sorted(set(consumers)))

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The gauges' names without reading the database (the registry asks at start)."""
        for name, text in METRICS.values():
            yield GaugeMetricFamily(name, text, labels=["consumer"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {
            key: GaugeMetricFamily(name, text, labels=["consumer"])
            for key, (name, text) in METRICS.items()
        }
        try:
            found = summary(self.db, self.table)
        except SQLAlchemyError:
            log.warning("outbox metrics unavailable", exc_info=True)
            return
        for consumer in sorted(set(self.consumers) | set(found)):
            numbers = found.get(consumer, {})
            for name, family in families.items():
                family.add_metric([consumer], float(numbers.get(name, 0)))
        yield from families.values()


class ConsumerStateSchema(ma.Schema):
    pending = ma.fields.Integer(required=True)
    dead_letters = ma.fields.Integer(required=True)
    oldest_pending_seconds = ma.fields.Float(required=True)


class OutboxStateSchema(ma.Schema):
    pending = ma.fields.Integer(required=True)
    dead_letters = ma.fields.Integer(required=True)
    consumers = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(ConsumerStateSchema), required=True
    )


def init_outbox_state(
    api: flask_smorest.Api, db: Database, table: Table, consumers: Iterable[str]
) -> None:
    """`GET /internal/outbox` and the `kam_outbox_*` metrics of a publishing service."""
    api._app.extensions["kam_metrics"].registry.register(OutboxCollector(db, table, consumers))
    blp = Blueprint(
        "internal_outbox", __name__, description="The integration events this service publishes"
    )

    @blp.route(OUTBOX_PATH, methods=["GET"])
    @blp.response(200, OutboxStateSchema)
    def outbox_state() -> dict[str, Any]:
        """Undelivered events and dead letters, by consumer."""
        found = summary(db, table)
        numbers = {c: found.get(c, {"pending": 0, "dead_letters": 0, "oldest_pending_seconds": 0.0})
                   for c in sorted(set(consumers) | set(found))}  # fmt: skip
        return {
            "pending": sum(n["pending"] for n in numbers.values()),
            "dead_letters": sum(n["dead_letters"] for n in numbers.values()),
            "consumers": numbers,
        }

    api.register_blueprint(blp)
