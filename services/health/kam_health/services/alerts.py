"""Alerts: raised when a band worsens or a critical event arrives, one per account and cause."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_common.concurrency import UNCONDITIONAL, Precondition
from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Conflict, NotFound
from kam_common.pagination import list_of_accounts
from kam_health import events
from kam_health.domain.alerts import Raised
from kam_health.models import Alert


def raise_alert(session: Session, account_id: str, raised: Raised) -> Alert:
    """Open an alert, or fold a repeat into the unresolved one for the same cause. A new alert
    (or one reopened) is published as `alert.raised`."""
    alert = session.scalars(
        select(Alert).where(
            Alert.account_id == account_id,
            Alert.cause == raised.cause,
            Alert.status != "resolved",
        )
    ).first()
    opened = alert is None or (alert.status == "acknowledged" and raised.reopens)
    if alert is None:
        alert = Alert(account_id=account_id, cause=raised.cause, occurrences=1)
        session.add(alert)
    else:
        alert.occurrences += 1
        if opened:
            alert.status = "open"
    alert.severity = raised.severity
    alert.message = raised.message
    alert.suggested_action = raised.suggested_action
    alert.event_id = raised.event_id or alert.event_id
    alert.updated_at = utcnow()
    session.flush()
    if opened:
        events.alert_raised(session, alert)
    return alert


def list_alerts(
    *,
    session: Session,
    caller: Caller,
    page: int,
    per_page: int,
    account_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    return list_of_accounts(
        session,
        Alert,
        caller=caller,
        order_by=(Alert.updated_at.desc(), Alert.id),
        page=page,
        per_page=per_page,
        account_id=account_id,
        status=status,
    )


_NEXT_STATUS = {"open": {"acknowledged", "resolved"}, "acknowledged": {"resolved", "open"}}


def update_alert(
    *,
    session: Session,
    caller: Caller,
    alert_id: str,
    changes: dict[str, Any],
    precondition: Precondition = UNCONDITIONAL,
) -> Alert:
    alert = session.get(Alert, alert_id, with_for_update=True)  # changes queue, never clash
    if alert is None or not caller.may_see(alert.account_id):
        raise NotFound("Alert not found.")
    precondition.check(alert.version)
    status = changes.get("status", alert.status)
    if status != alert.status and status not in _NEXT_STATUS.get(alert.status, set()):
        raise Conflict(f"An alert that is {alert.status} cannot become {status}.")
    resolving = status == "resolved" and alert.status != "resolved"
    alert.status = status
    if "note" in changes:
        alert.note = changes["note"]
    alert.updated_at = utcnow()
    if resolving:
        events.alert_resolved(session, alert)
    session.commit()
    return alert
