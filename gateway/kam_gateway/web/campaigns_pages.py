"""The campaigns pages (sales, executives, admins): the list with each one's figures, a form
for a new one, and a campaign's own page (who it reaches, who is held back and why, how it did,
the send button). A client of `/api/v1/campaigns` like any other."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kam_gateway.exchange import Answer
from kam_gateway.web import PageError, Request
from kam_gateway.web.pages import _errors, _page, page_count
from kam_gateway.web.render import BANDS

CAMPAIGNS = "/api/v1/campaigns"
CAMPAIGN_ID = r"(?P<campaign_id>[A-Za-z0-9._:-]{1,64})"
PER_PAGE = 25
KINDS = ("promotional", "informational")
TIERS = ("strategic", "key", "standard")
FIELDS = ("name", "kind", "subject", "body", "sender_name", "segment", "tier")
EXAMPLE_BODY = "Dear {{first_name}},\n\n\n{{sender_name}}"


async def campaigns(
    request: Request,
    *,
    given: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Answer:
    if not request.may("GET", CAMPAIGNS):
        raise PageError(403, "")
    page = _page(request)
    listed = await request.read(CAMPAIGNS, {"page": page, "per_page": PER_PAGE})
    total = int(listed.get("total", 0))
    return request.render(
        "campaigns.html",
        422 if errors else 200,
        campaigns=listed.get("items", []),
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        given=given or {"kind": KINDS[0], "bands": [], "body": EXAMPLE_BODY},
        errors=errors or {},
        kinds=KINDS,
        tiers=TIERS,
        may_create=request.may("POST", CAMPAIGNS),
    )


def _audience(given: dict[str, Any]) -> dict[str, Any]:
    audience: dict[str, Any] = {}
    if given["segment"]:
        audience["segment"] = given["segment"]
    if given["tier"]:
        audience["tier"] = given["tier"]
    if given["bands"]:
        audience["bands"] = given["bands"]
    return audience


async def create(request: Request) -> Answer:
    form = request.form
    given: dict[str, Any] = {name: form.get(name, "") for name in FIELDS}
    # A textarea keeps its line breaks and spaces as typed; only the ends are trimmed.
    given["body"] = next((v for k, v in request.form_items if k == "body"), "").strip("\r\n")
    given["bands"] = [b for b in request.form_list("bands") if b in BANDS]
    body: dict[str, Any] = {
        "name": given["name"],
        "kind": given["kind"],
        "subject": given["subject"],
        "body": given["body"],
        "audience": _audience(given),
    }
    if given["sender_name"]:
        body["sender_name"] = given["sender_name"]
    status, data = await request.api("POST", CAMPAIGNS, body=body)
    if status >= 400:
        return await campaigns(request, given=given, errors=_errors(data))
    return request.redirect(f"/campaigns/{quote(str(data['id']), safe='')}")


async def campaign(request: Request) -> Answer:
    if not request.may("GET", CAMPAIGNS):
        raise PageError(403, "")
    found = await request.read(f"{CAMPAIGNS}/{quote(request.params['campaign_id'], safe='')}")
    return request.render(
        "campaign.html",
        campaign=found,
        may_send=request.may("POST", f"{CAMPAIGNS}/{found['id']}/send"),
    )


async def send(request: Request) -> Answer:
    quoted = quote(request.params["campaign_id"], safe="")
    await request.change("POST", f"{CAMPAIGNS}/{quoted}/send")
    return request.redirect(f"/campaigns/{quoted}")


ROUTES = [
    ("GET", "/campaigns", campaigns, False),
    ("POST", "/campaigns", create, False),
    ("GET", f"/campaigns/{CAMPAIGN_ID}", campaign, False),
    ("POST", f"/campaigns/{CAMPAIGN_ID}/send", send, False),
]
