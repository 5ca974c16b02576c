"""Integration events between apps: outbox → HTTP push → deduplicating inbox.

A publisher writes its events to its own `outbox` table in the same transaction as the change
(`Outbox.publish`), one row per consumer. The worker's relay (`kam_common.relay`) pushes them
to each consumer's `/internal/events`; a consumer that is down makes them wait, retried for
ever, until it is back. Delivery is at least once; the consumer's `inbox` table (event id as
primary key) makes applying them exactly once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import flask_smorest
import marshmallow as ma
from marshmallow import validate
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from kam_common import fields as kam_fields
from kam_common.db import Database, UTCDateTime, insert_many, utcnow
from kam_common.errors import AppError
from kam_common.web import Blueprint

log = logging.getLogger("kam.integration")

EVENTS_PATH = "/internal/events"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column(
            "seq",
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        Column("event_id", String(36), nullable=False),
        Column("destination", String(40), nullable=False),
        Column("type", String(60), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("occurred_at", UTCDateTime(), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UTCDateTime(), nullable=False, index=True),
        Column("delivered_at", UTCDateTime(), index=True),
        Column("last_error", Text),
        # Set when a row kept failing (or was refused): a dead letter, shown and still retried.
        Column("dead_at", UTCDateTime(), index=True),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("type", String(60), nullable=False),
        Column("source", String(40)),
        Column("received_at", UTCDateTime(), nullable=False),
    )


class Outbox:
    """Where a publisher writes its integration events; `routes` maps event types to consumers."""

    def __init__(self, source: str, table: Table, routes: Mapping[str, Iterable[str]]):
        self.source = source
        self.table = table
        self.routes = {kind: tuple(consumers) for kind, consumers in routes.items()}

    @property
    def destinations(self) -> tuple[str, ...]:
        """Every consumer of this outbox."""
        return tuple(sorted({d for consumers in self.routes.values() for d in consumers}))

    def publish(
        self, session: Session, kind: str, payload: dict[str, Any], *, at: datetime | None = None
    ) -> str:
        """Add the event to the caller's transaction; it leaves only if that commits."""
        event_id = str(uuid.uuid4())
        occurred_at = at or utcnow()
        for destination in self.routes[kind]:
            session.execute(
                insert(self.table).values(
                    event_id=event_id,
                    destination=destination,
                    type=kind,
                    payload=payload,
                    occurred_at=occurred_at,
                    attempts=0,
                    next_attempt_at=occurred_at,
                )
            )
        return event_id

    def publish_many(
        self,
        session: Session,
        kind: str,
        payloads: Iterable[dict[str, Any]],
        *,
        at: datetime | None = None,
    ) -> list[str]:
        """Many events of one kind in one statement per consumer (a batch, a rescore)."""
        occurred_at = at or utcnow()
        ids_and_payloads = [(str(uuid.uuid4()), payload) for payload in payloads]
        for destination in self.routes[kind]:
            insert_many(
                session,
                self.table,
                [
                    {
                        "event_id": event_id,
                        "destination": destination,
                        "type": kind,
                        "payload": payload,
                        "occurred_at": occurred_at,
                        "attempts": 0,
                        "next_attempt_at": occurred_at,
                    }
                    for event_id, payload in ids_and_payloads
                ],
            )
        return [event_id for event_id, _ in ids_and_payloads]


Handler = Callable[[Session, dict[str, Any]], None]
# Applies a run of new events together (consecutive types mapped to the same handler): an
# import's thousands of accounts in one transaction and one evaluation, not one per event.
BatchHandler = Callable[[Session, list[dict[str, Any]]], None]

# What a handler meets in a payload that lacks a field or holds a value of the wrong kind. The
# publishers are our own services, so this is a bug on their side: refuse it plainly (422) and
# keep it out of the inbox, so the relay keeps the event and says why in its `last_error`.
MALFORMED_PAYLOAD = (KeyError, TypeError, ValueError, AttributeError, ma.ValidationError, DataError)


class MalformedEvent(AppError):
    status = 422

    def __init__(self, index: int, event: Mapping[str, Any], exc: Exception):
        reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0][:200]
        field = f"events.{index}.payload"
        super().__init__(
            f"Event {event['id']} ({event['type']}) cannot be applied: {reason}. "
            f"The {index} event(s) before it were applied; none after it were.",
            errors={field: [f"{exc.__class__.__name__}: {reason}"]},
        )


