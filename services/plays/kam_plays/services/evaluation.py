"""Evaluating triggers: fire once per account and cause, clear when the cause is gone.

Called incrementally for the accounts an integration event changed (only the triggers whose
condition that kind of fact can change), and by the worker on a schedule for every account
(conditions that time alone changes: renewal within, no contact for, purchases in a window).
The facts of every account evaluated are read in a handful of set-based queries, never a
query per account.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kam_common.db import utcnow
from kam_common.pagination import among
from kam_plays import events
from kam_plays.domain import pressure
from kam_plays.domain.triggers import (
    WARNING_CURRENT_DAYS,
    AccountState,
    Departed,
    OpenEvent,
    Purchase,
    causes,
)
from kam_plays.models import (
    AccountFacts,
    ContactFacts,
    EventFacts,
    Firing,
    PurchaseFacts,
    Task,
    Trigger,
)
from kam_plays.services.coverage_scores import coverage_scores
from kam_plays.services.tasks import new_task

# The longest purchase window a trigger may name (days).
MAX_PURCHASE_WINDOW = 3650
CLEARED_NOTE = "Closed by itself: the cause that opened it has cleared."


def reads_coverage(when: dict[str, Any]) -> bool:
    return (when.get("component_below") or {}).get("component") == "coverage"


def load_states(
    session: Session, account_ids: Collection[str] | None, now: datetime, *, coverage: bool = False
) -> dict[str, AccountState]:
    """Every active account's state (or those named), in one query per kind of fact; with
    `coverage`, each account's coverage score among its components."""
    if account_ids is not None and not account_ids:
        return {}
    rows = session.scalars(
        select(AccountFacts).where(
            AccountFacts.status == "active", among(AccountFacts.account_id, account_ids)
        )
    ).all()
    states = {
        a.account_id: AccountState(
            account_id=a.account_id,
            name=a.name,
            status=a.status,
            segment=a.segment,
            tier=a.tier,
            band=a.band,
            components=dict(a.components or {}),
            cadence_days=a.contact_cadence_days,
            created_at=a.created_at,
            last_contact_at=a.last_contact_at,
            renewal_on=a.renewal_on,
        )
        for a in rows
    }
    if not states:
        return states
    ids = None if account_ids is None else list(states)
    since = (now - timedelta(days=MAX_PURCHASE_WINDOW)).date()
    for p in session.scalars(
        select(PurchaseFacts).where(
            among(PurchaseFacts.account_id, ids), PurchaseFacts.occurred_on > since
        )
    ):
        if p.account_id in states:
            states[p.account_id].purchases.append(Purchase(p.product_line, p.amount, p.occurred_on))
    for c in session.scalars(
        select(ContactFacts).where(
            among(ContactFacts.account_id, ids), ContactFacts.active.is_(False)
        )
    ):
        if c.account_id in states:
            states[c.account_id].departed.append(
                Departed(c.contact_id, c.name, c.buying_role, c.left_on)
            )
    recent = now - timedelta(days=WARNING_CURRENT_DAYS)
    for e in session.scalars(
        select(EventFacts).where(
            among(EventFacts.account_id, ids),
            or_(
                EventFacts.open.is_(True),
                (EventFacts.type == "warning") & (EventFacts.occurred_at > recent),
            ),
        )
    ):
        if e.account_id in states:
            states[e.account_id].events.append(
                OpenEvent(e.event_id, e.type, e.severity, e.occurred_at)
            )
    if coverage:
        covered = coverage_scores(session, ids, now)
        for account_id, state in states.items():
            state.components["coverage"] = float(covered.get(account_id, 0))
    return states


def active_triggers(session: Session, kinds: Iterable[str] | None = None) -> list[Trigger]:
    stmt = select(Trigger).where(Trigger.active.is_(True), Trigger.deleted.is_(False))
    if kinds is not None:
        stmt = stmt.where(Trigger.kind.in_(list(kinds)))
    return list(session.scalars(stmt.order_by(Trigger.created_at, Trigger.id)))


def matching_accounts(session: Session, when: dict[str, Any], now: datetime) -> tuple[int, int]:
    """How many active accounts the condition holds for now, of how many (a dry run)."""
    states = load_states(session, None, now, coverage=reads_coverage(when))
    return sum(1 for s in states.values() if causes(when, s, now)), len(states)


