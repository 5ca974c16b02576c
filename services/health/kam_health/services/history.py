"""Back-dated history: weekly score points as they would have been, for many accounts at once.

An event dated in the past (a late report, an import, the demo) changes the account's past
scores; so does a new scorecard version (history is rescored under it, so trends compare like
with like at once). Both queue the accounts (`queue_history`); the worker rebuilds them with
`rebuild_queued` in one set-based pass (`domain.history`): one read of their events, one
write of their points. Requests never wait for it.

Weekly points are snapshots marked `weekly`; a rebuild replaces an account's weekly points
and leaves the points written when its score changed live.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from kam_common.db import new_id, utcnow
from kam_health.domain import history as engine
from kam_health.domain import points as pts
from kam_health.domain.scorecard import Scorecard
from kam_health.domain.vocabulary import BANDS, COMPONENTS
from kam_health.models import (
    AccountFacts,
    ContactMade,
    DepartedContact,
    Event,
    HistoryQueue,
    Snapshot,
)
from kam_health.services.scoring import cards_in_force, load_scorecard

EVERYONE = "*"  # queued for the whole portfolio (a new scorecard version)
_KINDS = {kind: n for n, kind in enumerate(engine.EVENT_TYPES)}
_SEVERE = ("high", "critical")


def queue_history(session: Session, account_ids: Iterable[str]) -> None:
    """Ask the worker to rebuild these accounts' history (in the caller's transaction);
    `EVERYONE` for all."""
    ids = sorted(set(account_ids))
    if not ids:
        return
    queued = set(
        session.scalars(select(HistoryQueue.account_id).where(HistoryQueue.account_id.in_(ids)))
    )
    now = utcnow()
    fresh = [{"account_id": i, "queued_at": now} for i in ids if i not in queued]
    if fresh:
        session.execute(insert(HistoryQueue), fresh)


def reaches_history(*moments: datetime | None, now: datetime | None = None) -> bool:
    """Whether a fact dated at these moments changes an already written weekly point."""
    cutoff = (now or utcnow()).timestamp()
    latest = engine.weekly_moments(cutoff, cutoff)
    if not len(latest):
        return False
    return any(m is not None and m.timestamp() <= latest[-1] for m in moments)


def rebuild_queued(session: Session, *, limit: int = 20_000) -> int:
    """Rebuild what is queued; returns how many accounts got their history rebuilt."""
    rows = session.execute(
        select(HistoryQueue.account_id, HistoryQueue.queued_at)
        .order_by(HistoryQueue.queued_at)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    ids = [r.account_id for r in rows]
    rebuilt = rebuild_history(session, None if EVERYONE in ids else ids)
    for account_id, queued_at in rows:
        session.execute(
            delete(HistoryQueue).where(
                HistoryQueue.account_id == account_id, HistoryQueue.queued_at == queued_at
            )
        )
    return rebuilt


def rebuild_history(
    session: Session, account_ids: Sequence[str] | None = None, *, now: datetime | None = None
) -> int:
    """Replace the weekly points of these active accounts (None: all of them) under the
    scorecard in force; returns how many accounts were rebuilt."""
    now = now or utcnow()
    cards = cards_in_force(session)
    if not cards.by_segment:
        return _rebuild(session, account_ids, cards.default, now)
    # Each account under the scorecard of its segment (the default where it has none).
    stmt = select(AccountFacts.account_id, AccountFacts.segment).where(
        AccountFacts.status == "active"
    )
    if account_ids is not None:
        stmt = stmt.where(AccountFacts.account_id.in_(account_ids))
    rebuilt = 0
    for card, rows in cards.groups(session.execute(stmt).all()):
        rebuilt += _rebuild(session, [r.account_id for r in rows], card, now)
    return rebuilt


def _rebuild(
    session: Session, account_ids: Sequence[str] | None, card: Scorecard, now: datetime
) -> int:
    inputs = _inputs(session, account_ids, card=card)
    if inputs is None:
        return 0
    known = inputs.first[np.isfinite(inputs.first)]
    moments = engine.weekly_moments(now.timestamp(), float(known.min()) if len(known) else np.inf)
    _delete_weekly(session, account_ids)
    if len(moments):
        scores, bands = inputs.scores(moments)
        # An account's points start with the Monday of its first event's week.
        with np.errstate(invalid="ignore"):
            day = np.floor(inputs.first / pts.DAY)
            monday = (day - np.mod(day - 4, 7)) * pts.DAY
        wanted = moments[None, :] >= monday[:, None]
        _write_points(session, inputs.ids, moments, scores, bands, wanted, inputs.card)
    return len(inputs.ids)


def scores_as_of(
    session: Session, moment: datetime, account_ids: Sequence[str] | None = None
) -> dict[str, tuple[float, str]]:
    """Each active account's score and band as they were (or are) at `moment`."""
    inputs = _inputs(session, account_ids)
    if inputs is None:
        return {}
    scores, bands = inputs.scores(np.array([moment.timestamp()]))
    return {
        account_id: (float(scores[n, 0]), BANDS[int(bands[n, 0])])
        for n, account_id in enumerate(inputs.ids)
    }