class IntegrationEventSchema(ma.Schema):
    """One integration event as the relay sends it (fields a later version adds are ignored)."""

    class Meta:
        unknown = ma.EXCLUDE

    id = kam_fields.Text(required=True, validate=validate.Length(min=1, max=36))
    type = kam_fields.Text(required=True, validate=validate.Length(min=1, max=60))
    source = kam_fields.Text(allow_none=True, validate=validate.Length(max=40))
    occurred_at = ma.fields.String(allow_none=True)
    payload = ma.fields.Dict(load_default=dict)


class IntegrationEventBatchSchema(ma.Schema):
    events = ma.fields.List(ma.fields.Nested(IntegrationEventSchema), required=True)


class InboxResultSchema(ma.Schema):
    applied = ma.fields.Integer(required=True)
    duplicates = ma.fields.Integer(required=True)


def init_inbox(
    api: flask_smorest.Api,
    db: Database,
    table: Table,
    handlers: Mapping[str, Handler],
    batch_handlers: Mapping[str, BatchHandler] | None = None,
) -> None:
    """`POST /internal/events`: apply each new event once, in its own transaction; a run of
    consecutive events whose types share one batch handler goes in one transaction instead."""
    blp = Blueprint("internal", __name__, description="Integration events from the other services")
    together = dict(batch_handlers or {})

    def apply_one(index: int, event: dict[str, Any]) -> bool:
        """True when applied, False when it was a repeat."""
        with db.session() as session:
            try:
                session.execute(insert(table).values(**_inbox_row(event)))
                session.flush()
            except IntegrityError:
                session.rollback()
                return False
            handler = handlers.get(event["type"])
            if handler is not None:
                try:
                    handler(session, event)
                except MALFORMED_PAYLOAD as exc:
                    # Leaving the session rolls back the inbox row and any part of the change.
                    log.warning("event %s refused", event["id"], exc_info=True)
                    raise MalformedEvent(index, event, exc) from exc
            session.commit()
            return True

    def apply_run(run: list[dict[str, Any]]) -> tuple[int, int] | None:
        """(applied, duplicates) for the run in one transaction; None when it must go one
        event at a time (a payload refused, or a key another transaction took meanwhile),
        with nothing of it kept."""
        ids = [event["id"] for event in run]
        with db.session() as session:
            seen = set(session.scalars(select(table.c.event_id).where(table.c.event_id.in_(ids))))
            fresh: list[dict[str, Any]] = []
            for event in run:
                if event["id"] not in seen:
                    seen.add(event["id"])
                    fresh.append(event)
            try:
                if fresh:
                    session.execute(insert(table), [_inbox_row(event) for event in fresh])
                    together[run[0]["type"]](session, fresh)  # one handler serves the run
                session.commit()
            except (IntegrityError, *MALFORMED_PAYLOAD):
                session.rollback()
                return None
            return len(fresh), len(run) - len(fresh)

    @blp.route(EVENTS_PATH, methods=["POST"])
    @blp.arguments(IntegrationEventBatchSchema)
    @blp.response(200, InboxResultSchema)
    def receive_events(body: dict[str, Any]) -> Any:
        """Apply each event not seen before, in order, each in its own transaction; repeats
        (same `id`) are counted, not applied. An event whose payload cannot be applied stops the
        batch with a 422 naming it (`events.<i>.payload`); the events before it stay applied,
        and the relay's retry finds them duplicates."""
        events: list[dict[str, Any]] = body["events"]
        applied = duplicates = 0
        index = 0
        while index < len(events):
            end = index + 1
            handler = together.get(events[index]["type"])
            if handler is not None:
                while end < len(events) and together.get(events[end]["type"]) is handler:
                    end += 1
            done = apply_run(events[index:end]) if end - index > 1 else None
            if done is not None:
                applied, duplicates = applied + done[0], duplicates + done[1]
            else:
                for position in range(index, end):
                    if apply_one(position, events[position]):
                        applied += 1
                    else:
                        duplicates += 1
            index = end
        return {"applied": applied, "duplicates": duplicates}

    api.register_blueprint(blp)


def _inbox_row(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": event["id"],
        "type": event["type"],
        "source": event.get("source"),
        "received_at": utcnow(),
    }
