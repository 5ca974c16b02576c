"""Integration events the offerings service publishes, and what each carries."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kam_common.integration import Outbox
from kam_offerings.models import Agreement, Proposal, outbox

OUTBOX = Outbox(
    "offerings",
    outbox,
    {
        # Health weighs a delivery that breaks the agreement's guaranteed delay more.
        # The gateway passes the agreements on to partner systems' webhooks.
        "agreement.activated": ("health", "plays", "gateway"),
        "agreement.ended": ("health", "plays", "gateway"),
        # The contact-pressure rule (plays) counts every offer made to an account.
        "offer.made": ("plays",),
    },
)


def agreement_activated(session: Session, agreement: Agreement) -> None:
    OUTBOX.publish(
        session,
        "agreement.activated",
        {
            "account_id": agreement.account_id,
            "agreement_id": agreement.id,
            "strategy": agreement.strategy,
            "commitments": dict(agreement.commitments),
            "starts_on": agreement.starts_on.isoformat(),
        },
    )


def agreement_ended(session: Session, agreement: Agreement) -> None:
    """With its `outcome` when one was said: health records it among the outcomes. Partner
    systems receive this event (webhooks): it carries no internal note."""
    assert agreement.ended_on is not None
    OUTBOX.publish(
        session,
        "agreement.ended",
        {
            "account_id": agreement.account_id,
            "agreement_id": agreement.id,
            "ended_on": agreement.ended_on.isoformat(),
            "outcome": agreement.outcome,
        },
    )


def offer_made(session: Session, proposal: Proposal) -> None:
    OUTBOX.publish(
        session,
        "offer.made",
        {
            "account_id": proposal.account_id,
            "proposal_id": proposal.id,
            "at": proposal.created_at.isoformat(),
        },
    )
