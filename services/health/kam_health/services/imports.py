"""Health events in and out as CSV: the same checks as one logged through the API, written
set-based with the same consequences (alerts, published events, rescoring through the queue).

A row matches a recorded event by `id`, else by its `external_ref` (unique per account and
type). A match that says the same is unchanged; one that records a delivery made or an issue
resolved (`delivered_on`, `resolved_at`, `note`, `sla_hours`, as PATCH may) updates the event;
any other difference is an error on that row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

import marshmallow as ma
from sqlalchemy import Table, select, tuple_
from sqlalchemy.orm import Session

from kam_common.audit import record_rows
from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Invalid
from kam_common.imports import PROGRESS_EVERY, Plan, Progress
from kam_common.pagination import where_given
from kam_common.tabular import RowError, load_row, read_records, repeats, write_csv
from kam_health import events as published
from kam_health.domain.events import check_event
from kam_health.models import Event, audit_entries
from kam_health.services.events import check_row as checked_event
from kam_health.services.events import (
    numeric_columns,
    once_per_account,
    still_open_clause,
    store_events,
)
from kam_health.services.facts import AccountLookup
from kam_health.services.history import queue_history
from kam_health.services.scoring import queue_rescore

EVENT_COLUMNS = (
    "id", "account_id", "type", "occurred_at", "reported_by", "external_ref", "note",
    "promised_on", "delivered_on", "severity", "signal", "opened_at", "resolved_at", "sla_hours",
)  # fmt: skip
_DATA = EVENT_COLUMNS[1:]
CHANGEABLE = ("delivered_on", "resolved_at", "note", "sla_hours")
CHUNK = 5000
# Who may import which types: the same as who may log them (the gateway's route table says so
# for JSON bodies; a file's rows are only read here).
TYPES_BY_ROLE = {
    "sales": frozenset({"warning"}),
    "engineer": frozenset({"delivery", "quality", "support", "warning"}),
}


def _table() -> Table:
    return cast(Table, Event.__table__)


class EventsImport:
    def __init__(self, create_schema: ma.Schema, lookup: AccountLookup):
        self.create_schema = create_schema
        self.lookup = lookup

    def check(
        self, session: Session, *, body: bytes, mode: str, caller: Caller, progress: Progress
    ) -> Plan:
        required = () if mode == "update_only" else ("account_id", "type")
        records, errors = read_records(body, columns=EVENT_COLUMNS, required=required)
        plan = Plan(rows=len(records) + len(errors))
        errors += repeats(records, "id")
        by_id = _events_by_id(session, sorted({r.cells.get("id") or "" for r in records} - {""}))
        by_ref = _events_by_ref(session, records)
        allowed = TYPES_BY_ROLE.get(caller.role or "")
        lookup = once_per_account(self.lookup)
        now = utcnow()
        created: list[dict[str, Any]] = []
        updated: list[tuple[dict[str, Any], dict[str, Any]]] = []
        seen_refs: dict[tuple[str, str, str], int] = {}
        for index, record in enumerate(records, start=1):
            if index % PROGRESS_EVERY == 0:
                progress(index, len(records))
            data, problems = load_row(self.create_schema, record, _DATA)
            if data is None:
                errors += problems
                continue
            if allowed is not None and data.get("type") not in allowed:
                message = f"A {caller.role} may not log {data.get('type')!r} events."
                errors.append(RowError(record.row, "type", message))
                continue
            matched = _match(record, data, by_id, by_ref, errors)
            if matched is False:
                continue
            found = matched if isinstance(matched, dict) else None
            key = (data["account_id"], data["type"], data.get("external_ref") or "")
            if key[2] and key in seen_refs:
                errors.append(
                    RowError(record.row, "external_ref", f"Repeats row {seen_refs[key]}.")
                )
                continue
            seen_refs.setdefault(key, record.row)
            if found is None:
                if mode == "update_only":
                    message = "No event matches this row (update_only creates nothing)."
                    errors.append(RowError(record.row, "external_ref", message))
                    continue
                try:
                    created.append(checked_event(session, caller, data, lookup, now))
                except Invalid as problem:
                    errors += _named(record.row, problem)
                continue
            if mode == "create_only":
                message = f"Matches the recorded event {found['id']} (create_only changes nothing)."
                errors.append(RowError(record.row, "id", message))
                continue
            changes = {
                name: value
                for name, value in data.items()
                if name in record.cells and found.get(name) != value
                and not (name == "occurred_at" and value is None)
            }  # fmt: skip
            fixed = sorted(set(changes) - set(CHANGEABLE))
            if fixed:
                message = (
                    f"A recorded event's {', '.join(fixed)} cannot change; only "
                    f"{', '.join(CHANGEABLE)} can."
                )
                errors.append(RowError(record.row, fixed[0], message))
                continue
            if not changes:
                plan.unchanged += 1
                continue
            merged = {**found, **changes}
            try:
                check_event(merged, now)
            except Invalid as problem:
                errors += _named(record.row, problem)
                continue
            updated.append((merged, changes))
        plan.errors = sorted(errors, key=lambda e: e.row)
        plan.created, plan.updated = len(created), len(updated)
        plan.work = (created, updated)
        return plan

    def apply(self, session: Session, plan: Plan, *, caller: Caller) -> None:
        created, updated = plan.work
        store_events(session, created)
        record_rows(session, audit_entries, Event, [("created", None, row) for row in created])
        now = utcnow()
        for merged, changes in updated:
            event = session.get(Event, merged["id"], with_for_update=True)
            assert event is not None  # noqa: S101 - read in the check a moment ago
            for name, value in {**changes, **numeric_columns(merged)}.items():
                setattr(event, name, value)
            event.updated_at = now
        session.flush()
        if updated:
            published.events_logged(session, [merged for merged, _changes in updated])
            accounts = {merged["account_id"] for merged, _changes in updated}
            queue_rescore(session, accounts)
            queue_history(session, accounts)


def _named(row: int, problem: Invalid) -> list[RowError]:
    return [
        RowError(row, column, message)
        for column, messages in (problem.errors or {"": [problem.detail]}).items()
        for message in messages
    ]


def _match(
    record: Any,
    data: dict[str, Any],
    by_id: dict[str, dict[str, Any]],
    by_ref: dict[tuple[str, str, str], dict[str, Any]],
    errors: list[RowError],
) -> dict[str, Any] | None | bool:
    """The recorded event a row is about, None for a new one, False when the row is wrong."""
    given_id = record.cells.get("id")
    if given_id is not None:
        found = by_id.get(given_id)
        if found is None:
            errors.append(RowError(record.row, "id", "No event with this id."))
            return False
        for name in ("account_id", "type"):
            if found[name] != data.get(name):
                message = f"The event's {name} is {found[name]!r}; it cannot change."
                errors.append(RowError(record.row, name, message))
                return False
        return found
    ref = data.get("external_ref")
    if ref:
        return by_ref.get((data["account_id"], data["type"], ref))
    return None


def _events_by_id(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    table = _table()
    for start in range(0, len(ids), CHUNK):
        query = select(table).where(table.c.id.in_(ids[start : start + CHUNK]))
        found.update({row["id"]: dict(row) for row in session.execute(query).mappings()})
    return found


def _events_by_ref(session: Session, records: list[Any]) -> dict[tuple[str, str, str], Any]:
    keys = sorted(
        {
            (r.cells["account_id"], r.cells["type"], r.cells["external_ref"])
            for r in records
            if r.cells.get("account_id") and r.cells.get("type") and r.cells.get("external_ref")
        }
    )
    table = _table()
    found: dict[tuple[str, str, str], Any] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        query = select(table).where(
            tuple_(table.c.account_id, table.c.type, table.c.external_ref).in_(chunk)
        )
        for row in session.execute(query).mappings():
            found[(row["account_id"], row["type"], row["external_ref"])] = dict(row)
    return found


def export_events(
    *,
    session: Session,
    caller: Caller,
    account_id: str | None = None,
    type: str | None = None,
    since: datetime | None = None,
    open: bool | None = None,
) -> bytes:
    """The events a list with these filters shows, every one, oldest first."""
    table = _table()
    stmt: Any = where_given(
        caller.scoped(select(table), table.c.account_id),
        (table.c.account_id, account_id),
        (table.c.type, type),
    )
    if since:
        stmt = stmt.where(table.c.occurred_at >= since)
    if open is not None:
        clause = still_open_clause()
        stmt = stmt.where(clause if open else ~clause)
    stmt = stmt.order_by(table.c.occurred_at, table.c.id)

    def rows() -> Iterator[dict[str, Any]]:
        for row in session.execute(stmt).mappings():
            yield dict(row)

    return write_csv(EVENT_COLUMNS, rows())
