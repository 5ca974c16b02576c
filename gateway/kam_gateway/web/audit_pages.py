"""The audit page (admins, executives): who changed what, newest first, filtered like
`GET /api/v1/audit`, which it reads as the signed-in person."""

from __future__ import annotations

from kam_gateway.exchange import Answer
from kam_gateway.web import PageError, Request
from kam_gateway.web.pages import page_count

AUDIT = "/api/v1/audit"
FILTERS = ("account_id", "actor_id", "resource_type", "since", "to")
PER_PAGE = 25


async def audit_page(request: Request) -> Answer:
    if not request.may("GET", AUDIT):
        raise PageError(403, "")
    filters = {name: request.query.get(name, "").strip() for name in FILTERS}
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    given = {name: value for name, value in filters.items() if value}
    status, data = await request.api("GET", AUDIT, {**given, "page": page, "per_page": PER_PAGE})
    errors: dict[str, str] = {}
    if status in (400, 422):
        errors = {k: "; ".join(v) for k, v in ((data or {}).get("errors") or {}).items()}
        data = {"items": [], "total": 0, "degraded": []}
    elif status >= 400:
        raise PageError(status, (data or {}).get("detail", ""))
    return request.render(
        "audit.html",
        422 if errors else 200,
        entries=data.get("items", []),
        total=data.get("total", 0),
        degraded=data.get("degraded", []),
        filters=filters,
        errors=errors,
        page=page,
        pages=page_count(data.get("total"), PER_PAGE),
    )


ROUTES = [("GET", "/audit", audit_page, False)]
