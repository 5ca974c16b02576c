"""Integration events the health service publishes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kam_common.integration import Outbox
from kam_health.models import Alert, outbox

OUTBOX = Outbox(
    "health",
    outbox,
    {
        "health.band_changed": ("offerings", "gateway"),
        # Public events: the gateway hands them to partner systems' webhooks.
        "alert.raised": ("gateway",),
        # Plays closes the tasks opened for an alert once it is resolved.
        "alert.resolved": ("plays",),
        # Plays evaluates its triggers on the score, band and components, and on the events.
        "health.scored": ("plays",),
        "health.event_logged": ("plays",),
    },
)


def band_changed(
    session: Session,
    account_id: str,
    *,
    band: str,
    score: float,
    previous_band: str | None,
    at: datetime,
) -> None:
    """Offerings holds suggestions back from unhappy accounts: it needs to know at once."""
    OUTBOX.publish(
        session,
        "health.band_changed",
        {
            "account_id": account_id,
            "band": band,
            "score": score,
            "previous_band": previous_band,
            "at": at.isoformat(),
        },
        at=at,
    )


def scored(session: Session, rows: list[dict[str, Any]], *, at: datetime) -> None:
    """Each new score (`account_id`, `score`, `band`, `components` as computed)."""
    OUTBOX.publish_many(
        session,
        "health.scored",
        [
            {
                "account_id": row["account_id"],
                "score": row["score"],
                "band": row["band"],
                "components": {
                    name: part["score"] for name, part in (row["components"] or {}).items()
                },
                "at": at.isoformat(),
            }
            for row in rows
        ],
        at=at,
    )


def still_open(event: Mapping[str, Any]) -> bool:
    """Outstanding delivery, unresolved quality issue or ticket (warnings are never open)."""
    if event["type"] == "delivery":
        return event.get("delivered_on") is None
    if event["type"] in ("quality", "support"):
        return event.get("resolved_at") is None
    return False


def events_logged(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Events logged or changed, as plays needs them for its `event_logged` triggers."""
    OUTBOX.publish_many(
        session,
        "health.event_logged",
        [
            {
                "account_id": row["account_id"],
                "event_id": row["id"],
                "type": row["type"],
                "severity": row.get("severity"),
                "signal": row.get("signal"),
                "occurred_at": row["occurred_at"].isoformat(),
                "open": still_open(row),
            }
            for row in rows
        ],
    )


def alert_raised(session: Session, alert: Alert) -> None:
    OUTBOX.publish(
        session,
        "alert.raised",
        {
            "account_id": alert.account_id,
            "alert_id": alert.id,
            "cause": alert.cause,
            "severity": alert.severity,
            "message": alert.message,
            "raised_at": (alert.created_at or alert.updated_at).isoformat(),
        },
    )


def alert_resolved(session: Session, alert: Alert) -> None:
    OUTBOX.publish(
        session,
        "alert.resolved",
        {
            "account_id": alert.account_id,
            "alert_id": alert.id,
            "cause": alert.cause,
            "note": alert.note,
            "resolved_at": alert.updated_at.isoformat(),
        },
    )
