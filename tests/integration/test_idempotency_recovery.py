"""An `Idempotency-Key` whose request died with its process (kill -9) never stays "still being
processed": the change and its stored answer commit together or not at all, so the retry
either replays the answer or performs the write, exactly once.

The health service runs as a real gunicorn process; its read-through to accounts first goes to
a socket that never answers, so the request is surely inside its transaction when it is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from e2e_stack import BIN, free_port
from support import serve

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_health.models import Base as HealthBase

TOKEN = "test-internal-token"


@contextlib.contextmanager
def silent_service() -> Iterator[tuple[str, threading.Event]]:
    """A port that accepts connections and never answers; the event is set on the first one."""
    listener = socket.create_server(("127.0.0.1", 0))
    called = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                held.append(conn)
                called.set()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", called
    finally:
        listener.close()
        for conn in held:
            conn.close()


class HealthProcess:
    def __init__(self, data_dir: Path, database_url: str):
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, accounts_url: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
        env.update(
            KAM_DATA_DIR=str(self.data_dir),
            KAM_INTERNAL_TOKEN=TOKEN,
            KAM_SERVICE_NAME="health",
            KAM_ACCOUNTS_URL=accounts_url,
            KAM_HEALTH_ACCOUNTS_TIMEOUT="60",
            KAM_WORKERS="1",
            KAM_THREADS="4",
            HEALTH_DATABASE_URL=self.database_url,
        )
        log = (self.data_dir / "health.log").open("ab")
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:kam_common.gunicorn_conf"]
            + ["--bind", f"127.0.0.1:{self.port}", "kam_health.wsgi:app"],
            env=env,
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError((self.data_dir / "health.log").read_text()[-3000:])

    def kill(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def health_process(tmp_path, database_url) -> Iterator[HealthProcess]:
    from support import emptied

    from kam_common.db import Database

    url = database_url("health")
    db = Database(url)
    emptied(db, HealthBase.metadata)
    db.engine.dispose()
    process = HealthProcess(tmp_path, url)
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.kill()


def test_a_retry_after_the_process_died_mid_request_performs_the_write_once(
    service_client, health_process
):
    accounts = service_client("accounts", create_accounts, AccountsBase.metadata)
    account = accounts.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    event = {"account_id": account["id"], "type": "quality", "severity": "minor"}
    headers = {"X-Internal-Token": TOKEN, "Idempotency-Key": f"crash-{uuid.uuid4()}"}

    with silent_service() as (silent_url, called):
        health_process.start(silent_url)

        def send_and_die_waiting() -> None:
            with contextlib.suppress(requests.RequestException):
                requests.post(
                    health_process.url + "/api/v1/health/events",
                    json=event,
                    headers=headers,
                    timeout=30,
                )

        first = threading.Thread(target=send_and_die_waiting, daemon=True)
        first.start()
        assert called.wait(20), "the request never reached its read-through"
        health_process.kill()  # mid-request, inside its transaction
        first.join(5)

    with serve(accounts.application) as accounts_url:
        health_process.start(accounts_url)
        retry = requests.post(
            health_process.url + "/api/v1/health/events", json=event, headers=headers, timeout=30
        )
        assert retry.status_code == 201, retry.text
        again = requests.post(
            health_process.url + "/api/v1/health/events", json=event, headers=headers, timeout=30
        )
        assert again.status_code == 201
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json()["id"] == retry.json()["id"]
        listed = requests.get(
            health_process.url + "/api/v1/health/events",
            params={"account_id": account["id"]},
            headers={"X-Internal-Token": TOKEN},
            timeout=10,
        ).json()
        assert listed["total"] == 1
