"""`kam mail-sink`: a real SMTP server for one machine that keeps every message it receives as
an `.eml` file (under `KAM_DATA_DIR/mail` by default), so campaign mail sent by `make run` can be
read without sending anything to anyone.

It listens where `KAM_SMTP_URL` points (default `smtp://127.0.0.1:2525`). A recipient whose
address ends in `.invalid` (a top-level domain that never exists, RFC 2606) is refused with a
550, so a bounce can be tried too.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

log = logging.getLogger("kam.mailsink")

DEFAULT_URL = "smtp://127.0.0.1:2525"


class FolderHandler:
    """aiosmtpd handler: each message becomes one `.eml` file, written aside then renamed, so
    a reader never sees half a message."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.rstrip(">").lower().endswith(".invalid"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        header = f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(header + data)
        os.replace(tmp, self.folder / name)
        log.info("message for %s kept as %s", ", ".join(envelope.rcpt_tos), name)
        return "250 Message accepted"


def start_sink(folder: Path, host: str = "127.0.0.1", port: int = 2525) -> Controller:
    """A running sink (stop it with `.stop()`); the tests use it as it runs for `make run`."""
    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    controller.start()
    return controller


def listen_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 2525


def run(folder: Path, url: str) -> None:
    host, port = listen_address(url)
    controller = start_sink(folder, host, port)
    log.info("mail sink on %s:%d, messages in %s", host, port, folder)
    print(f"mail sink listening on {host}:{port}; messages kept in {folder}", flush=True)
    stop = threading.Event()
    try:
        import signal

        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
    finally:
        controller.stop()