def penalties_at(
    session: Session, card: Scorecard, rows: Sequence[tuple[str, float]]
) -> dict[str, engine.Floats]:
    """Each component's penalty for each `(account_id, moment)` row, as it was at that moment
    under `card`, through the same engine as the history (archived accounts included: an
    account that churned is often archived since). One engine pass over the accounts named
    and the distinct moments."""
    ids = sorted({account_id for account_id, _ in rows})
    inputs = _inputs(session, ids, card=card, active_only=False)
    if inputs is None or not rows:
        return {name: np.zeros(0) for name in COMPONENTS}
    distinct = np.unique(np.array([moment for _, moment in rows], dtype=np.float64))
    grid = engine.penalties(
        inputs.events, inputs.accounts, inputs.departures, inputs.contacts, distinct, card
    )
    index = {account_id: n for n, account_id in enumerate(inputs.ids)}
    which = np.array([index.get(a, -1) for a, _ in rows], dtype=np.int64)
    if (which < 0).any():
        raise LookupError("Some accounts have no facts in health.")
    when = np.searchsorted(distinct, np.array([m for _, m in rows], dtype=np.float64))
    return {name: grid[name][which, when] for name in COMPONENTS}


@dataclass(frozen=True)
class _Inputs:
    ids: list[str]
    card: Scorecard
    events: engine.EventColumns
    accounts: engine.AccountColumns
    departures: engine.DepartureColumns
    contacts: engine.ContactColumns
    first: engine.Floats  # each account's first dated fact (inf: none)

    def scores(self, moments: engine.Floats) -> tuple[engine.Floats, engine.Ints]:
        penalties = engine.penalties(
            self.events, self.accounts, self.departures, self.contacts, moments, self.card
        )
        return engine.scores(penalties, self.card)


def _inputs(
    session: Session,
    account_ids: Sequence[str] | None,
    *,
    card: Scorecard | None = None,
    active_only: bool = True,
) -> _Inputs | None:
    """Everything the engine reads, for these active accounts (`active_only=False`: archived
    ones too): one read of each table."""
    accounts = _accounts(session, account_ids, active_only=active_only)
    if not accounts:
        return None
    everyone = account_ids is None
    index = {account_id: n for n, account_id in enumerate(accounts)}
    events = _events(session, index, everyone)
    departures = _departures(session, index, everyone)
    return _Inputs(
        ids=list(accounts),
        card=card or load_scorecard(session),
        events=events,
        accounts=engine.AccountColumns(
            created=np.array([a[1] for a in accounts.values()], dtype=np.float64),
            cadence_days=np.array([a[3] for a in accounts.values()], dtype=np.float64),
            breach_limit_days=np.array([a[4] for a in accounts.values()], dtype=np.float64),
        ),
        departures=departures,
        contacts=_contacts(session, index, accounts, everyone),
        first=_first_moments(events, departures, len(accounts)),
    )


def _accounts(
    session: Session, account_ids: Sequence[str] | None, *, active_only: bool = True
) -> dict[str, tuple[str, float, float, float, float]]:
    stmt = select(
        AccountFacts.account_id,
        AccountFacts.created_at,
        AccountFacts.last_contact_at,
        AccountFacts.contact_cadence_days,
        AccountFacts.breach_limit_days,
    )
    if active_only:
        stmt = stmt.where(AccountFacts.status == "active")
    if account_ids is not None:
        stmt = stmt.where(AccountFacts.account_id.in_(account_ids))
    found: dict[str, tuple[str, float, float, float, float]] = {}
    for row in session.execute(stmt.order_by(AccountFacts.account_id)):
        found[row.account_id] = (
            row.account_id,
            row.created_at.timestamp(),
            row.last_contact_at.timestamp() if row.last_contact_at else np.nan,
            float(row.contact_cadence_days),
            np.nan if row.breach_limit_days is None else float(row.breach_limit_days),
        )
    return found


