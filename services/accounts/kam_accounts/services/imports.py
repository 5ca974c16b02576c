"""Accounts and contacts in and out as CSV: checked row by row, written set-based.

A row matches a record by `id`, else by `external_id`: a match updates it, no match creates one
(`mode` may forbid either). Contacts name their account by `account_id` or
`account_external_id`, and their manager by `reports_to_id` or `reports_to_email` (someone in
the file or already in the account). Nothing is written before every row is checked; then the
inserts and updates are one statement each (executemany), with their integration events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import marshmallow as ma
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, aliased

from kam_accounts import events
from kam_accounts.domain.errors import ReportingLoop
from kam_accounts.domain.reporting import check_reporting_line, loop_through
from kam_accounts.domain.text import fold
from kam_accounts.models import Account, Contact, ContactChange, Purchase, audit_entries
from kam_accounts.services.accounts import accounts_query
from kam_accounts.services.history import CLOCK_SKEW
from kam_common.audit import record_rows
from kam_common.context import Caller
from kam_common.db import insert_many, new_id, utcnow
from kam_common.imports import PROGRESS_EVERY, Plan, Progress
from kam_common.pagination import where_given
from kam_common.tabular import (
    FileRefused,
    Record,
    RowError,
    load_row,
    read_records,
    repeats,
    write_csv,
)

CHUNK = 5000  # ids per IN (...) query: well under every database's parameter limit

ACCOUNT_COLUMNS = (
    "id", "external_id", "name", "industry", "segment", "country", "tier", "orientation",
    "annual_revenue", "currency", "contact_cadence_days", "needs", "capabilities", "status",
    "parent_id", "parent_external_id",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "external_id", "account_id", "account_external_id", "name", "title", "email", "phone",
    "buying_role", "influence", "stance", "reports_to_id", "reports_to_email", "active",
    "left_on", "notes", "cadence_days",
)  # fmt: skip
# Our own reading of a person: never in a partner's export (as in the API's answers).
INTERNAL_CONTACT_COLUMNS = ("influence", "stance", "notes")


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _by(session: Session, model: Any, column: str, values: Iterable[str | None]) -> dict[str, Any]:
    """Rows of `model` whose `column` is one of `values`, keyed by it (chunked IN queries)."""
    wanted = sorted({value for value in values if value is not None})
    table = _table(model)
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in session.execute(select(table).where(table.c[column].in_(chunk))).mappings():
            found[row[column]] = dict(row)
    return found


def _every(records: Sequence[Record], progress: Progress) -> Iterator[Record]:
    for index, record in enumerate(records, start=1):
        yield record
        if index % PROGRESS_EVERY == 0:
            progress(index, len(records))


def _required(mode: str, *names: str) -> tuple[str, ...]:
    """A file that may create records needs the columns a new record needs."""
    return () if mode == "update_only" else names


def _match(
    record: Record,
    mode: str,
    *,
    by_id: dict[str, Any],
    by_external: dict[str, Any],
    noun: str,
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """The existing record a row is about (or None: a new one), or why the row cannot be."""
    given_id, external = record.cells.get("id"), record.cells.get("external_id")
    found = None
    if given_id is not None:
        found = by_id.get(given_id)
        if found is None:
            return None, [RowError(record.row, "id", f"No {noun} with this id.")]
        other = by_external.get(external) if external is not None else None
        if other is not None and other["id"] != found["id"]:
            message = f"Already the external_id of another {noun} ({other['id']})."
            return None, [RowError(record.row, "external_id", message)]
    elif external is not None:
        found = by_external.get(external)
    if found is None and mode == "update_only":
        message = f"No {noun} matches this row (update_only creates nothing)."
        return None, [RowError(record.row, "id" if given_id else "external_id", message)]
    if found is not None and mode == "create_only":
        message = f"Matches the existing {noun} {found['id']} (create_only changes nothing)."
        return None, [RowError(record.row, "id" if given_id else "external_id", message)]
    return found, []


def _named_account(
    record: Record, accounts: dict[str, Any], by_external: dict[str, Any], caller: Caller
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """The account a row names by `account_id` or `account_external_id` (None: neither)."""
    given_id = record.cells.get("account_id")
    external = record.cells.get("account_external_id")
    account = None
    if given_id is not None:
        account = accounts.get(given_id)
        if account is None or not caller.may_see(given_id):
            return None, [RowError(record.row, "account_id", "No account with this id.")]
    if external is not None:
        other = by_external.get(external)
        if other is None or not caller.may_see(other["id"]):
            message = "No account with this external_id."
            return None, [RowError(record.row, "account_external_id", message)]
        if account is not None and other["id"] != account["id"]:
            message = "Names another account than account_id does."
            return None, [RowError(record.row, "account_external_id", message)]
        account = other
    return account, []


def _open_account(
    record: Record, account: dict[str, Any] | None, what: str
) -> tuple[str | None, list[RowError]]:
    """The id of the account a new record goes to, which must take new records."""
    if account is None:
        message = "Name the account: account_id or account_external_id."
        return None, [RowError(record.row, "account_id", message)]
    if account["status"] == "archived":
        message = f"The account is archived: it takes no new {what}."
        return None, [RowError(record.row, "account_id", message)]
    return str(account["id"]), []


def _require_account_column(records: Sequence[Record], mode: str) -> None:
    if mode != "update_only" and not {"account_id", "account_external_id"} & set(
        records[0].cells if records else ()
    ):
        raise FileRefused(
            "Missing required column: account_id or account_external_id.", column="account_id"
        )


def _accounts_named(
    session: Session, cells: Sequence[dict[str, str | None]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    return _by(session, Account, "id", (c.get("account_id") for c in cells)), _by(
        session, Account, "external_id", (c.get("account_external_id") for c in cells)
    )


def _changes(current: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if current.get(name) != value}


@dataclass
class _Writes:
    created: list[dict[str, Any]] = field(default_factory=list)
    # (the row as it will be, the fields that change, the row as it was)
    updated: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = field(
        default_factory=list
    )


def _audit(session: Session, model: Any, writes: _Writes) -> None:
    """The trail of what the import wrote, as the API's changes have theirs."""
    record_rows(
        session,
        audit_entries,
        model,
        [("created", None, row) for row in writes.created]
        + [("updated", was, row) for row, _changes, was in writes.updated],
    )


