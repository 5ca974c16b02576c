"""Settings of the offerings service, from the environment."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from kam_common.config import (
    database_url,
    env_float,
    env_int,
    env_str,
    internal_token,
    service_url,
)


def load() -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url("offerings"),
        "INTERNAL_TOKEN": internal_token(),
        # Read-through for accounts (and their health) offerings has not heard of yet.
        "ACCOUNTS_URL": service_url("accounts"),
        "ACCOUNTS_TIMEOUT": env_float("KAM_OFFERINGS_ACCOUNTS_TIMEOUT", 2.0),
        "HEALTH_URL": service_url("health"),
        # Short: a slow health service degrades a proposal, it never holds it up.
        "HEALTH_TIMEOUT": env_float("KAM_OFFERINGS_HEALTH_TIMEOUT", 1.0),
        # The contact-pressure rule is the plays service's; a slow answer falls back on ours.
        "PLAYS_URL": service_url("plays"),
        "PLAYS_TIMEOUT": env_float("KAM_OFFERINGS_PLAYS_TIMEOUT", 1.0),
        # What one support ticket costs us to handle, for customer economics.
        "SUPPORT_TICKET_COST": Decimal(env_str("KAM_OFFERINGS_SUPPORT_TICKET_COST", "150.00")),
        # What one visit by our team costs us (travel and time), for customer economics.
        "VISIT_COST": Decimal(env_str("KAM_OFFERINGS_VISIT_COST", "400.00")),
        # A stated assumption for product lines no catalog item prices (e.g. 0.70: our cost is
        # 70% of what the client pays). Unset: their cost, and so the margin, is unknown.
        "ASSUMED_COST_SHARE": _share(env_str("KAM_OFFERINGS_ASSUMED_COST_SHARE", "")),
        # The collaborative bundle's price is the sum of its list prices less this share.
        "BUNDLE_DISCOUNT": Decimal(env_str("KAM_OFFERINGS_BUNDLE_DISCOUNT", "0.08")),
        # No new suggestions for an account offered something within this many days.
        "OFFER_COOLDOWN_DAYS": env_int("KAM_OFFERINGS_OFFER_COOLDOWN_DAYS", 30),
    }


def _share(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        share = Decimal(text)
    except InvalidOperation:
        share = Decimal(-1)
    if not Decimal(0) <= share <= Decimal(1):
        raise ValueError("KAM_OFFERINGS_ASSUMED_COST_SHARE must be a share from 0 to 1.")
    return share
