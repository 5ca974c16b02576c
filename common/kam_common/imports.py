"""The life of a CSV import: checked, then applied all or nothing, or refused row by row.

An app names an `Importer` per kind of record: `check` reads the file and the database and
answers a `Plan` (every bad row named, what would be created and updated) without writing;
`apply` writes the plan in the caller's transaction, set-based. This module keeps the record of
each import (`kam_common.tabular.imports_table`) and decides where the work happens:

- a small file (up to `inline_rows` rows) is checked and applied inside the request;
- a larger one is stored and answered at once as `running`; the worker (`run_queued`) checks it,
  writing its progress as it goes (in transactions of their own, so `GET /imports/{id}` shows
  it), then applies it in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import marshmallow as ma
from flask import Flask, current_app, g, request
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kam_common.audit import acting
from kam_common.context import Caller
from kam_common.db import Database, request_session, utcnow
from kam_common.errors import AppError, Conflict, NotFound
from kam_common.fields import Timestamp, one_of
from kam_common.pagination import QuerySchema
from kam_common.scope import request_caller
from kam_common.tabular import IMPORT_MODES, IMPORT_STATUSES, RowError
from kam_common.web import Blueprint, accepts_csv, problem_doc

log = logging.getLogger("kam.imports")

# At most this many row errors are kept and answered: the first ones are what a person fixes.
MAX_ERRORS = 1000
PROGRESS_EVERY = 5000
# A claimed import still running after this long was left by a worker that stopped mid-way
# (its transaction rolled back): it is failed, so nobody waits on it for ever.
STALE_AFTER = timedelta(minutes=15)
BROKE_OFF = "The import broke off; nothing was stored. Import the file again."

Progress = Callable[[int, int], None]  # rows checked, rows in all


@dataclass
class Plan:
    rows: int
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # What `apply` needs: the app's own shapes.
    work: Any = None


class Importer(Protocol):
    def check(
        self, session: Session, *, body: bytes, mode: str, caller: Caller, progress: Progress
    ) -> Plan: ...

    def apply(self, session: Session, plan: Plan, *, caller: Caller) -> None: ...


class ImportNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Import not found.")


def _caller_record(caller: Caller, request_id: str | None) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "client_id": caller.client_id,
        "role": caller.role,
        "name": caller.name,
        "kind": caller.kind,
        "scope": sorted(caller.scope) if caller.scope is not None else None,
    }


def _caller_from(record: Mapping[str, Any]) -> Caller:
    scope = record.get("scope")
    return Caller(
        client_id=record["client_id"],
        role=record.get("role"),
        name=record.get("name"),
        scope=frozenset(scope) if scope is not None else None,
        kind=record.get("kind") or "key",
    )


def rough_rows(body: bytes) -> int:
    """Lines less the header: cells over several lines count more, which only errs towards
    the worker."""
    return max(body.count(b"\n") - (0 if body.endswith(b"\n") else -1) - 1, 0)


class Imports:
    def __init__(
        self, table: Table, *, prefix: str, importers: Mapping[str, Importer], inline_rows: int
    ):
        self.table = table
        self.prefix = prefix
        self.importers = dict(importers)
        self.inline_rows = inline_rows

    def owns(self, import_id: str) -> bool:
        return import_id.startswith(self.prefix)

    def start(
        self,
        session: Session,
        *,
        kind: str,
        body: bytes,
        mode: str,
        dry_run: bool,
        caller: Caller,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Check (and unless `dry_run`, apply) a file now, or queue a large one."""
        importer = self.importers[kind]
        now = utcnow()
        record = {
            "id": f"{self.prefix}{uuid.uuid4().hex}",
            "kind": kind,
            "mode": mode,
            "dry_run": dry_run,
            "status": "running",
            "rows": 0,
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "errors": [],
            "progress": None,
            "caller": _caller_record(caller, request_id),
            "body": None,
            "created_at": now,
            "claimed_at": None,
            "finished_at": None,
        }
        if rough_rows(body) > self.inline_rows:
            rows = rough_rows(body)
            record.update(
                body=body.decode("utf-8", "replace"),
                rows=rows,
                progress={"phase": "queued", "done": 0, "total": rows},
            )
            session.execute(insert(self.table).values(**record))
            session.commit()
            return self.view(record)
        plan = importer.check(session, body=body, mode=mode, caller=caller, progress=_ignore)
        outcome = self._finish(session, importer, plan, dry_run=dry_run, caller=caller)
        record.update(outcome, body=self._kept(outcome, body.decode("utf-8")))
        session.execute(insert(self.table).values(**record))
        session.commit()
        return self.view(record)

    @staticmethod
    def _kept(outcome: Mapping[str, Any], text: str | None) -> str | None:
        """A dry run that found every row good keeps its file, so it can be applied as it is."""
        return text if outcome["status"] == "validated" else None

    def apply_checked(
        self, session: Session, *, import_id: str, caller: Caller, request_id: str | None = None
    ) -> dict[str, Any]:
        """Apply the file of a dry run that found every row good (checked again: the data may
        have changed since); once only."""
        row = session.execute(select(self.table).where(self.table.c.id == import_id)).first()
        if row is None:
            raise ImportNotFound()
        taken = session.execute(
            update(self.table)
            .where(
                self.table.c.id == import_id,
                self.table.c.status == "validated",
                self.table.c.body.is_not(None),
            )
            .values(body=None)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "Only a dry run that found every row good can be applied, and only once; "
                "send the file again.",
                errors={"import_id": ["Not a good dry run waiting to be applied."]},
            )
        return self.start(
            session,
            kind=row.kind,
            body=row.body.encode("utf-8"),
            mode=row.mode,
            dry_run=False,
            caller=caller,
            request_id=request_id,
        )

    def _finish(
        self, session: Session, importer: Importer, plan: Plan, *, dry_run: bool, caller: Caller
    ) -> dict[str, Any]:
        """Apply a checked plan in the session's transaction (not committed); the outcome."""
        outcome: dict[str, Any] = {
            "rows": plan.rows,
            "created": plan.created,
            "updated": plan.updated,
            "unchanged": plan.unchanged,
            "errors": [error.as_dict() for error in plan.errors[:MAX_ERRORS]],
            "progress": None,
            "body": None,
            "finished_at": utcnow(),
        }
        if plan.errors:
            return {**outcome, "status": "failed", "created": 0, "updated": 0, "unchanged": 0}
        if dry_run:
            return {**outcome, "status": "validated"}
        try:
            with session.begin_nested():
                importer.apply(session, plan, caller=caller)
        except IntegrityError:
            log.info("import refused by a uniqueness rule; nothing stored", exc_info=True)
            message = (
                "Another change took an id or external_id this file uses while it was "
                "imported; nothing was stored. Import the file again."
            )
            return {
                **outcome,
                "status": "failed",
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "errors": [{"row": 0, "column": "file", "message": message}],
            }
        return {**outcome, "status": "applied"}

    def run_queued(self, db: Database) -> str | None:
        """The worker's job: take one waiting import, check it with progress, apply it."""
        with db.session() as session:
            session.execute(
                update(self.table)
                .where(
                    self.table.c.status == "running",
                    self.table.c.claimed_at < utcnow() - STALE_AFTER,
                )
                .values(
                    status="failed",
                    body=None,
                    progress=None,
                    finished_at=utcnow(),
                    errors=[{"row": 0, "column": "file", "message": BROKE_OFF}],
                )
            )
            session.commit()
            waiting = session.execute(
                select(self.table.c.id)
                .where(self.table.c.claimed_at.is_(None), self.table.c.status == "running")
                .order_by(self.table.c.created_at)
                .limit(1)
            ).scalar()
            if waiting is None:
                return None
            claimed = session.execute(
                update(self.table)
                .where(self.table.c.id == waiting, self.table.c.claimed_at.is_(None))
                .values(claimed_at=utcnow())
            )
            session.commit()
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = session.execute(select(self.table).where(self.table.c.id == waiting)).one()
        record = dict(row._mapping)
        caller = _caller_from(record["caller"])
        try:
            # The changes are the importer's, as if made in its request (the audit trail).
            with acting(caller.source(), record["caller"].get("request_id")):
                self._run(db, record)
        except Exception:  # the import fails, the worker goes on
            log.exception("import %s failed", waiting)
            with db.session() as session:
                session.execute(
                    update(self.table)
                    .where(self.table.c.id == waiting)
                    .values(
                        status="failed",
                        body=None,
                        progress=None,
                        finished_at=utcnow(),
                        errors=[{"row": 0, "column": "file", "message": BROKE_OFF}],
                    )
                )
                session.commit()
            return f"import {waiting} failed"
        return f"import {waiting} done"

    def _run(self, db: Database, record: dict[str, Any]) -> None:
        importer = self.importers[record["kind"]]
        caller = _caller_from(record["caller"])
        body = (record["body"] or "").encode("utf-8")

        def progress(done: int, total: int) -> None:
            with db.session() as session:
                session.execute(
                    update(self.table)
                    .where(self.table.c.id == record["id"])
                    .values(progress={"phase": "checking", "done": done, "total": total})
                )
                session.commit()

        # Checking only reads, so the progress can be written meanwhile on SQLite too.
        with db.session(write=False) as session:
            try:
                plan = importer.check(
                    session, body=body, mode=record["mode"], caller=caller, progress=progress
                )
            except AppError as refused:
                plan = Plan(rows=0, errors=_file_errors(refused))
            session.rollback()
        if not plan.errors and not record["dry_run"]:
            progress_values = {"phase": "writing", "done": plan.rows, "total": plan.rows}
            with db.session() as session:
                session.execute(
                    update(self.table)
                    .where(self.table.c.id == record["id"])
                    .values(progress=progress_values)
                )
                session.commit()
        with db.session() as session:
            outcome = self._finish(
                session, importer, plan, dry_run=record["dry_run"], caller=caller
            )
            outcome["body"] = self._kept(outcome, record["body"])
            session.execute(
                update(self.table).where(self.table.c.id == record["id"]).values(**outcome)
            )
            session.commit()

    def get(self, session: Session, *, import_id: str) -> dict[str, Any]:
        row = session.execute(select(self.table).where(self.table.c.id == import_id)).first()
        if row is None:
            raise ImportNotFound()
        return self.view(dict(row._mapping))

    @staticmethod
    def view(record: Mapping[str, Any]) -> dict[str, Any]:
        answer = {
            name: record[name]
            for name in ("id", "kind", "mode", "dry_run", "status", "rows", "created", "updated",
                         "unchanged", "errors", "created_at", "finished_at")
        }  # fmt: skip
        if record["status"] == "running":
            answer["progress"] = record["progress"]
        return answer


