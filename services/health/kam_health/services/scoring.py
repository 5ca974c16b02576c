"""Scoring accounts and keeping their history: one account, a batch, or the portfolio."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from kam_common.db import new_id, utcnow
from kam_health import events
from kam_health.domain import alerts as alert_rules
from kam_health.domain.score import Computed, compute, fingerprint
from kam_health.domain.scorecard import Scorecard
from kam_health.models import AccountFacts, RescoreQueue, Score, Snapshot
from kam_health.models import Scorecard as ScorecardRow
from kam_health.services.alerts import raise_alert
from kam_health.services.tallies import AccountRow, iter_tallies, tally_accounts


def as_card(row: ScorecardRow) -> Scorecard:
    return Scorecard(
        version=row.version,
        weights=dict(row.weights),
        window_days=row.window_days,
        half_life_days=row.half_life_days,
        thresholds=dict(row.thresholds),
        segment=row.segment,
    )


def load_scorecard(session: Session) -> Scorecard:
    """The default scorecard in force."""
    row = session.scalars(
        select(ScorecardRow)
        .where(ScorecardRow.segment.is_(None))
        .order_by(ScorecardRow.version.desc())
    ).first()
    return Scorecard() if row is None else as_card(row)


@dataclass(frozen=True)
class CardsInForce:
    """The default scorecard and each segment's own, where it has one."""

    default: Scorecard
    by_segment: dict[str, Scorecard]

    def card_for(self, segment: str | None) -> Scorecard:
        return self.by_segment.get(segment, self.default) if segment else self.default

    def groups(self, rows: Sequence[Any]) -> list[tuple[Scorecard, list[Any]]]:
        """The rows (each with a `segment`) grouped by the scorecard that scores them."""
        grouped: dict[int, tuple[Scorecard, list[Any]]] = {}
        for row in rows:
            card = self.card_for(row.segment)
            grouped.setdefault(card.version, (card, []))[1].append(row)
        return list(grouped.values())


def cards_in_force(session: Session) -> CardsInForce:
    latest: dict[str, Scorecard] = {}
    rows = session.scalars(
        select(ScorecardRow).where(ScorecardRow.segment.is_not(None)).order_by(ScorecardRow.version)
    )
    for row in rows:
        latest[str(row.segment)] = as_card(row)
    return CardsInForce(load_scorecard(session), latest)


def rescore(session: Session, account_ids: Iterable[str], *, now: datetime | None = None) -> None:
    """Score these accounts now; store what changed, with a snapshot and any alert."""
    ids = list(dict.fromkeys(account_ids))
    facts = list(session.scalars(select(AccountFacts).where(AccountFacts.account_id.in_(ids))))
    for card, group in cards_in_force(session).groups(facts):
        _score_and_store(session, group, now or utcnow(), card)


def active_facts(session: Session) -> list[Any]:
    """What scoring reads of every active account, as plain rows: ten thousand ORM objects
    cost more than the scoring itself."""
    return list(
        session.execute(select(*_FACT_COLUMNS).where(AccountFacts.status == "active")).all()
    )


def rescore_portfolio(session: Session, *, now: datetime | None = None) -> int:
    """Every active account, in one scan of the events; returns how many were scored."""
    facts = active_facts(session)
    groups = cards_in_force(session).groups(facts)
    for card, group in groups:
        # One scan of all events when one scorecard scores everyone; else one per scorecard.
        _score_and_store(session, group, now or utcnow(), card, everyone=len(groups) == 1)
    return len(facts)


# What scoring reads of an account's facts.
_FACT_COLUMNS = (
    AccountFacts.account_id,
    AccountFacts.created_at,
    AccountFacts.contact_cadence_days,
    AccountFacts.last_contact_at,
    AccountFacts.breach_limit_days,
    AccountFacts.segment,
)


def score_accounts(
    session: Session,
    facts: Sequence[AccountRow],
    now: datetime,
    card: Scorecard,
    *,
    everyone: bool = False,
) -> dict[str, Computed]:
    """Compute, store nothing."""
    tallies = tally_accounts(
        session,
        facts,
        now=now,
        window_days=card.window_days,
        half_life_days=card.half_life_days,
        everyone=everyone,
    )
    return {f.account_id: compute(tallies[f.account_id], card, f.breach_limit_days) for f in facts}


