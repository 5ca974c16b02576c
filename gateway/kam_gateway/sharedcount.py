"""`async+file:///path`: a `limits` storage shared by every gateway process on one machine.

gunicorn serves the gateway from several worker processes; `limits`' memory storage would give
a key a budget per worker, and Redis is one more server to run. The `limits` library has no
storage between the two, so this is one: the counters live in a small file mapped into every
worker's memory (`KAM_DATA_DIR/gateway-ratelimits`), guarded by an exclusive lock on the file.
One count costs two system calls and a few microseconds, without leaving the event loop.

The file is a 16-byte header (a layout tag and the slot count), then fixed slots of (key hash,
expiry, count). A key's slot is found by linear probing from its hash; an expired slot is free
for any key, so the table never needs cleaning; slots are never emptied, so a probe stops at
the first slot never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from limits.aio.storage import Storage

LAYOUT = b"KAMRL002"
HEADER = struct.Struct("<8sQ")
SLOT = struct.Struct("<QdQ")  # key hash (0: never used), expiry (epoch s), count
SLOTS = 65_536  # 1.5 MiB: room for tens of thousands of live windows at once
PROBES = 64  # slots looked at before the table counts as full around a key


class TableFull(RuntimeError):
    """Every slot near the key holds a live counter of another key."""


def key_hash(key: str) -> int:
    digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
    return digest or 1  # 0 marks a slot never used


class SharedFileStorage(Storage):
    STORAGE_SCHEME = ["async+file"]

    def __init__(
        self,
        uri: str,
        *,
        slots: int = SLOTS,
        clock: Callable[[], float] = time.time,
        **options: float | str | bool,
    ) -> None:
        super().__init__(uri)
        self.path = Path(uri.removeprefix("async+file://"))
        self.slots = slots
        self.clock = clock
        self.size = HEADER.size + slots * SLOT.size
        self._open()
        _OPEN.add(self)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (OSError, TableFull)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            tag = os.pread(fd, HEADER.size, 0)
            if len(tag) < HEADER.size or HEADER.unpack(tag) != (LAYOUT, self.slots):
                # Another layout or size (or a new file): start from zeros, the header last.
                os.ftruncate(fd, 0)
                os.ftruncate(fd, self.size)
                os.pwrite(fd, HEADER.pack(LAYOUT, self.slots), 0)
            self._map = mmap.mmap(fd, self.size)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._fd = fd

    def _reopen(self) -> None:
        """In a forked child: its own descriptor, so the file lock excludes the parent too."""
        self._map.close()
        os.close(self._fd)
        self._open()

    def _slot(self, key: str, claim: bool) -> int | None:
        """The offset of `key`'s live slot, or (with `claim`) a free one; under the lock."""
        wanted = key_hash(key)
        first = wanted % self.slots
        now = self.clock()
        reusable = None
        for step in range(PROBES):
            offset = HEADER.size + ((first + step) % self.slots) * SLOT.size
            holder, expiry, _count = SLOT.unpack_from(self._map, offset)
            if holder == wanted and expiry > now:
                return offset
            if reusable is None and expiry <= now:
                reusable = offset
            if holder == 0:
                break  # never used: the key is not further on
        if not claim:
            return None
        if reusable is None:
            raise TableFull(f"no free rate-limit slot near this key in {self.path}")
        SLOT.pack_into(self._map, reusable, wanted, 0.0, 0)
        return reusable

    def _locked(self) -> _FileLock:
        return _FileLock(self._fd)

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self._locked():
            offset = self._slot(key, claim=True)
            assert offset is not None  # noqa: S101 - claim=True always finds or raises
            holder, until, count = SLOT.unpack_from(self._map, offset)
            if until <= self.clock():
                until, count = self.clock() + expiry, 0
            count += amount
            SLOT.pack_into(self._map, offset, holder, until, count)
            return int(count)

    async def get(self, key: str) -> int:
        with self._locked():
            offset = self._slot(key, claim=False)
            return 0 if offset is None else int(SLOT.unpack_from(self._map, offset)[2])

    async def get_expiry(self, key: str) -> float:
        with self._locked():
            offset = self._slot(key, claim=False)
            return self.clock() if offset is None else SLOT.unpack_from(self._map, offset)[1]

    async def clear(self, key: str) -> None:
        with self._locked():
            offset = self._slot(key, claim=False)
            if offset is not None:
                SLOT.pack_into(self._map, offset, key_hash(key), 0.0, 0)

    async def check(self) -> bool:
        return not self._map.closed

    async def reset(self) -> int | None:
        with self._locked():
            self._map[HEADER.size :] = bytes(self.size - HEADER.size)
        return None


class _FileLock:
    __slots__ = ("fd",)

    def __init__(self, fd: int):
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


# A forked child must not share its parent's open file: the file lock would not exclude it.
_OPEN: weakref.WeakSet[SharedFileStorage] = weakref.WeakSet()


def _reopen_all_in_child() -> None:
    for storage in list(_OPEN):
        storage._reopen()  # noqa: SLF001 - the module's own fork hook


os.register_at_fork(after_in_child=_reopen_all_in_child)
