"""Integration events the health service publishes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kam_common.integration import Outbox
from kam_health.models import outbox

OUTBOX = Outbox("health", outbox, {"health.band_changed": ("offerings",)})


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
