"""CSV in and out through the gateway, as a partner system would use it: routing by kind,
roles, the upload limit, and the spreadsheet story of issue 14 (a 1,000-row contacts file with
a BOM and Persian names: dry run, two bad rows fixed, applied, exported back, no difference)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
from support import HttpClient

from kam_common.tabular import MAX_UPLOAD_BYTES

BOM = "\ufeff"
COLUMNS = ["external_id", "account_external_id", "name", "title", "email", "phone",
           "buying_role", "reports_to_email"]  # fmt: skip
FIRST = ["سارا", "رضا", "مینا", "علی", "زهرا", "محمد", "فاطمه", "حسین"]
LAST = ["احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی"]
ROLES = ["decision_maker", "economic_buyer", "technical_buyer", "influencer", "user", "champion"]


@pytest.fixture
def stack(
    make_gateway: Callable[..., HttpClient],
    accounts_service: str,
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
) -> HttpClient:
    return make_gateway(**upstream_tools.config({**echo_upstreams, "accounts": accounts_service}))


def key(stack: HttpClient, role: str, account_ids: list[str] | None = None) -> dict[str, str]:
    from kam_gateway.keys import create_key

    with stack.application.db.session() as session:
        _key, secret = create_key(session=session, name=role, role=role, account_ids=account_ids)
    return {"Authorization": f"Bearer {secret}"}


def spreadsheet(rows: list[list[str]]) -> bytes:
    """What Excel's "CSV UTF-8" writes: a BOM, CRLF line ends."""
    out = io.StringIO()
    csv.writer(out).writerows([COLUMNS, *rows])
    return (BOM + out.getvalue()).encode("utf-8")


def contacts_file(count: int) -> list[list[str]]:
    rows = []
    for i in range(count):
        account = f"acc-{i % 4}"
        # Each account's first ten people report to its first; the rest to one of those ten.
        number = i // 4
        manager = "" if number == 0 else f"p{(number // 10) * 4 + i % 4}@client.example"
        rows.append([
            f"crm-{i}", account, f"{FIRST[i % 8]} {LAST[i % 6]} {i}", "مدیر خرید",
            f"p{i}@client.example", f"+98 21 5555 {i:04d}", ROLES[i % 6], manager,
        ])  # fmt: skip
    return rows


def post_csv(stack: HttpClient, body: bytes, headers: dict[str, str], **query: Any) -> Any:
    return stack.post(
        "/api/v1/imports",
        params=query,
        data=body,
        headers={**headers, "Content-Type": "text/csv"},
    )


def test_a_spreadsheets_thousand_contacts_dry_run_fixed_applied_and_exported_back(
    stack: HttpClient,
) -> None:
    sales = key(stack, "sales")
    for n in range(4):
        made = stack.post(
            "/api/v1/accounts", json={"name": f"شرکت {n}", "external_id": f"acc-{n}"}, headers=sales
        )
        assert made.status_code == 201
    rows = contacts_file(1000)
    broken = [list(row) for row in rows]
    broken[99][6] = "boss"  # row 101: not a buying role
    broken[499][7] = "nobody@client.example"  # row 501: a manager neither in file nor account

    dry = post_csv(stack, spreadsheet(broken), sales, kind="contacts", dry_run="true")

    assert dry.status_code == 201, dry.get_json()
    result = dry.get_json()
    assert (result["status"], result["rows"]) == ("failed", 1000)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [
        (101, "buying_role"),
        (501, "reports_to_email"),
    ]
    assert stack.get("/api/v1/imports/" + result["id"], headers=sales).get_json() == result

    fixed = spreadsheet(rows)
    checked = post_csv(stack, fixed, sales, kind="contacts", dry_run="true").get_json()
    assert (checked["status"], checked["created"], checked["errors"]) == ("validated", 1000, [])
    applied = post_csv(stack, fixed, sales, kind="contacts").get_json()
    assert (applied["status"], applied["created"]) == ("applied", 1000)

    exported = stack.get("/api/v1/exports/contacts.csv", headers=sales)
    assert exported.status_code == 200
    text = exported.get_data(as_text=True)
    assert text.startswith(BOM)
    back = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    original = list(csv.DictReader(io.StringIO(fixed.decode("utf-8")[1:], newline="")))

    def unquoted(value: str) -> str:
        return value[1:] if value.startswith("'+") else value

    as_sent = {r["external_id"]: r for r in original}
    as_back = {r["external_id"]: {c: unquoted(r[c]) for c in COLUMNS} for r in back}
    assert as_back == as_sent  # the diff is empty: every cell came back as it was sent

    again = post_csv(stack, exported.get_data(), sales, kind="contacts").get_json()
    assert (again["status"], again["created"], again["updated"], again["unchanged"]) == (
        "applied", 0, 0, 1000,
    )  # fmt: skip


