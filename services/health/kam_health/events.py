"""Integration events the health service publishes."""

from __future__ import annotations

from datetime import datetime

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
