"""Logging and correcting what happened: deliveries, quality issues, tickets, warning signs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kam_common.concurrency import UNCONDITIONAL, Precondition
from kam_common.context import Caller
from kam_common.db import insert_many, new_id, utcnow
from kam_common.errors import AppError, Conflict, Invalid, NotFound
from kam_common.pagination import paginate, where_given
from kam_health import events as published
from kam_health.domain import alerts as alert_rules
from kam_health.domain.events import check_event
from kam_health.models import AccountFacts, Event
from kam_health.services.alerts import raise_alert
from kam_health.services.facts import AccountLookup, require_active_account
from kam_health.services.history import queue_history, reaches_history
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


EVENT_COLUMNS = tuple(column.key for column in Event.__table__.columns)
EPOCH = date(1970, 1, 1)


def numeric_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The plain-number twins of an event's dates, which the set-based scoring reads."""

    def stamp(moment: datetime | None) -> float | None:
        return moment.timestamp() if moment else None

    def day(value: date | None) -> int | None:
        return (value - EPOCH).days if value else None

    return {
        "occurred_ts": data["occurred_at"].timestamp(),
        "opened_ts": stamp(data.get("opened_at")),
        "resolved_ts": stamp(data.get("resolved_at")),
        "promised_day": day(data.get("promised_on")),
        "delivered_day": day(data.get("delivered_on")),
    }


def check_row(
    session: Session, caller: Caller, data: dict[str, Any], lookup: AccountLookup, now: datetime
) -> dict[str, Any]:
    """A checked, complete row for the events table, stamped with who logged it."""
    data = {**data, "occurred_at": data.get("occurred_at") or now}
    if caller.is_partner:
        # An outside system reports for itself: the reporter is the key, not a name it types.
        given = data.get("reported_by")
        if given is not None and given != caller.name:
            raise Invalid("reported_by", "Set from your API key for partner keys; leave it out.")
        data["reported_by"] = caller.name
    check_event(data, now)
    require_active_account(session, caller, data["account_id"], lookup)
    row = dict.fromkeys(EVENT_COLUMNS)
    row.update(data)
    row.update(numeric_columns(data))
    row.update(id=new_id(), version=1, created_at=now, updated_at=now, source=caller.source())
    return row


def _moments(row: dict[str, Any]) -> list[datetime | None]:
    """The dates of an event that place it in the account's history."""
    days = [row.get("promised_on"), row.get("delivered_on")]
    return [
        row.get("occurred_at"),
        row.get("opened_at"),
        row.get("resolved_at"),
        *(datetime.combine(d, datetime.min.time(), tzinfo=UTC) if d else None for d in days),
    ]