def test_imports_go_by_role_and_kind(stack: HttpClient) -> None:
    body = spreadsheet([])
    engineer, partner = key(stack, "engineer"), key(stack, "partner", ["a-1"])

    assert post_csv(stack, body, engineer, kind="contacts").status_code == 403
    assert post_csv(stack, body, partner, kind="accounts").status_code == 403
    assert post_csv(stack, body, key(stack, "sales"), kind="planets").status_code == 400
    assert post_csv(stack, body, key(stack, "sales")).status_code == 400  # kind is required


def test_the_upload_limit_is_20_mib_with_a_clear_refusal_and_json_is_refused(
    stack: HttpClient,
) -> None:
    sales = key(stack, "sales")
    big = b"name\n" + b"x" * (MAX_UPLOAD_BYTES + 1)

    too_large = post_csv(stack, big, sales, kind="accounts")
    as_json = stack.post("/api/v1/imports?kind=accounts", json={"name": "x"}, headers=sales)

    assert too_large.status_code == 413
    assert "20 MiB" in too_large.get_json()["detail"]
    assert as_json.status_code == 415
    assert "text/csv" in as_json.get_json()["detail"]


def test_a_partners_export_holds_its_own_accounts_and_no_internal_columns(
    stack: HttpClient,
) -> None:
    sales = key(stack, "sales")
    ids = []
    for n in range(2):
        made = stack.post("/api/v1/accounts", json={"name": f"A{n}"}, headers=sales).get_json()
        stack.post(
            f"/api/v1/accounts/{made['id']}/contacts",
            json={"name": f"P{n}", "notes": "likes golf"},
            headers=sales,
        )
        ids.append(made["id"])
    partner = key(stack, "partner", [ids[0]])

    accounts = stack.get("/api/v1/exports/accounts.csv", headers=partner).get_data(as_text=True)
    contacts = stack.get("/api/v1/exports/contacts.csv", headers=partner).get_data(as_text=True)

    assert ids[0] in accounts and ids[1] not in accounts
    header = contacts[1:].splitlines()[0].split(",")
    assert "notes" not in header and "influence" not in header
    assert "P0" in contacts and "P1" not in contacts and "golf" not in contacts


@pytest.fixture
def queued_stack(
    make_gateway: Callable[..., HttpClient],
    service_client: Callable[..., Any],
    echo_upstreams: dict[str, str],
    upstream_tools: Any,
) -> Any:
    """The stack with an accounts service that queues any file over 5 rows, and its worker."""
    import threading

    from kam_accounts import create_app as create_accounts
    from kam_accounts.api.imports import make_imports
    from kam_accounts.models import Base as AccountsBase

    client = service_client(
        "accounts", create_accounts, AccountsBase.metadata, IMPORT_INLINE_ROWS=5
    )
    app = client.application
    imports, db, stop = make_imports(5), app.extensions["kam_db"], threading.Event()

    def work() -> None:
        while not stop.wait(0.1):
            imports.run_queued(db)

    worker = threading.Thread(target=work, daemon=True)
    with upstream_tools.serve(app) as url:
        stack = make_gateway(**upstream_tools.config({**echo_upstreams, "accounts": url}))
        worker.start()
        yield stack
        stop.set()
        worker.join(5)


