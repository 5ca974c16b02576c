"""Who holds an API key, answered from memory when the key table cannot have changed.

Every call needs its key checked, and a revoked key must be refused at once by every worker. On
SQLite each thread keeps its own read connection and asks `PRAGMA data_version` before every use
of its cache: the number changes whenever another connection (another thread, worker or the
CLI) commits to the gateway's database, and the cache is then dropped. Writes there are rare
(keys and the gateway's own idempotency records), so the cache is nearly always good, and the
check costs microseconds. Other databases have no such counter: there every call reads its key.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine

from kam_gateway.access import Caller
from kam_gateway.keys import authenticate, hash_secret

# Secrets seen per thread before the cache starts over (a bound, not a tuning knob).
MAX_CACHED = 10_000
_LOOKUP_SQL = (
    "SELECT id, role, account_ids, name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL"
)


class KeyCache:
    def __init__(self, engine: Engine):
        self.engine = engine
        url = engine.url
        database = url.database
        self.sqlite_path = (
            database
            if url.get_backend_name() == "sqlite" and database and database != ":memory:"
            else None
        )
        self._local = threading.local()

    def lookup(self, secret: str) -> Caller | None:
        """The active key holding `secret`, or None. Database errors propagate."""
        if self.sqlite_path is None:
            return authenticate(self.engine, secret)
        state = self._thread_state()
        try:
            version = state.conn.execute("PRAGMA data_version").fetchone()[0]
            if version != state.version:
                state.known.clear()
                state.version = version
            digest = hash_secret(secret)
            caller = state.known.get(digest)
            if caller is not None:
                return caller
            row = state.conn.execute(_LOOKUP_SQL, (digest,)).fetchone()
        except sqlite3.Error:
            self._forget_connection()
            raise
        if row is None:
            return None  # unknown keys are not remembered: strangers must not fill the cache
        key_id, role, account_ids, name = row
        ids = tuple(json.loads(account_ids or "[]"))
        caller = Caller(key_id=key_id, role=role, account_ids=ids, name=name)
        if len(state.known) >= MAX_CACHED:
            state.known.clear()
        state.known[digest] = caller
        return caller

    def _thread_state(self) -> Any:
        state = getattr(self._local, "state", None)
        if state is None:
            conn = sqlite3.connect(self.sqlite_path, isolation_level=None, timeout=15)
            conn.execute("PRAGMA query_only=1")
            state = _ThreadState(conn)
            self._local.state = state
        return state

    def _forget_connection(self) -> None:
        state = getattr(self._local, "state", None)
        if state is not None:
            self._local.state = None
            state.conn.close()


class _ThreadState:
    __slots__ = ("conn", "known", "version")

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.version: int | None = None
        self.known: dict[str, Caller] = {}
