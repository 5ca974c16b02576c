"""Integration events the accounts service publishes, and what each carries."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kam_accounts.models import Account, Contact, Interaction, Purchase, TeamMember, outbox
from kam_common.integration import Outbox

OUTBOX = Outbox(
    "accounts",
    outbox,
    {
        "account.created": ("health", "offerings", "plays", "gateway"),
        "account.updated": ("health", "offerings", "plays", "gateway"),
        "account.archived": ("health", "offerings", "plays", "gateway"),
        # The gateway passes the public ones on to partner systems' webhooks.
        # Plays keeps the decision-makers and our team: coverage, touches, campaigns, tasks.
        "contact.changed": ("plays",),
        "contact.left": ("health", "plays"),
        "contact.returned": ("health", "plays"),
        "team_member.added": ("health", "plays"),
        "team_member.removed": ("health", "plays"),
        "interaction.logged": ("health", "plays"),
        "purchase.recorded": ("offerings", "plays"),
    },
)


def account_facts(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.id,
        "name": account.name,
        "status": account.status,
        "segment": account.segment,
        "industry": account.industry,
        "tier": account.tier,
        "orientation": account.orientation,
        "annual_revenue": float(account.annual_revenue),
        "currency": account.currency,
        "contact_cadence_days": account.contact_cadence_days,
        "needs": list(account.needs),
        "capabilities": list(account.capabilities),
        "parent_id": account.parent_id,
        "created_at": account.created_at.isoformat(),
        "updated_at": account.updated_at.isoformat(),
    }


def account_changed(session: Session, account: Account, kind: str) -> None:
    OUTBOX.publish(session, f"account.{kind}", account_facts(account))


def moved_facts(contact: Contact) -> dict[str, Any]:
    return {
        "account_id": contact.account_id,
        "contact_id": contact.id,
        "name": contact.name,
        "buying_role": contact.buying_role,
        "influence": contact.influence,
        "left_on": contact.left_on.isoformat() if contact.left_on else None,
    }


def contact_moved(session: Session, contact: Contact) -> None:
    """A decision-maker left (or came back): a commitment sign for the relationship."""
    OUTBOX.publish(
        session, "contact.returned" if contact.active else "contact.left", moved_facts(contact)
    )


def contact_changed(session: Session, contact: Contact) -> None:
    """A decision-maker added or changed: who they are, how they buy, how to reach them."""
    OUTBOX.publish(session, "contact.changed", contact_facts(contact))


def contact_facts(contact: Contact) -> dict[str, Any]:
    return {
        "account_id": contact.account_id,
        "contact_id": contact.id,
        "name": contact.name,
        "title": contact.title,
        "email": contact.email,
        "buying_role": contact.buying_role,
        "influence": contact.influence,
        "stance": contact.stance,
        "active": contact.active,
        "left_on": contact.left_on.isoformat() if contact.left_on else None,
        "cadence_days": contact.cadence_days,
        "created_at": contact.created_at.isoformat() if contact.created_at else None,
    }


def team_changed(session: Session, member: TeamMember, kind: str) -> None:
    """Who works the account: health filters the portfolio by owner with it."""
    OUTBOX.publish(
        session,
        f"team_member.{kind}",
        {
            "account_id": member.account_id,
            "member_id": member.id,
            "name": member.name,
            "email": member.email,
            "role": member.role,
        },
    )


def interaction_logged(session: Session, interaction: Interaction) -> None:
    OUTBOX.publish(
        session,
        "interaction.logged",
        {
            "account_id": interaction.account_id,
            "interaction_id": interaction.id,
            "kind": interaction.kind,
            "occurred_at": interaction.occurred_at.isoformat(),
            "contact_ids": list(interaction.contact_ids or []),
            "summary": (interaction.summary or "")[:300] or None,
        },
    )


def purchase_recorded(session: Session, purchase: Purchase) -> None:
    """What the client bought: offerings learns cross-sell patterns from it."""
    OUTBOX.publish(session, "purchase.recorded", purchase_facts(purchase))


def purchase_facts(purchase: Purchase) -> dict[str, Any]:
    return {
        "account_id": purchase.account_id,
        "purchase_id": purchase.id,
        "product_line": purchase.product_line,
        "amount": float(purchase.amount),
        "occurred_on": purchase.occurred_on.isoformat(),
    }
