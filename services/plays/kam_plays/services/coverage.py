"""The coverage map: who on our side owns the relationship with each of the client's people."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Conflict, Invalid, NotFound
from kam_plays.domain import coverage as rules
from kam_plays.models import ContactFacts, CoverageLink, MemberFacts
from kam_plays.services import coverage_scores as scores
from kam_plays.services.evaluation import evaluate
from kam_plays.services.facts import AccountLookup, visible_account


def coverage_map(
    *, session: Session, caller: Caller, account_id: str, lookup: AccountLookup
) -> dict[str, Any]:
    visible_account(session, caller, account_id, lookup)
    now = utcnow()
    contacts = session.scalars(
        select(ContactFacts)
        .where(ContactFacts.account_id == account_id)
        .order_by(ContactFacts.name, ContactFacts.contact_id)
    ).all()
    touched = scores.last_touches(session, [c.contact_id for c in contacts])
    links = session.scalars(
        select(CoverageLink)
        .where(CoverageLink.account_id == account_id)
        .order_by(CoverageLink.created_at, CoverageLink.id)
    ).all()
    members = {
        m.member_id: m
        for m in session.scalars(select(MemberFacts).where(MemberFacts.account_id == account_id))
    }
    by_id = {c.contact_id: c for c in contacts}
    people = scores.people(contacts, touched)
    covered = scores.covered_by(links, members, by_id)
    found = rules.gaps(people, covered, now)
    return {
        "account_id": account_id,
        "links": [
            {
                "id": link.id,
                "member_id": link.member_id,
                "member_name": members[link.member_id].name if link.member_id in members else None,
                "member_role": members[link.member_id].role if link.member_id in members else None,
                "contact_id": link.contact_id,
                "contact_name": by_id[link.contact_id].name if link.contact_id in by_id else None,
                "buying_role": by_id[link.contact_id].buying_role
                if link.contact_id in by_id
                else None,
                "last_touch_at": touched.get(link.contact_id),
                "created_at": link.created_at,
            }
            for link in links
        ],
        "gaps": [{"contact_id": g.contact_id, "code": g.code, "reason": g.reason} for g in found],
        "score": rules.score(people, covered, found, now),
    }


def add_link(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    data: dict[str, Any],
    lookup: AccountLookup,
) -> CoverageLink:
    visible_account(session, caller, account_id, lookup)
    member = session.get(MemberFacts, data["member_id"])
    if member is None or member.account_id != account_id:
        raise Invalid("member_id", "Not a member of this account's team.")
    contact = session.get(ContactFacts, data["contact_id"])
    if contact is None or contact.account_id != account_id:
        raise Invalid("contact_id", "Not a contact of this account.")
    if not contact.active:
        raise Invalid("contact_id", "This person has left the client.")
    link = CoverageLink(
        account_id=account_id, member_id=member.member_id, contact_id=contact.contact_id
    )
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This member already covers this person.",
            errors={"contact_id": ["Already covered by this member."]},
        ) from None
    evaluate(session, account_ids=[account_id], kinds=("component_below",))
    session.commit()
    return link


def remove_link(
    *, session: Session, caller: Caller, account_id: str, link_id: str, lookup: AccountLookup
) -> None:
    visible_account(session, caller, account_id, lookup)
    link = session.get(CoverageLink, link_id)
    if link is None or link.account_id != account_id:
        raise NotFound("Coverage link not found.")
    session.delete(link)
    session.flush()
    evaluate(session, account_ids=[account_id], kinds=("component_below",))
    session.commit()
