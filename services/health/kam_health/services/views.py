"""What users read: the current score beside any override, its history, the portfolio."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import NotFound
from kam_common.pagination import page_from_list
from kam_health.domain.vocabulary import BANDS
from kam_health.models import AccountFacts, Alert, Override, Score, Snapshot, TeamMember
from kam_health.models import Scorecard as ScorecardRow
from kam_health.services.facts import AccountLookup, facts_from, upsert_account
from kam_health.services.scoring import cards_in_force, load_scorecard, score_accounts, trend

TOP_DECLINES = 5


class ScoreNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Account not found.")


def account_for_reading(
    session: Session,
    caller: Caller,
    account_id: str,
    lookup: AccountLookup,
    *,
    keep: bool = False,
) -> AccountFacts:
    """The account, read through to the accounts service if health has not heard of it yet.

    Reads do not keep what they read through (`keep=False`): a GET never writes, so it never
    waits on a writer; the account's own event will bring the facts.
    """
    facts = session.get(AccountFacts, account_id) if caller.may_see(account_id) else None
    if facts is None and caller.may_see(account_id):
        found = lookup(account_id)
        if found is not None:
            facts = upsert_account(session, found) if keep else facts_from(found)
    if facts is None:
        raise ScoreNotFound()
    return facts


def overrides_in_force(account_id: str, today: Any) -> Any:
    """The account's overrides neither withdrawn nor expired, as a query."""
    return select(Override).where(
        Override.account_id == account_id,
        Override.withdrawn.is_(False),
        or_(Override.expires_on.is_(None), Override.expires_on >= today),
    )


def active_override(session: Session, account_id: str, today: Any) -> Override | None:
    return session.scalars(
        overrides_in_force(account_id, today).order_by(Override.created_at.desc())
    ).first()


def current_score(
    *, session: Session, caller: Caller, account_id: str, lookup: AccountLookup
) -> dict[str, Any]:
    facts = account_for_reading(session, caller, account_id, lookup)
    now = utcnow()
    score = session.get(Score, facts.account_id)
    if score is None:  # not scored yet (its event is on the way): score it now, keep nothing
        card = cards_in_force(session).card_for(facts.segment)
        computed = score_accounts(session, [facts], now, card)[facts.account_id]
        score = Score(
            account_id=facts.account_id,
            score=computed.score,
            band=computed.band,
            components=computed.components,
            drivers=computed.drivers,
            scorecard_version=card.version,
            computed_at=now,
        )
    override = active_override(session, account_id, now.date())
    card = load_scorecard(session)
    return {
        "account_id": account_id,
        "score": score.score,
        "band": score.band,
        "components": score.components,
        "drivers": score.drivers,
        "trend": trend(session, account_id, score, now),
        "override": None
        if override is None
        else override_view(override, card.band(override.score)),
        "scorecard_version": score.scorecard_version,
        "scorecard_segment": _segment_of(session, score.scorecard_version),
        "computed_at": score.computed_at,
    }


def _segment_of(session: Session, version: int) -> str | None:
    """The segment a scorecard version scores (None: the default)."""
    row = session.get(ScorecardRow, version)
    return None if row is None else row.segment


def override_view(override: Override, band: str) -> dict[str, Any]:
    return {
        "id": override.id,
        "score": override.score,
        "band": band,
        "reason": override.reason,
        "expires_on": override.expires_on,
        "created_by": override.created_by,
        "created_at": override.created_at,
    }


def history(
    *,
    session: Session,
    caller: Caller,
    account_id: str,
    lookup: AccountLookup,
    from_: datetime | None = None,
    to: datetime | None = None,
) -> dict[str, Any]:
    account_for_reading(session, caller, account_id, lookup)
    stmt = select(Snapshot).where(Snapshot.account_id == account_id)
    if from_:
        stmt = stmt.where(Snapshot.at >= from_)
    if to:
        stmt = stmt.where(Snapshot.at <= to)
    points = session.scalars(stmt.order_by(Snapshot.at, Snapshot.id)).all()
    return {"account_id": account_id, "points": points}