def evaluate(
    session: Session,
    *,
    account_ids: Collection[str] | None = None,
    kinds: Iterable[str] | None = None,
    triggers: list[Trigger] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fire what newly holds and clear what no longer does; `{"fired", "cleared"}`."""
    now = now or utcnow()
    chosen = triggers if triggers is not None else active_triggers(session, kinds)
    if not chosen:
        return {"fired": 0, "cleared": 0}
    states = load_states(
        session, account_ids, now, coverage=any(reads_coverage(t.when) for t in chosen)
    )
    open_firings = session.scalars(
        select(Firing).where(
            Firing.cleared_at.is_(None),
            Firing.trigger_id.in_([t.id for t in chosen]),
            among(Firing.account_id, account_ids),
        )
    ).all()
    standing = {(f.trigger_id, f.account_id, f.cause): f for f in open_firings}
    fired = cleared = 0
    holding: set[tuple[str, str, str]] = set()
    for trigger in chosen:
        for state in states.values():
            for cause, facts in causes(trigger.when, state, now).items():
                key = (trigger.id, state.account_id, cause)
                holding.add(key)
                if key not in standing and fire(session, trigger, state, cause, facts, now):
                    fired += 1
    for key, firing in standing.items():
        if key not in holding:
            clear(session, firing, now)
            cleared += 1
    session.flush()
    return {"fired": fired, "cleared": cleared}


def fire(
    session: Session,
    trigger: Trigger,
    state: AccountState,
    cause: str,
    facts: dict[str, Any],
    now: datetime,
) -> bool:
    """Record the firing and do what the trigger says; False when another evaluation running
    at the same moment recorded it first."""
    firing = Firing(
        trigger_id=trigger.id,
        account_id=state.account_id,
        cause=cause,
        facts=facts,
        actions=[],
        fired_at=now,
    )
    try:
        with session.begin_nested():
            session.add(firing)
            session.flush()
    except IntegrityError:
        return False
    done: list[dict[str, Any]] = []
    then = trigger.then
    if "create_task" in then:
        spec = then["create_task"]
        task = new_task(
            session,
            account_id=state.account_id,
            title=spec["title"],
            assignee_id=None,
            assignee_role=spec.get("assignee_role"),
            due_on=now.date() + timedelta(days=int(spec.get("due_in_days", 7))),
            steps=list(spec.get("steps") or []),
            description=describe(trigger.name, facts),
            source_type="trigger",
            source_id=trigger.id,
            firing_id=firing.id,
            created_by=None,
        )
        done.append(
            {
                "create_task": {
                    "task_id": task.id,
                    "assignee_id": task.assignee_id,
                    "assignee_role": task.assignee_role,
                    "due_on": task.due_on.isoformat(),
                }
            }
        )
    if "raise_alert" in then:
        reason = then["raise_alert"]["reason"]
        events.alert_requested(
            session,
            account_id=state.account_id,
            trigger_id=trigger.id,
            trigger_name=trigger.name,
            firing_id=firing.id,
            reason=reason,
            facts=facts,
        )
        done.append({"raise_alert": {"reason": reason}})
    if "suggest" in then:
        account = session.get(AccountFacts, state.account_id)
        held = pressure.account_restraint(
            band=state.band,
            last_offer_at=account.last_offer_at if account else None,
            now=now,
        )
        done.append(
            {
                "suggest": {
                    "catalog_item_id": then["suggest"]["catalog_item_id"],
                    "suppressed": held is not None,
                    "suppressed_reason": held.reason if held else None,
                }
            }
        )
    firing.actions = done
    return True


def clear(session: Session, firing: Firing, now: datetime) -> None:
    """The cause is gone: the firing is over, and the tasks it opened close with it."""
    firing.cleared_at = now
    for task in session.scalars(
        select(Task).where(Task.firing_id == firing.id, Task.status == "open")
    ):
        task.status = "done"
        task.closed_note = CLEARED_NOTE
        task.closed_at = now
        task.updated_at = now


def describe(trigger_name: str, facts: dict[str, Any]) -> str:
    said = ", ".join(f"{k}: {v}" for k, v in facts.items() if v is not None)
    return f"Opened by the trigger “{trigger_name}” ({said})."
