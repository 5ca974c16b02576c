"""Human judgement over the computed scores: overrides and the scorecard itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Invalid
from kam_health.domain.scorecard import Scorecard as DomainScorecard
from kam_health.domain.scorecard import validate_scorecard
from kam_health.models import Override, Scorecard
from kam_health.services.facts import AccountLookup
from kam_health.services.scoring import load_scorecard, rescore_portfolio
from kam_health.services.views import account_for_reading, override_view


def set_override(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    data: dict[str, Any],
    lookup: AccountLookup,
) -> dict[str, Any]:
    account_for_reading(session, caller, account_id, lookup, keep=True)
    expires_on = data.get("expires_on")
    if expires_on is not None and expires_on < utcnow().date():
        raise Invalid("expires_on", "Must not be in the past.")
    override = Override(
        account_id=account_id,
        score=data["score"],
        reason=data["reason"],
        expires_on=expires_on,
        created_by=caller.client_id,
    )
    session.add(override)
    session.commit()
    return override_view(override, load_scorecard(session).band(override.score))


def get_scorecard(*, session: Session) -> Scorecard:
    card = session.scalars(select(Scorecard).order_by(Scorecard.version.desc())).first()
    if card is None:  # migrations write version 1; an emptied database gets it back here
        default = DomainScorecard()
        card = Scorecard(
            version=default.version,
            weights=default.weights,
            window_days=default.window_days,
            half_life_days=default.half_life_days,
            thresholds=default.thresholds,
            created_by="default",
        )
        session.add(card)
        session.commit()
    return card


def replace_scorecard(*, session: Session, caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """A new version, then every active account rescored under it (set-based)."""
    validate_scorecard(data)
    current = get_scorecard(session=session)
    card = Scorecard(
        version=current.version + 1,
        weights={k: float(v) for k, v in data["weights"].items()},
        window_days=data["window_days"],
        half_life_days=float(data["half_life_days"]),
        thresholds={k: float(v) for k, v in data["thresholds"].items()},
        created_by=caller.client_id,
    )
    session.add(card)
    session.flush()
    rescored = rescore_portfolio(session)
    session.commit()
    return {
        **{c.key: getattr(card, c.key) for c in Scorecard.__table__.columns},
        "rescored": rescored,
    }