def test_kam_import_shows_progress_and_kam_export_writes_the_file(
    queued_stack: HttpClient, tmp_path: Any
) -> None:
    from rich.console import Console

    from kam_cli import transfer
    from kam_cli.main import build_parser

    secret = key(queued_stack, "sales")["Authorization"].removeprefix("Bearer ")
    rows = [["external_id", "name"]] + [[f"e-{i}", f"شرکت {i}"] for i in range(50)]
    source = tmp_path / "accounts.csv"
    source.write_bytes(_csv(rows))
    base = ["--url", queued_stack.base_url, "--key", secret]
    console = Console(file=io.StringIO(), width=120)

    args = build_parser().parse_args(["import", str(source), "--kind", "accounts", *base])
    status = transfer.import_file(args, console)

    said = console.file.getvalue()  # type: ignore[attr-defined]
    assert status == 0, said
    assert "applied: 50 rows, 50 created" in said
    assert "sending accounts.csv" in said
    assert "applied" in said.splitlines()[1]  # the second bar followed the worker to the end

    target = tmp_path / "out.csv"
    args = build_parser().parse_args(["export", "accounts", "-o", str(target), *base])
    assert transfer.export_file(args, console) == 0
    assert target.read_text(encoding="utf-8").count("شرکت") == 50

    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([["external_id", "name", "tier"], ["e-1", "x", "gold"]]))
    args = build_parser().parse_args(["import", str(bad), "--kind", "accounts", *base])
    assert transfer.import_file(args, console) == 1
    assert "tier" in console.file.getvalue()  # type: ignore[attr-defined]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def test_the_import_page_checks_a_file_shows_each_bad_row_then_applies_it(
    stack: HttpClient,
) -> None:
    import re

    from test_gateway_people import person, sign_in

    sales = sign_in(stack, person(stack, "sales"))
    page = sales.get(stack.base_url + "/imports", timeout=10)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert "/api/v1/exports/accounts.csv" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    rows = [["external_id", "name", "tier"], ["x-1", "شرکت یک", "key"], ["x-2", "Two", "gold"]]

    def send(body: bytes, **form: str) -> requests.Response:
        return sales.post(
            stack.base_url + "/imports",
            data={"csrf_token": token, "kind": "accounts", "mode": "create_or_update", **form},
            files={"file": ("accounts.csv", body, "text/csv")},
            timeout=30,
        )

    checked = send(_csv(rows), dry_run="1")
    assert checked.status_code == 200, checked.text[:500]
    assert "<td>3</td><td><bdi>tier</bdi></td>" in checked.text
    good = send(_csv(rows[:2]), dry_run="1")
    apply_to = re.search(r'action="(/imports/[^"]+/apply)"', good.text)
    assert apply_to, good.text[:800]
    applied = sales.post(stack.base_url + apply_to.group(1), data={"csrf_token": token}, timeout=30)
    assert applied.status_code == 200
    assert "applied" in applied.text
    exported = sales.get(stack.base_url + "/api/v1/exports/accounts.csv", timeout=10)
    assert exported.status_code == 200 and "شرکت یک" in exported.text
    forged = sales.post(
        stack.base_url + "/imports",
        data={"kind": "accounts"},
        files={"file": ("a.csv", b"name\nx\n", "text/csv")},
        timeout=10,
    )
    assert forged.status_code == 403  # no CSRF token: nothing imported
    engineer = sign_in(stack, person(stack, "engineer", "eng@example.com"))
    engineers = engineer.get(stack.base_url + "/imports", timeout=10)
    assert engineers.status_code == 200
    assert '<option value="events"' in engineers.text
    assert '<option value="accounts"' not in engineers.text  # engineers import events only
    partner = sign_in(stack, person(stack, "partner", "p@example.com", account_ids=["a"]))
    assert partner.get(stack.base_url + "/imports", timeout=10).status_code == 403
