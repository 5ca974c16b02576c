"""`Idempotency-Key` on creating POSTs: a retry replays the first answer and creates nothing.

Keys are per client (the gateway's API key id), remembered for at least 24 hours. The record
of a key and the change it made are one transaction: the request runs inside a transaction
opened for it, the use case's own commits become savepoints of it, and the answer is stored
beside the change just before that transaction commits. So whatever happens to the process,
either both the change and its answer are stored (a retry replays the answer) or neither is
(a retry performs the write, once). No key is ever left half-done.

A retry that arrives while the first request is still running waits for it: on PostgreSQL the
claim row's unique key makes the second insert wait for the first transaction; on SQLite the
write lock does. It then replays the stored answer (or, if the first failed, does the work).
Only successful answers are kept, so a failed attempt may be retried.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from datetime import timedelta
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from kam_common.db import Database, UTCDateTime, utcnow
from kam_common.problems import problem_response
from kam_common.scope import request_caller

log = logging.getLogger("kam.idempotency")

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=48)
MAX_KEY_LENGTH = 200
DONE = "done"
# Internal endpoints (the inbox) deduplicate by event id and commit event by event themselves.
INTERNAL_PREFIX = "/internal/"


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("client_id", String(64), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("state", String(10), nullable=False),
        Column("status_code", Integer),
        Column("content_type", String(100)),
        Column("location", String(500)),
        Column("body", Text),
        Column("created_at", UTCDateTime(), nullable=False, index=True),
    )


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        canonical = raw.decode("utf-8", "replace")
    digest = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode())
    return digest.hexdigest()


class _Claim:
    """The request's own transaction, holding its claim on the key until it commits."""

    def __init__(self, conn: Connection, table: Table, client: str, key: str):
        self.conn = conn
        self.transaction = conn.begin()
        self.table = table
        self.where = (table.c.client_id == client) & (table.c.key == key)

    def stored(self) -> Any:
        return self.conn.execute(select(self.table).where(self.where)).first()

    def end(self, *, commit: bool) -> None:
        try:
            if self.transaction.is_active:
                (self.transaction.commit if commit else self.transaction.rollback)()
        finally:
            self.conn.close()


def init_idempotency(app: Flask, db: Database, table: Table) -> None:
    @app.before_request
    def _replay_or_claim() -> Response | None:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or request.path.startswith(INTERNAL_PREFIX):
            return None
        if not key or len(key) > MAX_KEY_LENGTH:
            return problem_response(
                400,
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.",
                errors={HEADER: [f"1 to {MAX_KEY_LENGTH} characters."]},
            )
        client = request_caller().client_id
        fingerprint = _fingerprint()
        claim = _Claim(db.write_engine.connect(), table, client, key)
        try:
            answer = _claim_or_replay(claim, table, client, key, fingerprint)
        except BaseException:
            claim.end(commit=False)
            raise
        if answer is not None:
            claim.end(commit=False)
            return answer
        # Everything the request writes joins this transaction; the use case's commits
        # release savepoints, and the transaction commits with the stored answer.
        g.db_session = Session(
            bind=claim.conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        g.idempotency_claim = claim
        return None

    @app.after_request
    def _remember(response: Response) -> Response:
        claim: _Claim | None = g.pop("idempotency_claim", None)
        if claim is None:
            return response
        session = g.pop("db_session", None)
        if session is not None:
            session.close()  # ends its savepoints; the claim's transaction stays open
        if not 200 <= response.status_code < 300:
            claim.end(commit=False)  # nothing of a refused request is kept, its claim neither
            return response
        try:
            claim.conn.execute(
                claim.table.update()
                .where(claim.where)
                .values(
                    state=DONE,
                    status_code=response.status_code,
                    content_type=response.content_type,
                    location=response.headers.get("Location"),
                    body=response.get_data(as_text=True),
                )
            )
            claim.end(commit=True)
        except SQLAlchemyError:
            log.exception("the change and its idempotency record could not be committed")
            claim.end(commit=False)
            return problem_response(
                503,
                "The database is busy or unavailable; nothing was stored. Retry with the same "
                f"{HEADER}.",
                headers={"Retry-After": "1"},
            )
        return response

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        claim: _Claim | None = g.pop("idempotency_claim", None)
        if claim is not None:  # the request ended without an answer: keep nothing
            claim.end(commit=False)


def _claim_or_replay(
    claim: _Claim, table: Table, client: str, key: str, fingerprint: str
) -> Response | None:
    """None when this request now holds the key (in its open transaction); else the answer."""
    row = claim.stored()
    if row is not None and row.state != DONE:
        # Left by an earlier version that claimed keys in a transaction of their own: its
        # outcome is unknown, so the key is free again.
        claim.conn.execute(delete(table).where(claim.where))
        row = None
    if row is None:
        try:
            with claim.conn.begin_nested():
                claim.conn.execute(
                    insert(table).values(
                        client_id=client,
                        key=key,
                        fingerprint=fingerprint,
                        state="pending",
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            # Another request with this key committed while we waited: answer as it did.
            row = claim.stored()
            if row is None:
                raise
        else:
            if random.random() < 0.01:
                claim.conn.execute(delete(table).where(table.c.created_at < utcnow() - KEEP_FOR))
            return None
    if row.fingerprint != fingerprint:
        return problem_response(
            409,
            f"This {HEADER} was already used for a different request.",
            errors={HEADER: ["Already used with another body or path."]},
        )
    replay = Response(row.body, status=row.status_code, content_type=row.content_type)
    if row.location:
        replay.headers["Location"] = row.location
    replay.headers["Idempotent-Replayed"] = "true"
    return replay