def _events(session: Session, index: dict[str, int], everyone: bool) -> engine.EventColumns:
    e = Event
    stmt = select(
        e.account_id,
        e.type,
        e.severity,
        e.occurred_ts,
        e.opened_ts,
        e.resolved_ts,
        e.promised_day,
        e.delivered_day,
        e.sla_hours,
    )
    if not everyone:
        stmt = stmt.where(e.account_id.in_(list(index)))
    rows = [tuple(r) for r in session.execute(stmt) if r[0] in index]
    if rows:
        account, kind, severity, occurred, opened, resolved, promised, delivered, sla = zip(
            *rows, strict=True
        )
    else:
        account = kind = severity = occurred = opened = resolved = promised = delivered = sla = ()
    base = {
        (k, s): engine.base_points(k, s)
        for k in engine.EVENT_TYPES
        for s in (*pts.QUALITY_POINTS, *pts.SUPPORT_POINTS, *pts.WARNING_POINTS, None)
    }

    def floats(values: tuple[Any, ...]) -> engine.Floats:
        return np.array(values, dtype=np.float64)

    return engine.EventColumns(
        account=np.array([index[a] for a in account], dtype=np.int64),
        kind=np.array([_KINDS[k] for k in kind], dtype=np.int64),
        severity_points=floats(
            tuple(base.get((k, s), 0.0) for k, s in zip(kind, severity, strict=True))
        ),
        severity_sla=floats(tuple(pts.DEFAULT_SLA_HOURS.get(s or "", 0.0) for s in severity)),
        severe=np.array([s in _SEVERE for s in severity], dtype=np.bool_),
        occurred=floats(occurred),
        opened=floats(opened),
        resolved=floats(resolved),
        promised_day=floats(promised),
        delivered_day=floats(delivered),
        sla_hours=floats(sla),
    )


def _departures(session: Session, index: dict[str, int], everyone: bool) -> engine.DepartureColumns:
    stmt = select(DepartedContact.account_id, DepartedContact.left_on, DepartedContact.buying_role)
    if not everyone:
        stmt = stmt.where(DepartedContact.account_id.in_(list(index)))
    rows = [r for r in session.execute(stmt) if r.account_id in index]
    return engine.DepartureColumns(
        account=np.array([index[r.account_id] for r in rows], dtype=np.int64),
        left=np.array(
            [
                datetime.combine(r.left_on, datetime.min.time(), tzinfo=UTC).timestamp()
                for r in rows
            ],
            dtype=np.float64,
        ),
        points=np.array([pts.departed_points(r.buying_role) for r in rows], dtype=np.float64),
    )


def _midnight(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).timestamp()


def _contacts(
    session: Session,
    index: dict[str, int],
    accounts: dict[str, tuple[str, float, float, float, float]],
    everyone: bool,
) -> engine.ContactColumns:
    """Every interaction health heard of, and each account's latest contact (which may predate
    the interactions kept)."""
    stmt = select(ContactMade.account_id, ContactMade.occurred_at)
    if not everyone:
        stmt = stmt.where(ContactMade.account_id.in_(list(index)))
    pairs = [(index[a], at.timestamp()) for a, at in session.execute(stmt) if a in index]
    pairs += [(index[a], row[2]) for a, row in accounts.items() if not np.isnan(row[2])]
    return engine.ContactColumns(
        account=np.array([p[0] for p in pairs], dtype=np.int64),
        at=np.array([p[1] for p in pairs], dtype=np.float64),
    )


def _first_moments(
    events: engine.EventColumns, departures: engine.DepartureColumns, n_accounts: int
) -> engine.Floats:
    first = np.full(n_accounts, np.inf)
    if len(events.account):
        np.minimum.at(first, events.account, events.starts)
    if len(departures.account):
        np.minimum.at(first, departures.account, departures.left)
    return first


def _delete_weekly(session: Session, account_ids: Sequence[str] | None) -> None:
    stmt = delete(Snapshot).where(Snapshot.weekly.is_(True))
    if account_ids is not None:
        stmt = stmt.where(Snapshot.account_id.in_(account_ids))
    session.execute(stmt)


_COLUMNS = "id, account_id, at, score, band, scorecard_version, weekly"
_COPY = f"COPY snapshots ({_COLUMNS}) FROM STDIN"
_INSERT = f"INSERT INTO snapshots ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - constants


def _write_points(
    session: Session,
    ids: list[str],
    moments: engine.Floats,
    scores: engine.Floats,
    bands: engine.Ints,
    wanted: Any,
    card: Scorecard,
) -> None:
    """PostgreSQL's COPY, which takes a million rows in seconds where row-by-row inserts take a
    minute; the driver's own executemany on SQLite. Values are bound as the ORM binds them."""
    conn: Connection = session.connection()
    dialect = conn.dialect
    column_type = Snapshot.__table__.c.at.type.dialect_impl(dialect)
    process = column_type.bind_processor(dialect)
    stamps = [datetime.fromtimestamp(float(moment), UTC) for moment in moments]
    at_values = [process(stamp) if process else stamp for stamp in stamps]
    rows_at, cols_at = np.nonzero(wanted)
    records = (
        (new_id(), ids[r], at_values[c], s, BANDS[b], card.version, True)
        for r, c, s, b in zip(
            rows_at.tolist(),
            cols_at.tolist(),
            scores[rows_at, cols_at].tolist(),
            bands[rows_at, cols_at].tolist(),
            strict=True,
        )
    )
    raw: Any = conn.connection.driver_connection
    if dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(_COPY) as copy:
            for record in records:
                copy.write_row(record)
    else:
        raw.cursor().executemany(_INSERT, records)
