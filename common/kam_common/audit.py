"""The audit trail: who changed what, written in the same transaction as the change.

An app marks the models whose changes are audited (`@auditable("contact")`), adds the
`audit_entries` table to its metadata (`audit_table`) and its migrations (`create_audit_table`),
and calls `init_audit(db, table)`. From then on every flush of an audited row in a session that
knows its actor appends an entry: the actor (key or person: type, id, name, role), the action
(`created`, `updated`, `deleted`), the resource, its account, each changed field as
`[before, after]`, the time and the request id. Secrets and password hashes are never written:
their fields show `"[redacted]"`.

Entries are append-only: a trigger refuses UPDATE and DELETE on SQLite and PostgreSQL alike,
so not even a bug in the app can rewrite history. `purge` is the operator's (and a test
database's) way to start again.

In a service the actor comes from the gateway's identity headers (`kam_common.scope`); changes
made with no caller (integration events applied, background work) are not changes made through
the API and are not recorded. Elsewhere (the gateway) `acting` says who acts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import marshmallow as ma
from flask import g, has_request_context
from flask.views import MethodView
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import ORMExecuteState, Session

from kam_common.context import Caller
from kam_common.db import Database, UTCDateTime, insert_many, new_id, request_session, utcnow
from kam_common.fields import MomentFilter, Timestamp
from kam_common.pagination import PageArgs, page_of, where_given
from kam_common.scope import request_caller
from kam_common.web import Blueprint

T = TypeVar("T")

TABLE_NAME = "audit_entries"
REDACTED = "[redacted]"
ACTIONS = ("created", "updated", "deleted")
# Fields whose values are never written, whatever the model (also `redact=` per model).
_SECRET_NAMES = re.compile(r"password|secret|token|key_hash", re.IGNORECASE)
# Bookkeeping that changes with every write and says nothing about the change itself.
_ALWAYS_IGNORED = frozenset({"version", "updated_at", "created_at"})
APPEND_ONLY_MESSAGE = "audit entries are append-only"


@dataclass(frozen=True)
class Audited:
    """How a model's rows appear in the trail. `account_id`: the attribute holding the
    account the row belongs to (None: no account, e.g. an API key)."""

    resource_type: str
    account_id: str | None = "account_id"
    ignore: frozenset[str] = frozenset()
    redact: frozenset[str] = frozenset()


def auditable(
    resource_type: str,
    *,
    account_id: str | None = "account_id",
    ignore: Iterable[str] = (),
    redact: Iterable[str] = (),
) -> Any:
    """Class decorator: changes to this model's rows are recorded."""

    def mark(cls: type[T]) -> type[T]:
        cls.__kam_audit__ = Audited(  # type: ignore[attr-defined]
            resource_type, account_id, frozenset(ignore), frozenset(redact)
        )
        return cls

    return mark


def _account_time_index() -> Index:
    return Index(f"ix_{TABLE_NAME}_account_at", "account_id", "at")


def _columns() -> list[Column[Any]]:
    return [
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("at", UTCDateTime(), nullable=False, index=True),
        Column("actor_type", String(10), nullable=False),
        Column("actor_id", String(64), index=True),
        Column("actor_name", String(200)),
        Column("actor_role", String(20)),
        Column("action", String(20), nullable=False),
        Column("resource_type", String(40), nullable=False, index=True),
        Column("resource_id", String(64), nullable=False),
        Column("account_id", String(64), index=True),
        Column("changes", JSON, nullable=False),
        Column("request_id", String(128)),
    ]


def audit_table(metadata: MetaData) -> Table:
    table = Table(TABLE_NAME, metadata, *_columns(), _account_time_index())
    table.info["append_only"] = True
    return table


# --- migrations ----------------------------------------------------------------------------


