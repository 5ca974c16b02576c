"""CSV in and out on the running stack (issue 14's story): a spreadsheet's contacts checked,
fixed, applied, exported back unchanged and seen in the audit trail; a file too large for one
request applied by the real worker with its progress visible."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

BOM = "\ufeff"


def spreadsheet(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def upload(gateway_url: str, headers: dict[str, str], body: bytes, **query: str) -> Any:
    answer = requests.post(
        f"{gateway_url}/api/v1/imports",
        params=query,
        data=body,
        headers={**headers, "Content-Type": "text/csv"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_spreadsheets_contacts_dry_run_fix_apply_export_and_audit(
    gateway_url: str, make_key: Callable[..., dict[str, str]], admin_headers: dict[str, str]
) -> None:
    sales = make_key("sales")
    tag = uuid.uuid4().hex[:8]
    account = requests.post(
        f"{gateway_url}/api/v1/accounts",
        json={"name": f"شرکت پارس {tag}", "external_id": f"acc-{tag}"},
        headers=sales,
        timeout=10,
    ).json()
    header = ["account_external_id", "external_id", "name", "email", "buying_role",
              "reports_to_email"]  # fmt: skip
    rows = [
        [f"acc-{tag}", f"{tag}-{i}", f"سارا احمدی {i}", f"p{i}.{tag}@client.example", "user",
         "" if i == 0 else f"p{(i - 1) // 10}.{tag}@client.example"]
        for i in range(1000)
    ]  # fmt: skip
    broken = [list(r) for r in rows]
    broken[9][4] = "boss"
    broken[700][5] = "nobody@client.example"

    dry = upload(
        gateway_url, sales, spreadsheet([header, *broken]), kind="contacts", dry_run="true"
    )
    assert [(e["row"], e["column"]) for e in dry["errors"]] == [
        (11, "buying_role"),
        (702, "reports_to_email"),
    ]
    applied = upload(gateway_url, sales, spreadsheet([header, *rows]), kind="contacts")
    assert (applied["status"], applied["created"]) == ("applied", 1000)

    exported = requests.get(
        f"{gateway_url}/api/v1/exports/contacts.csv",
        params={"account_id": account["id"]},
        headers=sales,
        timeout=30,
    )
    back = list(csv.DictReader(io.StringIO(exported.text.removeprefix(BOM), newline="")))
    assert {tuple(r[c] for c in header) for r in back} == {tuple(r) for r in rows}
    again = upload(gateway_url, sales, exported.content, kind="contacts")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1000)

    audit = requests.get(
        f"{gateway_url}/api/v1/audit",
        params={"account_id": account["id"], "resource_type": "contact", "per_page": 1},
        headers=admin_headers,
        timeout=10,
    ).json()
    assert audit["total"] == 1000
    assert audit["items"][0]["actor"]["role"] == "sales"


def test_a_large_file_is_applied_by_the_worker_with_progress_on_the_way(
    gateway_url: str, make_key: Callable[..., dict[str, str]]
) -> None:
    sales = make_key("sales")
    tag = uuid.uuid4().hex[:8]
    rows = [["external_id", "name", "segment"]] + [
        [f"big-{tag}-{i}", f"مصنع {i}", f"seg-{tag}"] for i in range(6000)
    ]

    started = upload(gateway_url, sales, spreadsheet(rows), kind="accounts")

    assert started["status"] == "running"
    seen = {started["progress"]["phase"]}
    deadline = time.monotonic() + 90
    state = started
    while state["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        state = requests.get(
            f"{gateway_url}/api/v1/imports/{started['id']}", headers=sales, timeout=10
        ).json()
        if state["status"] == "running":
            seen.add(state["progress"]["phase"])
    assert (state["status"], state["created"]) == ("applied", 6000), state
    assert "queued" in seen
    listed = requests.get(
        f"{gateway_url}/api/v1/accounts",
        params={"segment": f"seg-{tag}", "per_page": 1},
        headers=sales,
        timeout=10,
    ).json()
    assert listed["total"] == 6000
