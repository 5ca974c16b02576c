"""The account team's pages (plays): my tasks, and on each account its open tasks and the
coverage map of who on our side owns the relationship with whom."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from kam_gateway.exchange import Answer
from kam_gateway.web import PageError, Request
from kam_gateway.web.pages import _errors, _page, _safe_next, account, page_count

TASKS = "/api/v1/tasks"
ID = r"(?P<account_id>[A-Za-z0-9._:-]{1,64})"
TASK_ID = r"(?P<task_id>[A-Za-z0-9._:-]{1,64})"
PER_PAGE = 25
# Which tasks the list shows: the person's own on every account, every open one, the late ones.
VIEWS = ("mine", "open", "overdue")
TEAM_ROLES = ("sales", "implementation_engineer", "quality_engineer", "service_engineer")
TASK_STATUSES = ("done", "dismissed", "open")


async def account_parts(request: Request, account_id: str) -> dict[str, Any]:
    """What the account page shows of plays: open tasks, and the coverage map."""
    quoted = quote(account_id, safe="")
    tasks, coverage = await asyncio.gather(
        request.read_optional(TASKS, {"account_id": account_id, "status": "open", "per_page": 50}),
        request.read_optional(f"/api/v1/accounts/{quoted}/coverage"),
    )
    return {
        "tasks": None if tasks is None else tasks.get("items", []),
        "tasks_total": (tasks or {}).get("total", 0),
        "coverage": coverage,
        "team_roles": TEAM_ROLES,
        "task_due": (datetime.now(UTC).date() + timedelta(days=7)).isoformat(),
    }


async def my_tasks(request: Request) -> Answer:
    if not request.may("GET", TASKS):
        raise PageError(403, "")
    view = request.query.get("view", "mine")
    if view not in VIEWS:
        view = "mine"
    page = _page(request)
    query: dict[str, Any] = {"status": "open", "page": page, "per_page": PER_PAGE}
    if view == "mine" and request.signed is not None:
        query["assignee_email"] = request.signed.email
    if view == "overdue":
        query["overdue"] = "true"
    listed = await request.read(TASKS, query)
    total = int(listed.get("total", 0))
    return request.render(
        "tasks.html",
        tasks=listed.get("items", []),
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        view=view,
        views=VIEWS,
    )


async def task_action(request: Request) -> Answer:
    status = request.form.get("status", "")
    if status not in TASK_STATUSES:
        raise PageError(422, "")
    task_id = quote(request.params["task_id"], safe="")
    await request.change("PATCH", f"{TASKS}/{task_id}", body={"status": status})
    return request.redirect(_safe_next(request.form.get("back", "/tasks")))


async def add_task(request: Request) -> Answer:
    account_id = request.params["account_id"]
    form = request.form
    body: dict[str, Any] = {
        "account_id": account_id,
        "title": form.get("title", ""),
        "due_on": form.get("due_on", ""),
        "steps": [line.strip() for line in form.get("steps", "").splitlines() if line.strip()],
    }
    if form.get("assignee_role"):
        body["assignee_role"] = form["assignee_role"]
    status, data = await request.api("POST", TASKS, body=body)
    if status >= 400:
        return await account(request, task_errors=_errors(data))
    return request.redirect(f"/accounts/{quote(account_id, safe='')}?task=1#tasks")


async def add_link(request: Request) -> Answer:
    account_id = request.params["account_id"]
    body = {
        "member_id": request.form.get("member_id", ""),
        "contact_id": request.form.get("contact_id", ""),
    }
    quoted = quote(account_id, safe="")
    status, data = await request.api("POST", f"/api/v1/accounts/{quoted}/coverage", body=body)
    if status >= 400:
        return await account(request, cover_errors=_errors(data))
    return request.redirect(f"/accounts/{quoted}#coverage")


async def remove_link(request: Request) -> Answer:
    quoted = quote(request.params["account_id"], safe="")
    link = quote(request.params["link_id"], safe="")
    await request.change("DELETE", f"/api/v1/accounts/{quoted}/coverage/{link}")
    return request.redirect(f"/accounts/{quoted}#coverage")


ROUTES = [
    ("GET", "/tasks", my_tasks, False),
    ("POST", f"/tasks/{TASK_ID}", task_action, False),
    ("POST", f"/accounts/{ID}/tasks", add_task, False),
    ("POST", f"/accounts/{ID}/coverage", add_link, False),
    (
        "POST",
        f"/accounts/{ID}/coverage/(?P<link_id>[A-Za-z0-9._:-]{{1,64}})/remove",
        remove_link,
        False,
    ),
]