def _trigger_ddl(dialect: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' "
            "USING ERRCODE = 'insufficient_privilege'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ]
    return [
        f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        for verb in ("update", "delete")
    ]


def _drop_trigger_ddl(dialect: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]


def create_audit_table(op: Any) -> None:
    """The migration step that adds the trail and its append-only guard (`op`: alembic's)."""
    op.create_table(TABLE_NAME, *_columns(), _account_time_index())
    for statement in _trigger_ddl(op.get_bind().dialect.name, TABLE_NAME):
        op.execute(statement)


def drop_audit_table(op: Any) -> None:
    for statement in _drop_trigger_ddl(op.get_bind().dialect.name, TABLE_NAME):
        op.execute(statement)
    op.drop_table(TABLE_NAME)


def purge(conn: Connection, table: Table) -> None:
    """Empty the trail, on purpose: the guard is lifted and put back in one transaction (a
    retention job, a test database emptied between tests). Nothing else can delete."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text(f"TRUNCATE {table.name}"))  # row triggers do not fire on TRUNCATE
        return
    for statement in _drop_trigger_ddl(dialect, table.name):
        conn.execute(text(statement))
    conn.execute(table.delete())
    for statement in _trigger_ddl(dialect, table.name):
        conn.execute(text(statement))


# --- recording -----------------------------------------------------------------------------


Actor = dict[str, Any]  # {"type": "key" | "user", "id", "name", "role"}
_acting: ContextVar[tuple[Actor, str | None] | None] = ContextVar("kam_audit_acting", default=None)


@contextmanager
def acting(actor: Actor, request_id: str | None) -> Iterator[None]:
    """Changes made inside (threads started with `asyncio.to_thread` included: they copy the
    context) are recorded as `actor`'s, where no Flask request says who acts (the gateway)."""
    token = _acting.set((actor, request_id))
    try:
        yield
    finally:
        _acting.reset(token)


def _request_actor() -> tuple[Actor, str | None] | None:
    if (given := _acting.get()) is not None:
        return given
    if not has_request_context():
        return None
    caller = request_caller()
    if caller.is_system:
        return None
    return caller.source(), g.get("request_id")


def plain(value: Any) -> Any:
    """A column value as JSON keeps it (money as a number, moments as ISO 8601 in UTC)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


def _shown(spec: Audited, name: str, value: Any) -> Any:
    if value is not None and (name in spec.redact or _SECRET_NAMES.search(name)):
        return REDACTED
    return plain(value)


def _changes(obj: Any, spec: Audited, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        name = attr.key
        if name in _ALWAYS_IGNORED or name in spec.ignore:
            continue
        if action == "updated":
            history = state.attrs[name].history
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if plain(before) == plain(after):
                continue
        else:
            value = state.dict.get(name)
            if value is None:
                continue
            before, after = (None, value) if action == "created" else (value, None)
        changes[name] = [_shown(spec, name, before), _shown(spec, name, after)]
    return changes


def _entry_row(actor: Actor, request_id: str | None, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "at": at,
        "actor_type": actor.get("type") or "key",
        "actor_id": actor.get("id"),
        "actor_name": actor.get("name"),
        "actor_role": actor.get("role"),
        "request_id": request_id,
        **fields,
    }


def _resource_id(obj: Any) -> str:
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    return ":".join(str(part) for part in identity)


def _entries(session: Session) -> list[dict[str, Any]]:
    found = _request_actor()
    if found is None:
        return []
    actor, request_id = found
    now = utcnow()
    rows = []
    batches: Sequence[tuple[str, Iterable[Any]]] = (
        ("created", session.new),
        ("updated", session.dirty),
        ("deleted", session.deleted),
    )
    for action, objects in batches:
        for obj in objects:
            spec: Audited | None = getattr(type(obj), "__kam_audit__", None)
            if spec is None:
                continue
            changes = _changes(obj, spec, action)
            if action == "updated" and not changes:
                continue
            account = getattr(obj, spec.account_id) if spec.account_id else None
            rows.append(
                _entry_row(
                    actor,
                    request_id,
                    now,
                    action=action,
                    resource_type=spec.resource_type,
                    resource_id=_resource_id(obj),
                    account_id=account,
                    changes=changes,
                )
            )
    return rows


def record_rows(
    session: Session,
    table: Table,
    model: Any,
    changed: Iterable[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Entries for rows written set-based (an import's executemany, an UPDATE statement: no
    ORM flush sees them), the same as a flush would write: each `(action, row before or None,
    row after or None)`. An update that changes nothing writes no entry."""
    found = _request_actor()
    if found is None:
        return
    actor, request_id = found
    spec: Audited = model.__kam_audit__
    keys = [column.key for column in inspect(model).primary_key]
    now = utcnow()
    rows = []
    for action, before, after in changed:
        row = after if after is not None else before
        assert row is not None  # noqa: S101 - a change has a row on one side at least
        changes: dict[str, list[Any]] = {}
        for name in row:
            if name in _ALWAYS_IGNORED or name in spec.ignore:
                continue
            old = before.get(name) if before is not None else None
            value = after.get(name) if after is not None else None
            if plain(old) == plain(value):
                continue
            changes[name] = [_shown(spec, name, old), _shown(spec, name, value)]
        if action == "updated" and not changes:
            continue
        rows.append(
            _entry_row(
                actor,
                request_id,
                now,
                action=action,
                resource_type=spec.resource_type,
                resource_id=":".join(str(row[key]) for key in keys),
                account_id=row.get(spec.account_id) if spec.account_id else None,
                changes=changes,
            )
        )
    insert_many(session, table, rows)


def init_audit(db: Database, table: Table) -> None:
    """Record every audited change made through `db`'s sessions, in their transaction."""

    def record(session: Session, _context: Any) -> None:
        # After the flush: new rows have their ids, and the pre-flush state and attribute
        # history are still there (SQLAlchemy keeps them until the flush ends).
        rows = _entries(session)
        if rows:
            session.connection().execute(insert(table), rows)

    def record_statement(state: ORMExecuteState) -> Any:
        # An UPDATE or DELETE statement of audited rows (`session.execute(update(Task)...)`)
        # bypasses the flush: the rows it touches are read before and after it, in its
        # transaction, and each changed one is recorded like a flushed change.
        if not (state.is_update or state.is_delete) or _request_actor() is None:
            return None
        mapper = state.bind_mapper
        spec: Audited | None = getattr(mapper.class_, "__kam_audit__", None) if mapper else None
        if mapper is None or spec is None:
            return None
        target = mapper.local_table
        where = state.statement.whereclause  # type: ignore[attr-defined]
        conn = state.session.connection()
        touched = select(target) if where is None else select(target).where(where)
        keys = list(mapper.primary_key)

        def key_of(row: Any) -> tuple[Any, ...]:
            return tuple(row._mapping[column] for column in keys)

        before = {key_of(row): dict(row._mapping) for row in conn.execute(touched)}
        result = state.invoke_statement()
        after: dict[Any, dict[str, Any]] = {}
        if state.is_update and before:
            again = conn.execute(select(target).where(tuple_(*keys).in_(list(before))))
            after = {key_of(row): dict(row._mapping) for row in again}
        action = "updated" if state.is_update else "deleted"
        pairs = [(action, was, after.get(key, was) if state.is_update else None)
                 for key, was in before.items()]  # fmt: skip
        record_rows(state.session, table, mapper.class_, pairs)
        return result

    for factory in (db.sessions, db.write_sessions):
        event.listen(factory, "after_flush", record)
        event.listen(factory, "do_orm_execute", record_statement)


# --- reading -------------------------------------------------------------------------------


class AuditArgs(PageArgs):
    account_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    actor_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    resource_type = ma.fields.String(validate=ma.validate.Length(min=1, max=40))
    since = MomentFilter()
    to = MomentFilter()


class ActorSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"enum": ["key", "user"]})
    id = ma.fields.String(allow_none=True)
    name = ma.fields.String(allow_none=True)
    role = ma.fields.String(allow_none=True)


