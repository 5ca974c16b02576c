"""Who holds an API key, answered from memory, and forgotten within a quarter second of a change.

Every call needs its key checked, and a revoked key must be refused by every gateway process at
once. Each process remembers the keys it has seen, stamped with the key table's generation: a
number that triggers on `api_keys` move on any insert, update or delete, whoever makes it (the
admin API, `kam create-key`, another gateway, an operator's SQL), on SQLite and PostgreSQL alike
(migration 0002). Before a remembered key is used, the generation is read again if the last
reading is older than `POLL_SECONDS`; when it moved, the memory is dropped. A revoked key is so
refused by every process within `POLL_SECONDS` plus one read, and a process reads the generation
at most four times a second, whatever its traffic.

Database reads run in a thread, so the event loop never waits on the database. Unknown secrets
are not remembered: strangers must not fill the memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from kam_gateway.access import Caller
from kam_gateway.keys import authenticate, hash_secret

POLL_SECONDS = 0.25
MAX_CACHED = 10_000  # secrets remembered before the memory starts over (a bound, not a knob)
_GENERATION = text("SELECT generation FROM api_key_changes WHERE id = 1")


class KeyCache:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic):
        self.engine = engine
        self.clock = clock
        self.generation: int | None = None
        self.read_at = float("-inf")
        self.known: dict[str, Caller] = {}
        self._lock = asyncio.Lock()

    async def lookup(self, secret: str) -> Caller | None:
        """The active key holding `secret`, or None. Database errors propagate."""
        if self.clock() - self.read_at >= POLL_SECONDS:
            await self._refresh()
        digest = hash_secret(secret)
        caller = self.known.get(digest)
        if caller is not None:
            return caller
        generation = self.generation
        caller = await asyncio.to_thread(authenticate, self.engine, digest)
        # A change committed while this read ran may not be in it: remember only if none was.
        if caller is not None and generation == self.generation:
            if len(self.known) >= MAX_CACHED:
                self.known.clear()
            self.known[digest] = caller
        return caller

    def changed(self) -> None:
        """This process changed a key: read the generation again before the next use."""
        self.read_at = float("-inf")

    def remembers(self, secret: str) -> bool:
        return hash_secret(secret) in self.known

    async def _refresh(self) -> None:
        async with self._lock:  # one reading for every call that found the last one old
            if self.clock() - self.read_at < POLL_SECONDS:
                return
            generation = await asyncio.to_thread(self._read_generation)
            if generation != self.generation:
                self.known.clear()
                self.generation = generation
            self.read_at = self.clock()

    def _read_generation(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(_GENERATION).scalar_one())