def _score_and_store(
    session: Session,
    facts: Sequence[AccountRow],
    now: datetime,
    card: Scorecard,
    *,
    everyone: bool = False,
) -> None:
    # The stored fingerprint says whether anything changed; the JSON is never read back.
    stmt = select(Score.account_id, Score.score, Score.band, Score.scorecard_version, Score.digest)
    if not everyone:
        stmt = stmt.where(Score.account_id.in_([f.account_id for f in facts]))
    stored = {row.account_id: row for row in session.execute(stmt)}
    new_rows: list[dict[str, Any]] = []
    existing_rows: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    by_id = {fact.account_id: fact for fact in facts}
    parts = iter_tallies(
        session,
        facts,
        now=now,
        window_days=card.window_days,
        half_life_days=card.half_life_days,
        everyone=everyone,
    )
    # Each part is scored while the database still scans the next ones.
    for account_id, tallies in ((a, t) for part in parts for a, t in part.items()):
        fact = by_id[account_id]
        digest = fingerprint(tallies, card, fact.breach_limit_days)
        before = stored.get(fact.account_id)
        if before is not None and before.digest == digest:
            continue  # same score, same sentences: nothing to compute or write
        computed = compute(tallies, card, fact.breach_limit_days)
        row = {
            "account_id": fact.account_id,
            "score": computed.score,
            "band": computed.band,
            "components": computed.components,
            "drivers": computed.drivers,
            "scorecard_version": card.version,
            "computed_at": now,
            "digest": digest,
        }
        (new_rows if before is None else existing_rows).append(row)
        if before is None or (before.score, before.band, before.scorecard_version) != (
            computed.score,
            computed.band,
            card.version,
        ):
            snapshots.append(
                {
                    "account_id": fact.account_id,
                    "at": now,
                    "score": computed.score,
                    "band": computed.band,
                    "scorecard_version": card.version,
                }
            )
        if before is not None and before.band != computed.band:
            events.band_changed(
                session,
                fact.account_id,
                band=computed.band,
                score=computed.score,
                previous_band=before.band,
                at=now,
            )
        if before is not None and alert_rules.worse(before.band, computed.band):
            raise_alert(
                session,
                fact.account_id,
                alert_rules.band_worsened(
                    before.band, computed.band, before.score, computed.score, computed.drivers
                ),
            )
    # Core executemany throughout: the ORM's bulk paths spend as long again on bookkeeping.
    if new_rows:
        session.execute(insert(cast(Table, Score.__table__)), new_rows)
    if existing_rows:
        table = cast(Table, Score.__table__)
        session.execute(
            table.update().where(table.c.account_id == bindparam("key")),
            [{"key": row["account_id"], **row} for row in existing_rows],
        )
    if snapshots:
        rows = [{"id": new_id(), **s} for s in snapshots]
        session.execute(insert(cast(Table, Snapshot.__table__)), rows)
        changed = {s["account_id"] for s in snapshots}
        events.scored(
            session, [r for r in (*new_rows, *existing_rows) if r["account_id"] in changed], at=now
        )
    for obj in list(session.identity_map.values()):  # the bulk UPDATE bypassed these
        if isinstance(obj, Score):
            session.expire(obj)


def queue_rescore(session: Session, account_ids: Iterable[str]) -> None:
    """Ask the worker to rescore these accounts (in the caller's transaction)."""
    ids = set(account_ids)
    queued = set(
        session.scalars(select(RescoreQueue.account_id).where(RescoreQueue.account_id.in_(ids)))
    )
    now = utcnow()
    fresh = [{"account_id": i, "queued_at": now} for i in sorted(ids - queued)]
    if fresh:
        session.execute(insert(RescoreQueue), fresh)
    if queued:
        session.execute(
            update(RescoreQueue).where(RescoreQueue.account_id.in_(queued)).values(queued_at=now)
        )


def rescore_queued(session: Session, *, limit: int = 5000) -> int:
    """Rescore what batches queued; an account queued again meanwhile stays queued."""
    rows = session.execute(
        select(RescoreQueue.account_id, RescoreQueue.queued_at)
        .order_by(RescoreQueue.queued_at)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    rescore(session, [r.account_id for r in rows])
    for account_id, queued_at in rows:
        session.execute(
            delete(RescoreQueue).where(
                RescoreQueue.account_id == account_id, RescoreQueue.queued_at == queued_at
            )
        )
    return len(rows)


def trend(session: Session, account_id: str, score: Score, now: datetime) -> dict[str, Any]:
    """Change against the score 30 and 90 days ago under the same scorecard (None if unknown)."""
    deltas: dict[str, Any] = {}
    for days in (30, 90):
        past = session.scalars(
            select(Snapshot.score)
            .where(
                Snapshot.account_id == account_id,
                Snapshot.scorecard_version == score.scorecard_version,
                Snapshot.at <= now - timedelta(days=days),
            )
            .order_by(Snapshot.at.desc())
            .limit(1)
        ).first()
        deltas[f"delta_{days}d"] = None if past is None else round(score.score - past, 2)
    return deltas