def _file_errors(refused: AppError) -> list[RowError]:
    return [
        RowError(0, column, message)
        for column, messages in (refused.errors or {"file": [refused.detail]}).items()
        for message in messages
    ]


def _ignore(_done: int, _total: int) -> None:
    return None


# Routes: the same two on every app that imports ----------------------------------------------


def add_import_routes(
    blp: Blueprint,
    *,
    kinds: tuple[str, ...],
    make: Callable[[Flask], Imports],
    summary: str,
    decorators: tuple[Callable[..., Any], ...] = (),
) -> Callable[[], Imports]:
    """`POST /imports` (a CSV file of one of `kinds`) and `GET /imports/{id}` on `blp`;
    `decorators` document what the post may answer beyond the usual (`reads_through`).
    Returns the app's `Imports` (made once per app by `make`)."""

    def imports() -> Imports:
        found: Imports | None = current_app.extensions.get("kam_imports")
        if found is None:
            found = make(current_app._get_current_object())  # type: ignore[attr-defined]
            current_app.extensions["kam_imports"] = found
        return found

    def post(self: MethodView, args: dict[str, Any]) -> dict[str, Any]:
        return imports().start(
            request_session(),
            kind=args["kind"],
            body=request.get_data(cache=True),
            mode=args["mode"],
            dry_run=args["dry_run"],
            caller=request_caller(),
            request_id=g.get("request_id"),
        )

    post.__doc__ = summary
    for decorator in decorators:
        post = decorator(post)
    post = accepts_csv(blp, "UTF-8 CSV, with or without a BOM; the header row names the columns")(
        post
    )
    post = blp.response(201, ImportSchema)(post)
    post = blp.arguments(import_args(kinds), location="query")(post)
    blp.route("/imports")(type("ImportFiles", (MethodView,), {"post": post}))

    def get(self: MethodView, import_id: str) -> dict[str, Any]:
        """An import's state (`progress` while a large file is running)."""
        return imports().get(request_session(), import_id=import_id)

    blp.route("/imports/<import_id>")(
        type("ImportById", (MethodView,), {"get": blp.response(200, ImportSchema)(get)})
    )

    def apply(self: MethodView, import_id: str) -> dict[str, Any]:
        """Apply a good dry run's file (checked again), as a new import; once only."""
        return imports().apply_checked(
            request_session(),
            import_id=import_id,
            caller=request_caller(),
            request_id=g.get("request_id"),
        )

    for decorator in decorators:
        apply = decorator(apply)
    apply = problem_doc(blp, 409, "Not a good dry run, or applied already.")(apply)
    apply = blp.response(201, ImportSchema)(apply)
    blp.route("/imports/<import_id>/apply")(type("ImportApply", (MethodView,), {"post": apply}))
    return imports