def portfolio(
    *,
    session: Session,
    caller: Caller,
    page: int = 1,
    per_page: int = 20,
    band: str | None = None,
    segment: str | None = None,
    tier: str | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Counts by band, average, revenue at risk, top declines and the accounts themselves,
    worst first, over the visible portfolio (`segment`, `tier`, `owner` narrow all of it;
    `band` narrows the list). A handful of set-based reads, whatever the portfolio's size."""
    now = utcnow()
    cards = cards_in_force(session)
    versions = {cards.default.version, *(c.version for c in cards.by_segment.values())}
    visible = [AccountFacts.status == "active"]
    if caller.scope is not None:
        visible.append(AccountFacts.account_id.in_(caller.scope))
    if segment:
        visible.append(AccountFacts.segment == segment)
    if tier:
        visible.append(AccountFacts.tier == tier)
    if owner:
        visible.append(AccountFacts.account_id.in_(_accounts_worked_by(owner)))
    rows = session.execute(
        select(
            AccountFacts.account_id,
            AccountFacts.name,
            AccountFacts.segment,
            AccountFacts.tier,
            AccountFacts.annual_revenue,
            AccountFacts.currency,
            Score.score,
            Score.band,
            Score.scorecard_version,
        )
        .join(Score, Score.account_id == AccountFacts.account_id)
        .where(*visible)
        .order_by(Score.score, AccountFacts.name, AccountFacts.account_id)
    ).all()
    by_band = {b: 0 for b in BANDS}
    revenue_by_band: dict[str, dict[str, Decimal]] = {b: {} for b in BANDS}
    at_risk: Counter[str] = Counter()
    currencies: Counter[str] = Counter()
    for row in rows:
        by_band[row.band] += 1
        currencies[row.currency] += 1
        per_currency = revenue_by_band[row.band]
        per_currency[row.currency] = per_currency.get(row.currency, Decimal(0)) + row.annual_revenue
        if row.band in ("at_risk", "critical"):
            at_risk[row.currency] += row.annual_revenue
    currency = currencies.most_common(1)[0][0] if currencies else "USD"
    average = round(sum(r.score for r in rows) / len(rows), 2) if rows else None
    deltas = _deltas_30d(session, rows, now, versions)
    listed = [r for r in rows if band is None or r.band == band]
    shown = page_from_list(listed, page=page, per_page=per_page)
    alerts = _open_alerts(session, [r.account_id for r in shown["items"]])
    return {
        "accounts": len(rows),
        "by_band": by_band,
        "average_score": average,
        "revenue_at_risk": float(at_risk.get(currency, Decimal(0))),
        "currency": currency,
        "revenue_at_risk_by_currency": {k: float(v) for k, v in at_risk.items()},
        "top_declines": _top_declines(rows, deltas),
        "revenue_by_band": {
            b: {c: float(v) for c, v in sorted(amounts.items())}
            for b, amounts in revenue_by_band.items()
        },
        **shown,
        "items": [
            {
                "account_id": r.account_id,
                "name": r.name,
                "segment": r.segment,
                "tier": r.tier,
                "score": r.score,
                "band": r.band,
                "delta_30d": deltas.get(r.account_id),
                "annual_revenue": r.annual_revenue,
                "currency": r.currency,
                "open_alerts": alerts.get(r.account_id, 0),
            }
            for r in shown["items"]
        ],
    }


def _accounts_worked_by(member_id: str) -> Any:
    """The accounts on whose team this member is, or the same person (by e-mail) on others."""
    email = select(TeamMember.email).where(TeamMember.member_id == member_id).scalar_subquery()
    return select(TeamMember.account_id).where(
        or_(TeamMember.member_id == member_id, TeamMember.email == email)
    )


def _open_alerts(session: Session, account_ids: list[str]) -> dict[str, int]:
    if not account_ids:
        return {}
    rows = session.execute(
        select(Alert.account_id, func.count())
        .where(Alert.account_id.in_(account_ids), Alert.status != "resolved")
        .group_by(Alert.account_id)
    ).all()
    return {account_id: count for account_id, count in rows}


def _deltas_30d(
    session: Session, rows: Sequence[Any], now: datetime, versions: set[int]
) -> dict[str, float]:
    """Each account's change against its latest point 30 days ago under the scorecard in
    force, in one query for the whole portfolio; accounts without such a point are absent."""
    if not rows:
        return {}
    cutoff = now - timedelta(days=30)
    # The latest point at or before the cutoff, per account: a window function reads the
    # snapshots once, where a self-join on max(at) is at the mercy of fresh planner statistics.
    ranked = (
        select(
            Snapshot.account_id,
            Snapshot.score,
            Snapshot.scorecard_version,
            func.row_number()
            .over(
                partition_by=(Snapshot.account_id, Snapshot.scorecard_version),
                order_by=Snapshot.at.desc(),
            )
            .label("rank"),
        )
        .where(Snapshot.at <= cutoff, Snapshot.scorecard_version.in_(versions))
        .subquery()
    )
    past = {
        (account_id, version): score
        for account_id, version, score in session.execute(
            select(ranked.c.account_id, ranked.c.scorecard_version, ranked.c.score).where(
                ranked.c.rank == 1
            )
        )
    }
    # Compared under the scorecard that scores the account now (its segment's, or the default).
    return {
        r.account_id: round(r.score - past[(r.account_id, r.scorecard_version)], 2)
        for r in rows
        if (r.account_id, r.scorecard_version) in past
    }


def _top_declines(rows: Sequence[Any], deltas: dict[str, float]) -> list[dict[str, Any]]:
    """The sharpest falls against 30 days ago."""
    declines = [
        {
            "account_id": r.account_id,
            "name": r.name,
            "score": r.score,
            "band": r.band,
            "delta_30d": deltas[r.account_id],
        }
        for r in rows
        if deltas.get(r.account_id, 0) < 0
    ]
    declines.sort(key=lambda d: (d["delta_30d"], d["name"]))
    return declines[:TOP_DECLINES]
