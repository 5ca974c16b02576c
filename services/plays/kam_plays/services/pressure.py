"""The contact-pressure rule as other services ask it of one account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kam_common.db import utcnow
from kam_common.errors import NotFound
from kam_plays.domain.pressure import account_restraint
from kam_plays.models import Campaign, Recipient
from kam_plays.services.facts import AccountLookup, known_account


def account_pressure(*, session: Session, account_id: str, lookup: AccountLookup) -> dict[str, Any]:
    account = known_account(session, account_id, lookup)
    if account is None:
        raise NotFound("Account not found.")
    last_campaign_at = session.scalar(
        select(func.max(Recipient.sent_at))
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(
            Recipient.account_id == account_id,
            Recipient.status == "sent",
            Campaign.kind == "promotional",
        )
    )
    held = account_restraint(
        band=account.band,
        last_offer_at=account.last_offer_at,
        last_campaign_at=last_campaign_at,
        now=utcnow(),
    )
    return {
        "account_id": account_id,
        "suppressed": held is not None,
        "code": held.code if held else None,
        "reason": held.reason if held else None,
    }
