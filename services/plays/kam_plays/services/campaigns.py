"""Campaigns: written as drafts, sent to their audience through SMTP, measured by their links.

Sending chooses the recipients once, in one transaction (each person sent to or held back with
the reason, under the contact-pressure rule), and leaves the campaign `sending`. Delivery then
hands the messages to SMTP one by one, each recipient's outcome committed as it is known: an
SMTP server that is down leaves the rest pending and the campaign `sending`, retried with
growing back-off, and nothing is counted that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Conflict, Invalid, NotFound
from kam_common.pagination import paginate, where_given
from kam_plays.domain import campaigns as template
from kam_plays.domain import pressure
from kam_plays.domain.vocabulary import CAMPAIGN_TOUCH
from kam_plays.mail import Mailer, MailUnavailable, Refused, Tracking
from kam_plays.models import (
    AccountFacts,
    Campaign,
    ContactFacts,
    MemberFacts,
    Recipient,
    Touch,
    Unsubscribe,
)
from kam_plays.services.facts import account_names

log = logging.getLogger("kam.plays.campaigns")

CLAIM = timedelta(seconds=120)
FIRST_BACKOFF, MAX_BACKOFF = 5.0, 300.0


# Writing -------------------------------------------------------------------------------------


def _audience_query(audience: dict[str, Any]) -> Any:
    """Active people of the active accounts the audience names (one query, joined)."""
    stmt = (
        select(ContactFacts, AccountFacts)
        .join(AccountFacts, AccountFacts.account_id == ContactFacts.account_id)
        .where(AccountFacts.status == "active", ContactFacts.active.is_(True))
    )
    if audience.get("segment") is not None:
        stmt = stmt.where(AccountFacts.segment == audience["segment"])
    if audience.get("tier") is not None:
        stmt = stmt.where(AccountFacts.tier == audience["tier"])
    if audience.get("account_ids"):
        stmt = stmt.where(AccountFacts.account_id.in_(audience["account_ids"]))
    if audience.get("bands"):
        bands = list(audience["bands"])
        # An account without a score yet has no evidence of trouble: it counts as healthy.
        band = AccountFacts.band.in_(bands)
        stmt = stmt.where(or_(band, AccountFacts.band.is_(None)) if "healthy" in bands else band)
    if audience.get("buying_roles"):
        stmt = stmt.where(ContactFacts.buying_role.in_(audience["buying_roles"]))
    return stmt.order_by(AccountFacts.name, ContactFacts.name, ContactFacts.contact_id)


def audience_size(session: Session, audience: dict[str, Any]) -> int:
    stmt = _audience_query(audience).order_by(None)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def create_campaign(*, session: Session, caller: Caller, data: dict[str, Any]) -> Campaign:
    template.check_template(subject=data["subject"], body=data["body"])
    audience = data["audience"]
    size = audience_size(session, audience)
    if size == 0:
        raise Invalid(
            "audience", "Nobody matches this audience: no active person of an active account."
        )
    campaign = Campaign(
        name=data["name"],
        kind=data["kind"],
        subject=data["subject"],
        body=data["body"],
        audience=audience,
        status="draft",
        audience_size=size,
        sender_name=data.get("sender_name"),
        created_by=caller.client_id,
    )
    session.add(campaign)
    session.commit()
    return campaign


def get_campaign(*, session: Session, campaign_id: str) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campaign not found.")
    return campaign


def list_campaigns(
    *,
    session: Session,
    page: int,
    per_page: int,
    status: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    stmt = where_given(select(Campaign), (Campaign.status, status), (Campaign.kind, kind))
    return paginate(
        session,
        stmt.order_by(Campaign.created_at.desc(), Campaign.id),
        page=page,
        per_page=per_page,
    )


# Sending: choosing the recipients --------------------------------------------------------------


def _last_solicited(session: Session, contact_ids: list[str]) -> dict[str, datetime]:
    """When a promotional campaign last reached each person (one query)."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(Recipient.contact_id, func.max(Recipient.sent_at))
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(
            Recipient.contact_id.in_(contact_ids),
            Recipient.status == "sent",
            Campaign.kind == "promotional",
        )
        .group_by(Recipient.contact_id)
    )
    return {contact_id: at for contact_id, at in rows if at is not None}


def _unsubscribed(session: Session, people: list[ContactFacts]) -> set[str]:
    ids = [p.contact_id for p in people]
    emails = [p.email.casefold() for p in people if p.email]
    rows = session.execute(
        select(Unsubscribe.contact_id, Unsubscribe.email).where(
            or_(Unsubscribe.contact_id.in_(ids), Unsubscribe.email.in_(emails))
        )
    )
    gone_ids, gone_emails = set(), set()
    for contact_id, email in rows:
        gone_ids.add(contact_id)
        if email:
            gone_emails.add(email)
    return {
        p.contact_id
        for p in people
        if p.contact_id in gone_ids or (p.email and p.email.casefold() in gone_emails)
    }


