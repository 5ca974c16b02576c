"""`Idempotency-Key` on creating POSTs: a retry replays the first answer and creates nothing.

Keys are per client (the gateway's API key id), remembered for at least 24 hours. The first
request claims the key with a `pending` row before any work is done, so two racing retries
cannot both create; only successful answers are kept, so a failed attempt may be retried.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import timedelta

from flask import Flask, Response, g, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError

from kam_common.db import Database, UTCDateTime, close_request_session, utcnow
from kam_common.problems import problem_response
from kam_common.scope import request_caller

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=48)
MAX_KEY_LENGTH = 200


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
    except ValueError:
        canonical = raw.decode("utf-8", "replace")
    digest = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode())
    return digest.hexdigest()


def init_idempotency(app: Flask, db: Database, table: Table) -> None:
    @app.before_request
    def _replay_or_claim() -> Response | None:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return None
        if not key or len(key) > MAX_KEY_LENGTH:
            return problem_response(
                400,
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.",
                errors={HEADER: [f"1 to {MAX_KEY_LENGTH} characters."]},
            )
        client = request_caller().client_id
        fingerprint = _fingerprint()
        with db.session() as session:
            row = session.execute(
                select(table).where(table.c.client_id == client, table.c.key == key)
            ).first()
            if row is None:
                try:
                    session.execute(
                        insert(table).values(
                            client_id=client,
                            key=key,
                            fingerprint=fingerprint,
                            state="pending",
                            created_at=utcnow(),
                        )
                    )
                    if random.random() < 0.01:
                        session.execute(
                            delete(table).where(table.c.created_at < utcnow() - KEEP_FOR)
                        )
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    return _in_progress()
                g.idempotency_key = (client, key)
                return None
        if row.fingerprint != fingerprint:
            return problem_response(
                409,
                f"This {HEADER} was already used for a different request.",
                errors={HEADER: ["Already used with another body or path."]},
            )
        if row.state != "done":
            return _in_progress()
        replay = Response(row.body, status=row.status_code, content_type=row.content_type)
        if row.location:
            replay.headers["Location"] = row.location
        replay.headers["Idempotent-Replayed"] = "true"
        return replay

    @app.after_request
    def _remember(response: Response) -> Response:
        claimed = g.pop("idempotency_key", None)
        if claimed is None:
            return response
        client, key = claimed
        close_request_session()  # on SQLite a lingering write transaction would block ours
        where = (table.c.client_id == client) & (table.c.key == key)
        with db.session() as session:
            if 200 <= response.status_code < 300:
                session.execute(
                    table.update()
                    .where(where)
                    .values(
                        state="done",
                        status_code=response.status_code,
                        content_type=response.content_type,
                        location=response.headers.get("Location"),
                        body=response.get_data(as_text=True),
                    )
                )
            else:
                session.execute(delete(table).where(where))
            session.commit()
        return response


def _in_progress() -> Response:
    return problem_response(
        409,
        f"A request with this {HEADER} is still being processed; retry shortly.",
        errors={HEADER: ["The original request is in progress."]},
    )
