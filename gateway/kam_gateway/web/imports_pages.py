"""The import page: a CSV file checked (a dry run, every bad row in a table) or applied, and
links to every export. A client of `POST /api/v1/imports` like any other."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from kam_gateway.exchange import Answer
from kam_gateway.web import PageError, Request

IMPORTS = "/api/v1/imports"
KINDS = ("accounts", "contacts", "events", "purchases")
MODES = ("create_or_update", "update_only", "create_only")
POLL_SECONDS = 0.5
# How long the page waits for a file the worker checks (a large one) before showing it running.
WAIT_SECONDS = 20.0


def _exports(request: Request) -> list[str]:
    return [kind for kind in KINDS if request.may("GET", f"/api/v1/exports/{kind}.csv")]


async def import_form(
    request: Request,
    *,
    result: dict[str, Any] | None = None,
    chosen: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Answer:
    if not request.may("POST", IMPORTS):
        raise PageError(403, "")
    if result is None and (import_id := request.query.get("id")):
        result = await request.read(f"{IMPORTS}/{import_id}")
    from kam_gateway.api.imports import ENGINEER_KINDS

    kinds = [k for k in KINDS if request.role != "engineer" or k in ENGINEER_KINDS]
    return request.render(
        "imports.html",
        status,
        kinds=kinds,
        modes=MODES,
        chosen=chosen or {"kind": request.query.get("kind", kinds[0]), "mode": MODES[0]},
        result=result,
        errors=errors or {},
        exports=_exports(request),
    )


async def start_import(request: Request) -> Answer:
    form = request.form
    chosen = {"kind": form.get("kind", ""), "mode": form.get("mode", MODES[0])}
    _name, body = request.files.get("file", ("", b""))
    if not body:
        return await import_form(
            request, chosen=chosen, errors={"file": "Choose a CSV file."}, status=422
        )
    query = {"kind": chosen["kind"], "mode": chosen["mode"], "dry_run": "false"}
    if form.get("dry_run"):
        query["dry_run"] = "true"
    status, data = await request.api("POST", IMPORTS, query, file=(body, "text/csv"))
    if status >= 400:
        detail = (data or {}).get("detail", "")
        found = {k: "; ".join(v) for k, v in ((data or {}).get("errors") or {}).items()}
        return await import_form(
            request, chosen=chosen, errors=found or {"file": detail}, status=status
        )
    return await _followed(request, data, chosen)


async def apply_import(request: Request) -> Answer:
    """The file of a good dry run, applied without choosing it again."""
    import_id = quote(request.params["import_id"], safe="")
    status, data = await request.api("POST", f"{IMPORTS}/{import_id}/apply")
    if status >= 400:
        raise PageError(status, (data or {}).get("detail", ""))
    return await _followed(
        request, data, {"kind": data.get("kind", ""), "mode": data.get("mode", "")}
    )


async def _followed(request: Request, data: dict[str, Any], chosen: dict[str, str]) -> Answer:
    """A running import followed for a while (a large file), then shown."""
    waited = 0.0
    while data.get("status") == "running" and waited < WAIT_SECONDS:
        await asyncio.sleep(POLL_SECONDS)
        waited += POLL_SECONDS
        data = await request.read(f"{IMPORTS}/{data['id']}")
    return await import_form(request, result=data, chosen=chosen)


ROUTES = [
    ("GET", "/imports", import_form, False),
    ("POST", "/imports", start_import, False),
    ("POST", r"/imports/(?P<import_id>[A-Za-z0-9_]{1,64})/apply", apply_import, False),
]
