"""Integration events plays consumes, and what each changes.

Every fact that can change a trigger's condition re-evaluates the triggers of that kind for
that account at once, in the same transaction as the fact is stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kam_common.integration import BatchHandler, Handler
from kam_plays.models import AccountFacts
from kam_plays.services import facts
from kam_plays.services.evaluation import evaluate
from kam_plays.services.facts import AccountLookup
from kam_plays.services.tasks import assign_waiting, close_for_alert


def handlers(lookup: AccountLookup) -> dict[str, Handler]:
    def known(session: Session, account_id: str) -> AccountFacts | None:
        return facts.known_account(session, account_id, lookup)

    def reevaluate(session: Session, account_id: str, *kinds: str) -> None:
        evaluate(session, account_ids=[account_id], kinds=kinds or None)

    def account_changed(session: Session, event: dict[str, Any]) -> None:
        account = facts.upsert_account(session, event["payload"])
        # Segment, tier, cadence or status may have changed: every kind may hold or clear.
        reevaluate(session, account.account_id)

    def contact_changed(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if known(session, payload["account_id"]) is not None:
            facts.upsert_contact(session, payload)
            reevaluate(session, payload["account_id"], "contact_left", "component_below")

    def contact_left(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if known(session, payload["account_id"]) is not None:
            facts.contact_moved(session, payload, active=False)
            reevaluate(session, payload["account_id"], "contact_left", "component_below")

    def contact_returned(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if known(session, payload["account_id"]) is not None:
            facts.contact_moved(session, payload, active=True)
            reevaluate(session, payload["account_id"], "contact_left", "component_below")

    def member_added(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if known(session, payload["account_id"]) is not None:
            facts.member_added(session, payload)
            assign_waiting(session, payload["account_id"], payload["member_id"], payload["role"])
            reevaluate(session, payload["account_id"], "component_below")

    def member_removed(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        facts.member_removed(session, payload)
        if known(session, payload["account_id"]) is not None:
            reevaluate(session, payload["account_id"], "component_below")

    def interaction_logged(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        account = known(session, payload["account_id"])
        if account is not None:
            facts.interaction_logged(session, account, payload)
            # A touch keeps the cover fresh: coverage triggers may clear.
            reevaluate(session, account.account_id, "no_contact_for", "component_below")

    def purchase_recorded(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if known(session, payload["account_id"]) is not None:
            facts.purchase_recorded(session, payload)
            reevaluate(session, payload["account_id"], "purchases_over")

    def scored(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        account = known(session, payload["account_id"])
        if account is not None:
            facts.scored(session, account, payload)
            reevaluate(session, account.account_id, "band_entered", "component_below")

    def event_logged(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if known(session, payload["account_id"]) is not None:
            facts.event_logged(session, payload)
            reevaluate(session, payload["account_id"], "event_logged")

    def agreement_activated(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        account = known(session, payload["account_id"])
        if account is not None:
            facts.agreement_activated(session, account, payload)
            reevaluate(session, account.account_id, "renewal_within")

    def agreement_ended(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        account = session.get(AccountFacts, payload["account_id"])
        if account is not None:
            facts.agreement_ended(session, account, payload)
            reevaluate(session, account.account_id, "renewal_within")

    def alert_resolved(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        close_for_alert(session, payload["alert_id"], payload.get("note"))

    def offer_made(session: Session, event: dict[str, Any]) -> None:
        payload = event["payload"]
        account = known(session, payload["account_id"])
        if account is not None:
            facts.offer_made(session, account, payload)

    return {
        "account.created": account_changed,
        "account.updated": account_changed,
        "account.archived": account_changed,
        "contact.changed": contact_changed,
        "contact.left": contact_left,
        "contact.returned": contact_returned,
        "team_member.added": member_added,
        "team_member.removed": member_removed,
        "interaction.logged": interaction_logged,
        "purchase.recorded": purchase_recorded,
        "health.scored": scored,
        "health.event_logged": event_logged,
        "agreement.activated": agreement_activated,
        "agreement.ended": agreement_ended,
        "offer.made": offer_made,
        "alert.resolved": alert_resolved,
    }


def batch_handlers(lookup: AccountLookup) -> dict[str, BatchHandler]:
    """Runs of one kind applied together: each fact stored, then one evaluation for every
    account the run touched (an import's thousands of accounts, contacts and their scores)."""

    def accounts_changed(session: Session, events: list[dict[str, Any]]) -> None:
        ids = facts.upsert_accounts(session, [event["payload"] for event in events])
        evaluate(session, account_ids=ids)

    def contacts_changed(session: Session, events: list[dict[str, Any]]) -> None:
        touched = facts.upsert_contacts(session, [event["payload"] for event in events], lookup)
        if touched:
            evaluate(session, account_ids=touched, kinds=("contact_left", "component_below"))

    def scores_changed(session: Session, events: list[dict[str, Any]]) -> None:
        payloads = [event["payload"] for event in events]
        known = facts.known_accounts(session, {p["account_id"] for p in payloads}, lookup)
        for payload in payloads:
            if payload["account_id"] in known:
                facts.scored(session, known[payload["account_id"]], payload)
        if known:
            evaluate(session, account_ids=list(known), kinds=("band_entered", "component_below"))

    return {
        "account.created": accounts_changed,
        "account.updated": accounts_changed,
        "account.archived": accounts_changed,
        "contact.changed": contacts_changed,
        "health.scored": scores_changed,
    }
