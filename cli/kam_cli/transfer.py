"""`kam import FILE --kind …` and `kam export KIND`: CSV through the gateway, like any client.

The file goes up with a progress bar; a large one is then followed through
`GET /api/v1/imports/{id}` (checking, then writing) on the same bar until it is done. Bad rows
are listed as the spreadsheet numbers them. Exit status: 0 when the file was applied (or, for a
dry run, is good), 1 when rows are bad (nothing stored), 2 when the call was refused.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import IO, Any

import requests
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

KINDS = ("accounts", "contacts", "events", "purchases")
MODES = ("create_or_update", "update_only", "create_only")
POLL_SECONDS = 0.5
SHOWN_ERRORS = 30


def gateway_url(given: str | None) -> str:
    if given:
        return given.rstrip("/")
    if url := os.environ.get("KAM_GATEWAY_URL"):
        return url.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('KAM_GATEWAY_PORT', '8080')}"


def _key(given: str | None, console: Console) -> str | None:
    key = given or os.environ.get("KAM_API_KEY")
    if key is None:
        console.print("[red]Give an API key:[/red] --key or KAM_API_KEY (see `kam keys-hint`).")
    return key


class _Upload:
    """The file as a body that moves the bar as it is read (requests sends it by length)."""

    def __init__(self, stream: IO[bytes], size: int, progress: Progress, task: TaskID):
        self.stream, self.size, self.progress, self.task = stream, size, progress, task

    def __len__(self) -> int:
        return self.size

    def read(self, amount: int = -1) -> bytes:
        chunk = self.stream.read(amount)
        self.progress.advance(self.task, len(chunk))
        return chunk


def add_parsers(commands: Any) -> None:
    imp = commands.add_parser("import", help="import a CSV file through the gateway")
    imp.add_argument("file", type=Path)
    imp.add_argument("--kind", required=True, choices=KINDS)
    imp.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    imp.add_argument("--mode", choices=MODES, default="create_or_update")
    exp = commands.add_parser("export", help="export a kind of record as CSV through the gateway")
    exp.add_argument("kind", choices=KINDS)
    exp.add_argument("-o", "--output", type=Path, help="default: KIND.csv")
    exp.add_argument(
        "--filter", action="append", default=[], metavar="NAME=VALUE", help="a list filter"
    )
    for sub in (imp, exp):
        sub.add_argument("--url", help="the gateway (default KAM_GATEWAY_URL or 127.0.0.1:8080)")
        sub.add_argument("--key", help="an API key (default KAM_API_KEY)")


def _refused(console: Console, answer: requests.Response) -> int:
    try:
        problem = answer.json()
    except ValueError:
        problem = {"detail": answer.text[:300]}
    console.print(f"[red]Refused ({answer.status_code}):[/red] {problem.get('detail')}")
    for field, messages in (problem.get("errors") or {}).items():
        console.print(f"  {field}: {'; '.join(messages)}")
    return 2


def import_file(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console(stderr=True)
    key = _key(args.key, console)
    if key is None:
        return 2
    if not args.file.is_file():
        console.print(f"[red]No such file:[/red] {args.file}")
        return 2
    base, headers = gateway_url(args.url), {"Authorization": f"Bearer {key}"}
    query = {"kind": args.kind, "mode": args.mode, "dry_run": str(args.dry_run).lower()}
    size = args.file.stat().st_size
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        sending = progress.add_task(f"sending {args.file.name}", total=size)
        with args.file.open("rb") as stream:
            answer = requests.post(
                f"{base}/api/v1/imports",
                params=query,
                data=_Upload(stream, size, progress, sending),
                headers={**headers, "Content-Type": "text/csv"},
                timeout=300,
            )
        if answer.status_code != 201:
            return _refused(console, answer)
        result = answer.json()
        task = progress.add_task("checking", total=max(result.get("rows") or 1, 1))
        while result["status"] == "running":
            state = result.get("progress") or {}
            progress.update(
                task,
                description=state.get("phase", "queued"),
                completed=state.get("done", 0),
                total=max(state.get("total") or 1, 1),
            )
            time.sleep(POLL_SECONDS)
            polled = requests.get(
                f"{base}/api/v1/imports/{result['id']}", headers=headers, timeout=30
            )
            if polled.status_code != 200:
                return _refused(console, polled)
            result = polled.json()
        progress.update(task, description=result["status"], completed=1, total=1)
    return _report(console, result)


def _report(console: Console, result: dict[str, Any]) -> int:
    console.print(
        f"{result['status']}: {result['rows']} rows, {result['created']} created, "
        f"{result['updated']} updated, {result['unchanged']} unchanged (import {result['id']})"
    )
    errors = result.get("errors") or []
    if errors:
        table = Table("row", "column", "message", title=f"{len(errors)} bad row(s); nothing stored")
        for error in errors[:SHOWN_ERRORS]:
            table.add_row(str(error["row"]), error["column"] or "(row)", error["message"])
        console.print(table)
        if len(errors) > SHOWN_ERRORS:
            console.print(f"... and {len(errors) - SHOWN_ERRORS} more")
    return 0 if result["status"] in ("applied", "validated") else 1


def export_file(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console(stderr=True)
    key = _key(args.key, console)
    if key is None:
        return 2
    filters = dict(item.partition("=")[::2] for item in args.filter)
    output: Path = args.output or Path(f"{args.kind}.csv")
    with requests.get(
        f"{gateway_url(args.url)}/api/v1/exports/{args.kind}.csv",
        params=filters,
        headers={"Authorization": f"Bearer {key}"},
        stream=True,
        timeout=300,
    ) as answer:
        if answer.status_code != 200:
            return _refused(console, answer)
        with Progress(TextColumn("{task.description}"), DownloadColumn(), console=console) as bar:
            task = bar.add_task(f"receiving {output.name}", total=None)
            with output.open("wb") as out:
                for chunk in answer.iter_content(64 * 1024):
                    out.write(chunk)
                    bar.advance(task, len(chunk))
    console.print(f"{args.kind} written to {output}")
    return 0
