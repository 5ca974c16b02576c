"""Timeline entries for what the accounts service does not know: health events, agreements.

Plain Python (no Flask): entries are `{"type", "at", "id", "summary", "data"}` like the accounts
service's own, with the summary in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

ACCOUNT_ENTRY_TYPES = frozenset({"account", "interaction", "purchase", "contact_change"})
ENTRY_TYPES = (
    "account",
    "interaction",
    "purchase",
    "contact_change",
    "health_event",
    "agreement",
    "audit",
)
ALL_TYPES = frozenset(ENTRY_TYPES)
NOTE_CHARS = 200  # the summary quotes a note up to this long; `data` has it whole

_SIGNAL_WORDS = {
    "market_change": "market change",
    "new_competitor": "new competitor",
    "new_technology": "new technology",
    "cost_pressure": "cost pressure",
    "needs_change": "changing needs",
    "champion_left": "champion left",
    "engagement_drop": "engagement drop",
    "other": "other",
}
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _note(event: dict[str, Any]) -> str:
    note = (event.get("note") or "").strip()
    return note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 1] + "…"


def describe_event(event: dict[str, Any]) -> str:
    """E.g. "Late delivery: promised 2026-11-01, delivered 2026-11-05"."""
    kind = event.get("type")
    severity = (event.get("severity") or "").capitalize()
    if kind == "delivery":
        promised, delivered = event.get("promised_on"), event.get("delivered_on")
        if delivered:
            # ISO dates compare as strings.
            late = promised is not None and delivered > promised
            text = f"{'Late delivery' if late else 'Delivery on time'}: promised {promised}, "
            text += f"delivered {delivered}"
        else:
            text = f"Delivery outstanding: promised {promised}"
    elif kind == "quality":
        text = f"{severity or 'A'} quality issue".strip()
        if event.get("resolved_at"):
            text += " (resolved)"
    elif kind == "support":
        text = f"{severity or 'A'} support ticket".strip()
        if event.get("resolved_at"):
            text += " (resolved)"
    elif kind == "warning":
        signal = _SIGNAL_WORDS.get(event.get("signal") or "", event.get("signal") or "unknown")
        text = f"Warning sign: {signal}"
        if severity:
            text += f" ({severity.lower()})"
    else:
        text = f"{str(kind).capitalize()} event"
    note = _note(event)
    return f"{text}: {note}" if note else text


def event_entry(event: dict[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in event.items() if key not in ("id", "account_id")}
    return {
        "type": "health_event",
        "at": event.get("occurred_at"),
        "id": event.get("id"),
        "summary": describe_event(event),
        "data": data,
    }


_RESOURCE_WORDS = {"health_event": "health event", "team_member": "team member"}


def audit_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """An audit entry on the timeline: "Sara Ahmadi (sales) updated account: name, tier"."""
    actor = entry.get("actor") or {}
    who = actor.get("name") or actor.get("id") or "someone"
    if actor.get("role"):
        who += f" ({actor['role']})"
    resource = (entry.get("resource") or {}).get("type") or "record"
    what = _RESOURCE_WORDS.get(resource, resource.replace("_", " "))
    text = f"{who} {entry.get('action') or 'changed'} {what}"
    fields = sorted(entry.get("changes") or {})
    if fields and entry.get("action") == "updated":
        text += ": " + ", ".join(fields)
    return {
        "type": "audit",
        "at": entry.get("at"),
        "id": entry.get("id"),
        "summary": text,
        "data": entry,
    }


def _money(agreement: dict[str, Any]) -> str:
    price = agreement.get("price")
    if not isinstance(price, int | float):
        return ""
    return f" ({price:,.2f} {agreement.get('currency') or 'USD'} a year)"


def agreement_entries(
    agreements: list[dict[str, Any]], total: int
) -> tuple[list[dict[str, Any]], int]:
    """A "started" entry per agreement and an "ended" one for each that ended, and how many
    entries all the account's agreements make (`agreements` are the newest of `total`).

    Only the newest agreement can still be active (accepting a proposal ends the previous
    one), so every agreement not fetched counts as started and ended.
    """
    entries = []
    for agreement in agreements:
        strategy = str(agreement.get("strategy") or "").capitalize() or "An"
        data = {
            key: agreement.get(key)
            for key in ("proposal_id", "strategy", "status", "price", "currency")
        }
        starts_on, ended_on = agreement.get("starts_on"), agreement.get("ended_on")
        started_at = agreement.get("created_at") or f"{starts_on}T00:00:00Z"
        entries.append(
            {
                "type": "agreement",
                "at": started_at,
                "id": agreement.get("id"),
                "summary": f"{strategy} agreement started on {starts_on}{_money(agreement)}",
                "data": {**data, "change": "started", "starts_on": starts_on},
            }
        )
        if ended_on:
            # An agreement ended the day it started ended after it started, not at midnight.
            ended_at = f"{ended_on}T00:00:00Z"
            if _moment({"at": ended_at}) < _moment({"at": started_at}):
                ended_at = started_at
            entries.append(
                {
                    "type": "agreement",
                    "at": ended_at,
                    "id": agreement.get("id"),
                    "summary": f"{strategy} agreement ended on {ended_on}",
                    "data": {**data, "change": "ended", "ended_on": ended_on},
                }
            )
    not_fetched = max(0, total - len(agreements))
    return entries, len(entries) + 2 * not_fetched


def _moment(entry: dict[str, Any]) -> datetime:
    try:
        moment = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return _EPOCH
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ended(entry: dict[str, Any]) -> int:
    data = entry.get("data")
    return int(isinstance(data, dict) and data.get("change") == "ended")


def merge_newest_first(sources: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """All entries, newest first; ties broken by id (descending), like the accounts service,
    and an agreement's end above its start at the same moment."""
    keyed = [
        ((_moment(entry), str(entry.get("id") or ""), _ended(entry)), n, entry)
        for n, source in enumerate(sources)
        for entry in source
    ]
    keyed.sort(key=lambda item: item[0], reverse=True)
    return [entry for _key, _n, entry in keyed]
