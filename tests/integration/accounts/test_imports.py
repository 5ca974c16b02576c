"""CSV import and export of accounts and contacts (API.md, "Data in and out"), on a real DB."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from kam_accounts import create_app
from kam_accounts.api.imports import _imports
from kam_accounts.models import Base
from kam_common.tabular import MAX_UPLOAD_BYTES

BOM = "\ufeff"


def csv_bytes(rows: list[list[Any]], *, bom: bool = True, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerows(rows)
    return ((BOM if bom else "") + out.getvalue()).encode()


def parse(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def post_csv(client, body: bytes, **query: Any):
    params = "&".join(f"{k}={v}" for k, v in {"kind": "accounts", **query}.items())
    return client.post(f"/api/v1/imports?{params}", data=body, content_type="text/csv")


def accounts_in(client) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/accounts?per_page=100&status=all")
    return answer.get_json()["items"]


ACCOUNTS = [
    ["external_id", "name", "tier", "orientation", "annual_revenue", "currency", "needs"],
    ["crm-1", "شرکت فولاد مبارکه", "strategic", "relational", "1250000.50", "USD",
     "steel; logistics"],
    ["crm-2", "Acme GmbH", "key", "mixed", "0", "EUR", ""],
    ["crm-3", "مصنع الرياض", "standard", "transactional", "99.99", "USD", "cost"],
]  # fmt: skip


def test_accounts_import_then_export_then_import_changes_nothing(client) -> None:
    answer = post_csv(client, csv_bytes(ACCOUNTS))
    assert answer.status_code == 201, answer.get_json()
    result = answer.get_json()
    assert result["status"] == "applied"
    assert (result["rows"], result["created"], result["updated"], result["errors"]) == (3, 3, 0, [])

    stored = {a["external_id"]: a for a in accounts_in(client)}
    assert stored["crm-1"]["name"] == "شرکت فولاد مبارکه"  # Persian intact
    assert stored["crm-3"]["name"] == "مصنع الرياض"  # Arabic intact
    assert stored["crm-1"]["needs"] == ["steel", "logistics"]
    assert stored["crm-1"]["annual_revenue"] == 1250000.5

    exported = client.get("/api/v1/exports/accounts.csv")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    rows = parse(exported.data)
    assert {r["external_id"]: r["name"] for r in rows}["crm-1"] == "شرکت فولاد مبارکه"

    again = post_csv(client, exported.data).get_json()
    assert (again["status"], again["created"], again["updated"], again["unchanged"]) == (
        "applied", 0, 0, 3,
    )  # fmt: skip
    assert client.get("/api/v1/exports/accounts.csv").data == exported.data


def test_a_second_import_updates_by_external_id_instead_of_duplicating(client) -> None:
    post_csv(client, csv_bytes(ACCOUNTS))
    changed = csv_bytes([["external_id", "name", "tier"], ["crm-2", "Acme AG", "strategic"]])

    result = post_csv(client, changed).get_json()

    assert (result["created"], result["updated"]) == (0, 1)
    stored = {a["external_id"]: a for a in accounts_in(client)}
    assert len(stored) == 3
    assert (stored["crm-2"]["name"], stored["crm-2"]["tier"]) == ("Acme AG", "strategic")
    assert stored["crm-2"]["currency"] == "EUR"  # a column not in the file is left alone
    assert stored["crm-2"]["version"] == 2


def test_a_dry_run_names_every_bad_row_and_stores_nothing(client) -> None:
    rows = [
        ["external_id", "name", "tier", "annual_revenue"],
        ["x-1", "Good", "key", "10"],
        ["x-2", "Bad tier", "platinum", "10"],
        ["x-3", "Bad money", "key", "lots"],
        ["x-1", "Repeated", "key", "10"],
        ["x-5", '=HYPERLINK("http://evil.example","click")', "key", "1"],
        ["x-6", "", "key", "1"],
    ]

    result = post_csv(client, csv_bytes(rows), dry_run="true").get_json()

    assert result["status"] == "failed"
    named = {(e["row"], e["column"]) for e in result["errors"]}
    assert named == {
        (3, "tier"),
        (4, "annual_revenue"),
        (5, "external_id"),
        (6, "name"),
        (7, "name"),
    }
    assert "formula" in next(e for e in result["errors"] if e["row"] == 6)["message"]
    assert accounts_in(client) == []

    fixed = [rows[0], rows[1], ["x-2", "Bad tier", "key", "10"]]
    checked = post_csv(client, csv_bytes(fixed), dry_run="true").get_json()
    assert (checked["status"], checked["created"], checked["errors"]) == ("validated", 2, [])
    assert accounts_in(client) == []


def test_an_apply_with_one_bad_row_stores_nothing(client) -> None:
    rows = [["name", "tier"], ["One", "key"], ["Two", "gold"]]

    result = post_csv(client, csv_bytes(rows)).get_json()

    assert result["status"] == "failed"
    assert result["errors"] == [
        {"row": 3, "column": "tier", "message": result["errors"][0]["message"]}
    ]
    assert accounts_in(client) == []
    assert client.get(f"/api/v1/imports/{result['id']}").get_json()["status"] == "failed"


@pytest.mark.parametrize(
    ("body", "named", "words"),
    [
        (csv_bytes([["name", "tier"], ["A", "key"]], delimiter=";"), "file", "separated by ';'"),
        (csv_bytes([["name", "tier"], ["A", "key"]], delimiter="\t"), "file", "separated by tabs"),
        (csv_bytes([["tier"], ["key"]]), "name", "Missing required column"),
        (csv_bytes([["name", "colour"], ["A", "red"]]), "colour", "Unknown column"),
        ("name\nAcme\n".encode("utf-16"), "file", "not UTF-8"),
        (b"", "file", "empty"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_saying_why(
    client, body: bytes, named: str, words: str
) -> None:
    answer = post_csv(client, body)

    assert answer.status_code == 422
    problem = answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert words in problem["errors"][named][0]


def test_modes_refuse_a_silent_new_record_or_a_silent_change(client) -> None:
    post_csv(client, csv_bytes(ACCOUNTS))
    rows = csv_bytes([["external_id", "name"], ["crm-1", "Renamed"], ["crm-9", "New"]])

    update_only = post_csv(client, rows, mode="update_only").get_json()
    create_only = post_csv(client, rows, mode="create_only").get_json()

    assert [(e["row"], e["column"]) for e in update_only["errors"]] == [(3, "external_id")]
    assert "update_only" in update_only["errors"][0]["message"]
    assert [(e["row"], e["column"]) for e in create_only["errors"]] == [(2, "external_id")]
    assert len(accounts_in(client)) == 3
    assert post_csv(client, rows, mode="banana").status_code == 400


def test_formula_like_cells_are_neutralised_on_export_and_come_back_as_they_were(
    client, make_account
) -> None:
    risky = '=HYPERLINK("http://evil.example","click")'
    made = make_account(name=risky, segment="+cmd|' /C calc'!A0", country="@SUM(1)")

    rows = parse(client.get("/api/v1/exports/accounts.csv").data)

    assert rows[0]["name"] == "'" + risky
    assert rows[0]["segment"].startswith("'+")
    assert rows[0]["country"] == "'@SUM(1)"
    body = client.get("/api/v1/exports/accounts.csv").data
    result = post_csv(client, body).get_json()
    assert (result["status"], result["unchanged"]) == ("applied", 1)
    assert client.get(f"/api/v1/accounts/{made['id']}").get_json()["name"] == risky


def test_a_phone_number_with_a_plus_is_no_formula(client, make_account) -> None:
    account = make_account(name="Tehran Steel")
    body = csv_bytes([["account_id", "name", "phone"], [account["id"], "Sara", "+98 21 5555 0101"]])

    result = post_csv(client, body, kind="contacts").get_json()

    assert result["status"] == "applied", result
    exported = parse(client.get("/api/v1/exports/contacts.csv").data)
    assert exported[0]["phone"] == "'+98 21 5555 0101"  # neutralised for the spreadsheet
    again = post_csv(client, client.get("/api/v1/exports/contacts.csv").data, kind="contacts")
    assert again.get_json()["unchanged"] == 1


def test_export_takes_the_list_filters(client) -> None:
    post_csv(client, csv_bytes(ACCOUNTS))

    strategic = parse(client.get("/api/v1/exports/accounts.csv?tier=strategic").data)

    assert [r["external_id"] for r in strategic] == ["crm-1"]
    assert client.get("/api/v1/exports/accounts.csv?tier=gold").status_code == 400
    assert client.get("/api/v1/exports/accounts.csv?colour=red").status_code == 400


def test_external_id_is_unique_through_the_json_api_too(client, make_account) -> None:
    make_account(name="One", external_id="crm-1")

    answer = client.post("/api/v1/accounts", json={"name": "Two", "external_id": "crm-1"})

    assert answer.status_code == 409
    assert "external_id" in answer.get_json()["errors"]
    found = client.get("/api/v1/accounts?external_id=crm-1").get_json()
    assert [a["name"] for a in found["items"]] == ["One"]


CONTACT_HEADER = ["account_external_id", "external_id", "name", "email", "buying_role",
                  "reports_to_email"]  # fmt: skip


def test_contacts_with_reporting_lines_by_email_in_the_file_or_the_account(
    client, make_account, make_contact
) -> None:
    account = make_account(name="Pars Oil", external_id="acc-1")
    boss = make_contact(account["id"], name="مدیر عامل", email="ceo@pars.example")
    rows = [
        CONTACT_HEADER,
        ["acc-1", "c-2", "Reza", "reza@pars.example", "champion", "ceo@pars.example"],
        ["acc-1", "c-3", "Mina", "mina@pars.example", "user", "reza@pars.example"],
    ]

    result = post_csv(client, csv_bytes(rows), kind="contacts").get_json()

    assert (result["status"], result["created"]) == ("applied", 2), result
    chart = client.get(f"/api/v1/accounts/{account['id']}/org-chart").get_json()
    (root,) = chart["roots"]
    assert root["id"] == boss["id"]
    assert [r["name"] for r in root["reports"]] == ["Reza"]
    assert [r["name"] for r in root["reports"][0]["reports"]] == ["Mina"]


def test_a_manager_nobody_knows_and_a_loop_are_named(client, make_account) -> None:
    make_account(name="Pars Oil", external_id="acc-1")
    rows = [
        CONTACT_HEADER,
        ["acc-1", "c-1", "A", "a@x.example", "user", "b@x.example"],
        ["acc-1", "c-2", "B", "b@x.example", "user", "a@x.example"],
        ["acc-1", "c-3", "C", "c@x.example", "user", "nobody@x.example"],
        ["acc-9", "c-4", "D", "d@x.example", "user", ""],
    ]

    result = post_csv(client, csv_bytes(rows), kind="contacts", dry_run="true").get_json()

    named = {(e["row"], e["column"]) for e in result["errors"]}
    assert (4, "reports_to_email") in named
    assert (5, "account_external_id") in named
    assert {2, 3} & {row for row, column in named if column == "reports_to_id"}


def test_a_large_file_runs_in_the_worker_with_progress(service_client) -> None:
    client = service_client("accounts", create_app, Base.metadata, IMPORT_INLINE_ROWS=10)
    rows = [["external_id", "name"]] + [[f"e-{i}", f"شرکت {i}"] for i in range(40)]

    started = post_csv(client, csv_bytes(rows)).get_json()

    assert started["status"] == "running"
    assert started["progress"]["phase"] == "queued"
    assert accounts_in(client) == []
    with client.application.app_context():
        imports = _imports()
        db = client.application.extensions["kam_db"]
        assert imports.run_queued(db) == f"import {started['id']} done"
        assert imports.run_queued(db) is None
    done = client.get(f"/api/v1/imports/{started['id']}").get_json()
    assert (done["status"], done["created"]) == ("applied", 40)
    assert "progress" not in done
    assert len(client.get("/api/v1/accounts?per_page=100").get_json()["items"]) == 40


def test_a_file_over_the_limit_is_a_413_and_json_a_415(client) -> None:
    big = b"name\n" + b"x" * (MAX_UPLOAD_BYTES + 1)

    too_large = post_csv(client, big)
    as_json = client.post("/api/v1/imports?kind=accounts", json={"name": "A"})

    assert too_large.status_code == 413
    assert "20 MiB" in too_large.get_json()["detail"]
    assert as_json.status_code == 415
    assert client.get("/api/v1/imports/acc_nothing").status_code == 404


def test_purchases_import_once_and_export_back_unchanged(client, make_account) -> None:
    account = make_account(name="Pars Oil", external_id="acc-1")
    archived = make_account(name="Gone")
    client.delete(f"/api/v1/accounts/{archived['id']}")
    rows = [
        [
            "account_external_id",
            "account_id",
            "product_line",
            "description",
            "amount",
            "occurred_on",
        ],
        ["acc-1", "", "pumps", "دو پمپ", "1200.50", "2026-11-01"],
        ["acc-1", "", "valves", "", "80", "2026-11-02"],
        ["", archived["id"], "valves", "", "80", "2026-11-02"],
        ["acc-1", "", "valves", "", "0", "2026-11-02"],
        ["acc-1", "", "valves", "", "10", "2999-01-01"],
    ]

    bad = post_csv(client, csv_bytes(rows), kind="purchases").get_json()

    assert [(e["row"], e["column"]) for e in bad["errors"]] == [
        (4, "account_id"), (5, "amount"), (6, "occurred_on"),
    ]  # fmt: skip
    good = post_csv(client, csv_bytes(rows[:3]), kind="purchases").get_json()
    assert (good["status"], good["created"]) == ("applied", 2)
    listed = client.get(f"/api/v1/accounts/{account['id']}/purchases").get_json()["items"]
    assert {p["description"] for p in listed} == {"دو پمپ", None}

    exported = client.get("/api/v1/exports/purchases.csv?product_line=pumps")
    (row,) = parse(exported.data)
    assert (row["account_external_id"], row["amount"], row["occurred_on"]) == (
        "acc-1", "1200.50", "2026-11-01",
    )  # fmt: skip
    everything = client.get("/api/v1/exports/purchases.csv").data
    again = post_csv(client, everything, kind="purchases").get_json()
    assert (again["status"], again["created"], again["unchanged"]) == ("applied", 0, 2)
    changed = everything.replace(b"1200.50", b"1300.00")
    refused = post_csv(client, changed, kind="purchases").get_json()
    assert refused["status"] == "failed"
    assert "not changed" in refused["errors"][0]["message"]


SALES = {
    "X-KAM-Client": "key-9",
    "X-KAM-Client-Name": "CRM%20sync",
    "X-KAM-Role": "sales",
    "X-Request-ID": "req-import-1",
}


def test_an_import_leaves_the_same_audit_trail_as_the_api(client) -> None:
    body = csv_bytes(ACCOUNTS[:2])
    client.post("/api/v1/imports?kind=accounts", data=body, content_type="text/csv", headers=SALES)
    changed = csv_bytes([["external_id", "tier"], ["crm-1", "key"]])
    client.post(
        "/api/v1/imports?kind=accounts&mode=update_only",
        data=changed,
        content_type="text/csv",
        headers=SALES,
    )

    (account,) = accounts_in(client)
    entries = client.get("/internal/audit", query_string={"account_id": account["id"]})
    update, creation = entries.get_json()["items"]
    assert creation["action"] == "created"
    assert creation["actor"] == {"type": "key", "id": "key-9", "name": "CRM sync", "role": "sales"}
    assert creation["request_id"] == "req-import-1"
    assert creation["changes"]["name"] == [None, "شرکت فولاد مبارکه"]
    assert "name_folded" not in creation["changes"] and "version" not in creation["changes"]
    assert update["changes"] == {"tier": ["strategic", "key"]}


def test_a_large_import_run_by_the_worker_is_the_importers_in_the_trail(service_client) -> None:
    client = service_client("accounts", create_app, Base.metadata, IMPORT_INLINE_ROWS=1)
    rows = [["external_id", "name"], ["e-1", "One"], ["e-2", "Two"], ["e-3", "Three"]]
    client.post(
        "/api/v1/imports?kind=accounts",
        data=csv_bytes(rows),
        content_type="text/csv",
        headers=SALES,
    )
    with client.application.app_context():
        _imports().run_queued(client.application.extensions["kam_db"])

    entries = client.get("/internal/audit").get_json()["items"]
    assert len(entries) == 3
    assert {e["actor"]["id"] for e in entries} == {"key-9"}
    assert {e["request_id"] for e in entries} == {"req-import-1"}


def test_a_retried_import_with_its_idempotency_key_creates_nothing_more(client) -> None:
    body = csv_bytes(ACCOUNTS)
    headers = {**SALES, "Idempotency-Key": "import-once"}

    def send(data: bytes):
        return client.post(
            "/api/v1/imports?kind=accounts", data=data, content_type="text/csv", headers=headers
        )

    first, again = send(body), send(body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(accounts_in(client)) == 3
    assert send(csv_bytes(ACCOUNTS[:2])).status_code == 409  # the same key, another file


def test_an_import_left_running_by_a_stopped_worker_fails_instead_of_waiting_for_ever(
    service_client,
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from kam_accounts.models import imports
    from kam_common.db import utcnow

    client = service_client("accounts", create_app, Base.metadata, IMPORT_INLINE_ROWS=1)
    rows = [["name"], ["One"], ["Two"], ["Three"]]
    started = post_csv(client, csv_bytes(rows)).get_json()
    db = client.application.extensions["kam_db"]
    with db.session() as session:  # a worker claimed it an hour ago, then died
        session.execute(update(imports).values(claimed_at=utcnow() - timedelta(hours=1)))
        session.commit()
    with client.application.app_context():
        assert _imports().run_queued(db) is None

    state = client.get(f"/api/v1/imports/{started['id']}").get_json()
    assert state["status"] == "failed"
    assert "broke off" in state["errors"][0]["message"]
    assert accounts_in(client) == []


def test_a_group_comes_in_by_parent_external_id_and_a_loop_is_named(client) -> None:
    rows = [
        ["external_id", "name", "parent_external_id"],
        ["sub-1", "Subsidiary One", "hold"],  # its parent comes later in the file
        ["hold", "Holding", ""],
        ["sub-2", "Subsidiary Two", "hold"],
    ]

    result = post_csv(client, csv_bytes(rows)).get_json()

    assert (result["status"], result["created"]) == ("applied", 3), result
    stored = {a["external_id"]: a for a in accounts_in(client)}
    assert stored["sub-1"]["parent_id"] == stored["hold"]["id"]
    exported = client.get("/api/v1/exports/accounts.csv").data
    assert {r["external_id"]: r["parent_external_id"] for r in parse(exported)}["sub-2"] == "hold"
    assert post_csv(client, exported).get_json()["unchanged"] == 3

    looped = csv_bytes([["external_id", "parent_external_id"], ["hold", "sub-1"]])
    refused = post_csv(client, looped, mode="update_only").get_json()
    assert refused["status"] == "failed"
    assert refused["errors"][0]["column"] == "parent_id"
    assert "loop" in refused["errors"][0]["message"]
    unknown = csv_bytes([["external_id", "parent_external_id"], ["sub-2", "nobody"]])
    named = post_csv(client, unknown, mode="update_only").get_json()["errors"]
    assert [(e["row"], e["column"]) for e in named] == [(2, "parent_external_id")]


def test_a_good_dry_run_is_applied_without_sending_the_file_again_once_only(client) -> None:
    checked = post_csv(client, csv_bytes(ACCOUNTS), dry_run="true").get_json()
    assert checked["status"] == "validated"
    assert accounts_in(client) == []

    applied = client.post(f"/api/v1/imports/{checked['id']}/apply", headers=SALES)
    twice = client.post(f"/api/v1/imports/{checked['id']}/apply", headers=SALES)

    assert applied.status_code == 201
    assert (applied.get_json()["status"], applied.get_json()["created"]) == ("applied", 3)
    assert applied.get_json()["id"] != checked["id"]
    assert len(accounts_in(client)) == 3
    assert twice.status_code == 409
    bad = post_csv(client, csv_bytes([["name", "tier"], ["A", "gold"]]), dry_run="true")
    assert client.post(f"/api/v1/imports/{bad.get_json()['id']}/apply").status_code == 409
    assert client.post("/api/v1/imports/acc_nothing/apply").status_code == 404
