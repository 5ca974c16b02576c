"""The background worker: integration-event relays and periodic jobs, in one loop.

Apps contribute through their `kam_<app>.cli` module: `relays()` returns the `Relay`s for the
outboxes they publish from, `jobs()` returns `(every_seconds, name, callable)` tuples. A job
returns a few words on what it did, or None when it found nothing to do: a queue polled twice a
second must not write two log lines a second while idle.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from kam_common.integration import Relay

log = logging.getLogger("kam.worker")

IDLE_SLEEP = 0.2


@dataclass
class Job:
    every: float
    name: str
    run: Callable[[], str | None]
    due: float = field(default=0.0)


class Worker:
    def __init__(self, relays: Sequence[Relay], jobs: Sequence[Job], heartbeat: Path | None = None):
        self.relays = list(relays)
        self.jobs = list(jobs)
        self.heartbeat = heartbeat
        self.stopping = False

    def tick(self) -> int:
        """One pass: deliver what is due, run what is due; returns events delivered."""
        delivered = 0
        for relay in self.relays:
            try:
                delivered += relay.run_once()
            except Exception:  # a broken database for one app must not stop the others
                log.exception("relay for %s failed", relay.outbox.source)
        now = time.monotonic()
        for job in self.jobs:
            if now >= job.due:
                job.due = now + job.every
                started = time.perf_counter()
                try:
                    result = job.run()
                except Exception:
                    log.exception("job %s failed", job.name)
                    continue
                log.log(
                    logging.DEBUG if result is None else logging.INFO,
                    "job %s done in %.0f ms: %s",
                    job.name,
                    (time.perf_counter() - started) * 1000,
                    result if result is not None else "nothing to do",
                )
        return delivered

    def beat(self) -> None:
        """Touch the heartbeat file, if one is configured, so a healthcheck can see we loop."""
        if self.heartbeat is not None:
            self.heartbeat.touch()

    def run_forever(self) -> None:
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("worker started: %d relays, %d jobs", len(self.relays), len(self.jobs))
        while not self.stopping:
            delivered = self.tick()
            self.beat()
            if delivered == 0:
                time.sleep(IDLE_SLEEP)
        log.info("worker stopped")