def send_campaign(
    *, session: Session, caller: Caller, campaign_id: str, now: datetime | None = None
) -> Campaign:
    """Choose the recipients and leave the campaign `sending` (delivery follows)."""
    now = now or utcnow()
    campaign = session.scalars(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    ).first()
    if campaign is None:
        raise NotFound("Campaign not found.")
    if campaign.status != "draft":
        raise Conflict(f"This campaign is already {campaign.status}; a campaign is sent once.")
    found = session.execute(_audience_query(campaign.audience)).all()
    if not found:
        raise Invalid("audience", "Nobody matches this audience any more.")
    people = [contact for contact, _account in found]
    solicited = _last_solicited(session, [p.contact_id for p in people])
    unsubscribed = _unsubscribed(session, people)
    promotional = campaign.kind == "promotional"
    rows = []
    for contact, account in found:
        held = pressure.person_restraint(
            promotional=promotional,
            band=account.band,
            last_offer_at=account.last_offer_at,
            unsubscribed=contact.contact_id in unsubscribed,
            last_solicited_at=solicited.get(contact.contact_id),
            has_email=bool(contact.email),
            now=now,
        )
        rows.append(
            Recipient(
                campaign_id=campaign.id,
                account_id=account.account_id,
                contact_id=contact.contact_id,
                email=contact.email,
                status="pending" if held is None else "suppressed",
                suppressed_code=held.code if held else None,
                suppressed_reason=held.reason if held else None,
            )
        )
    session.add_all(rows)
    campaign.status = "sending"
    campaign.audience_size = len(rows)
    campaign.send_requested_at = now
    campaign.next_attempt_at = now
    campaign.updated_at = now
    session.commit()
    return campaign


# Delivery ------------------------------------------------------------------------------------


def _claim(session: Session, campaign_id: str, now: datetime) -> bool:
    claimed = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status == "sending",
            or_(Campaign.claimed_until.is_(None), Campaign.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(claimed, "rowcount", 0))


def _senders(session: Session, account_ids: set[str]) -> dict[str, str]:
    """Each account's account manager, whose name signs the mail."""
    rows = session.execute(
        select(MemberFacts.account_id, MemberFacts.name)
        .where(MemberFacts.account_id.in_(account_ids), MemberFacts.role == "account_manager")
        .order_by(MemberFacts.name.desc())
    )
    return {account_id: name for account_id, name in rows}


