"""THE contact-pressure rule: when we hold back from soliciting an account or a person.

One rule for every channel that solicits (cross-sell and up-sell suggestions, proposals, trigger
suggestions and promotional campaigns), so a client never gets uncoordinated offers:

- nothing to an account whose health band is `at_risk` or `critical`: pushing offers at an
  unhappy client damages trust;
- nothing to an account that was made an offer (a proposal) in the last `cooldown_days` days;
- nothing to a person solicited (a promotional campaign reached them) in the last
  `cooldown_days` days;
- nothing, ever again, to a person who unsubscribed (campaigns of any kind).

Informational campaigns (a service notice) skip the first three: they offer nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kam_plays.domain.vocabulary import UNHAPPY_BANDS

COOLDOWN_DAYS = 30


@dataclass(frozen=True)
class Restraint:
    """Why we hold back: a stable `code` and the words for people."""

    code: str
    reason: str


def account_restraint(
    *,
    band: str | None,
    last_offer_at: datetime | None,
    now: datetime,
    last_campaign_at: datetime | None = None,
    cooldown_days: int = COOLDOWN_DAYS,
) -> Restraint | None:
    """Why the account must not be solicited now, or None. `last_campaign_at`: when a
    promotional campaign last reached one of its people."""
    if band in UNHAPPY_BANDS:
        return Restraint("account_unhappy", f"The account's health is {band}.")
    if last_offer_at is not None and now - last_offer_at < timedelta(days=cooldown_days):
        return Restraint(
            "account_recently_solicited",
            f"An offer was made to the account on {last_offer_at.date().isoformat()}, "
            f"within {cooldown_days} days.",
        )
    if last_campaign_at is not None and now - last_campaign_at < timedelta(days=cooldown_days):
        return Restraint(
            "account_recently_solicited",
            f"A promotional campaign reached the account's people on "
            f"{last_campaign_at.date().isoformat()}, within {cooldown_days} days.",
        )
    return None


def person_restraint(
    *,
    promotional: bool,
    band: str | None,
    last_offer_at: datetime | None,
    unsubscribed: bool,
    last_solicited_at: datetime | None,
    has_email: bool,
    now: datetime,
    cooldown_days: int = COOLDOWN_DAYS,
) -> Restraint | None:
    """Why this person must not get this campaign, or None. Order: the reasons that last
    longest first, so the one given is the one that matters."""
    if unsubscribed:
        return Restraint("unsubscribed", "The person unsubscribed from our campaigns.")
    if not has_email:
        return Restraint("no_email", "The person has no e-mail address.")
    if not promotional:
        return None
    held = account_restraint(
        band=band, last_offer_at=last_offer_at, now=now, cooldown_days=cooldown_days
    )
    if held is not None:
        return held
    if last_solicited_at is not None and now - last_solicited_at < timedelta(days=cooldown_days):
        return Restraint(
            "recently_solicited",
            f"The person was solicited on {last_solicited_at.date().isoformat()}, "
            f"within {cooldown_days} days.",
        )
    return None
