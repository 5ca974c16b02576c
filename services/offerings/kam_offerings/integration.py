"""Integration events offerings consumes, and what each changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kam_common.integration import Handler
from kam_offerings.services import facts


def handlers() -> dict[str, Handler]:
    def account_changed(session: Session, event: dict[str, Any]) -> None:
        facts.upsert_account(session, event["payload"])

    def purchase_recorded(session: Session, event: dict[str, Any]) -> None:
        facts.purchase_recorded(session, event["payload"])

    def band_changed(session: Session, event: dict[str, Any]) -> None:
        facts.band_changed(session, event["payload"])

    return {
        "account.created": account_changed,
        "account.updated": account_changed,
        "account.archived": account_changed,
        "purchase.recorded": purchase_recorded,
        "health.band_changed": band_changed,
    }