# Shapes (API.md, "Data in and out") -----------------------------------------------------------


def import_args(kinds: tuple[str, ...]) -> type[ma.Schema]:
    """`POST /api/v1/imports`'s query for a service that imports `kinds`."""
    return QuerySchema.from_dict(
        {
            "kind": one_of(kinds, required=True, metadata={"description": "What the rows are"}),
            "dry_run": fields.Boolean(
                load_default=False,
                metadata={"description": "true: check every row, store nothing"},
            ),
            "mode": one_of(
                IMPORT_MODES,
                load_default="create_or_update",
                metadata={
                    "description": "create_or_update: a match updates, no match creates; "
                    "update_only: a row with no match is an error; create_only: a match is one"
                },
            ),
        },
        name="ImportArgs",
    )


class RowErrorSchema(ma.Schema):
    row = fields.Integer(
        required=True, metadata={"description": "As a spreadsheet shows it: the header is row 1"}
    )
    column = fields.String(required=True, metadata={"description": "Empty: the row as a whole"})
    message = fields.String(required=True)


class ImportProgressSchema(ma.Schema):
    phase = one_of(("queued", "checking", "writing"), required=True)
    done = fields.Integer(required=True)
    total = fields.Integer(required=True)


class ImportSchema(ma.Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    mode = one_of(IMPORT_MODES, required=True)
    dry_run = fields.Boolean(required=True)
    status = one_of(
        IMPORT_STATUSES,
        required=True,
        metadata={
            "description": "validated: a dry run, nothing stored; applied; failed: nothing "
            "stored; running: a large file being checked or written (see progress)"
        },
    )
    rows = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    errors = fields.List(fields.Nested(RowErrorSchema), required=True)
    progress = fields.Nested(ImportProgressSchema, metadata={"description": "While running"})
    created_at = Timestamp(required=True)
    finished_at = Timestamp(required=True, allow_none=True)
