"""What makes a health event valid, by type. Dates and order are checked here; shapes and
enumerations by the API schema."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from kam_common.errors import Invalid

# Fields each type may carry besides the common ones.
TYPE_FIELDS = {
    "delivery": {"promised_on", "delivered_on"},
    "quality": {"severity", "resolved_at"},
    "support": {"severity", "opened_at", "resolved_at", "sla_hours"},
    "warning": {"signal", "severity"},
}
REQUIRED = {
    "delivery": ("promised_on",),
    "quality": ("severity",),
    "support": ("severity",),
    "warning": ("signal", "severity"),
}
SEVERITIES = {
    "quality": ("minor", "major", "critical"),
    "support": ("low", "medium", "high", "critical"),
    "warning": ("low", "medium", "high"),
}
TYPED_FIELDS = set().union(*TYPE_FIELDS.values())
# Clocks differ a little; beyond this, a date in the future is a mistake.
CLOCK_SKEW = timedelta(days=1)
# A promise may be made for later, but not for the far future.
PROMISE_HORIZON = timedelta(days=730)


def check_event(data: dict[str, Any], now: datetime) -> None:
    """Refuse, naming the field, anything that does not fit the event's type or the calendar.

    A delivery may arrive before its promised date (it is simply on time).
    """
    kind = data["type"]
    for name in sorted(TYPED_FIELDS - TYPE_FIELDS[kind]):
        if data.get(name) is not None:
            raise Invalid(name, f"Not a field of {kind} events.")
    for name in REQUIRED[kind]:
        if data.get(name) is None:
            raise Invalid(name, f"Required for {kind} events.")
    if kind in SEVERITIES and data["severity"] not in SEVERITIES[kind]:
        raise Invalid("severity", f"One of: {', '.join(SEVERITIES[kind])}.")
    check_times(data, now)


def check_times(data: dict[str, Any], now: datetime) -> None:
    latest = now + CLOCK_SKEW
    occurred_at = data["occurred_at"]
    if occurred_at > latest:
        raise Invalid("occurred_at", "Must not be in the future.")
    _not_after("opened_at", data.get("opened_at"), latest)
    _not_after("resolved_at", data.get("resolved_at"), latest)
    opened = data.get("opened_at") or occurred_at
    resolved = data.get("resolved_at")
    if resolved is not None and resolved < opened:
        field = "opened_at" if data.get("opened_at") else "occurred_at"
        raise Invalid("resolved_at", f"Must not be before {field}.")
    delivered_on: date | None = data.get("delivered_on")
    if delivered_on is not None and delivered_on > latest.date():
        raise Invalid("delivered_on", "Must not be in the future: record deliveries made.")
    promised_on: date | None = data.get("promised_on")
    if promised_on is not None and promised_on > (now + PROMISE_HORIZON).date():
        raise Invalid("promised_on", "More than two years ahead: check the date.")


def _not_after(field: str, value: datetime | None, latest: datetime) -> None:
    if value is not None and value > latest:
        raise Invalid(field, "Must not be in the future.")
