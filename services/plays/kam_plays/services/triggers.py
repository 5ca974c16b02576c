"""Triggers: written by admins and executives, read by sales; their firings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_common.concurrency import UNCONDITIONAL, Precondition
from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import AppError, NotFound
from kam_common.pagination import paginate, where_given
from kam_plays.domain.triggers import (
    check_can_fire,
    condition_kind,
    fires_everywhere_by_definition,
)
from kam_plays.models import Firing, Trigger
from kam_plays.services.evaluation import evaluate, matching_accounts
from kam_plays.services.facts import account_names


class NeedsConfirmation(AppError):
    """A trigger that would fire on every account at once: saved only when confirmed."""

    status = 422
    slug = "needs-confirmation"

    def __init__(self, matching: int, total: int):
        message = (
            f"Holds for all {total} active accounts right now: it would fire on every account "
            "at once. Narrow it (`segment`, `tier`, a stricter threshold) or send it again with "
            "`?confirm=true`."
        )
        super().__init__(message, errors={"when": [message]})
        self.matching, self.total = matching, total


def _check(session: Session, when: dict[str, Any], confirm: bool) -> None:
    check_can_fire(when)
    if confirm:
        return
    matching, total = matching_accounts(session, when, utcnow())
    if fires_everywhere_by_definition(when) or (total >= 2 and matching == total):
        raise NeedsConfirmation(matching, total)


def create_trigger(
    *, session: Session, caller: Caller, data: dict[str, Any], confirm: bool = False
) -> Trigger:
    _check(session, data["when"], confirm)
    trigger = Trigger(
        name=data["name"],
        kind=condition_kind(data["when"]),
        when=data["when"],
        then=data["then"],
        active=data.get("active", True),
        created_by=caller.client_id,
    )
    session.add(trigger)
    session.flush()
    if trigger.active:
        evaluate(session, triggers=[trigger])
    session.commit()
    return trigger


def get_trigger(*, session: Session, trigger_id: str) -> Trigger:
    trigger = session.get(Trigger, trigger_id)
    if trigger is None or trigger.deleted:
        raise NotFound("Trigger not found.")
    return trigger


def list_triggers(
    *, session: Session, page: int, per_page: int, active: bool | None = None
) -> dict[str, Any]:
    stmt = where_given(select(Trigger).where(Trigger.deleted.is_(False)), (Trigger.active, active))
    return paginate(session, stmt.order_by(Trigger.name, Trigger.id), page=page, per_page=per_page)


def update_trigger(
    *,
    session: Session,
    trigger_id: str,
    changes: dict[str, Any],
    confirm: bool = False,
    precondition: Precondition = UNCONDITIONAL,
) -> Trigger:
    trigger = get_trigger(session=session, trigger_id=trigger_id)
    precondition.check(trigger.version)
    if "when" in changes:
        _check(session, changes["when"], confirm)
        trigger.when = changes["when"]
        trigger.kind = condition_kind(changes["when"])
    for name in ("name", "then", "active"):
        if name in changes:
            setattr(trigger, name, changes[name])
    if session.is_modified(trigger):
        trigger.updated_at = utcnow()
    session.flush()
    if trigger.active:
        evaluate(session, triggers=[trigger])
    session.commit()
    return trigger


def delete_trigger(
    *, session: Session, trigger_id: str, precondition: Precondition = UNCONDITIONAL
) -> None:
    """The trigger stops; its firings (and the tasks they opened) stay as history."""
    trigger = get_trigger(session=session, trigger_id=trigger_id)
    precondition.check(trigger.version)
    trigger.deleted = True
    trigger.active = False
    trigger.updated_at = utcnow()
    session.commit()


def list_firings(
    *,
    session: Session,
    caller: Caller,
    trigger_id: str,
    page: int,
    per_page: int,
    account_id: str | None = None,
) -> dict[str, Any]:
    """Newest first."""
    get_trigger(session=session, trigger_id=trigger_id)
    stmt = where_given(
        caller.scoped(select(Firing), Firing.account_id).where(Firing.trigger_id == trigger_id),
        (Firing.account_id, account_id),
    )
    found = paginate(
        session, stmt.order_by(Firing.fired_at.desc(), Firing.id), page=page, per_page=per_page
    )
    names = account_names(session, (f.account_id for f in found["items"]))
    found["items"] = [
        {
            **{c.key: getattr(f, c.key) for c in Firing.__table__.columns},
            "account_name": names.get(f.account_id),
        }
        for f in found["items"]
    ]
    return found
