"""Human judgement over the computed scores: overrides and the scorecard itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Invalid, NotFound
from kam_common.pagination import paginate
from kam_health.domain.scorecard import Scorecard as DomainScorecard
from kam_health.domain.scorecard import validate_scorecard
from kam_health.models import AccountFacts, Override, Score, Scorecard, ScorecardProposal
from kam_health.services.facts import AccountLookup
from kam_health.services.history import EVERYONE, queue_history
from kam_health.services.scoring import (
    active_facts,
    load_scorecard,
    rescore_portfolio,
    score_accounts,
)
from kam_health.services.views import account_for_reading, override_view, overrides_in_force


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


def get_scorecard(*, session: Session, segment: str | None = None) -> Scorecard:
    """The version in force: the segment's own when it has one, else the default."""
    if segment is not None:
        own = session.scalars(
            select(Scorecard).where(Scorecard.segment == segment).order_by(Scorecard.version.desc())
        ).first()
        if own is not None:
            return own
    card = session.scalars(
        select(Scorecard).where(Scorecard.segment.is_(None)).order_by(Scorecard.version.desc())
    ).first()
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


def replace_scorecard(
    *,
    session: Session,
    caller: Caller,
    data: dict[str, Any],
    dry_run: bool = False,
    segment: str | None = None,
    proposal: ScorecardProposal | None = None,
) -> dict[str, Any]:
    """A new version, then every active account rescored under it (set-based) and its history
    queued for rescoring. `dry_run`: the same answer, which accounts would change band
    included, and nothing saved. `proposal`: the fitted proposal it adopts."""
    validate_scorecard(data)
    latest = (
        session.scalar(select(func.max(Scorecard.version)))
        or get_scorecard(session=session).version
    )
    card = Scorecard(
        version=latest + 1,
        segment=segment,
        proposal_id=proposal.id if proposal else None,
        weights={k: float(v) for k, v in data["weights"].items()},
        window_days=data["window_days"],
        half_life_days=float(data["half_life_days"]),
        thresholds={k: float(v) for k, v in data["thresholds"].items()},
        created_by=caller.client_id,
        created_at=utcnow(),
    )
    before = _current_scores(session)
    if dry_run:
        proposed = DomainScorecard(
            version=card.version,
            weights=card.weights,
            window_days=card.window_days,
            half_life_days=card.half_life_days,
            thresholds=card.thresholds,
        )
        facts = active_facts(session)
        if segment is not None:
            facts = [f for f in facts if f.segment == segment]
        computed = score_accounts(session, facts, utcnow(), proposed, everyone=segment is None)
        after = {account_id: (c.score, c.band) for account_id, c in computed.items()}
        rescored = 0
        session.rollback()
    else:
        session.add(card)
        session.flush()
        if proposal is not None:
            proposal.status = "adopted"
            proposal.adopted_version = card.version
            proposal.adopted_at = utcnow()
        rescored = rescore_portfolio(session)
        after = _current_scores(session)
        queue_history(session, [EVERYONE])
        session.commit()
    changes = _band_changes(before, after)
    return {
        **{c.key: getattr(card, c.key) for c in Scorecard.__table__.columns},
        "rescored": rescored,
        "dry_run": dry_run,
        "band_changes": len(changes),
        "changes": changes,
    }


def _current_scores(session: Session) -> dict[str, tuple[float, str]]:
    rows = session.execute(
        select(Score.account_id, Score.score, Score.band)
        .join(AccountFacts, AccountFacts.account_id == Score.account_id)
        .where(AccountFacts.status == "active")
    )
    return {row.account_id: (row.score, row.band) for row in rows}


def _band_changes(
    before: dict[str, tuple[float, str]], after: dict[str, tuple[float, str]]
) -> list[dict[str, Any]]:
    """The accounts whose band moves, the sharpest falls first."""
    moves = sorted(
        (score - before[account_id][0], account_id, score, band)
        for account_id, (score, band) in after.items()
        if account_id in before and before[account_id][1] != band
    )
    return [
        {
            "account_id": account_id,
            "from_band": before[account_id][1],
            "to_band": band,
            "from_score": before[account_id][0],
            "to_score": score,
        }
        for _fall, account_id, score, band in moves
    ]


# Versions are 32-bit integers on every database.
LARGEST_VERSION = 2**31 - 1


class ScorecardVersionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such scorecard version.")


def get_scorecard_version(*, session: Session, version: int) -> Scorecard:
    get_scorecard(session=session)  # version 1 exists from the start
    # A number no column can hold names no version (and must not reach the database driver).
    card = session.get(Scorecard, version) if 0 < version <= LARGEST_VERSION else None
    if card is None:
        raise ScorecardVersionNotFound()
    return card


def list_scorecards(*, session: Session, page: int, per_page: int) -> dict[str, Any]:
    """Every version, the newest first."""
    get_scorecard(session=session)
    stmt = select(Scorecard).order_by(Scorecard.version.desc())
    return paginate(session, stmt, page=page, per_page=per_page)


class NoOverride(NotFound):
    def __init__(self) -> None:
        super().__init__("No override is in force for this account.")


def withdraw_override(
    *, session: Session, caller: Caller, account_id: str, lookup: AccountLookup
) -> None:
    """The executive's judgement ends now, before its `expires_on`: the computed score is
    shown alone again."""
    account_for_reading(session, caller, account_id, lookup)
    today = utcnow().date()
    in_force = session.scalars(overrides_in_force(account_id, today)).all()
    if not in_force:
        raise NoOverride()
    for override in in_force:
        override.withdrawn = True
    session.commit()


def _segment_known(session: Session, segment: str) -> bool:
    known = session.scalar(
        select(AccountFacts.account_id).where(AccountFacts.segment == segment).limit(1)
    )
    return known is not None


def _require_segment(session: Session, segment: str) -> None:
    if not _segment_known(session, segment):
        raise Invalid("segment", f"No account is in segment {segment!r}.")


class UnknownSegment(NotFound):
    def __init__(self, segment: str):
        super().__init__(f"No account is in segment {segment!r}.")


def get_segment_scorecard(*, session: Session, segment: str) -> dict[str, Any]:
    """The segment's own scorecard in force, else the default (`fallback: true`); a segment
    no account is in is not found."""
    if not _segment_known(session, segment):
        raise UnknownSegment(segment)
    card = get_scorecard(session=session, segment=segment)
    return {
        **{c.key: getattr(card, c.key) for c in Scorecard.__table__.columns},
        "fallback": card.segment is None,
    }


def replace_segment_scorecard(
    *, session: Session, caller: Caller, segment: str, data: dict[str, Any], dry_run: bool = False
) -> dict[str, Any]:
    """A new version of the segment's own scorecard: its accounts are rescored under it (and
    their history); the others keep theirs."""
    _require_segment(session, segment)
    return replace_scorecard(
        session=session, caller=caller, data=data, dry_run=dry_run, segment=segment
    )
