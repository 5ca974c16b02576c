"""Integration events health consumes, and what each changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kam_common.integration import BatchHandler, Handler
from kam_health.domain import alerts as alert_rules
from kam_health.models import AccountFacts
from kam_health.services import facts
from kam_health.services.alerts import raise_alert
from kam_health.services.facts import AccountLookup
from kam_health.services.history import queue_history, reaches_history
from kam_health.services.learning import outcome_from_agreement
from kam_health.services.scoring import rescore


def handlers(lookup: AccountLookup) -> dict[str, Handler]:
    def account_changed(session: Session, event: dict[str, Any]) -> None:
        account = facts.upsert_account(session, event["payload"])
        rescore(session, [account.account_id])
        queue_history(session, [account.account_id])  # cadence and status reach the past

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
            queue_history(session, [payload["account_id"]])

    def contact_returned(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        facts.contact_returned(session, payload)
        if session.get(AccountFacts, payload["account_id"]) is not None:
            rescore(session, [payload["account_id"]])
            queue_history(session, [payload["account_id"]])

    def interaction_logged(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        account = known_account(session, payload["account_id"])
        if account is not None:
            occurred_at = datetime.fromisoformat(payload["occurred_at"])
            facts.interaction_logged(session, account, occurred_at, payload.get("interaction_id"))
            rescore(session, [account.account_id])
            if reaches_history(occurred_at):
                queue_history(session, [account.account_id])

    def agreement_activated(session: Session, event: dict[str, Any]) -> None:
        """A guaranteed delivery delay makes later deliveries breaches, which weigh double."""
        payload = event["payload"]
        account = known_account(session, payload["account_id"])
        if account is not None:
            account.agreement_id = payload["agreement_id"]
            account.breach_limit_days = (payload.get("commitments") or {}).get(
                "max_delivery_delay_days"
            )
            session.flush()
            rescore(session, [account.account_id])
            queue_history(session, [account.account_id])  # the guaranteed delay, in the past too

    def agreement_ended(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        # Ended as renewed, expanded, contracted or churned: one more outcome to learn from.
        if payload.get("outcome") and known_account(session, payload["account_id"]) is not None:
            outcome_from_agreement(session, payload)
        account = session.get(AccountFacts, payload["account_id"])
        # Only the agreement in force sets the limit; an older one ending changes nothing.
        if account is not None and account.agreement_id == payload["agreement_id"]:
            account.agreement_id = None
            account.breach_limit_days = None
            session.flush()
            rescore(session, [account.account_id])
            queue_history(session, [account.account_id])

    def team_member_added(session: Session, event: dict[str, Any]) -> None:
        facts.team_member_added(session, event["payload"])

    def team_member_removed(session: Session, event: dict[str, Any]) -> None:
        facts.team_member_removed(session, event["payload"])

    def trigger_fired(session: Session, event: dict[str, Any]) -> None:
        """Plays asks for an alert (a trigger's `raise_alert` action): health owns alerts."""
        payload = event["payload"]
        if known_account(session, payload["account_id"]) is not None:
            raise_alert(
                session,
                payload["account_id"],
                alert_rules.trigger_fired(
                    payload["trigger_id"], payload["trigger_name"], payload["reason"]
                ),
            )

    return {
        "trigger.fired": trigger_fired,
        "team_member.added": team_member_added,
        "team_member.removed": team_member_removed,
        "agreement.activated": agreement_activated,
        "agreement.ended": agreement_ended,
        "account.created": account_changed,
        "account.updated": account_changed,
        "account.archived": account_changed,
        "contact.left": contact_left,
        "contact.returned": contact_returned,
        "interaction.logged": interaction_logged,
    }


def batch_handlers() -> dict[str, BatchHandler]:
    """Runs of account events applied together: the facts, one rescore, one history request."""

    def accounts_changed(session: Session, events: list[dict[str, Any]]) -> None:
        ids = facts.upsert_accounts(session, [event["payload"] for event in events])
        rescore(session, ids)
        queue_history(session, ids)

    return {
        "account.created": accounts_changed,
        "account.updated": accounts_changed,
        "account.archived": accounts_changed,
    }