def _taken_refs(session: Session, rows: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    keys = [(r["account_id"], r["type"], r["external_ref"]) for r in rows if r["external_ref"]]
    if not keys:
        return set()
    found = session.execute(
        select(Event.account_id, Event.type, Event.external_ref).where(
            tuple_(Event.account_id, Event.type, Event.external_ref).in_(keys)
        )
    )
    return {(a, t, r) for a, t, r in found}


def _raise_critical_alerts(session: Session, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if alert_rules.is_critical(row):
            raise_alert(session, row["account_id"], alert_rules.critical_event(row, row["id"]))


def log_event(
    *, session: Session, caller: Caller, data: dict[str, Any], lookup: AccountLookup
) -> Event:
    row = check_row(session, caller, data, lookup, utcnow())
    if _taken_refs(session, [row]):
        raise Conflict(
            f"An {row['type']} event with external_ref {row['external_ref']!r} is already "
            "recorded for this account.",
            errors={"external_ref": ["Already recorded for this account and type."]},
        )
    event = Event(**row)
    session.add(event)
    session.flush()
    _raise_critical_alerts(session, [row])
    published.events_logged(session, [row])
    rescore(session, [event.account_id])
    if reaches_history(*_moments(row)):
        queue_history(session, [event.account_id])
    session.commit()
    return event


def log_batch(
    *,
    session: Session,
    caller: Caller,
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
    # (which holds objects weakly: keep them referenced until the batch is checked).
    wanted = {item["account_id"] for item in items if item is not None}
    known = session.scalars(select(AccountFacts).where(AccountFacts.account_id.in_(wanted))).all()
    # An account health has not heard of is read through once per batch, not once per event:
    # a thousand events naming an unknown account must not make a thousand calls.
    lookup = once_per_account(lookup)
    rows: list[dict[str, Any] | None] = []
    for index, data in enumerate(items):
        try:
            rows.append(None if data is None else check_row(session, caller, data, lookup, now))
        except Invalid as problem:
            rows.append(None)
            for field, messages in (problem.errors or {}).items():
                errors[f"events.{index}.{field}"] = messages
    del known
    _name_repeated_refs(rows, errors, taken=set())
    if errors:
        session.rollback()
        raise BatchInvalid(errors)
    stored = [row for row in rows if row is not None]
    try:
        store_events(session, stored)
    except IntegrityError:
        # The unique (account, type, external_ref) guard fired: name the events it refused.
        session.rollback()
        _name_repeated_refs(rows, errors, taken=_taken_refs(session, stored))
        raise BatchInvalid(errors) from None
    session.commit()
    return [row["id"] for row in stored]


def store_events(session: Session, stored: list[dict[str, Any]]) -> None:
    """Checked rows (`check_row`) into the events table in one go, with what follows from
    them: critical alerts, the published events, and the accounts queued for rescoring."""
    # Set-based: ORM objects would cost as much again as the checks.
    insert_many(session, cast(Table, Event.__table__), stored)
    _raise_critical_alerts(session, stored)
    published.events_logged(session, stored)
    # A batch may touch a thousand accounts: the worker rescores them right after, in one scan.
    queue_rescore(session, {row["account_id"] for row in stored})
    queue_history(session, {r["account_id"] for r in stored if reaches_history(*_moments(r))})


def once_per_account(lookup: AccountLookup) -> AccountLookup:
    answers: dict[str, dict[str, Any] | None] = {}

    def remembered(account_id: str) -> dict[str, Any] | None:
        if account_id not in answers:
            answers[account_id] = lookup(account_id)
        return answers[account_id]

    return remembered


def _name_repeated_refs(
    rows: list[dict[str, Any] | None],
    errors: dict[str, list[str]],
    *,
    taken: set[tuple[str, str, str | None]],
) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    for index, row in enumerate(rows):
        if row is None or not row["external_ref"]:
            continue
        key = (row["account_id"], row["type"], row["external_ref"])
        if key in taken:
            errors[f"events.{index}.external_ref"] = ["Already recorded for this account and type."]
        elif key in seen:
            errors[f"events.{index}.external_ref"] = [f"Repeats events.{seen[key]} in this batch."]
        seen.setdefault(key, index)


def get_event(*, session: Session, caller: Caller, event_id: str, lock: bool = False) -> Event:
    event = session.get(Event, event_id, with_for_update=lock)
    if event is None or not caller.may_see(event.account_id):
        raise EventNotFound()
    return event


def list_events(
    *,
    session: Session,
    caller: Caller,
    page: int,
    per_page: int,
    account_id: str | None = None,
    type: str | None = None,
    since: datetime | None = None,
    open: bool | None = None,
) -> dict[str, Any]:
    stmt = where_given(
        caller.scoped(select(Event), Event.account_id),
        (Event.account_id, account_id),
        (Event.type, type),
    )
    if since:
        stmt = stmt.where(Event.occurred_at >= since)
    if open is not None:
        still_open = still_open_clause()
        stmt = stmt.where(still_open if open else ~still_open)
    stmt = stmt.order_by(Event.occurred_at.desc(), Event.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def still_open_clause() -> Any:
    """An event still open: a delivery not made, a quality issue or ticket not resolved."""
    return ((Event.type == "delivery") & Event.delivered_on.is_(None)) | (
        Event.type.in_(("quality", "support")) & Event.resolved_at.is_(None)
    )


def update_event(
    *,
    session: Session,
    caller: Caller,
    event_id: str,
    changes: dict[str, Any],
    precondition: Precondition = UNCONDITIONAL,
) -> Event:
    event = get_event(session=session, caller=caller, event_id=event_id, lock=True)
    precondition.check(event.version)
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
    for name, value in {**changes, **numeric_columns(merged)}.items():
        setattr(event, name, value)
    if session.is_modified(event):
        event.updated_at = utcnow()
    session.flush()
    published.events_logged(session, [{**merged, "id": event.id, "account_id": event.account_id}])
    rescore(session, [event.account_id])
    if reaches_history(*_moments(merged)):
        queue_history(session, [event.account_id])
    session.commit()
    return event
