"""Facts offerings keeps about accounts (from events, or read through to their owners)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import get_or_insert, utcnow
from kam_common.errors import Invalid, NotFound
from kam_offerings.clients import HealthReader
from kam_offerings.models import AccountBand, AccountFacts, PurchaseFact
from kam_offerings.services.context import AccountLookup


def _copy(facts: AccountFacts, data: dict[str, Any]) -> AccountFacts:
    facts.name = data["name"]
    facts.status = data.get("status") or "active"
    facts.segment = data.get("segment")
    facts.industry = data.get("industry")
    facts.tier = data.get("tier") or "key"
    facts.orientation = data.get("orientation") or "mixed"
    facts.annual_revenue = Decimal(str(data.get("annual_revenue") or 0)).quantize(Decimal("0.01"))
    facts.currency = data.get("currency") or "USD"
    facts.needs = list(data.get("needs") or [])
    facts.capabilities = list(data.get("capabilities") or [])
    facts.facts_at = utcnow()
    return facts


def upsert_account(session: Session, data: dict[str, Any]) -> AccountFacts:
    facts = get_or_insert(
        session,
        AccountFacts,
        data["account_id"],
        lambda: _copy(AccountFacts(account_id=data["account_id"]), data),
    )
    _copy(facts, data)
    session.flush()
    return facts


def facts_from(data: dict[str, Any]) -> AccountFacts:
    """Facts from the owner's answer, not stored (reads never write)."""
    return _copy(AccountFacts(account_id=data["account_id"]), data)


def known_account(
    session: Session, caller: Caller, account_id: str, *, keep: bool, lookup: AccountLookup
) -> AccountFacts | None:
    """The account, from our facts or read through to the accounts service; None when it does
    not exist or is outside the caller's scope. `keep` stores what was read (writes only)."""
    if not caller.may_see(account_id):
        return None
    facts = session.get(AccountFacts, account_id)
    if facts is None:
        found = lookup(account_id)
        if found is None:
            return None
        facts = upsert_account(session, found) if keep else facts_from(found)
    return facts


def account_for_body(
    session: Session,
    caller: Caller,
    account_id: str,
    lookup: AccountLookup,
    *,
    field: str = "account_id",
) -> AccountFacts:
    """An account named in a request body: unknown or archived is a 422 naming the field."""
    facts = known_account(session, caller, account_id, keep=True, lookup=lookup)
    if facts is None:
        raise Invalid(field, "Unknown account.")
    if facts.status != "active":
        raise Invalid(field, "The account is archived.")
    return facts


def account_for_lookup(
    session: Session, caller: Caller, account_id: str, lookup: AccountLookup
) -> AccountFacts:
    """An account named in a path or query: unknown is a 404."""
    facts = known_account(session, caller, account_id, keep=False, lookup=lookup)
    if facts is None:
        raise NotFound("Account not found.")
    return facts


@dataclass(frozen=True)
class BandView:
    band: str | None
    score: float | None
    source: str  # "health" (read now), "event" (last heard, health not answering) or "unknown"


def current_band(
    session: Session, account_id: str, health: HealthReader, *, keep: bool
) -> BandView:
    """The band health shows now (read your writes: events logged a moment ago count, though
    their `health.band_changed` may still be on its way), read through with a short timeout;
    when health cannot say, the last `health.band_changed` heard; else unknown. `keep` stores
    what was read (writes only)."""
    stored = session.get(AccountBand, account_id)
    found = health.band(account_id)
    if found is None:
        if stored is not None:
            return BandView(stored.band, stored.score, "event")
        return BandView(None, None, "unknown")
    if keep:
        at = found.at or utcnow()
        if stored is None:
            session.add(
                AccountBand(account_id=account_id, band=found.band, score=found.score, at=at)
            )
        elif stored.at <= at:
            stored.band, stored.score, stored.at = found.band, found.score, at
        session.flush()
    return BandView(found.band, found.score, "health")


def band_changed(session: Session, payload: dict[str, Any]) -> None:
    at = datetime.fromisoformat(payload["at"]) if payload.get("at") else utcnow()
    stored = session.get(AccountBand, payload["account_id"])
    if stored is None:
        stored = AccountBand(account_id=payload["account_id"], at=at)
        session.add(stored)
    elif stored.at > at:
        return  # an older change delivered late: the stored band is newer
    stored.band = payload["band"]
    score = payload.get("score")
    stored.score = float(score) if isinstance(score, int | float) else None
    stored.at = at


def purchase_recorded(session: Session, payload: dict[str, Any]) -> None:
    if session.get(PurchaseFact, payload["purchase_id"]) is not None:
        return
    session.add(
        PurchaseFact(
            purchase_id=payload["purchase_id"],
            account_id=payload["account_id"],
            product_line=payload["product_line"],
            amount=Decimal(str(payload.get("amount") or 0)).quantize(Decimal("0.01")),
            occurred_on=date.fromisoformat(payload["occurred_on"]),
        )
    )
