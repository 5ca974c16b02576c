"""Tallies for many accounts at once, in set-based SQL: one scan of the events, grouped.

The arithmetic is the reference in `domain.tally` (and the constants of `domain.points`)
expressed as SQL over plain numeric columns, so it runs the same on SQLite and PostgreSQL.
Tests check both agree on random data.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    Engine,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from kam_health.domain import points as pts
from kam_health.domain.tally import (
    AccountFacts as AccountView,
)
from kam_health.domain.tally import (
    DepartedContact as Departed,
)
from kam_health.domain.tally import (
    Tallies,
    tally_people,
)
from kam_health.domain.vocabulary import SIGNALS
from kam_health.models import AccountFacts, DepartedContact, Event

EPOCH_DAY = datetime(1970, 1, 1, tzinfo=UTC)
SCAN_SHARDS = max(1, min(4, os.cpu_count() or 1))


def day_number(moment: datetime) -> int:
    return (moment.date() - EPOCH_DAY.date()).days


def _capped(expr: Any, cap: float) -> Any:
    return case((expr > cap, literal(cap)), else_=expr)


def _points_case(column: Any, table: dict[str, float]) -> Any:
    return case(*((column == key, literal(value)) for key, value in table.items()), else_=0.0)


class AccountRow(Protocol):
    """What scoring reads of an account: an `AccountFacts` or a plain row of those columns."""

    account_id: str
    created_at: datetime
    contact_cadence_days: int
    last_contact_at: datetime | None
    breach_limit_days: int | None


def tally_accounts(
    session: Session,
    facts: Sequence[AccountRow],
    *,
    now: datetime,
    window_days: int,
    half_life_days: float,
    everyone: bool = False,
) -> dict[str, Tallies]:
    """Tallies for the given accounts; `everyone` scans all events once instead of filtering
    by account (the portfolio rescore, where the filter would only cost)."""
    merged: dict[str, Tallies] = {}
    for part in iter_tallies(
        session,
        facts,
        now=now,
        window_days=window_days,
        half_life_days=half_life_days,
        everyone=everyone,
    ):
        merged.update(part)
    return merged


def iter_tallies(
    session: Session,
    facts: Sequence[AccountRow],
    *,
    now: datetime,
    window_days: int,
    half_life_days: float,
    everyone: bool = False,
) -> Iterator[dict[str, Tallies]]:
    """Tallies in parts, each as soon as its scan is done: for the whole portfolio the caller
    scores one account range while the database scans the next."""
    if not facts:
        return
    ids = [f.account_id for f in facts]
    departed = _departed(session, ids, everyone)
    window = pts.Window(now, window_days, half_life_days)
    by_id = {f.account_id: f for f in facts}
    params = _parameters(now, window_days, half_life_days)
    if everyone:
        parts = _scan_in_ranges(session, params, sorted(ids))
    else:
        stmt = _aggregate_statement().where(Event.account_id.in_(bindparam("ids", expanding=True)))
        parts = iter([(ids, list(session.execute(stmt, {**params, "ids": ids})))])
    for part_ids, rows in parts:
        found = {row.account_id: row for row in rows}
        yield {
            account_id: _tallies(by_id[account_id], found.get(account_id), departed, window)
            for account_id in part_ids
        }


def _tallies(
    fact: AccountRow, row: Any, departed: dict[str, list[Departed]], window: pts.Window
) -> Tallies:
    tallies = Tallies()
    if row is not None:
        _fill(tallies, row)
    view = AccountView(
        created_at=fact.created_at,
        cadence_days=fact.contact_cadence_days,
        last_contact_at=fact.last_contact_at,
        breach_limit_days=fact.breach_limit_days,
        departed=tuple(departed.get(fact.account_id, ())),
    )
    tally_people(tallies.commitment, view, window)
    return tallies


def _fill(t: Tallies, row: Any) -> None:
    t.events = row.events
    d = t.delivery
    d.due, d.late = int(row.d_due or 0), int(row.d_late or 0)
    d.days_late_total = float(row.d_days or 0)
    d.breaches, d.outstanding_late = int(row.d_breaches or 0), int(row.d_outstanding or 0)
    d.penalty = float(row.d_penalty or 0)
    q = t.quality
    q.by_severity = {
        s: int(n or 0)
        for s, n in (("minor", row.q_minor), ("major", row.q_major), ("critical", row.q_critical))
        if n
    }
    q.unresolved, q.penalty = int(row.q_unresolved or 0), float(row.q_penalty or 0)
    s = t.support
    s.tickets, s.open_severe = int(row.s_tickets or 0), int(row.s_open_severe or 0)
    s.sla_breaches, s.penalty = int(row.s_sla or 0), float(row.s_penalty or 0)
    c = t.commitment
    c.high_signals, c.warning_penalty = int(row.w_high or 0), float(row.w_penalty or 0)
    c.signals = {
        signal: int(n)
        for signal in SIGNALS
        if (n := getattr(row, f"sig_{signal}")) is not None and n
    }


def _parameters(now: datetime, window_days: int, half_life_days: float) -> dict[str, Any]:
    now_ts = now.timestamp()
    return {
        "now_ts": now_ts,
        "today": day_number(now),
        "cutoff": now_ts - window_days * pts.DAY,
        "decay": math.log(2) / (half_life_days * pts.DAY),
    }


@functools.cache
def _aggregate_statement() -> Any:
    """The tallies as one grouped SELECT, built once: its time, window and decay are bound
    parameters, so each call only binds values (building it costs more than running it for
    one account)."""
    e = Event
    now_ts = bindparam("now_ts", type_=Float)
    today = bindparam("today", type_=Integer)
    cutoff = bindparam("cutoff", type_=Float)
    decay = bindparam("decay", type_=Float)
    age = now_ts - e.occurred_ts
    weight = case((age <= 0, literal(1.0)), else_=func.exp(-decay * age))
    in_window = e.occurred_ts >= cutoff

    # delivery
    is_delivery = e.type == "delivery"
    outstanding = e.delivered_day.is_(None)
    days_late = func.coalesce(e.delivered_day, today) - e.promised_day
    live_delivery = and_(outstanding, days_late > 0)
    due = and_(
        is_delivery, ~and_(outstanding, e.promised_day >= today), or_(in_window, live_delivery)
    )
    late = and_(due, days_late > 0)
    breach = and_(
        late,
        AccountFacts.breach_limit_days.is_not(None),
        days_late > AccountFacts.breach_limit_days,
    )
    late_points = _capped(pts.LATE_BASE + pts.LATE_PER_DAY * cast(days_late, Float), pts.LATE_CAP)
    late_points = case((breach, late_points * pts.BREACH_FACTOR), else_=late_points)
    d_weight = case((live_delivery, literal(1.0)), else_=weight)

    # quality and support: unresolved trouble is live
    unresolved = e.resolved_ts.is_(None)
    q_counted = and_(e.type == "quality", or_(in_window, unresolved))
    q_points = _points_case(e.severity, pts.QUALITY_POINTS) * case(
        (unresolved, literal(pts.UNRESOLVED_QUALITY_FACTOR)), else_=literal(1.0)
    )
    s_counted = and_(e.type == "support", or_(in_window, unresolved))
    severe = e.severity.in_(("high", "critical"))
    sla = func.coalesce(e.sla_hours, _points_case(e.severity, pts.DEFAULT_SLA_HOURS))
    hours = (
        func.coalesce(e.resolved_ts, now_ts) - func.coalesce(e.opened_ts, e.occurred_ts)
    ) / 3600.0
    over_sla = hours > sla
    s_points = _points_case(e.severity, pts.SUPPORT_POINTS) * case(
        (and_(unresolved, severe), literal(pts.OPEN_SEVERE_FACTOR)), else_=literal(1.0)
    ) + case((over_sla, literal(pts.SLA_BREACH_POINTS)), else_=literal(0.0))
    live_weight = case((unresolved, literal(1.0)), else_=weight)

    w_counted = and_(e.type == "warning", in_window)

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    def total(condition: Any, value: Any) -> Any:
        return func.sum(case((condition, value), else_=0.0))

    stmt = (
        select(
            e.account_id,
            func.count().label("events"),
            count(due).label("d_due"),
            count(late).label("d_late"),
            total(late, cast(days_late, Float)).label("d_days"),
            count(breach).label("d_breaches"),
            count(and_(late, outstanding)).label("d_outstanding"),
            total(late, d_weight * late_points).label("d_penalty"),
            count(and_(q_counted, e.severity == "minor")).label("q_minor"),
            count(and_(q_counted, e.severity == "major")).label("q_major"),
            count(and_(q_counted, e.severity == "critical")).label("q_critical"),
            count(and_(q_counted, unresolved)).label("q_unresolved"),
            total(q_counted, live_weight * q_points).label("q_penalty"),
            count(s_counted).label("s_tickets"),
            count(and_(s_counted, unresolved, severe)).label("s_open_severe"),
            count(and_(s_counted, over_sla)).label("s_sla"),
            total(s_counted, live_weight * s_points).label("s_penalty"),
            count(and_(w_counted, e.severity == "high")).label("w_high"),
            total(w_counted, weight * _points_case(e.severity, pts.WARNING_POINTS)).label(
                "w_penalty"
            ),
            *(
                count(and_(w_counted, e.signal == signal)).label(f"sig_{signal}")
                for signal in SIGNALS
            ),
        )
        .join(AccountFacts, AccountFacts.account_id == e.account_id)
        .group_by(e.account_id)
    )
    return stmt


def _scan_in_ranges(
    session: Session, params: dict[str, Any], ids: list[str]
) -> Iterator[tuple[list[str], list[Any]]]:
    """The whole portfolio as account-id ranges, read on parallel connections, yielded as each
    range completes.

    Scanning is CPU-bound inside the database (and its driver lets go of the GIL), scoring is
    CPU-bound in Python: with more ranges than cores, the caller scores one range while the
    database scans the next. SQLite readers never block each other in WAL mode; PostgreSQL
    runs each range on its own backend.
    """
    ranges_count = min(SCAN_SHARDS * 4, max(1, len(ids) // 500))
    cuts = [len(ids) * n // ranges_count for n in range(ranges_count + 1)]
    chunks = [ids[a:b] for a, b in itertools.pairwise(cuts) if b > a]
    stmt = _aggregate_statement()
    # Plain readers, outside the caller's transaction: they see committed events, which is what
    # a portfolio rescore scores (it changes scores, not events).
    bind = session.get_bind()
    assert isinstance(bind, Engine)  # noqa: S101 - sessions are bound to an engine
    engine = bind.execution_options(kam_write=False)

    def scan(chunk: list[str]) -> tuple[list[str], list[Any]]:
        shard = stmt.where(Event.account_id >= chunk[0], Event.account_id <= chunk[-1])
        with engine.connect() as conn:
            return chunk, list(conn.execute(shard, params))

    with ThreadPoolExecutor(max_workers=SCAN_SHARDS) as pool:
        futures = [pool.submit(scan, chunk) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


def _departed(session: Session, ids: Collection[str], everyone: bool) -> dict[str, list[Departed]]:
    stmt = select(DepartedContact).order_by(DepartedContact.left_on, DepartedContact.name)
    if not everyone:
        stmt = stmt.where(DepartedContact.account_id.in_(ids))
    people: dict[str, list[Departed]] = {}
    for person in session.scalars(stmt):
        people.setdefault(person.account_id, []).append(
            Departed(person.name, person.buying_role, person.left_on)
        )
    return people
