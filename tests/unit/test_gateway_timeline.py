"""Timeline lines for health events and agreements, and the newest-first merge."""

from __future__ import annotations

import pytest

from kam_gateway.timeline import agreement_entries, describe_event, event_entry, merge_newest_first


@pytest.mark.parametrize(
    ("event", "summary"),
    [
        (
            {"type": "delivery", "promised_on": "2026-11-01", "delivered_on": "2026-11-05"},
            "Late delivery: promised 2026-11-01, delivered 2026-11-05",
        ),
        (
            {"type": "delivery", "promised_on": "2026-11-01", "delivered_on": "2026-11-01"},
            "Delivery on time: promised 2026-11-01, delivered 2026-11-01",
        ),
        (
            {"type": "delivery", "promised_on": "2026-11-01", "delivered_on": None},
            "Delivery outstanding: promised 2026-11-01",
        ),
        (
            {"type": "quality", "severity": "critical", "note": "Cracked housings"},
            "Critical quality issue: Cracked housings",
        ),
        (
            {"type": "support", "severity": "high", "resolved_at": "2026-11-02T10:00:00Z"},
            "High support ticket (resolved)",
        ),
        (
            {"type": "warning", "signal": "new_competitor", "severity": "medium"},
            "Warning sign: new competitor (medium)",
        ),
    ],
)
def test_health_events_are_described_in_plain_words(event: dict, summary: str) -> None:
    assert describe_event(event) == summary


def test_a_long_note_is_shortened_in_the_summary_but_kept_whole_in_data() -> None:
    event = {"id": "e-1", "account_id": "a", "type": "quality", "note": "x" * 500}

    entry = event_entry({**event, "occurred_at": "2026-11-01T09:00:00Z"})

    assert len(entry["summary"]) < 250 and entry["summary"].endswith("…")
    assert entry["data"]["note"] == "x" * 500
    assert (entry["type"], entry["id"], entry["at"]) == (
        "health_event",
        "e-1",
        "2026-11-01T09:00:00Z",
    )


def test_agreements_start_and_end_and_unfetched_ones_are_counted_as_both() -> None:
    newest = {
        "id": "ag-2",
        "strategy": "collaborative",
        "status": "active",
        "price": 12000,
        "currency": "EUR",
        "starts_on": "2026-10-01",
        "ended_on": None,
        "created_at": "2026-10-01T08:00:00Z",
    }
    older = {
        "id": "ag-1",
        "strategy": "unbundled",
        "status": "ended",
        "starts_on": "2026-01-01",
        "ended_on": "2026-10-01",
        "created_at": "2026-01-01T08:00:00Z",
    }

    entries, total = agreement_entries([newest, older], total=5)

    assert [e["summary"] for e in entries] == [
        "Collaborative agreement started on 2026-10-01 (12,000.00 EUR a year)",
        "Unbundled agreement started on 2026-01-01",
        "Unbundled agreement ended on 2026-10-01",
    ]
    assert total == 3 + 2 * 3


def test_merge_puts_the_newest_first_whatever_the_offset_or_precision() -> None:
    a = [
        {"id": "a1", "at": "2026-11-02T10:00:00.500000Z"},
        {"id": "a2", "at": "2026-11-01T00:00:00Z"},
    ]
    b = [
        {"id": "b1", "at": "2026-11-02T11:00:00+01:00"},
        {"id": "b2", "at": "2026-11-03T00:00:00Z"},
    ]

    merged = merge_newest_first([a, b])

    assert [e["id"] for e in merged] == ["b2", "a1", "b1", "a2"]


def test_an_agreement_started_and_ended_the_same_day_ends_after_it_starts() -> None:
    same_day = {
        "id": "ag-3",
        "strategy": "flexible",
        "status": "ended",
        "starts_on": "2026-10-01",
        "ended_on": "2026-10-01",
        "created_at": "2026-10-01T09:30:00Z",
    }
    successor = {
        "id": "ag-4",
        "strategy": "collaborative",
        "status": "active",
        "starts_on": "2026-10-01",
        "ended_on": None,
        "created_at": "2026-10-01T11:00:00Z",
    }
    entries, _total = agreement_entries([successor, same_day], total=2)

    merged = merge_newest_first([entries])

    assert [(e["id"], e["data"]["change"]) for e in merged] == [
        ("ag-4", "started"),
        ("ag-3", "ended"),
        ("ag-3", "started"),
    ]
    assert merged[1]["at"] == "2026-10-01T09:30:00Z"  # never before its own start
