"""The background worker: integration-event lanes and periodic jobs, each in a thread of its own.

Apps contribute through their `kam_<app>.cli` module: `relays()` returns the `Relay`s for the
outboxes they publish from, `jobs()` returns `(every_seconds, name, callable)` tuples. A job
returns a few words on what it did, or None when it found nothing to do: a queue polled twice a
second must not write two log lines a second while idle.

Every lane (one publisher's events for one consumer) and every job loops on its own thread, so
a consumer that is down or frozen (a push may wait for its whole read timeout) delays only the
events addressed to it: other consumers and the health rescore queue go on meanwhile.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from kam_common.relay import Lane, Relay

log = logging.getLogger("kam.worker")

IDLE_SLEEP = 0.2
# After a lane's own failure (its database, not its consumer): wait before trying again.
FAULT_SLEEP = 2.0
STOP_GRACE = 15.0


@dataclass
class Job:
    every: float
    name: str
    run: Callable[[], str | None]
    due: float = field(default=0.0)

    def run_if_due(self) -> None:
        now = time.monotonic()
        if now < self.due:
            return
        self.due = now + self.every
        started = time.perf_counter()
        try:
            result = self.run()
        except Exception:
            log.exception("job %s failed", self.name)
            return
        log.log(
            logging.DEBUG if result is None else logging.INFO,
            "job %s done in %.0f ms: %s",
            self.name,
            (time.perf_counter() - started) * 1000,
            result if result is not None else "nothing to do",
        )


def deliver(lane: Lane) -> int:
    try:
        return lane.run_once()
    except Exception:  # a broken database for one app must not stop the others
        log.exception("lane %s failed", lane.name)
        return -1


class Worker:
    def __init__(self, relays: Sequence[Relay], jobs: Sequence[Job], heartbeat: Path | None = None):
        self.lanes = [lane for relay in relays for lane in relay.lanes()]
        self.jobs = list(jobs)
        self.heartbeat = heartbeat
        self.stopping = False  # set by the signal handler: a plain flag, no lock taken there
        self._stop = threading.Event()

    def tick(self) -> int:
        """One pass, one thing after another: every lane, every due job; events delivered."""
        delivered = sum(max(deliver(lane), 0) for lane in self.lanes)
        for job in self.jobs:
            job.run_if_due()
        return delivered

    def beat(self) -> None:
        """Touch the heartbeat file, if one is configured, so a healthcheck can see we loop."""
        if self.heartbeat is not None:
            self.heartbeat.touch()

    def _lane_loop(self, lane: Lane) -> None:
        while not self._stop.is_set():
            delivered = deliver(lane)
            if delivered <= 0:
                self._stop.wait(FAULT_SLEEP if delivered < 0 else IDLE_SLEEP)

    def _job_loop(self, job: Job) -> None:
        while not self._stop.is_set():
            job.run_if_due()
            self._stop.wait(max(0.0, min(job.due - time.monotonic(), IDLE_SLEEP)))

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._lane_loop, args=(lane,), name=f"lane {lane.name}")
            for lane in self.lanes
        ] + [
            threading.Thread(target=self._job_loop, args=(job,), name=f"job {job.name}")
            for job in self.jobs
        ]
        for thread in threads:
            thread.daemon = True
            thread.start()
        return threads

    def stop(self, threads: Sequence[threading.Thread]) -> None:
        self._stop.set()
        deadline = time.monotonic() + STOP_GRACE
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def run_forever(self) -> None:
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("worker started: %d lanes, %d jobs", len(self.lanes), len(self.jobs))
        threads = self.start()
        while not self.stopping:
            self.beat()
            time.sleep(IDLE_SLEEP)
        self.stop(threads)
        log.info("worker stopped")