class ResourceSchema(ma.Schema):
    type = ma.fields.String(required=True)
    id = ma.fields.String(required=True)


class AuditEntrySchema(ma.Schema):
    id = ma.fields.String(required=True)
    at = Timestamp(required=True)
    actor = ma.fields.Nested(ActorSchema, required=True)
    action = ma.fields.String(required=True, metadata={"enum": list(ACTIONS)})
    resource = ma.fields.Nested(ResourceSchema, required=True)
    account_id = ma.fields.String(allow_none=True)
    changes = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Raw(allow_none=True)),
        required=True,
        metadata={"description": "Each changed field as `[before, after]`."},
    )
    request_id = ma.fields.String(allow_none=True)


def entry(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "actor": {
            "type": row.actor_type,
            "id": row.actor_id,
            "name": row.actor_name,
            "role": row.actor_role,
        },
        "action": row.action,
        "resource": {"type": row.resource_type, "id": row.resource_id},
        "account_id": row.account_id,
        "changes": row.changes,
        "request_id": row.request_id,
    }


def list_entries(
    *,
    session: Session,
    table: Table,
    caller: Caller,
    page: int,
    per_page: int,
    account_id: str | None = None,
    actor_id: str | None = None,
    resource_type: str | None = None,
    since: datetime | None = None,
    to: datetime | None = None,
) -> dict[str, Any]:
    """A page of entries, newest first (in the order they were written at the same moment)."""
    c = table.c
    stmt = where_given(
        caller.scoped(select(table), c.account_id),
        (c.account_id, account_id),
        (c.actor_id, actor_id),
        (c.resource_type, resource_type),
    )
    if since is not None:
        stmt = stmt.where(c.at >= since)
    if to is not None:
        stmt = stmt.where(c.at < to)
    stmt = stmt.order_by(c.at.desc(), c.seq.desc())
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    items = [entry(row) for row in rows]
    return {"items": items, "total": total or 0, "page": page, "per_page": per_page}


def audit_blueprint(table: Table) -> Any:
    """`GET /internal/audit`: a service's own entries, for the gateway's `GET /api/v1/audit`."""
    blp = Blueprint("audit", __name__, description="The audit trail (append-only)")

    @blp.route("/internal/audit")
    class Audit(MethodView):
        @blp.arguments(AuditArgs, location="query")
        @blp.response(200, page_of(AuditEntrySchema))
        @blp.doc(tags=["internal"])
        def get(self, args: dict[str, Any]) -> dict[str, Any]:
            """Who changed what here, newest first, filtered by account, actor, resource
            type and time (`since` inclusive, `to` exclusive)."""
            return list_entries(
                session=request_session(), table=table, caller=request_caller(), **args
            )

    return blp
