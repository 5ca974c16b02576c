"""The real stack for end-to-end tests: the four apps as gunicorn processes, driven over HTTP.

The session's stack is a fixture in tests/e2e/conftest.py; modules that need their own (they
kill or stall processes) build one from these helpers. Each app gets a free port, the stack a
fresh data folder, a fixed internal token and a random bootstrap admin key.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import gunicorn
import pytest
import requests

from kam_common.migrations import upgrade

APPS = ("accounts", "offerings", "health", "gateway")
INTERNAL_TOKEN = "e2e-internal-token"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(apps: Iterable[str]) -> dict[str, int]:
    """A free port per app, all different: each socket stays bound until every port is
    chosen (one `free_port()` after another may hand out the same port twice)."""
    with contextlib.ExitStack() as held:
        ports: dict[str, int] = {}
        for app in apps:
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports[app] = int(sock.getsockname()[1])
        return ports


@dataclass
class Stack:
    data_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    admin_key: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_files: dict[str, IO[bytes]] = field(default_factory=dict)

    def url(self, app: str) -> str:
        return f"http://127.0.0.1:{self.ports[app]}"

    def log_path(self, app: str) -> Path:
        return self.data_dir / f"{app}.log"

    def log_text(self, app: str) -> str:
        return self.log_path(app).read_text(encoding="utf-8", errors="replace")

    def start(self, app: str) -> None:
        command = [str(BIN / "gunicorn"), "-c", "python:kam_common.gunicorn_conf"]
        if gunicorn.version_info >= (25,):
            # Every master would otherwise claim the same ~/.gunicorn/gunicorn.ctl.
            command.append("--no-control-socket")
        command += ["--bind", f"127.0.0.1:{self.ports[app]}"]
        if app == "gateway":  # the ASGI front, as the Procfile runs it
            command += ["-k", "kam_gateway.serving.GatewayWorker", "kam_gateway.asgi:app"]
        else:
            command.append(f"kam_{app}.wsgi:app")
        self.launch(app, command)

    def launch(self, app: str, command: list[str]) -> None:
        log = self.log_path(app).open("ab")
        self.log_files[app] = log
        self.processes[app] = subprocess.Popen(
            command,
            env={**self.env, "KAM_SERVICE_NAME": app},
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so the workers can be killed with the master if need be.
            start_new_session=True,
        )

    def signal(self, app: str, signum: int) -> None:
        """Send `signum` to the app's whole process group (gunicorn master and workers)."""
        os.killpg(self.processes[app].pid, signum)

    def kill(self, app: str) -> None:
        """SIGKILL the app's process group, as a crash would, and reap it."""
        proc = self.processes[app]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.log_files[app].close()

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown of the workers
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left, workers included
            proc.wait()
        for log in self.log_files.values():
            log.close()

    def diagnostics(self, lines: int = 60) -> str:
        parts = []
        for app in (*APPS, "worker"):
            proc = self.processes.get(app)
            state = "not started" if proc is None else f"exit code {proc.poll()}"
            tail = "\n".join(self.log_text(app).splitlines()[-lines:]) if proc else ""
            parts.append(f"----- {app} ({state}), {self.log_path(app)} -----\n{tail}")
        return "\n".join(parts)


def stack_env(data_dir: Path, ports: dict[str, int], admin_key: str) -> dict[str, str]:
    # Start from the caller's environment minus the project's own settings, so nothing from a
    # developer's shell (a token, a Redis URL, another data folder) leaks into the stack.
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAM_")}
    env.update(
        KAM_DATA_DIR=str(data_dir),
        KAM_INTERNAL_TOKEN=INTERNAL_TOKEN,
        KAM_BOOTSTRAP_ADMIN_KEY=admin_key,
        KAM_ACCOUNTS_URL=f"http://127.0.0.1:{ports['accounts']}",
        KAM_OFFERINGS_URL=f"http://127.0.0.1:{ports['offerings']}",
        KAM_HEALTH_URL=f"http://127.0.0.1:{ports['health']}",
        KAM_GATEWAY_PORT=str(ports["gateway"]),
        # Two workers so state that must be shared between them (keys, idempotency) is.
        KAM_WORKERS="2",
        KAM_THREADS="4",
        KAM_LOG_LEVEL="info",
        PYTHONUNBUFFERED="1",
    )
    for app in APPS:
        name = f"{app.upper()}_DATABASE_URL"
        env[name] = os.environ.get(name) or f"sqlite:///{data_dir / (app + '.db')}"
    return env


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server of our own on a free port, saving nothing; returns it and its URL.

    Fails (never skips) when redis-server is missing: .ci/run installs it.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while True:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), 0.5) as conn,
        ):
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return proc, f"redis://127.0.0.1:{port}/0"
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.05)


def kam(stack: Stack, command: str, timeout: float = 120) -> str:
    """Run `kam <command>` in the stack's environment, its output kept in `<command>.log`;
    what it printed, or the test fails with it."""
    result = subprocess.run(
        [str(BIN / "kam"), command],
        env=stack.env,
        cwd=stack.data_dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    (stack.data_dir / f"{command}.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        pytest.fail(f"kam {command} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def migrate(stack: Stack) -> None:
    """`kam migrate` when the CLI is there (it is what operators run), else each app's history."""
    if importlib.util.find_spec("kam_cli.main") is not None:
        kam(stack, "migrate")
        return
    for app in APPS:
        upgrade(f"kam_{app}", stack.env[f"{app.upper()}_DATABASE_URL"])


def wait_until_ready(stack: Stack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        exited = [app for app, proc in stack.processes.items() if proc.poll() is not None]
        if exited:
            raise RuntimeError(f"{', '.join(exited)} exited during start-up")
        try:
            response = requests.get(stack.url("gateway") + "/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:500]}"
        except requests.RequestException as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"gateway /readyz not 200 after {READY_TIMEOUT_S:.0f} s (last: {last})")
