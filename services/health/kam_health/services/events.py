"""Logging and correcting what happened: deliveries, quality issues, tickets, warning signs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from kam_common.concurrency import check_if_match
from kam_common.db import utcnow
from kam_common.errors import AppError, Conflict, Invalid, NotFound
from kam_common.pagination import paginate
from kam_common.scope import account_scope, in_scope
from kam_health.domain import alerts as alert_rules
from kam_health.domain.events import check_event
from kam_health.models import AccountFacts, Event
from kam_health.services.alerts import raise_alert
from kam_health.services.facts import AccountLookup, require_active_account
from kam_health.services.scoring import queue_rescore, rescore


class EventNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Event not found.")


class BatchInvalid(AppError):
    status = 422

    def __init__(self, errors: dict[str, list[str]]):
        indexes = sorted({int(key.split(".")[1]) for key in errors})
        super().__init__(
            f"{len(indexes)} of the events are invalid (indexes {indexes}); none was stored.",
            errors=errors,
        )


def _numeric_columns(event: Event) -> None:
    event.occurred_ts = event.occurred_at.timestamp()
    event.opened_ts = event.opened_at.timestamp() if event.opened_at else None
    event.resolved_ts = event.resolved_at.timestamp() if event.resolved_at else None
    event.promised_day = (
        (event.promised_on - datetime(1970, 1, 1).date()).days if event.promised_on else None
    )
    event.delivered_day = (
        (event.delivered_on - datetime(1970, 1, 1).date()).days if event.delivered_on else None
    )


def _prepare(session: Session, data: dict[str, Any], lookup: AccountLookup, now: datetime) -> Event:
    data = {**data, "occurred_at": data.get("occurred_at") or now}
    check_event(data, now)
    require_active_account(session, data["account_id"], lookup)
    event = Event(**data)
    _numeric_columns(event)
    return event


def _taken_refs(session: Session, events: list[Event]) -> set[tuple[str, str, str]]:
    keys = [(e.account_id, e.type, e.external_ref) for e in events if e.external_ref]
    if not keys:
        return set()
    rows = session.execute(
        select(Event.account_id, Event.type, Event.external_ref).where(
            tuple_(Event.account_id, Event.type, Event.external_ref).in_(keys)
        )
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


def _raise_critical_alerts(session: Session, events: list[Event]) -> None:
    for event in events:
        facts = {
            "type": event.type,
            "severity": event.severity,
            "signal": event.signal,
            "note": event.note,
        }
        if alert_rules.is_critical(facts):
            raise_alert(session, event.account_id, alert_rules.critical_event(facts, event.id))


def log_event(*, session: Session, data: dict[str, Any], lookup: AccountLookup) -> Event:
    event = _prepare(session, data, lookup, utcnow())
    if _taken_refs(session, [event]):
        raise Conflict(
            f"An {event.type} event with external_ref {event.external_ref!r} is already "
            "recorded for this account.",
            errors={"external_ref": ["Already recorded for this account and type."]},
        )
    session.add(event)
    session.flush()
    _raise_critical_alerts(session, [event])
    rescore(session, [event.account_id])
    session.commit()
    return event


def log_batch(
    *,
    session: Session,
    items: list[dict[str, Any] | None],
    errors: dict[str, list[str]],
    lookup: AccountLookup,
) -> list[str]:
    """All or nothing: every bad index is named, and then nothing is stored. The accounts'
    scores follow through the worker's rescore queue.

    `items` are the loaded events, None where loading failed (already named in `errors`).
    """
    now = utcnow()
    errors = dict(errors)
    # One query for every account of the batch; the checks below then hit the identity map
    # (which holds objects weakly: keep them referenced until the batch is done).
    wanted = {item["account_id"] for item in items if item is not None}
    known = session.scalars(select(AccountFacts).where(AccountFacts.account_id.in_(wanted))).all()
    events: list[Event | None] = []
    for index, data in enumerate(items):
        if data is None:
            events.append(None)
            continue
        try:
            events.append(_prepare(session, data, lookup, now))
        except Invalid as problem:
            for field, messages in (problem.errors or {}).items():
                errors[f"events.{index}.{field}"] = messages
            events.append(None)
    seen: dict[tuple[str, str, str], int] = {}
    taken = _taken_refs(session, [e for e in events if e is not None])
    for index, event in enumerate(events):
        if event is None or not event.external_ref:
            continue
        key = (event.account_id, event.type, event.external_ref)
        if key in taken:
            errors[f"events.{index}.external_ref"] = ["Already recorded for this account and type."]
        elif key in seen:
            errors[f"events.{index}.external_ref"] = [f"Repeats events.{seen[key]} in this batch."]
        seen.setdefault(key, index)
    if errors:
        session.rollback()
        raise BatchInvalid(errors)
    stored = [e for e in events if e is not None]
    del known
    session.add_all(stored)
    session.flush()
    ids = [e.id for e in stored]
    _raise_critical_alerts(session, stored)
    # A batch may touch a thousand accounts: the worker rescores them right after, in one scan.
    queue_rescore(session, {e.account_id for e in stored})
    session.commit()
    return ids


def get_event(*, session: Session, event_id: str) -> Event:
    event = session.get(Event, event_id)
    if event is None or not in_scope(event.account_id):
        raise EventNotFound()
    return event


def list_events(
    *,
    session: Session,
    page: int,
    per_page: int,
    account_id: str | None = None,
    type: str | None = None,
    since: datetime | None = None,
    open: bool | None = None,
) -> dict[str, Any]:
    stmt = select(Event)
    scope = account_scope()
    if scope is not None:
        stmt = stmt.where(Event.account_id.in_(scope))
    if account_id:
        stmt = stmt.where(Event.account_id == account_id)
    if type:
        stmt = stmt.where(Event.type == type)
    if since:
        stmt = stmt.where(Event.occurred_at >= since)
    if open is not None:
        still_open = ((Event.type == "delivery") & Event.delivered_on.is_(None)) | (
            Event.type.in_(("quality", "support")) & Event.resolved_at.is_(None)
        )
        stmt = stmt.where(still_open if open else ~still_open)
    stmt = stmt.order_by(Event.occurred_at.desc(), Event.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def update_event(*, session: Session, event_id: str, changes: dict[str, Any]) -> Event:
    event = get_event(session=session, event_id=event_id)
    check_if_match(event.version)
    merged = {
        "type": event.type,
        "occurred_at": event.occurred_at,
        "promised_on": event.promised_on,
        "delivered_on": event.delivered_on,
        "severity": event.severity,
        "signal": event.signal,
        "opened_at": event.opened_at,
        "resolved_at": event.resolved_at,
        "sla_hours": event.sla_hours,
        **changes,
    }
    check_event(merged, utcnow())
    for name, value in changes.items():
        setattr(event, name, value)
    _numeric_columns(event)
    if session.is_modified(event):
        event.updated_at = utcnow()
    session.flush()
    rescore(session, [event.account_id])
    session.commit()
    return event
