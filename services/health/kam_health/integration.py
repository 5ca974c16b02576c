"""Integration events health consumes, and what each changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kam_common.integration import Handler
from kam_health.models import AccountFacts
from kam_health.services import facts
from kam_health.services.facts import AccountLookup
from kam_health.services.scoring import rescore


def handlers(lookup: AccountLookup) -> dict[str, Handler]:
    def account_changed(session: Session, event: dict[str, Any]) -> None:
        account = facts.upsert_account(session, event["payload"])
        rescore(session, [account.account_id])

    def known_account(session: Session, account_id: str) -> AccountFacts | None:
        account = session.get(AccountFacts, account_id)
        if account is None:
            found = lookup(account_id)
            account = facts.upsert_account(session, found) if found else None
        return account

    def contact_left(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if known_account(session, payload["account_id"]) is not None:
            facts.contact_left(session, payload)
            rescore(session, [payload["account_id"]])

    def contact_returned(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        facts.contact_returned(session, payload)
        if session.get(AccountFacts, payload["account_id"]) is not None:
            rescore(session, [payload["account_id"]])

    def interaction_logged(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        account = known_account(session, payload["account_id"])
        if account is not None:
            facts.interaction_logged(
                session, account, datetime.fromisoformat(payload["occurred_at"])
            )
            rescore(session, [account.account_id])

    return {
        "account.created": account_changed,
        "account.updated": account_changed,
        "account.archived": account_changed,
        "contact.left": contact_left,
        "contact.returned": contact_returned,
        "interaction.logged": interaction_logged,
    }
