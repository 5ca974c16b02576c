"""Touches per person: every interaction they took part in and every campaign mail that reached
them; their cadence, when the next touch is due, and a new decision-maker's onboarding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import NotFound
from kam_plays.domain.coverage import KEY_ROLES
from kam_plays.models import ContactFacts, Touch
from kam_plays.services.facts import AccountLookup, visible_account

# 6–7 touches turn a contact into a customer: a new decision-maker's first goal.
ONBOARDING_GOAL = 7
# A decision-maker added within this many days is still being onboarded.
ONBOARDING_DAYS = 365
MAX_TOUCHES_LISTED = 200


def contact_touches(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    contact_id: str,
    lookup: AccountLookup,
) -> dict[str, Any]:
    account = visible_account(session, caller, account_id, lookup)
    contact = session.get(ContactFacts, contact_id)
    if contact is None or contact.account_id != account_id:
        raise NotFound("Contact not found.")
    now = utcnow()
    touches = session.scalars(
        select(Touch)
        .where(Touch.contact_id == contact_id)
        .order_by(Touch.occurred_at.desc(), Touch.id)
        .limit(MAX_TOUCHES_LISTED)
    ).all()
    cadence = contact.cadence_days or account.contact_cadence_days
    last = touches[0].occurred_at if touches else None
    since = last or contact.created_at
    next_due = (since + timedelta(days=cadence)).date()
    onboarding: dict[str, Any] = {"goal": None, "done": len(touches), "complete": None}
    if contact.buying_role in KEY_ROLES and now - contact.created_at <= timedelta(
        days=ONBOARDING_DAYS
    ):
        done = sum(1 for t in touches if t.occurred_at >= contact.created_at)
        onboarding = {"goal": ONBOARDING_GOAL, "done": done, "complete": done >= ONBOARDING_GOAL}
    return {
        "account_id": account_id,
        "contact_id": contact_id,
        "touches": [
            {
                "kind": t.kind,
                "occurred_at": t.occurred_at,
                "ref_id": t.ref_id,
                "summary": t.summary,
            }
            for t in touches
        ],
        "total": len(touches),
        "last_touch_at": last,
        "cadence_days": cadence,
        "cadence_source": "contact" if contact.cadence_days else "account",
        "next_due_on": next_due,
        "overdue": contact.active and now.date() > next_due,
        "onboarding": onboarding,
    }
