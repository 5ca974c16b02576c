"""Storage plumbing: engines for SQLite and PostgreSQL, sessions per request, column types.

The same models and migrations serve both databases; the differences are kept here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")
D = TypeVar("D")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without an offset (SQLite has no time zones); always returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Money(TypeDecorator[Decimal]):
    """Exact money: stored as integer cents on every database, returned as `Decimal`."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_private(path: str | None) -> None:
    """A SQLite file readable by its owner only (SQLite gives its -wal and -shm files the
    same mode), made now if it does not exist yet."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    if os.stat(path).st_uid == os.getuid():
        os.chmod(path, 0o600)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        make_private(make_url(url).database)
        engine = create_engine(url, connect_args={"timeout": 15}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy own transactions: pysqlite's implicit BEGIN skips SELECTs, which
            # would let a read-then-write race another writer.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # 64 MiB of page cache: index inserts land at random pages of large tables.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock up front (IMMEDIATE), so concurrent writers queue on
            # the busy timeout instead of failing mid-transaction; readers never wait.
            writing = conn.get_execution_options().get("kam_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, **kwargs)


class Database:
    """One engine and session factory per app; a session per request, closed at teardown."""

    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite a writing transaction takes the write lock at BEGIN (see make_engine).
        self.write_engine = self.engine.execution_options(kam_write=True)
        self.write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        app.extensions["kam_db"] = self

        @app.teardown_appcontext
        def _close_session(_exc: BaseException | None) -> None:
            close_request_session()

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session outside a request (CLI, seeding, background work)."""
        with (self.write_sessions if write else self.sessions)() as session:
            yield session


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def close_request_session() -> None:
    """End the request's session early (its work is committed) so its connection is free."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def request_session() -> Session:
    """The current request's session; a writing one for methods that change things."""
    session = g.get("db_session")
    if session is None:
        db: Database = current_app.extensions["kam_db"]
        factory = db.write_sessions if request.method in _WRITE_METHODS else db.sessions
        session = factory()
        g.db_session = session
    return cast(Session, session)


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows (each with the same keys) into one table, in the session's transaction.

    On PostgreSQL through COPY: psycopg runs an executemany as one INSERT per row (pipelined),
    and SQLAlchemy's multi-row VALUES spends longer building the statement than PostgreSQL
    takes to run it; COPY streams the rows, several times faster for 100,000 of them. Values
    pass the columns' own bind processing first (JSON, money, UTC times), as in an INSERT.
    SQLite, in process, takes the plain executemany at full speed.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(connection.dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    raw: Any = connection.connection.driver_connection
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    dbapi = connection.dialect.loaded_dbapi
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                values = (row[name] for name in names)
                copy.write_row(
                    [
                        value if process is None or value is None else process(value)
                        for value, process in zip(values, processors, strict=True)
                    ]
                )
    except dbapi.Error as exc:
        # As SQLAlchemy raises it for an INSERT (IntegrityError for a taken key, ...).
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


def get_or_insert_many(
    session: Session, model: type[T], rows: Mapping[Any, D], make: Callable[[D], T]
) -> dict[Any, T]:
    """`get_or_insert` for many keys (`rows`: key → what `make` builds that row from): the
    rows found in one query, the missing ones inserted in one flush. When another transaction
    takes one of those keys meanwhile, each key goes through `get_or_insert` instead."""
    (column,) = sa_inspect(model).primary_key
    found: dict[Any, T] = {
        getattr(row, column.key): row
        for row in session.scalars(select(model).where(column.in_(list(rows))))
    }
    made = {key: make(data) for key, data in rows.items() if key not in found}
    if not made:
        return found
    try:
        with session.begin_nested():
            session.add_all(made.values())
    except IntegrityError:
        return {
            key: found.get(key) or get_or_insert(session, model, key, partial(make, data))
            for key, data in rows.items()
        }
    return {**found, **made}


def upsert_many(
    session: Session,
    model: type[T],
    payloads: list[dict[str, Any]],
    *,
    key: str,
    make: Callable[[dict[str, Any]], T],
    update: Callable[[T, dict[str, Any]], Any],
) -> list[Any]:
    """Rows of `model` from many payloads (primary key in `payloads[i][key]`) in a few
    statements: missing ones made, then each payload applied in order; returns the keys."""
    latest = {data[key]: data for data in payloads}
    stored = get_or_insert_many(session, model, latest, make)
    for data in payloads:
        update(stored[data[key]], data)
    session.flush()
    return list(latest)


def get_or_insert(session: Session, model: type[T], key: Any, make: Callable[[], T]) -> T:
    """The row with primary key `key`, inserted (from `make()`) when absent.

    Safe when another transaction inserts the same key at the same moment (an integration event
    and a read-through storing the same account): the insert runs in a savepoint, and if the key
    is taken meanwhile (PostgreSQL makes the loser wait for the winner's commit) the winner's row
    is read instead.
    """
    found = session.get(model, key)
    if found is not None:
        return found
    made = make()
    try:
        with session.begin_nested():
            session.add(made)
    except IntegrityError:
        found = session.get(model, key, populate_existing=True)
        if found is None:
            raise
        return found
    return made
