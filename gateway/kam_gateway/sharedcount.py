"""Rate-limit counts shared by every gateway process on one machine, with no server to run.

gunicorn serves the gateway from several worker processes; counting in each one's memory would
give a key as many budgets as there are workers. Here the counts live in a small file mapped into
every worker's memory (`KAM_DATA_DIR/gateway-ratelimits`), guarded by an exclusive lock on the
file and, inside a process, a thread lock: one count costs two system calls and a few
microseconds. Gateways on several machines share Redis instead (`KAM_REDIS_URL`).

The file is a 16-byte header (a layout tag and the slot count), then fixed slots of (key hash,
window end, count). A key's slot is found by linear probing from its hash. A slot whose window
has ended is free for any key, so the table never needs cleaning; slots are never emptied, so a
probe stops at the first slot never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

LAYOUT = b"KAMRL001"
HEADER = struct.Struct("<8sQ")
SLOT = struct.Struct("<QqQ")  # key hash (0: never used), window end (epoch s), count
SLOTS = 65_536  # 1.5 MiB: room for tens of thousands of keys' windows at once
PROBES = 64  # slots looked at before the table counts as full around a key


class TableFull(RuntimeError):
    """Every slot near the key holds a live window of another key."""


def window_end(now: float, seconds: int) -> int:
    """The end of the clock-aligned window holding `now` (a minute's window ends on the minute)."""
    return int(now - now % seconds) + seconds


def key_hash(key: str) -> int:
    digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
    return digest or 1  # 0 marks a slot never used


class SharedWindows:
    """Counts per clock-aligned window, shared through a memory-mapped file."""

    def __init__(
        self, path: Path, *, slots: int = SLOTS, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path)
        self.slots = slots
        self.clock = clock
        self.size = HEADER.size + slots * SLOT.size
        self._lock = threading.Lock()
        self._open()
        _OPEN.add(self)

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
            elif os.fstat(fd).st_size < self.size:
                os.ftruncate(fd, self.size)
            self._map = mmap.mmap(fd, self.size)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._fd = fd

    def _reopen(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork
        self._map.close()
        os.close(self._fd)
        self._open()

    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        """Count one call; returns the count so far in this window and the window's end."""
        now = self.clock()
        end = window_end(now, seconds)
        wanted = key_hash(key)
        first = wanted % self.slots
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                return self._count(wanted, first, end, now)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _count(self, wanted: int, first: int, end: int, now: float) -> tuple[int, float]:
        table, slots, slot = self._map, self.slots, SLOT
        reusable = None
        for step in range(PROBES):
            offset = HEADER.size + ((first + step) % slots) * slot.size
            holder, holder_end, count = slot.unpack_from(table, offset)
            if holder == wanted:
                count = count + 1 if holder_end == end else 1
                slot.pack_into(table, offset, wanted, end, count)
                return count, float(end)
            if reusable is None and holder_end <= now:
                reusable = offset
            if holder == 0:
                break  # never used: the key is not further on
        if reusable is None:
            raise TableFull(f"no free rate-limit slot near this key in {self.path}")
        slot.pack_into(table, reusable, wanted, end, 1)
        return 1, float(end)


# A forked child must not share its parent's open file: the file lock would not exclude it.
_OPEN: weakref.WeakSet[SharedWindows] = weakref.WeakSet()


def _reopen_all_in_child() -> None:
    for windows in list(_OPEN):
        windows._reopen()  # noqa: SLF001 - the module's own fork hook


os.register_at_fork(after_in_child=_reopen_all_in_child)
