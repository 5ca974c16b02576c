"""When to alert, how loudly, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kam_health.domain.vocabulary import BANDS

NEXT_STEPS = {
    "delivery": "Review the delivery schedule with the implementation engineer and call the "
    "client about the late deliveries.",
    "quality": "Send a quality engineer to visit the client and agree a corrective action plan.",
    "support": "Escalate the open tickets to a service engineer and review the SLA with the "
    "client.",
    "commitment": "Arrange an executive sponsor meeting to re-engage the decision-makers.",
}
_COMPONENT_OF_TYPE = {
    "delivery": "delivery",
    "quality": "quality",
    "support": "support",
    "warning": "commitment",
}
_BAND_SEVERITY = {"watch": "medium", "at_risk": "high", "critical": "critical"}


@dataclass(frozen=True)
class Raised:
    cause: str
    severity: str
    message: str
    suggested_action: str
    event_id: str | None = None
    reopens: bool = True


def worse(old_band: str | None, new_band: str) -> bool:
    return old_band is not None and BANDS.index(new_band) > BANDS.index(old_band)


def band_worsened(
    old_band: str,
    new_band: str,
    old_score: float,
    new_score: float,
    drivers: list[dict[str, Any]],
) -> Raised:
    main = drivers[0] if drivers else None
    message = f"Health fell from {old_band} to {new_band} ({old_score:g} → {new_score:g})."
    if main:
        message += f" Main driver, {main['component']}: {main['reason']}"
    action = NEXT_STEPS[main["component"]] if main else NEXT_STEPS["commitment"]
    return Raised("band_worsened", _BAND_SEVERITY[new_band], message, action)


def is_critical(event: dict[str, Any]) -> bool:
    """Events serious enough to alert on their own, whatever the score does."""
    severity = event.get("severity")
    if event["type"] in ("quality", "support"):
        return severity == "critical"
    if event["type"] == "warning":
        return severity == "high"
    return False


def critical_event(event: dict[str, Any], event_id: str) -> Raised:
    kind = event["type"]
    what = {
        "quality": "Critical quality issue",
        "support": "Critical support ticket",
        "warning": f"High warning sign: {str(event.get('signal', '')).replace('_', ' ')}",
    }[kind]
    note = event.get("note")
    message = f"{what} logged" + (f": {note}" if note else ".")
    return Raised(
        f"critical_{kind}",
        "critical" if kind != "warning" else "high",
        message,
        NEXT_STEPS[_COMPONENT_OF_TYPE[kind]],
        event_id=event_id,
    )


def trigger_fired(trigger_id: str, trigger_name: str, reason: str) -> Raised:
    """A trigger of the account team's (plays) whose action is to raise an alert: one alert per
    account and trigger until it is resolved."""
    return Raised(
        f"trigger:{trigger_id}"[:40],
        "medium",
        reason,
        f"Raised by the trigger “{trigger_name}”: see its firings for the facts behind it.",
    )
