"""`kam run` (what `make run` starts) with real processes: one that dies is started again while
the others keep running, a setup failure stops the run, and a signal stops everything."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

KAM = Path(sys.executable).parent / "kam"
SLEEP = "import os, time; print('up', os.getpid(), flush=True); time.sleep(600)"
SLEEPER = f'exec {sys.executable} -c "{SLEEP}"'


class Run:
    """`kam run` on a Procfile, its output read line by line as it comes."""

    def __init__(self, folder: Path, procfile: str):
        (folder / "Procfile").write_text(procfile)
        self.process = subprocess.Popen(
            [str(KAM), "run", "--procfile", str(folder / "Procfile")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, since: int = 0, timeout: float = 15) -> re.Match[str]:
        """The first line from the `since`-th on that matches, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for line in self.seen[checked:]:
                match = re.search(pattern, line)
                if match:
                    return match
            checked = max(checked, len(self.seen))
            if time.monotonic() >= deadline:
                raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.seen))
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.lines.get(timeout=0.1))

    def pid_of(self, name: str, since: int = 0) -> int:
        return int(self.wait_for(rf" {name}\.1 +\| up (\d+)", since).group(1))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: its parent has not reaped it yet.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ")[1][0] != "Z"


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[list[Run]]:
    made: list[Run] = []
    yield made
    for run in made:
        if run.process.poll() is None:
            os.killpg(run.process.pid, signal.SIGKILL)
        run.process.wait(10)


def test_a_killed_process_is_started_again_and_the_others_keep_running(
    tmp_path: Path, runs: list[Run]
) -> None:
    run = Run(tmp_path, f"gateway: {SLEEPER}\nhealth: {SLEEPER}\n")
    runs.append(run)
    first = {name: run.pid_of(name) for name in ("gateway", "health")}

    os.kill(first["health"], signal.SIGKILL)

    run.wait_for(r"health\.1 killed by SIGKILL after [\d.]+ s; starting it again in 1 s")
    again = run.pid_of("health", since=len(run.seen))
    assert again != first["health"]
    assert alive(again)
    assert alive(first["gateway"])  # never touched

    run.process.send_signal(signal.SIGINT)
    assert run.process.wait(15) == 0
    assert not alive(again) and not alive(first["gateway"])


def test_a_process_that_fails_at_its_first_start_stops_the_whole_run(
    tmp_path: Path, runs: list[Run]
) -> None:
    broken = f"{sys.executable} -c \"import sys; sys.exit('port 8080 is in use')\""
    run = Run(tmp_path, f"gateway: {broken}\nhealth: {SLEEPER}\n")
    runs.append(run)
    health = run.pid_of("health")

    run.wait_for(r"gateway\.1 +\| port 8080 is in use")
    run.wait_for(r"gateway\.1 exited with code 1 at start: stopping")

    assert run.process.wait(15) == 1
    assert not alive(health)


def test_a_procfile_it_cannot_read_is_a_clear_error(tmp_path: Path) -> None:
    answer = subprocess.run(
        [str(KAM), "run", "--procfile", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert answer.returncode == 2
    assert "missing" in answer.stderr and "Traceback" not in answer.stderr


def test_a_storm_of_stop_signals_never_deadlocks_the_run(tmp_path: Path, runs: list[Run]) -> None:
    """make forwards a second signal while the first is handled: the handler must not wait on
    a lock the interrupted code (or the first handler) holds."""
    for attempt in range(4):
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        run = Run(folder, f"gateway: {SLEEPER}\nhealth: {SLEEPER}\n")
        runs.append(run)
        pids = [run.pid_of("gateway"), run.pid_of("health")]
        for index in range(200):
            with contextlib.suppress(ProcessLookupError):
                run.process.send_signal(signal.SIGTERM if index % 2 else signal.SIGINT)
            time.sleep(0.0005)
        try:
            code = run.process.wait(20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"kam run did not stop after a burst of signals (run {attempt})")
        assert code == 0
        assert not any(alive(pid) for pid in pids)