def deliver_campaign(
    session: Session,
    campaign_id: str,
    *,
    mailer: Mailer,
    tracking: Tracking,
    limit: int | None = None,
    now: Callable[[], datetime] = utcnow,
) -> dict[str, int]:
    """Hand the campaign's pending messages to SMTP; `{"delivered", "bounced", "pending"}`."""
    if not _claim(session, campaign_id, now()):
        return {"delivered": 0, "bounced": 0, "pending": -1}
    campaign = session.get(Campaign, campaign_id, populate_existing=True)
    assert campaign is not None  # noqa: S101 - just claimed
    stmt = (
        select(Recipient, ContactFacts, AccountFacts)
        .join(ContactFacts, ContactFacts.contact_id == Recipient.contact_id)
        .join(AccountFacts, AccountFacts.account_id == Recipient.account_id)
        .where(Recipient.campaign_id == campaign.id, Recipient.status == "pending")
        .order_by(Recipient.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    batch = session.execute(stmt).all()
    senders = _senders(session, {account.account_id for _r, _c, account in batch})
    delivered = bounced = 0
    error = None
    try:
        with mailer.connection() as smtp:
            for recipient, contact, account in batch:
                sender = campaign.sender_name or senders.get(account.account_id) or ""
                message = template.render(
                    subject=campaign.subject,
                    body=campaign.body,
                    person=template.Person(contact.name, contact.title, account.name, sender),
                    click_url=partial(tracking.url, "c", recipient.id),
                    open_url=tracking.url("o", recipient.id),
                    unsubscribe_url=tracking.url("u", recipient.id),
                )
                mail = mailer.message(
                    to_name=contact.name,
                    to_address=recipient.email or "",
                    subject=message.subject,
                    text=message.text,
                    html=message.html,
                    unsubscribe_url=tracking.url("u", recipient.id),
                )
                at = now()
                try:
                    mailer.send(smtp, mail)
                except Refused as exc:
                    recipient.status, recipient.error, recipient.sent_at = "bounced", str(exc), at
                    bounced += 1
                else:
                    recipient.status, recipient.sent_at = "sent", at
                    session.add(
                        Touch(
                            account_id=account.account_id,
                            contact_id=contact.contact_id,
                            kind=CAMPAIGN_TOUCH,
                            occurred_at=at,
                            ref_id=campaign.id,
                            summary=message.subject[:300],
                        )
                    )
                    delivered += 1
                # Each outcome is kept as soon as it is known: a failure later loses nothing.
                session.commit()
    except MailUnavailable as exc:
        error = str(exc)
    pending = (
        session.scalar(
            select(func.count()).where(
                Recipient.campaign_id == campaign.id, Recipient.status == "pending"
            )
        )
        or 0
    )
    campaign = session.get(Campaign, campaign_id, populate_existing=True)
    assert campaign is not None  # noqa: S101
    at = now()
    campaign.claimed_until = None
    if error is not None:
        campaign.attempts += 1
        wait = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** min(campaign.attempts - 1, 10))
        campaign.next_attempt_at = at + timedelta(seconds=wait)
        campaign.last_error = error[:1000]
        log.warning("campaign %s: mail server unavailable (%s); retried", campaign.id, error)
    elif pending == 0:
        campaign.status = "sent"
        campaign.sent_at = at
        campaign.last_error = None
    else:
        campaign.next_attempt_at = at
    campaign.updated_at = at
    session.commit()
    return {"delivered": delivered, "bounced": bounced, "pending": pending}


def deliver_due(
    session: Session, *, mailer: Mailer, tracking: Tracking, limit: int = 500
) -> dict[str, int]:
    """Every campaign that is sending and due: what the worker runs."""
    now = utcnow()
    due = session.scalars(
        select(Campaign.id).where(
            Campaign.status == "sending",
            or_(Campaign.next_attempt_at.is_(None), Campaign.next_attempt_at <= now),
        )
    ).all()
    totals = {"delivered": 0, "bounced": 0, "campaigns": 0}
    for campaign_id in due:
        done = deliver_campaign(session, campaign_id, mailer=mailer, tracking=tracking, limit=limit)
        if done["pending"] >= 0:
            totals["campaigns"] += 1
        totals["delivered"] += done["delivered"]
        totals["bounced"] += done["bounced"]
    return totals


# Stats and views -----------------------------------------------------------------------------

STATS = ("sent", "delivered", "bounced", "opened", "clicked", "unsubscribed")


def _counts(session: Session, campaign_ids: list[str], *, by_account: bool = False) -> Any:
    delivered = Recipient.status == "sent"
    columns = [
        Recipient.campaign_id,
        func.count().filter(Recipient.status.in_(("sent", "bounced"))),
        func.count().filter(delivered),
        func.count().filter(Recipient.status == "bounced"),
        func.count().filter(Recipient.opened_at.is_not(None)),
        func.count().filter(Recipient.clicked_at.is_not(None)),
        func.count().filter(Recipient.unsubscribed_at.is_not(None)),
        func.count().filter(Recipient.status == "suppressed"),
        func.count().filter(Recipient.status == "pending"),
    ]
    group = [Recipient.campaign_id]
    if by_account:
        columns.insert(1, Recipient.account_id)
        group.append(Recipient.account_id)
    return session.execute(
        select(*columns).where(Recipient.campaign_id.in_(campaign_ids)).group_by(*group)
    ).all()


def _stats(row: Any, offset: int) -> dict[str, int]:
    values = list(row)[offset:]
    return {name: int(values[i] or 0) for i, name in enumerate(STATS)}


def _names(
    session: Session, account_ids: set[str], held: list[Recipient]
) -> tuple[dict[str, str], dict[str, str]]:
    """The names plays knows of these accounts and of the people held back."""
    accounts = account_names(session, account_ids)
    people = dict(
        session.execute(
            select(ContactFacts.contact_id, ContactFacts.name).where(
                ContactFacts.contact_id.in_({r.contact_id for r in held})
            )
        ).all()
    )
    return accounts, people


def campaign_views(
    session: Session, campaigns: list[Campaign], *, detail: bool = False
) -> list[dict[str, Any]]:
    ids = [c.id for c in campaigns]
    counts = {row[0]: row for row in _counts(session, ids)} if ids else {}
    views = []
    for campaign in campaigns:
        row = counts.get(campaign.id)
        stats = _stats(row, 1) if row else dict.fromkeys(STATS, 0)
        view: dict[str, Any] = {
            "id": campaign.id,
            "name": campaign.name,
            "kind": campaign.kind,
            "subject": campaign.subject,
            "body": campaign.body,
            "audience": campaign.audience,
            "status": campaign.status,
            "audience_size": campaign.audience_size,
            "pending": int(row[8] or 0) if row else 0,
            "stats": stats,
            "last_error": campaign.last_error,
            "version": campaign.version,
            "created_at": campaign.created_at,
            "sent_at": campaign.sent_at,
        }
        if detail:
            held = list(
                session.scalars(
                    select(Recipient)
                    .where(Recipient.campaign_id == campaign.id, Recipient.status == "suppressed")
                    .order_by(Recipient.account_id, Recipient.contact_id)
                )
            )
            per_account = list(_counts(session, [campaign.id], by_account=True))
            accounts, people = _names(
                session, {r[1] for r in per_account} | {r.account_id for r in held}, held
            )
            view["suppressed"] = [
                {
                    "contact_id": r.contact_id,
                    "contact_name": people.get(r.contact_id),
                    "account_id": r.account_id,
                    "account_name": accounts.get(r.account_id),
                    "code": r.suppressed_code,
                    "reason": r.suppressed_reason,
                }
                for r in held
            ]
            view["by_account"] = [
                {
                    "account_id": r[1],
                    "account_name": accounts.get(r[1]),
                    **_stats(r, 2),
                    "suppressed": int(r[8] or 0),
                }
                for r in per_account
            ]
        else:
            view["suppressed"] = None
        views.append(view)
    return views


def account_campaigns(
    *, session: Session, caller: Caller, account_id: str, page: int, per_page: int
) -> dict[str, Any]:
    """The campaigns meant for the account's people, with that account's own stats."""
    if not caller.may_see(account_id):
        raise NotFound("Account not found.")
    stmt = (
        select(Campaign)
        .where(
            Campaign.id.in_(select(Recipient.campaign_id).where(Recipient.account_id == account_id))
        )
        .order_by(Campaign.created_at.desc(), Campaign.id)
    )
    found = paginate(session, stmt, page=page, per_page=per_page)
    ids = [c.id for c in found["items"]]
    rows = {
        r[0]: r for r in _counts(session, ids, by_account=True) if r[1] == account_id
    } if ids else {}  # fmt: skip
    found["items"] = [
        {
            "campaign_id": c.id,
            "name": c.name,
            "kind": c.kind,
            "status": c.status,
            **(_stats(rows[c.id], 2) if c.id in rows else dict.fromkeys(STATS, 0)),
            "suppressed": int(rows[c.id][8] or 0) if c.id in rows else 0,
        }
        for c in found["items"]
    ]
    return found


# Tracking ------------------------------------------------------------------------------------


def _tracked(session: Session, tracking: Tracking, kind: str, token: str) -> Recipient:
    found = tracking.read(kind, token)
    recipient = session.get(Recipient, found[0]) if found else None
    if recipient is None or recipient.status != "sent":
        raise NotFound("No such link.")
    return recipient


def opened(*, session: Session, tracking: Tracking, token: str, record: bool = True) -> None:
    recipient = _tracked(session, tracking, "o", token)
    if record:
        recipient.opens += 1
        recipient.opened_at = recipient.opened_at or utcnow()
        session.commit()


def clicked(*, session: Session, tracking: Tracking, token: str, record: bool = True) -> str:
    """The link's target; a click counts as an open too (images are often blocked)."""
    recipient = _tracked(session, tracking, "c", token)
    found = tracking.read("c", token)
    assert found is not None  # noqa: S101 - _tracked read it
    campaign = session.get(Campaign, recipient.campaign_id)
    targets = template.links(campaign.body) if campaign else []
    if not 0 <= found[1] < len(targets):
        raise NotFound("No such link.")
    if record:
        now = utcnow()
        recipient.clicks += 1
        recipient.clicked_at = recipient.clicked_at or now
        recipient.opened_at = recipient.opened_at or now
        session.commit()
    return targets[found[1]]


def unsubscribed(*, session: Session, tracking: Tracking, token: str, record: bool = True) -> None:
    recipient = _tracked(session, tracking, "u", token)
    if not record:
        return
    now = utcnow()
    recipient.unsubscribed_at = recipient.unsubscribed_at or now
    if session.get(Unsubscribe, recipient.contact_id) is None:
        session.add(
            Unsubscribe(
                contact_id=recipient.contact_id,
                email=recipient.email.casefold() if recipient.email else None,
                campaign_id=recipient.campaign_id,
                at=now,
            )
        )
    session.commit()
