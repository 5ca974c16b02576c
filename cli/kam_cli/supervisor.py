"""`kam run`: start every process of a Procfile, keep them running, stop them together.

What `make run` uses on one machine. Unlike a plain Procfile runner, a process that dies does
not take the others down: a service that crashes or is killed is started again (after 1 s,
doubling up to 30 s while it keeps failing), and the rest of the system, the gateway first,
goes on, degrading only the calls that need the missing service. A process that exits with an
error within its first seconds, the first time it is started, stops the whole run instead: a
port in use or a bad setting is a setup problem that restarting cannot fix.

Each process runs in its own process group, so a service's workers go with it; its output is
prefixed with the time and its name, as in `12:00:01 health.1 | ...`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
# A process that stayed up this long has recovered: its next failure starts the backoff afresh.
STEADY_S = 30.0
# A process that fails this soon after its first start is a setup problem.
STARTUP_S = 10.0
STOP_GRACE_S = 10.0

_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


class ProcfileError(ValueError):
    pass


def parse_procfile(text: str) -> list[tuple[str, str]]:
    """`name: command` lines, in order; blank lines and `#` comments are skipped."""
    entries: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ProcfileError(f"line {number}: expected `name: command`, got {raw!r}")
        name, command = match.groups()
        if any(name == known for known, _ in entries):
            raise ProcfileError(f"line {number}: {name!r} is defined twice")
        entries.append((name, command))
    if not entries:
        raise ProcfileError("no processes defined")
    return entries


def next_delay(previous: float | None, uptime: float) -> float:
    """How long to wait before starting again a process that ran `uptime` seconds."""
    if previous is None or uptime >= STEADY_S:
        return FIRST_DELAY_S
    return min(previous * 2, MAX_DELAY_S)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class Child:
    name: str
    command: str
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    starts: int = 0
    delay: float | None = None
    restart_at: float | None = None
    pumps: list[threading.Thread] = field(default_factory=list)


class Supervisor:
    def __init__(
        self,
        entries: list[tuple[str, str]],
        *,
        env: Mapping[str, str] | None = None,
        out: IO[str] | None = None,
    ):
        self.children = [Child(f"{name}.1", command) for name, command in entries]
        self.env = dict(env if env is not None else os.environ)
        self.out = out or sys.stdout
        self.width = max(len("system"), *(len(child.name) for child in self.children))
        self._lock = threading.Lock()
        # Set from the signal handler, which runs between any two bytecodes of the main thread,
        # possibly while it holds a lock (an Event's too) or inside the handler itself when a
        # second signal follows the first: so the handler only sets this flag, takes no lock.
        self._stopping = False

    def say(self, name: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self._lock:
            self.out.write(f"{stamp} {name:<{self.width}} | {text}\n")
            self.out.flush()

    def request_stop(self, *_args: object) -> None:
        self._stopping = True

    def run(self) -> int:
        """Start everything and watch until asked to stop (0) or a process fails to start (1)."""
        for child in self.children:
            self.start(child)
        failed = None
        while not self._stopping:
            failed = self.watch()
            if failed is not None:
                break
            time.sleep(0.1)
        self.stop_all()
        return 1 if failed is not None else 0

    def start(self, child: Child) -> None:
        # The Procfile is the operator's own, run as its shell lines are meant to be run.
        child.process = subprocess.Popen(  # noqa: S603
            ["/bin/sh", "-c", child.command],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: its workers are signalled with it
        )
        child.started_at = time.monotonic()
        child.starts += 1
        child.restart_at = None
        verb = "started" if child.starts == 1 else "started again"
        self.say("system", f"{child.name} {verb} with pid {child.process.pid}")
        pump = threading.Thread(target=self._pump, args=(child, child.process), daemon=True)
        pump.start()
        child.pumps.append(pump)

    def _pump(self, child: Child, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None  # noqa: S101 - opened with stdout=PIPE
        for raw in iter(process.stdout.readline, b""):
            self.say(child.name, raw.decode("utf-8", "replace").rstrip("\n"))
        process.stdout.close()

    def watch(self) -> Child | None:
        """Notice exits and due restarts; the child that failed to start at all, if any."""
        now = time.monotonic()
        for child in self.children:
            process = child.process
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.start(child)
                continue
            if process is None or process.poll() is None:
                continue
            code = process.returncode
            uptime = now - child.started_at
            _kill_group(process.pid, signal.SIGKILL)  # workers it left behind
            if child.starts == 1 and code > 0 and uptime < STARTUP_S:
                self.say("system", f"{child.name} {describe_exit(code)} at start: stopping")
                return child
            child.delay = next_delay(child.delay, uptime)
            child.restart_at = now + child.delay
            self.say(
                "system",
                f"{child.name} {describe_exit(code)} after {uptime:.1f} s; "
                f"starting it again in {child.delay:g} s",
            )
        return None

    def stop_all(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        if running:
            self.say("system", "stopping all processes")
        for process in running:
            _kill_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in running:
            try:
                process.wait(max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                self.say("system", f"pid {process.pid} did not stop in time: killed")
        for child in self.children:
            if child.process is not None:
                _kill_group(child.process.pid, signal.SIGKILL)
                child.process.wait()
            for pump in child.pumps:
                pump.join(1)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def run_procfile(path: Path) -> int:
    try:
        entries = parse_procfile(path.read_text())
    except (OSError, ProcfileError) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 2
    supervisor = Supervisor(entries)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    code = supervisor.run()
    # Everything is stopped: a signal still on its way (make forwards Ctrl-C too) changes nothing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return code
