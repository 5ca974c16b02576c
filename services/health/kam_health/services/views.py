"""What users read: the current score beside any override, its history, the portfolio."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import NotFound
from kam_health.domain.vocabulary import BANDS
from kam_health.models import AccountFacts, Alert, Override, Score, Snapshot, TeamMember
from kam_health.models import Scorecard as ScorecardRow
from kam_health.services.facts import AccountLookup, facts_from, upsert_account
from kam_health.services.scoring import cards_in_force, load_scorecard, score_accounts, trend

TOP_DECLINES = 5
# The portfolio's figures each process remembers (per database, filters and caller's scope),
# stamped with the generation that every write to what they are computed from moves
# (migration 0015): a figure is never served once a write changed what it was computed from.
_GENERATION = text("SELECT generation FROM portfolio_changes WHERE id = 1")
MAX_REMEMBERED = 256  # figures kept before the memory starts over (a bound, not a knob)
_remembered: dict[tuple[Any, ...], Any] = {}
_remembered_lock = threading.Lock()


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
    group_id: str | None = None,
) -> dict[str, Any]:
    """Counts by band, average, revenue at risk, top declines and the accounts themselves,
    worst first, over the visible portfolio (`segment`, `tier`, `owner`, `group_id` narrow all
    of it; `band` narrows the list). A handful of set-based reads, whatever the portfolio's size,
    and, while nothing they are computed from changed, remembered: then two small reads (the
    generation, and the listed accounts' open alerts, which are always read now)."""
    visible = [AccountFacts.status == "active"]
    if caller.scope is not None:
        visible.append(AccountFacts.account_id.in_(caller.scope))
    if segment:
        visible.append(AccountFacts.segment == segment)
    if tier:
        visible.append(AccountFacts.tier == tier)
    if owner:
        visible.append(AccountFacts.account_id.in_(_accounts_worked_by(owner)))
    if group_id:
        visible.append(AccountFacts.account_id.in_(_group_of(group_id)))
    scored = (AccountFacts.account_id == Score.account_id, *visible)
    # 30 days ago, to the next whole minute: what compares with it is remembered for that
    # minute at most.
    cutoff = _next_minute(utcnow() - timedelta(days=30))
    past = _score_at(cutoff).label("past")
    # The generation first, then the data: a figure is remembered under a generation no newer
    # than what it was computed from, so a write's figures are never hidden behind older ones.
    generation = session.execute(_GENERATION).scalar_one()
    database = str(session.get_bind().engine.url)
    key: tuple[Any, ...] = (database, generation, caller.scope, segment, tier, owner, group_id)
    found: dict[str, set[int]] = {}

    def versions() -> set[int]:
        """The scorecard versions in force (read once, and only when something is computed):
        each account compares like with like, under the scorecard that scores it now."""
        if "versions" not in found:
            cards = cards_in_force(session)
            found["versions"] = {
                cards.default.version,
                *(c.version for c in cards.by_segment.values()),
            }
        return found["versions"]

    def top_declines() -> list[dict[str, Any]]:
        rows = session.execute(
            select(*_LISTED, past)
            .where(*scored, Score.scorecard_version.in_(versions()), past > Score.score)
            .order_by(Score.score - past, AccountFacts.name, AccountFacts.account_id)
            .limit(TOP_DECLINES)
        ).all()
        return [
            {
                "account_id": r.account_id,
                "name": r.name,
                "score": r.score,
                "band": r.band,
                "delta_30d": delta,
            }
            for r in rows
            if (delta := _delta(r, versions())) is not None and delta < 0
        ]

    def listed() -> list[dict[str, Any]]:
        where = [*scored] if band is None else [*scored, Score.band == band]
        rows = session.execute(
            select(*_LISTED, past)
            .where(*where)
            .order_by(Score.score, AccountFacts.name, AccountFacts.account_id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return [
            {
                "account_id": r.account_id,
                "name": r.name,
                "segment": r.segment,
                "tier": r.tier,
                "score": r.score,
                "band": r.band,
                "delta_30d": _delta(r, versions()),
                "annual_revenue": r.annual_revenue,
                "currency": r.currency,
            }
            for r in rows
        ]

    summary = _remember(("summary", *key), lambda: _summary(session, scored))
    declines = _remember(("declines", *key, cutoff), top_declines)
    items = _remember(("listed", *key, cutoff, band, page, per_page), listed)
    alerts = _open_alerts(session, [item["account_id"] for item in items])
    by_band = summary["by_band"]
    return {
        **summary,
        "by_band": dict(by_band),
        "top_declines": [dict(d) for d in declines],
        "total": by_band.get(band, 0) if band is not None else summary["accounts"],
        "page": page,
        "per_page": per_page,
        "items": [{**item, "open_alerts": alerts.get(item["account_id"], 0)} for item in items],
    }


def _summary(session: Session, scored: tuple[Any, ...]) -> dict[str, Any]:
    """Counts, revenue and average by band, in the database: one row per band and currency,
    whatever the portfolio's size."""
    by_band = {b: 0 for b in BANDS}
    revenue_by_band: dict[str, dict[str, Decimal]] = {b: {} for b in BANDS}
    at_risk: dict[str, Decimal] = {}
    currencies: Counter[str] = Counter()
    total_score, accounts = 0.0, 0
    for row in session.execute(
        select(
            Score.band,
            AccountFacts.currency,
            func.count().label("accounts"),
            func.sum(AccountFacts.annual_revenue).label("revenue"),
            func.sum(Score.score).label("scores"),
        )
        .where(*scored)
        .group_by(Score.band, AccountFacts.currency)
    ):
        revenue = row.revenue or Decimal(0)
        by_band[row.band] += row.accounts
        currencies[row.currency] += row.accounts
        revenue_by_band[row.band][row.currency] = revenue
        if row.band in ("at_risk", "critical"):
            at_risk[row.currency] = at_risk.get(row.currency, Decimal(0)) + revenue
        total_score += row.scores
        accounts += row.accounts
    currency = currencies.most_common(1)[0][0] if currencies else "USD"
    return {
        "accounts": accounts,
        "by_band": by_band,
        "average_score": round(total_score / accounts, 2) if accounts else None,
        "revenue_at_risk": float(at_risk.get(currency, Decimal(0))),
        "currency": currency,
        "revenue_at_risk_by_currency": {k: float(v) for k, v in at_risk.items()},
        "revenue_by_band": {
            b: {c: float(v) for c, v in sorted(amounts.items())}
            for b, amounts in revenue_by_band.items()
        },
    }


def _remember(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """The figure remembered under `key` (which holds its generation), or computed now and
    remembered. Remembered figures are never changed: callers copy before they change one."""
    found = _remembered.get(key)
    if found is None:
        found = compute()
        with _remembered_lock:
            if len(_remembered) >= MAX_REMEMBERED:
                _remembered.clear()
            _remembered[key] = found
    return found


def _next_minute(moment: datetime) -> datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


# What each listed account shows.
_LISTED = (
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


def _score_at(cutoff: datetime) -> Any:
    """The account's latest point at or before `cutoff` (30 days ago) under the scorecard that
    scored it now (null without one): an index seek on (account_id, at) per account, however
    long the history."""
    return (
        select(Snapshot.score)
        .where(
            Snapshot.account_id == AccountFacts.account_id,
            Snapshot.at <= cutoff,
            Snapshot.scorecard_version == Score.scorecard_version,
        )
        .order_by(Snapshot.at.desc())
        .limit(1)
        .correlate(AccountFacts, Score)
        .scalar_subquery()
    )


def _delta(row: Any, versions: set[int]) -> float | None:
    """Against 30 days ago; none when there is no such point or the score is of a version no
    longer in force."""
    if row.past is None or row.scorecard_version not in versions:
        return None
    return round(float(row.score) - float(row.past), 2)


def _group_of(root_id: str) -> Any:
    """The account and every account below it in its client group (a recursive query; UNION
    ends even on a loop that concurrent changes in the accounts service could have made)."""
    tree = (
        select(AccountFacts.account_id)
        .where(AccountFacts.account_id == root_id)
        .cte("group_tree", recursive=True)
    )
    below = select(AccountFacts.account_id).where(AccountFacts.parent_id == tree.c.account_id)
    return select(tree.union(below).c.account_id)


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