def _update_all(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE by primary key; every row carries every column."""
    if not rows:
        return
    table = _table(model)
    names = [name for name in rows[0] if name != "id"]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({name: bindparam(f"_{name}") for name in names})
    )
    session.execute(stmt, [{f"_{k}": v for k, v in row.items()} for row in rows])


def _parents(
    session: Session, planned: list[tuple[Record, dict[str, Any], dict[str, Any] | None]]
) -> list[RowError]:
    """Each row's group parent, by `parent_id` or `parent_external_id` (an account in the file
    or stored), checked for loops against the groups as they will be."""
    named = [r.cells.get("parent_external_id") for r, _row, _found in planned]
    if not any(named) and not any(row.get("parent_id") for _r, row, _f in planned):
        return []
    in_file = {row["external_id"]: row["id"] for _r, row, _f in planned if row.get("external_id")}
    stored_external = _by(session, Account, "external_id", named)
    table = _table(Account)
    parent_of: dict[str, str | None] = {
        account_id: parent
        for account_id, parent in session.execute(select(table.c.id, table.c.parent_id))
    }
    errors: list[RowError] = []
    for record, row, _found in planned:
        external = record.cells.get("parent_external_id")
        if external is not None:
            parent = in_file.get(external) or (stored_external.get(external) or {}).get("id")
            if parent is None:
                message = "No account with this external_id in the file or stored."
                errors.append(RowError(record.row, "parent_external_id", message))
                continue
            if record.cells.get("parent_id") not in (None, parent):
                message = "Names another parent than parent_external_id does."
                errors.append(RowError(record.row, "parent_id", message))
                continue
            row["parent_id"] = parent
        parent_of[row["id"]] = row.get("parent_id")
    for record, row, _found in planned:
        parent = row.get("parent_id")
        if parent is None or record.row in {e.row for e in errors}:
            continue
        if parent not in parent_of:
            errors.append(RowError(record.row, "parent_id", "No account with this id."))
        elif (chain := loop_through(row["id"], parent, parent_of.get)) is not None:
            message = "This parent would make a loop: " + " → ".join(chain) + "."
            errors.append(RowError(record.row, "parent_id", message))
    return errors


class _Loading:
    """An import whose rows load by one schema for a new record and another for a change."""

    def __init__(self, create_schema: ma.Schema, patch_schema: ma.Schema):
        self.create_schema = create_schema
        self.patch_schema = patch_schema


# Accounts -----------------------------------------------------------------------------------


class AccountsImport(_Loading):
    def check(
        self, session: Session, *, body: bytes, mode: str, caller: Caller, progress: Progress
    ) -> Plan:
        records, errors = read_records(
            body, columns=ACCOUNT_COLUMNS, required=_required(mode, "name")
        )
        unreadable = len(errors)
        errors += repeats(records, "id") + repeats(records, "external_id")
        by_id = _by(session, Account, "id", (r.cells.get("id") for r in records))
        by_external = _by(
            session, Account, "external_id", (r.cells.get("external_id") for r in records)
        )
        data_columns = [c for c in ACCOUNT_COLUMNS[1:] if c != "parent_external_id"]
        plan = Plan(rows=len(records) + unreadable)
        now = utcnow()
        planned: list[tuple[Record, dict[str, Any], dict[str, Any] | None]] = []
        for record in _every(records, progress):
            found, problems = _match(
                record, mode, by_id=by_id, by_external=by_external, noun="account"
            )
            if problems:
                errors += problems
                continue
            schema = self.create_schema if found is None else self.patch_schema
            data, problems = load_row(schema, record, data_columns)
            if data is None:
                errors += problems
                continue
            if found is None:
                row = {
                    "id": new_id(), "external_id": None, "industry": None, "segment": None,
                    "country": None, "tier": "key", "orientation": "mixed",
                    "annual_revenue": Decimal("0"), "currency": "USD", "contact_cadence_days": 30,
                    "needs": [], "capabilities": [], "status": "active", "parent_id": None, **data,
                    "version": 1, "created_at": now, "updated_at": now,
                }  # fmt: skip
            else:
                row = {**found, **data}
            planned.append((record, row, found))
        errors += _parents(session, planned)
        bad = {error.row for error in errors}
        writes = _Writes()
        for record, row, found in planned:
            if record.row in bad:
                continue
            row["name_folded"] = fold(row["name"])
            if found is None:
                writes.created.append(row)
                continue
            changes = _changes(found, {k: v for k, v in row.items() if k != "name_folded"})
            if not changes:
                plan.unchanged += 1
                continue
            row.update(version=found["version"] + 1, updated_at=now)
            writes.updated.append((row, changes, found))
        writes.created = _parents_first(writes.created, "parent_id")
        plan.errors = sorted(errors, key=lambda e: e.row)
        plan.created, plan.updated, plan.work = len(writes.created), len(writes.updated), writes
        return plan

    def apply(self, session: Session, plan: Plan, *, caller: Caller) -> None:
        writes: _Writes = plan.work
        insert_many(session, _table(Account), writes.created)
        _audit(session, Account, writes)
        _update_all(session, Account, [row for row, _changes, _was in writes.updated])
        facts = [events.account_facts(_as(row)) for row in writes.created]
        events.OUTBOX.publish_many(session, "account.created", facts)
        for kind in ("updated", "archived"):
            changed = [
                events.account_facts(_as(row))
                for row, changes, _was in writes.updated
                if (changes.get("status") == "archived") == (kind == "archived")
            ]
            events.OUTBOX.publish_many(session, f"account.{kind}", changed)


# Contacts -----------------------------------------------------------------------------------

_CONTACT_DATA = (
    "external_id", "name", "title", "email", "phone", "buying_role", "influence", "stance",
    "reports_to_id", "active", "left_on", "notes", "cadence_days",
)  # fmt: skip


@dataclass
class _Person:
    """A row on its way in: who it is, in which account, and whom it reports to."""

    record: Record
    row: dict[str, Any]
    was: dict[str, Any] | None
    manager_email: str | None = None


class ContactsImport(_Loading):
    def check(
        self, session: Session, *, body: bytes, mode: str, caller: Caller, progress: Progress
    ) -> Plan:
        records, errors = read_records(
            body, columns=CONTACT_COLUMNS, required=_required(mode, "name")
        )
        unreadable = len(errors)
        _require_account_column(records, mode)
        errors += repeats(records, "id") + repeats(records, "external_id")
        cells = [record.cells for record in records]
        by_id = _by(session, Contact, "id", (c.get("id") for c in cells))
        by_external = _by(session, Contact, "external_id", (c.get("external_id") for c in cells))
        accounts, accounts_by_external = _accounts_named(session, cells)
        now = utcnow()
        people: list[_Person] = []
        refused: set[tuple[str, str]] = set()
        for record in _every(records, progress):
            found, problems = _match(
                record, mode, by_id=by_id, by_external=by_external, noun="contact"
            )
            account_id, more = self._account_of(
                record, found, accounts, accounts_by_external, caller
            )
            problems += more
            if problems:
                errors += problems
                continue
            schema = self.create_schema if found is None else self.patch_schema
            data, problems = load_row(schema, record, _CONTACT_DATA)
            problem = None if data is None else _leaving(record, data, found)
            if data is None or problem is not None:
                errors += problems if problem is None else [problem]
                if email := record.cells.get("email"):
                    # Its own row is named; those reporting to it are not wrong for that.
                    refused.add((str(account_id), email.casefold()))
                continue
            if found is None:
                row = {
                    "id": new_id(), "account_id": account_id, "external_id": None, "title": None,
                    "email": None, "phone": None, "buying_role": None, "influence": 3,
                    "stance": "unknown", "reports_to_id": None, "active": True, "left_on": None,
                    "notes": None, "cadence_days": None, **data,
                    "version": 1, "created_at": now, "updated_at": now,
                }  # fmt: skip
            else:
                row = {**found, **data}
            if row["active"] is False and row["left_on"] is None:
                row["left_on"] = now.date()
            if row["active"]:
                row["left_on"] = None
            people.append(_Person(record, row, found, record.cells.get("reports_to_email")))
        errors += self._managers(session, people, refused)
        plan = Plan(rows=len(records) + unreadable)
        bad = {error.row for error in errors}
        writes = _Writes()
        for person in people:
            if person.record.row in bad:
                continue
            if person.was is None:
                writes.created.append(person.row)
                continue
            changes = _changes(person.was, person.row)
            if not changes:
                plan.unchanged += 1
                continue
            person.row.update(version=person.was["version"] + 1, updated_at=now)
            writes.updated.append((person.row, changes, person.was))
        plan.errors = sorted(errors, key=lambda e: e.row)
        plan.created, plan.updated, plan.work = len(writes.created), len(writes.updated), writes
        return plan

    @staticmethod
    def _account_of(
        record: Record,
        found: dict[str, Any] | None,
        accounts: dict[str, Any],
        accounts_by_external: dict[str, Any],
        caller: Caller,
    ) -> tuple[str | None, list[RowError]]:
        account, problems = _named_account(record, accounts, accounts_by_external, caller)
        if problems:
            return None, problems
        if found is not None:
            if account is not None and account["id"] != found["account_id"]:
                message = "The contact belongs to another account; it cannot move by import."
                return None, [RowError(record.row, "account_id", message)]
            return found["account_id"], []
        return _open_account(record, account, "contacts")

    @staticmethod
    def _managers(
        session: Session, people: list[_Person], refused: set[tuple[str, str]]
    ) -> list[RowError]:
        """Resolve `reports_to_email`, then check every line of the file for loops, against the
        account's contacts as they will be."""
        account_ids = {person.row["account_id"] for person in people}
        stored: dict[str, Any] = {}
        table = _table(Contact)
        ordered = sorted(account_ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            query = select(table.c.id, table.c.account_id, table.c.email, table.c.reports_to_id)
            for found in session.execute(query.where(table.c.account_id.in_(chunk))).mappings():
                stored[found["id"]] = dict(found)
        for person in people:
            stored[person.row["id"]] = person.row  # the file's version wins
        by_email: dict[tuple[str, str], set[str]] = {}
        for contact in stored.values():
            if contact["email"]:
                key = (contact["account_id"], contact["email"].casefold())
                by_email.setdefault(key, set()).add(contact["id"])
        errors: list[RowError] = []
        for person in people:
            row, number = person.row, person.record.row
            if person.manager_email is not None:
                wanted = (row["account_id"], person.manager_email.casefold())
                managers = by_email.get(wanted, set())
                if not managers and wanted in refused:
                    continue
                if len(managers) != 1:
                    message = (
                        "Nobody with this e-mail in the file or the account."
                        if not managers
                        else "More than one contact of the account has this e-mail."
                    )
                    errors.append(RowError(number, "reports_to_email", message))
                    continue
                (manager,) = managers
                if "reports_to_id" in person.record.cells and person.record.cells[
                    "reports_to_id"
                ] not in (None, manager):
                    message = "Names another manager than reports_to_email does."
                    errors.append(RowError(number, "reports_to_id", message))
                    continue
                row["reports_to_id"] = manager
            manager_id = row["reports_to_id"]
            if manager_id is None:
                continue
            if manager_id == row["id"]:
                errors.append(RowError(number, "reports_to_id", "Cannot report to themselves."))
            elif stored.get(manager_id, {}).get("account_id") != row["account_id"]:
                errors.append(RowError(number, "reports_to_id", "Not a contact of this account."))
        manager_of = {contact_id: c["reports_to_id"] for contact_id, c in stored.items()}
        named = {error.row for error in errors}
        for person in people:
            manager_id = person.row["reports_to_id"]
            if manager_id is None or person.record.row in named:
                continue
            try:
                check_reporting_line(person.row["id"], manager_id, manager_of)
            except ReportingLoop as loop:
                errors.append(RowError(person.record.row, "reports_to_id", loop.detail))
        return errors

    def apply(self, session: Session, plan: Plan, *, caller: Caller) -> None:
        writes: _Writes = plan.work
        table = _table(Contact)
        created = _parents_first(writes.created, "reports_to_id")
        insert_many(session, table, created)
        _audit(session, Contact, writes)
        _update_all(session, Contact, [row for row, _changes, _was in writes.updated])
        now = utcnow()
        changes = [
            {"id": new_id(), "account_id": row["account_id"], "contact_id": row["id"],
             "kind": "added" if row["active"] else "left", "changes": {}, "occurred_at": now}
            for row in created
        ]  # fmt: skip
        moved: list[dict[str, Any]] = [row for row in created if not row["active"]]
        for row, changed, was in writes.updated:
            kind = "updated"
            if was["active"] != row["active"]:
                kind = "returned" if row["active"] else "left"
                moved.append(row)
            tracked = {
                name: [_plain(was[name]), _plain(row[name])] for name in changed
                if name in ("name", "title", "buying_role", "influence", "stance",
                            "reports_to_id", "email", "cadence_days")
            }  # fmt: skip
            if kind != "updated" or tracked:
                changes.append(
                    {"id": new_id(), "account_id": row["account_id"], "contact_id": row["id"],
                     "kind": kind, "changes": tracked, "occurred_at": now}
                )  # fmt: skip
        insert_many(session, _table(ContactChange), changes)
        everyone = created + [row for row, _c, _w in writes.updated]
        events.OUTBOX.publish_many(
            session, "contact.changed", [events.contact_facts(_as(row)) for row in everyone]
        )
        for kind, active in (("contact.left", False), ("contact.returned", True)):
            events.OUTBOX.publish_many(
                session,
                kind,
                [events.moved_facts(_as(row)) for row in moved if row["active"] is active],
            )


def _as(row: dict[str, Any]) -> Any:
    """A row read like the model object the events module describes."""
    return SimpleNamespace(**row)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _leaving(record: Record, data: dict[str, Any], found: dict[str, Any] | None) -> RowError | None:
    if data.get("active") is True and data.get("left_on") is not None:
        return RowError(record.row, "left_on", "Only a contact who has left has a leaving date.")
    if data.get("left_on") is not None and "active" not in data:
        data["active"] = False
    return None


def _parents_first(rows: list[dict[str, Any]], parent: str) -> list[dict[str, Any]]:
    """New rows in an order where each one's `parent` (a manager, a holding) is stored before
    it (a foreign key checked row by row would refuse the other way round)."""
    new = {row["id"]: row for row in rows}
    depth: dict[str, int] = {}
    for row in rows:
        chain: list[str] = []
        current: str = row["id"]
        while current in new and current not in depth:  # loop-free: checked already
            chain.append(current)
            current = new[current][parent] or ""
        base = depth.get(current, -1)
        for offset, contact_id in enumerate(reversed(chain), start=1):
            depth[contact_id] = base + offset
    return sorted(rows, key=lambda row: depth[row["id"]])


# Purchases ----------------------------------------------------------------------------------

PURCHASE_COLUMNS = (
    "id", "account_id", "account_external_id", "product_line", "description", "amount",
    "occurred_on",
)  # fmt: skip
_PURCHASE_DATA = ("product_line", "description", "amount", "occurred_on")


class PurchasesImport:
    """Purchases are records of what was bought: a row creates one, or matches one by `id`
    and must then say the same (a recorded purchase is not changed, as through the API)."""

    def __init__(self, create_schema: ma.Schema):
        self.create_schema = create_schema

    def check(
        self, session: Session, *, body: bytes, mode: str, caller: Caller, progress: Progress
    ) -> Plan:
        records, errors = read_records(
            body, columns=PURCHASE_COLUMNS, required=_required(mode, "product_line", "amount")
        )
        unreadable = len(errors)
        _require_account_column(records, mode)
        errors += repeats(records, "id")
        cells = [record.cells for record in records]
        by_id = _by(session, Purchase, "id", (c.get("id") for c in cells))
        accounts, accounts_by_external = _accounts_named(session, cells)
        plan = Plan(rows=len(records) + unreadable)
        writes = _Writes()
        now = utcnow()
        latest = (now + CLOCK_SKEW).date()
        for record in _every(records, progress):
            found, problems = _match(record, mode, by_id=by_id, by_external={}, noun="purchase")
            account, more = _named_account(record, accounts, accounts_by_external, caller)
            problems += more
            if found is not None and account is not None and account["id"] != found["account_id"]:
                problems.append(
                    RowError(record.row, "account_id", "The purchase is another account's.")
                )
            if problems:
                errors += problems
                continue
            data, problems = load_row(self.create_schema, record, _PURCHASE_DATA)
            if data is None:
                errors += problems
                continue
            if found is not None:
                if _changes(found, data):
                    message = "A recorded purchase is not changed; record a new one instead."
                    errors.append(RowError(record.row, "id", message))
                else:
                    plan.unchanged += 1
                continue
            account_id, problems = _open_account(record, account, "purchases")
            occurred_on = data.get("occurred_on") or now.date()
            if occurred_on > latest:
                message = "Must not be in the future: record purchases made."
                problems.append(RowError(record.row, "occurred_on", message))
            if problems:
                errors += problems
                continue
            writes.created.append(
                {"id": new_id(), "account_id": account_id, "description": None, **data,
                 "occurred_on": occurred_on, "created_at": now}
            )  # fmt: skip
        plan.errors = sorted(errors, key=lambda e: e.row)
        plan.created, plan.work = len(writes.created), writes
        return plan

    def apply(self, session: Session, plan: Plan, *, caller: Caller) -> None:
        writes: _Writes = plan.work
        insert_many(session, _table(Purchase), writes.created)
        _audit(session, Purchase, writes)
        events.OUTBOX.publish_many(
            session,
            "purchase.recorded",
            [events.purchase_facts(_as(row)) for row in writes.created],
        )


# Exports ------------------------------------------------------------------------------------


def export_accounts(*, session: Session, caller: Caller, **filters: Any) -> bytes:
    """The accounts a list with these filters shows, every one of them, as CSV."""
    accounts = list(session.scalars(accounts_query(caller=caller, **filters)))
    parents = _by(session, Account, "id", (a.parent_id for a in accounts))
    rows = (
        {
            **{name: getattr(a, name, None) for name in ACCOUNT_COLUMNS},
            "parent_external_id": (parents.get(a.parent_id or "") or {}).get("external_id"),
        }
        for a in accounts
    )
    return write_csv(ACCOUNT_COLUMNS, rows)


def export_contacts(
    *,
    session: Session,
    caller: Caller,
    account_id: str | None = None,
    active: bool | None = None,
    buying_role: str | None = None,
    external_id: str | None = None,
) -> bytes:
    """Contacts of every account the caller may see (or of one), with their account's and
    manager's other names, so the file imports back as it is."""
    manager = aliased(Contact)
    stmt: Any = (
        select(Contact, Account.external_id, manager.email)
        .join(Account, Account.id == Contact.account_id)
        .outerjoin(manager, manager.id == Contact.reports_to_id)
    )
    stmt = where_given(
        caller.scoped(stmt, Contact.account_id),
        (Contact.account_id, account_id),
        (Contact.buying_role, buying_role),
        (Contact.external_id, external_id),
    )
    if active is not None:
        stmt = stmt.where(Contact.active == active)
    stmt = stmt.order_by(Contact.account_id, Contact.name, Contact.id)
    columns: tuple[str, ...] = CONTACT_COLUMNS
    if caller.is_partner:
        columns = tuple(c for c in columns if c not in INTERNAL_CONTACT_COLUMNS)

    def rows() -> Iterator[dict[str, Any]]:
        for contact, account_external_id, manager_email in session.execute(stmt):
            row = {name: getattr(contact, name, None) for name in columns}
            row.update(account_external_id=account_external_id, reports_to_email=manager_email)
            yield row

    return write_csv(columns, rows())


def export_purchases(
    *,
    session: Session,
    caller: Caller,
    account_id: str | None = None,
    product_line: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> bytes:
    """Purchases of every account the caller may see (or of one), oldest first."""
    stmt: Any = select(Purchase, Account.external_id).join(
        Account, Account.id == Purchase.account_id
    )
    stmt = where_given(
        caller.scoped(stmt, Purchase.account_id),
        (Purchase.account_id, account_id),
        (Purchase.product_line, product_line),
    )
    if since:
        stmt = stmt.where(Purchase.occurred_on >= since)
    if until:
        stmt = stmt.where(Purchase.occurred_on < until)
    stmt = stmt.order_by(Purchase.occurred_on, Purchase.created_at, Purchase.id)

    def rows() -> Iterator[dict[str, Any]]:
        for purchase, account_external_id in session.execute(stmt):
            row = {name: getattr(purchase, name, None) for name in PURCHASE_COLUMNS}
            row["account_external_id"] = account_external_id
            yield row

    return write_csv(PURCHASE_COLUMNS, rows())
