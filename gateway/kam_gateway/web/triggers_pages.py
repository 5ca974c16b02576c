"""The triggers pages: every trigger with its condition and actions (sales read them; admins
and executives pause, resume and write them), and one trigger's firings, newest first, with
the facts behind each. A client of `/api/v1/triggers` like any other."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from kam_gateway.exchange import Answer
from kam_gateway.web import PageError, Request
from kam_gateway.web.pages import _errors, _page, page_count

TRIGGERS = "/api/v1/triggers"
TRIGGER_ID = r"(?P<trigger_id>[A-Za-z0-9._:-]{1,64})"
PER_PAGE = 25
EXAMPLE_WHEN = '{"band_entered": ["critical"], "tier": "strategic"}'
EXAMPLE_THEN = (
    '{"create_task": {"title": "Call the sponsor", "assignee_role": "account_manager",'
    ' "due_in_days": 2, "steps": ["Agree a recovery plan"]}}'
)


def _shown(value: Any) -> str:
    """A condition, action or fact as the API writes it."""
    return json.dumps(value, ensure_ascii=False)


async def triggers(
    request: Request,
    *,
    given: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Answer:
    if not request.may("GET", TRIGGERS):
        raise PageError(403, "")
    page = _page(request)
    listed = await request.read(TRIGGERS, {"page": page, "per_page": PER_PAGE})
    total = int(listed.get("total", 0))
    return request.render(
        "triggers.html",
        422 if errors else 200,
        triggers=listed.get("items", []),
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        given=given or {"when": EXAMPLE_WHEN, "then": EXAMPLE_THEN},
        errors=errors or {},
        may_write=request.may("POST", TRIGGERS),
        shown=_shown,
    )


def _json(given: dict[str, str], name: str, errors: dict[str, str]) -> Any:
    try:
        value = json.loads(given[name])
    except json.JSONDecodeError as exc:
        errors[name] = f"Not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        return None
    if not isinstance(value, dict):
        errors[name] = "An object in braces, as in the example."
    return value


async def create(request: Request) -> Answer:
    form = request.form
    given = {name: form.get(name, "") for name in ("name", "when", "then", "confirm")}
    errors: dict[str, str] = {}
    body = {"name": given["name"], "when": _json(given, "when", errors)}
    body["then"] = _json(given, "then", errors)
    if errors:
        return await triggers(request, given=given, errors=errors)
    query = {"confirm": "true"} if given["confirm"] else None
    status, data = await request.api("POST", TRIGGERS, query, body=body)
    if status >= 400:
        return await triggers(request, given=given, errors=_errors(data))
    return request.redirect(f"/triggers/{quote(str(data['id']), safe='')}")


async def switch(request: Request) -> Answer:
    quoted = quote(request.params["trigger_id"], safe="")
    active = request.form.get("active") == "true"
    await request.change("PATCH", f"{TRIGGERS}/{quoted}", body={"active": active})
    return request.redirect("/triggers")


async def firings(request: Request) -> Answer:
    quoted = quote(request.params["trigger_id"], safe="")
    trigger = await request.read(f"{TRIGGERS}/{quoted}")
    page = _page(request)
    listed = await request.read(
        f"{TRIGGERS}/{quoted}/firings", {"page": page, "per_page": PER_PAGE}
    )
    total = int(listed.get("total", 0))
    return request.render(
        "trigger.html",
        trigger=trigger,
        firings=listed.get("items", []),
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        shown=_shown,
    )


ROUTES = [
    ("GET", "/triggers", triggers, False),
    ("POST", "/triggers", create, False),
    ("GET", f"/triggers/{TRIGGER_ID}", firings, False),
    ("POST", f"/triggers/{TRIGGER_ID}", switch, False),
]
