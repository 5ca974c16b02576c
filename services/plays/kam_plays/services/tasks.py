"""Tasks (plays) for the account team: opened by triggers, from alerts, or by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from kam_common.concurrency import UNCONDITIONAL, Precondition
from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import Invalid, NotFound
from kam_common.pagination import paginate, where_given
from kam_plays import events
from kam_plays.models import MemberFacts, Task
from kam_plays.services.facts import AccountLookup, account_for_input, account_names


def resolve_assignee(
    session: Session, account_id: str, assignee_id: str | None, assignee_role: str | None
) -> tuple[str | None, str | None]:
    """The member and role a task goes to: a named member must be on the account's team; a
    role alone goes to the account's member of that role (by name, when several), or stays
    with the role until someone holds it."""
    if assignee_id is not None:
        member = session.get(MemberFacts, assignee_id)
        if member is None or member.account_id != account_id:
            raise Invalid("assignee_id", "Not a member of this account's team.")
        return member.member_id, assignee_role or member.role
    if assignee_role is not None:
        member_id = session.scalars(
            select(MemberFacts.member_id)
            .where(MemberFacts.account_id == account_id, MemberFacts.role == assignee_role)
            .order_by(MemberFacts.name, MemberFacts.member_id)
            .limit(1)
        ).first()
        return member_id, assignee_role
    return None, None


def assign_waiting(session: Session, account_id: str, member_id: str, role: str) -> None:
    """Open tasks that waited for a role nobody held go to the member who now holds it."""
    session.execute(
        update(Task)
        .where(
            Task.account_id == account_id,
            Task.assignee_role == role,
            Task.assignee_id.is_(None),
            Task.status == "open",
        )
        .values(assignee_id=member_id, version=Task.version + 1)
    )


def close_for_alert(session: Session, alert_id: str, note: str | None) -> None:
    """The alert a task was opened for is resolved: its open tasks are done, saying so."""
    now = utcnow()
    closing = "Closed by itself: the alert it was opened for was resolved"
    session.execute(
        update(Task)
        .where(Task.source_type == "alert", Task.source_id == alert_id, Task.status == "open")
        .values(
            status="done",
            closed_note=f"{closing} ({note})." if note else f"{closing}.",
            closed_at=now,
            updated_at=now,
            version=Task.version + 1,
        )
    )


def new_task(
    session: Session,
    *,
    account_id: str,
    title: str,
    assignee_id: str | None,
    assignee_role: str | None,
    due_on: date,
    steps: list[str],
    description: str | None,
    source_type: str,
    source_id: str | None,
    firing_id: str | None,
    created_by: str | None,
) -> Task:
    member_id, role = resolve_assignee(session, account_id, assignee_id, assignee_role)
    task = Task(
        account_id=account_id,
        title=title,
        description=description,
        assignee_id=member_id,
        assignee_role=role,
        due_on=due_on,
        steps=steps,
        status="open",
        source_type=source_type,
        source_id=source_id,
        firing_id=firing_id,
        created_by=created_by,
    )
    session.add(task)
    session.flush()
    events.task_created(session, task)
    return task


def create_task(
    *, session: Session, caller: Caller, data: dict[str, Any], lookup: AccountLookup
) -> Task:
    account_for_input(session, caller, data["account_id"], lookup)
    source = data.get("source") or {"type": "manual", "id": None}
    if source["type"] != "manual" and not source.get("id"):
        raise Invalid("source.id", f"A task from a {source['type']} names it.")
    task = new_task(
        session,
        account_id=data["account_id"],
        title=data["title"],
        assignee_id=data.get("assignee_id"),
        assignee_role=data.get("assignee_role"),
        due_on=data["due_on"],
        steps=list(data.get("steps") or []),
        description=data.get("description"),
        source_type=source["type"],
        source_id=source.get("id"),
        firing_id=None,
        created_by=caller.client_id,
    )
    session.commit()
    return task


def get_task(*, session: Session, caller: Caller, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None or not caller.may_see(task.account_id):
        raise NotFound("Task not found.")
    return task


def list_tasks(
    *,
    session: Session,
    caller: Caller,
    page: int,
    per_page: int,
    account_id: str | None = None,
    assignee_id: str | None = None,
    assignee_role: str | None = None,
    assignee_email: str | None = None,
    status: str | None = None,
    source_type: str | None = None,
    overdue: bool | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Soonest due first. `overdue`: open and due before today (or not); `assignee_email`:
    the tasks of every team member with that email, on every account (a person's own)."""
    stmt: Select[Any] = where_given(
        caller.scoped(select(Task), Task.account_id),
        (Task.account_id, account_id),
        (Task.assignee_id, assignee_id),
        (Task.assignee_role, assignee_role),
        (Task.status, status),
        (Task.source_type, source_type),
    )
    if assignee_email:
        members = select(MemberFacts.member_id).where(
            func.lower(MemberFacts.email) == assignee_email.strip().lower()
        )
        stmt = stmt.where(Task.assignee_id.in_(members))
    if overdue is not None:
        late = (Task.status == "open") & (Task.due_on < (today or utcnow().date()))
        stmt = stmt.where(late if overdue else ~late)
    stmt = stmt.order_by(Task.due_on, Task.created_at, Task.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def update_task(
    *,
    session: Session,
    caller: Caller,
    task_id: str,
    changes: dict[str, Any],
    precondition: Precondition = UNCONDITIONAL,
) -> Task:
    task = get_task(session=session, caller=caller, task_id=task_id)
    precondition.check(task.version)
    if "assignee_id" in changes or "assignee_role" in changes:
        # A new role alone goes to the account's member of that role; a member named alone
        # brings their own role.
        wanted_id = changes.get("assignee_id")
        wanted_role = changes.get("assignee_role", None if wanted_id else task.assignee_role)
        member_id, role = resolve_assignee(session, task.account_id, wanted_id, wanted_role)
        task.assignee_id, task.assignee_role = member_id, role
    for name in ("title", "description", "due_on", "steps"):
        if name in changes:
            setattr(task, name, changes[name])
    if "note" in changes:
        task.closed_note = changes["note"]
    if "status" in changes and changes["status"] != task.status:
        task.status = changes["status"]
        task.closed_at = None if task.status == "open" else utcnow()
    if session.is_modified(task):
        task.updated_at = utcnow()
    session.commit()
    return task


def task_views(session: Session, tasks: Sequence[Task]) -> list[dict[str, Any]]:
    """Tasks as read, each with its account's and assignee's names (two queries for all)."""
    accounts = account_names(session, (t.account_id for t in tasks))
    members = dict(
        session.execute(
            select(MemberFacts.member_id, MemberFacts.name).where(
                MemberFacts.member_id.in_({t.assignee_id for t in tasks if t.assignee_id})
            )
        ).all()
    )
    return [
        task_view(
            task,
            account_name=accounts.get(task.account_id),
            assignee_name=members.get(task.assignee_id) if task.assignee_id else None,
        )
        for task in tasks
    ]


def task_view(
    task: Task,
    *,
    today: date | None = None,
    account_name: str | None = None,
    assignee_name: str | None = None,
) -> dict[str, Any]:
    today = today or utcnow().date()
    return {
        "id": task.id,
        "account_id": task.account_id,
        "account_name": account_name,
        "title": task.title,
        "description": task.description,
        "assignee_id": task.assignee_id,
        "assignee_name": assignee_name,
        "assignee_role": task.assignee_role,
        "due_on": task.due_on,
        "steps": list(task.steps or []),
        "status": task.status,
        "overdue": task.status == "open" and task.due_on < today,
        "source": {"type": task.source_type, "id": task.source_id},
        "firing_id": task.firing_id,
        "note": task.closed_note,
        "closed_at": task.closed_at,
        "version": task.version,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }
