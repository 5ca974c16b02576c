"""Health events in and out as CSV (API.md, "Data in and out"), on a real database."""

from __future__ import annotations

import csv
import io
from typing import Any

from kam_common.scope import ROLE_HEADER

BOM = "\ufeff"


def csv_bytes(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return (BOM + out.getvalue()).encode()


def post_csv(client, body: bytes, role: str | None = None, **query: Any):
    params = "&".join(f"{k}={v}" for k, v in {"kind": "events", **query}.items())
    headers = {ROLE_HEADER: role} if role else {}
    return client.post(
        f"/api/v1/imports?{params}", data=body, content_type="text/csv", headers=headers
    )


HEADER = ["account_id", "type", "occurred_at", "external_ref", "promised_on", "delivered_on",
          "severity", "signal", "note"]  # fmt: skip


def test_events_import_score_and_export_back_unchanged(client, make_account) -> None:
    account = make_account(name="شرکت فولاد")
    a = account["id"]
    rows = [
        HEADER,
        [a, "delivery", "2026-11-01T09:00:00Z", "d-1", "2026-11-01", "2026-11-09", "", "", "دیر"],
        [a, "quality", "2026-11-03T09:00:00Z", "q-1", "", "", "critical", "", ""],
        [a, "warning", "2026-11-04T09:00:00Z", "w-1", "", "", "high", "new_competitor", ""],
    ]

    result = post_csv(client, csv_bytes(rows)).get_json()

    assert (result["status"], result["created"], result["errors"]) == ("applied", 3, []), result
    listed = client.get(f"/api/v1/health/events?account_id={a}").get_json()["items"]
    assert {e["external_ref"]: e["note"] for e in listed}["d-1"] == "دیر"
    alerts = client.get(f"/api/v1/health/alerts?account_id={a}").get_json()["items"]
    assert alerts, "a critical quality issue raises an alert, as when logged through the API"

    exported = client.get(f"/api/v1/exports/events.csv?account_id={a}")
    assert exported.status_code == 200
    again = post_csv(client, exported.data).get_json()
    assert (again["status"], again["created"], again["updated"], again["unchanged"]) == (
        "applied", 0, 0, 3,
    )  # fmt: skip
    assert client.get(f"/api/v1/exports/events.csv?account_id={a}").data == exported.data


def test_a_reimport_by_external_ref_records_a_delivery_but_changes_nothing_else(
    client, make_account
) -> None:
    a = make_account()["id"]
    first = [HEADER, [a, "delivery", "2026-11-01T09:00:00Z", "d-1", "2026-11-05", "", "", "", ""]]
    post_csv(client, csv_bytes(first))

    delivered = [HEADER, [a, "delivery", "2026-11-01T09:00:00Z", "d-1", "2026-11-05",
                          "2026-11-07", "", "", ""]]  # fmt: skip
    moved = [HEADER, [a, "delivery", "2026-11-01T09:00:00Z", "d-1", "2026-11-20", "", "", "", ""]]

    updated = post_csv(client, csv_bytes(delivered)).get_json()
    refused = post_csv(client, csv_bytes(moved)).get_json()

    assert (updated["status"], updated["created"], updated["updated"]) == ("applied", 0, 1)
    (event,) = client.get(f"/api/v1/health/events?account_id={a}").get_json()["items"]
    assert event["delivered_on"] == "2026-11-07"
    assert refused["status"] == "failed"
    assert refused["errors"][0]["column"] == "promised_on"


def test_bad_event_rows_are_each_named_and_nothing_is_stored(client, make_account) -> None:
    a = make_account()["id"]
    rows = [
        HEADER,
        [a, "delivery", "2026-11-01T09:00:00Z", "d-1", "", "", "", "", ""],  # no promised_on
        [a, "quality", "2026-11-01T09:00:00Z", "q-1", "", "", "catastrophic", "", ""],
        ["no-such-account", "warning", "", "w-1", "", "", "low", "other", ""],
        [a, "warning", "2026-11-01T09:00:00Z", "w-2", "", "", "low", "other", "=cmd()"],
        [a, "warning", "2026-11-01T09:00:00Z", "w-3", "", "", "low", "other", ""],
        [a, "warning", "2026-11-01T09:00:00Z", "w-3", "", "", "low", "other", ""],
    ]

    result = post_csv(client, csv_bytes(rows), dry_run="true").get_json()

    named = [(e["row"], e["column"]) for e in result["errors"]]
    assert named == [
        (2, "promised_on"), (3, "severity"), (4, "account_id"), (5, "note"), (7, "external_ref"),
    ]  # fmt: skip
    assert client.get("/api/v1/health/events").get_json()["total"] == 0


def test_a_role_imports_only_the_types_it_may_log(client, make_account) -> None:
    a = make_account()["id"]
    rows = [HEADER, [a, "quality", "2026-11-01T09:00:00Z", "q-1", "", "", "minor", "", ""]]

    by_sales = post_csv(client, csv_bytes(rows), role="sales").get_json()
    by_engineer = post_csv(client, csv_bytes(rows), role="engineer").get_json()

    assert by_sales["status"] == "failed"
    assert by_sales["errors"][0]["column"] == "type"
    assert by_engineer["status"] == "applied"


def test_imported_events_are_in_the_audit_trail_as_their_importers(client, make_account) -> None:
    a = make_account()["id"]
    rows = [HEADER, [a, "warning", "2026-11-01T09:00:00Z", "w-1", "", "", "low", "other", ""]]
    client.post(
        "/api/v1/imports?kind=events",
        data=csv_bytes(rows),
        content_type="text/csv",
        headers={"X-KAM-Client": "key-4", "X-KAM-Role": "sales", "X-Request-ID": "req-e-1"},
    )

    (entry,) = client.get("/internal/audit", query_string={"account_id": a}).get_json()["items"]
    assert (entry["action"], entry["resource"]["type"]) == ("created", "health_event")
    assert (entry["actor"]["id"], entry["request_id"]) == ("key-4", "req-e-1")
    assert entry["changes"]["signal"] == [None, "other"]
