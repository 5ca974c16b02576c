"""Coverage scores of many accounts at once, in four queries: what the coverage map shows for
one account and what triggers on `coverage` read for all of them (docs/plays.md, "Coverage")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kam_common.pagination import among
from kam_plays.domain import coverage as rules
from kam_plays.domain.vocabulary import CAMPAIGN_TOUCH
from kam_plays.models import ContactFacts, CoverageLink, MemberFacts, Touch


def last_touches(session: Session, contact_ids: Collection[str] | None) -> dict[str, datetime]:
    """Each person's latest interaction with us (campaign mails left out), in one query (those
    named, or everyone)."""
    if contact_ids is not None and not contact_ids:
        return {}
    rows = session.execute(
        select(Touch.contact_id, func.max(Touch.occurred_at))
        # Campaign mails reach people, but coverage is about our people meeting theirs.
        .where(among(Touch.contact_id, contact_ids), Touch.kind != CAMPAIGN_TOUCH)
        .group_by(Touch.contact_id)
    )
    return {contact_id: at for contact_id, at in rows}


def people(contacts: Iterable[ContactFacts], touched: dict[str, datetime]) -> list[rules.Person]:
    return [
        rules.Person(
            contact_id=c.contact_id,
            name=c.name,
            buying_role=c.buying_role,
            influence=c.influence,
            stance=c.stance,
            active=c.active,
            last_touch_at=touched.get(c.contact_id),
        )
        for c in contacts
    ]


def covered_by(
    links: Iterable[CoverageLink], members: Collection[str], contacts: dict[str, ContactFacts]
) -> set[str]:
    """Who is covered: a link to someone who left, or from someone no longer on our team,
    covers nobody."""
    return {
        link.contact_id
        for link in links
        if link.member_id in members
        and link.contact_id in contacts
        and contacts[link.contact_id].active
    }


def coverage_scores(
    session: Session, account_ids: Collection[str] | None, now: datetime
) -> dict[str, int]:
    """Each account's coverage score (those named, or every account plays knows)."""
    contacts: dict[str, dict[str, ContactFacts]] = defaultdict(dict)
    for c in session.scalars(
        select(ContactFacts).where(among(ContactFacts.account_id, account_ids))
    ):
        contacts[c.account_id][c.contact_id] = c
    members: dict[str, set[str]] = defaultdict(set)
    for account_id, member_id in session.execute(
        select(MemberFacts.account_id, MemberFacts.member_id).where(
            among(MemberFacts.account_id, account_ids)
        )
    ):
        members[account_id].add(member_id)
    links: dict[str, list[CoverageLink]] = defaultdict(list)
    for link in session.scalars(
        select(CoverageLink).where(among(CoverageLink.account_id, account_ids))
    ):
        links[link.account_id].append(link)
    touched = last_touches(
        session,
        None if account_ids is None else [c for mine in contacts.values() for c in mine],
    )
    ids = account_ids if account_ids is not None else set(contacts) | set(links)
    scores = {}
    for account_id in ids:
        mine = contacts.get(account_id, {})
        found = people(mine.values(), touched)
        covered = covered_by(links.get(account_id, ()), members.get(account_id, set()), mine)
        scores[account_id] = rules.score(found, covered, rules.gaps(found, covered, now), now)
    return scores
