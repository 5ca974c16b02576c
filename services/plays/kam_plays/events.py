"""Integration events the plays service publishes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kam_common.integration import Outbox
from kam_plays.models import Task, outbox

OUTBOX = Outbox(
    "plays",
    outbox,
    {
        # A public event type: the gateway hands it to partner systems' webhooks.
        "task.created": ("gateway",),
        # Health owns alerts: a trigger whose action is `raise_alert` asks it to raise one.
        "trigger.fired": ("health",),
    },
)


def task_created(session: Session, task: Task) -> None:
    OUTBOX.publish(
        session,
        "task.created",
        {
            "task_id": task.id,
            "account_id": task.account_id,
            "title": task.title,
            "assignee_id": task.assignee_id,
            "assignee_role": task.assignee_role,
            "due_on": task.due_on.isoformat(),
            "source": {"type": task.source_type, "id": task.source_id},
        },
    )


def alert_requested(
    session: Session,
    *,
    account_id: str,
    trigger_id: str,
    trigger_name: str,
    firing_id: str,
    reason: str,
    facts: dict[str, Any],
) -> None:
    OUTBOX.publish(
        session,
        "trigger.fired",
        {
            "account_id": account_id,
            "trigger_id": trigger_id,
            "trigger_name": trigger_name,
            "firing_id": firing_id,
            "reason": reason,
            "facts": facts,
        },
    )
