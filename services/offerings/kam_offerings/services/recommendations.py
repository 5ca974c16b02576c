"""Cross-sell and up-sell suggestions for an account, held back when they would hurt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_offerings.domain.catalog import Service
from kam_offerings.domain.suggestions import cross_sell, suppression, up_sell, why_none
from kam_offerings.models import AccountFacts, Agreement, Proposal, PurchaseFact
from kam_offerings.services.catalog import active_services
from kam_offerings.services.context import Readers, Settings
from kam_offerings.services.economics import active_agreement
from kam_offerings.services.facts import account_for_lookup, current_band


def _alone_in_segment(session: Session, facts: AccountFacts) -> bool:
    """Whether no other active account shares the account's segment."""
    if facts.segment is None:
        return False
    other = session.scalar(
        select(AccountFacts.account_id)
        .where(
            AccountFacts.status == "active",
            AccountFacts.segment == facts.segment,
            AccountFacts.account_id != facts.account_id,
        )
        .limit(1)
    )
    return other is None


def _lines_by_account(
    session: Session, facts: AccountFacts, *, whole_portfolio: bool
) -> dict[str, set[str]]:
    """Product lines bought, per active account of the segment (of the portfolio when
    `whole_portfolio`; and the account itself), in one query."""
    stmt = (
        select(PurchaseFact.account_id, PurchaseFact.product_line)
        .join(AccountFacts, AccountFacts.account_id == PurchaseFact.account_id)
        .where(AccountFacts.status == "active")
        .distinct()
    )
    if facts.segment is not None and not whole_portfolio:
        stmt = stmt.where(AccountFacts.segment == facts.segment)
    lines: dict[str, set[str]] = {}
    for account_id, line in session.execute(stmt):
        lines.setdefault(account_id, set()).add(line)
    # The account's own purchases count even if its facts were only read through just now.
    own = session.scalars(
        select(PurchaseFact.product_line)
        .where(PurchaseFact.account_id == facts.account_id)
        .distinct()
    )
    lines[facts.account_id] = set(own)
    return lines


def _peer_levels(session: Session, account_id: str) -> dict[str, list[int]]:
    """Per family, the highest level each other active agreement holds (one query)."""
    levels: dict[str, list[int]] = {}
    rows = session.scalars(
        select(Agreement.items).where(
            Agreement.status == "active", Agreement.account_id != account_id
        )
    )
    for items in rows:
        top: dict[str, int] = {}
        for item in items:
            top[item["family"]] = max(top.get(item["family"], 0), int(item["level"]))
        for family, level in top.items():
            levels.setdefault(family, []).append(level)
    return levels


def _held(agreement: Agreement) -> list[Service]:
    return [
        Service(
            id=item["catalog_item_id"],
            code=item["code"],
            name=item["name"],
            kind=item["kind"],
            list_price=Decimal(0),  # prices do not matter on the ladder
            unit_cost=Decimal(0),
            family=item["family"],
            level=int(item["level"]),
        )
        for item in agreement.items
    ]


def recommendations(
    *, session: Session, caller: Caller, account_id: str, settings: Settings, readers: Readers
) -> dict[str, Any]:
    facts = account_for_lookup(session, caller, account_id, readers.accounts)
    band = current_band(session, account_id, readers.health, keep=False)
    last_offer_at = session.scalar(
        select(func.max(Proposal.created_at)).where(Proposal.account_id == account_id)
    )
    now = utcnow()
    if last_offer_at is not None and last_offer_at.tzinfo is None:
        last_offer_at = last_offer_at.replace(tzinfo=now.tzinfo)
    degraded = ["health"] if band.band is None else []
    # The contact-pressure rule is plays' (it also counts campaigns that reached the account's
    # people); the band health shows now is checked here first, so a band that changed a moment
    # ago holds suggestions back before plays has heard of it. When plays cannot answer, the
    # same rule on what offerings knows (band, its own offers).
    held_back = suppression(band=band.band, last_offer_at=None, now=now)
    verdict = None
    if held_back is None and readers.plays is not None:
        verdict = readers.plays.pressure(account_id)
        if verdict is None:
            degraded.append("plays")
        elif verdict.suppressed:
            held_back = verdict.reason
    if held_back is None and verdict is None:
        held_back = suppression(
            band=band.band,
            last_offer_at=last_offer_at,
            now=now,
            cooldown_days=settings.offer_cooldown_days,
        )
    result: dict[str, Any] = {
        "account_id": account_id,
        "band": band.band,
        "band_source": band.source,
        "degraded": degraded,
    }
    if band.source == "event":
        result["note"] = (
            f"The band is the last one heard from health ({band.band}): health did not say "
            "what it shows now."
        )
    if band.band is None:
        result["note"] = (
            "The health band is unknown (the health service did not answer): suggestions are "
            "shown, but check the relationship before offering."
        )
    if held_back:
        return {**result, "items": [], "suppressed": True, "suppressed_reason": held_back}
    if facts.status != "active":
        return {
            **result,
            "items": [],
            "suppressed": True,
            "suppressed_reason": "The account is archived.",
        }

    alone = _alone_in_segment(session, facts)
    lines = _lines_by_account(session, facts, whole_portfolio=alone)
    own = lines.pop(account_id, set())
    catalog = active_services(session)
    by_line: dict[str, Service] = {}  # each product line's entry-tier catalog item
    for service in sorted(catalog, key=lambda s: (s.level, s.code)):
        if service.product_line:
            by_line.setdefault(service.product_line, service)
    items = [
        *cross_sell(
            account_lines=own,
            similar=lines,
            segment=facts.segment,
            catalog_by_line=by_line,
            whole_portfolio=alone,
        ),
    ]
    agreement = active_agreement(session, account_id)
    if agreement is not None:
        items.extend(
            up_sell(
                held=_held(agreement),
                catalog=catalog,
                peer_levels=_peer_levels(session, account_id),
            )
        )
    items.sort(key=lambda s: -s.propensity)
    if alone:
        result["peers"] = "portfolio"
        result["peers_note"] = (
            f"No other active account is in segment {facts.segment}: peers are the whole "
            "portfolio's active accounts."
        )
    else:
        result["peers"] = "segment" if facts.segment is not None else "portfolio"
    if not items:
        result["empty_reason"] = why_none(
            account_lines=own,
            similar=lines,
            has_agreement=agreement is not None,
            segment=None if alone else facts.segment,
        )
    return {**result, "items": items, "suppressed": False, "suppressed_reason": None}
