"""The pages: each handler reads and changes things through the public API as the person.

A form that fails comes back with each error beside its field and what was typed kept; the
API's problem details name the fields (`errors`), so the page shows the API's own words.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from kam_gateway.exchange import Answer
from kam_gateway.people import SignedIn, sign_in, sign_out
from kam_gateway.web import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    PageError,
    Request,
    charts,
    new_signin_token,
    session_cookie,
)
from kam_gateway.web.i18n import translations

A = "/api/v1/accounts"
H = "/api/v1/health"
O = "/api/v1/offerings"  # noqa: E741 - reads as the path it stands for
ID = r"(?P<account_id>[A-Za-z0-9._:-]{1,64})"
PER_PAGE = 25
ALERTS_PER_PAGE = 10
EVENT_TYPES = ("delivery", "quality", "support", "warning")
SIGNALS = (
    "market_change",
    "new_competitor",
    "new_technology",
    "cost_pressure",
    "needs_change",
    "champion_left",
    "engagement_drop",
    "other",
)
SEVERITIES = {
    "quality": ("minor", "major", "critical"),
    "support": ("low", "medium", "high", "critical"),
    "warning": ("low", "medium", "high"),
}


def tr(request: Request, text: str) -> str:
    return translations(request.locale).gettext(text)


def _errors(data: Any) -> dict[str, str]:
    """A problem's field errors, one sentence per field (`items.0` is the `items` field), and
    its detail under `_form`, shown above the form."""
    if not isinstance(data, dict):
        return {"_form": "The service could not answer; try again."}
    found: dict[str, str] = {}
    for name, messages in (data.get("errors") or {}).items():
        field = name.split(".")[0]
        found[field] = " ".join([found[field], *messages] if field in found else messages)
    found["_form"] = str(data.get("detail") or "")
    return found


def page_count(total: Any, per_page: int) -> int:
    """How many pages a list of `total` items takes (one, when it is empty)."""
    return max(1, -(-int(total or 0) // per_page))


def _page(request: Request, name: str = "page") -> int:
    try:
        return max(1, min(int(request.query.get(name, "1")), 10_000))
    except ValueError:
        return 1


# Sign-in and out -------------------------------------------------------------------------


async def signin_form(request: Request, *, errors: dict[str, str] | None = None) -> Answer:
    if request.signed is None and errors is None:
        request.signed = await request.gateway.session_of(request.call)
        if request.signed is not None:
            return request.redirect("/")
    token = new_signin_token()
    request.cookies_out.append(f"{SIGNIN_COOKIE}={token}; Path=/signin; HttpOnly; SameSite=Lax")
    status = 200 if not errors else (429 if "_throttled" in errors else 401)
    return request.render(
        "signin.html",
        status,
        signin_token=token,
        errors=errors or {},
        email=request.form.get("email", ""),
        next=_safe_next(request.query.get("next") or request.form.get("next") or "/"),
    )


def _safe_next(target: str) -> str:
    """Only a path of this site: never another host after signing in."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def signin(request: Request) -> Answer:
    gateway, call = request.gateway, request.call
    form = request.form
    given = form.get("csrf_token", "")
    if not given or given != (call.cookie(SIGNIN_COOKIE) or ""):
        raise PageError(403, "")
    email = form.get("email", "").lower()
    password = dict(request.form_items).get("password", "")
    if not email or not password:
        errors = {}
        if not email:
            errors["email"] = tr(request, "Enter your email.")
        if not password:
            errors["password"] = tr(request, "Enter your password.")
        return await signin_form(request, errors=errors)
    wait = gateway.signin_accounts.blocked(email) or gateway.signin_addresses.blocked(call.client)
    if wait is not None:
        message = tr(request, "Too many failed sign-ins; try again in a few minutes.")
        return await signin_form(request, errors={"_throttled": message, "_form": message})

    def attempt() -> SignedIn | None:
        with gateway.db.session() as session:
            return sign_in(
                session=session,
                email=email,
                password=password,
                hours=gateway.settings.get("SESSION_HOURS", 12.0),
            )

    signed = await asyncio.to_thread(attempt)
    if signed is None:
        await gateway.signin_accounts.failed(email)
        await gateway.signin_addresses.failed(call.client)
        return await signin_form(
            request, errors={"_form": tr(request, "That email and password do not match.")}
        )
    max_age = int(gateway.settings.get("SESSION_HOURS", 12.0) * 3600)
    secure = bool(gateway.settings.get("SECURE_COOKIES"))
    request.cookies_out.append(session_cookie(call, signed.token, max_age, secure))
    request.cookies_out.append(f"{SIGNIN_COOKIE}=; Path=/signin; Max-Age=0")
    return request.redirect(_safe_next(form.get("next", "/")))


async def signout(request: Request) -> Answer:
    token = request.call.cookie(SESSION_COOKIE) or ""

    def end() -> None:
        with request.gateway.db.session() as session:
            sign_out(session=session, token=token)

    await asyncio.to_thread(end)
    request.cookies_out.append(f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    return request.redirect("/signin")


# Portfolio -------------------------------------------------------------------------------

FILTERS = ("band", "segment", "tier", "owner", "group_id")


async def portfolio(request: Request) -> Answer:
    query = request.query
    filters = {name: query.get(name, "") for name in FILTERS}
    page = _page(request)
    alerts_page = _page(request, "alerts_page")
    # The portfolio and the alerts inbox at once (two independent reads of health).
    (status, data), alerts = await asyncio.gather(
        request.api("GET", H + "/portfolio", {**filters, "page": page, "per_page": PER_PAGE}),
        request.read_optional(
            H + "/alerts", {"status": "open", "page": alerts_page, "per_page": ALERTS_PER_PAGE}
        ),
    )
    if status == 400:
        # A health service whose portfolio takes no filters or pages yet names them as unknown:
        # then its summary, and the page of accounts from the accounts list.
        status, data = await request.api("GET", H + "/portfolio")
    if status >= 400:
        raise PageError(status, (data or {}).get("detail", ""))
    rows = data.get("items")
    total = data.get("total", data.get("accounts", 0))
    if rows is None:
        rows, total = await _accounts_with_scores(request, filters, page)
    return request.render(
        "portfolio.html",
        data=data,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        filters=filters,
        alerts=(alerts or {}).get("items", []),
        alerts_total=(alerts or {}).get("total", 0),
        alerts_page=alerts_page,
        alerts_pages=page_count((alerts or {}).get("total"), ALERTS_PER_PAGE),
    )


async def _accounts_with_scores(
    request: Request, filters: dict[str, str], page: int
) -> tuple[list[dict[str, Any]], int]:
    """The page of accounts with their scores, worst first, from the accounts list."""
    listed = await request.read(
        A,
        {
            "segment": filters["segment"],
            "tier": filters["tier"],
            "page": page,
            "per_page": PER_PAGE,
            "sort": "-annual_revenue",
        },
    )
    accounts = listed.get("items", [])
    scores = await asyncio.gather(
        *(request.api("GET", f"{H}/accounts/{quote(a['id'], safe='')}") for a in accounts)
    )
    rows = []
    for account, (status, score) in zip(accounts, scores, strict=True):
        score = score if status == 200 else {}
        rows.append(
            {
                "account_id": account["id"],
                "name": account["name"],
                "segment": account.get("segment"),
                "tier": account.get("tier"),
                "score": score.get("score"),
                "band": score.get("band"),
                "delta_30d": (score.get("trend") or {}).get("delta_30d"),
                "annual_revenue": account.get("annual_revenue"),
                "currency": account.get("currency"),
                "open_alerts": None,
            }
        )
    if filters["band"]:
        rows = [row for row in rows if row["band"] == filters["band"]]
    rows.sort(key=lambda row: (row["score"] is None, row["score"] or 0))
    return rows, int(listed.get("total", len(rows)))


async def alert_action(request: Request) -> Answer:
    action = request.form.get("status", "")
    if action not in ("acknowledged", "resolved"):
        raise PageError(422, "")
    alert_id = request.params["alert_id"]
    status, data = await request.api(
        "PATCH", f"{H}/alerts/{quote(alert_id, safe='')}", body={"status": action}
    )
    if status >= 400:
        raise PageError(status, (data or {}).get("detail", ""))
    return request.redirect(_safe_next(request.form.get("back", "/")))


# Account ---------------------------------------------------------------------------------


async def account(
    request: Request,
    *,
    log_errors: dict[str, str] | None = None,
    task_errors: dict[str, str] | None = None,
    cover_errors: dict[str, str] | None = None,
) -> Answer:
    from kam_gateway.web import plays_pages

    account_id = request.params["account_id"]
    quoted = quote(account_id, safe="")
    page = _page(request)
    # The overview and the page's parts at once: the parts are reads as the person (a foreign
    # or missing account answers each of them 404 or nothing), shown only once the overview
    # is there.
    (
        overview,
        history,
        org,
        timeline,
        suggestions,
        events,
        proposals,
        plays,
        group,
    ) = await asyncio.gather(
        request.read(f"{A}/{quoted}/overview"),
        request.read_optional(f"{H}/accounts/{quoted}/history"),
        request.read_optional(f"{A}/{quoted}/org-chart"),
        request.read_optional(f"{A}/{quoted}/timeline", {"page": page, "per_page": 10}),
        request.read_optional(O + "/recommendations", {"account_id": account_id}),
        request.read_optional(H + "/events", {"account_id": account_id, "open": "true"}),
        request.read_optional(O + "/proposals", {"account_id": account_id, "per_page": 5}),
        plays_pages.account_parts(request, account_id),
        request.read_optional(f"{A}/{quoted}/group"),
    )
    points = (history or {}).get("points", [])
    failed = log_errors or task_errors or cover_errors
    health = overview.get("health") or {}
    return request.render(
        "account.html",
        status=422 if failed else 200,
        account=overview["account"],
        overview=overview,
        health=health,
        chart=charts.score_history(points, request.locale),
        org=(org or {}).get("roots", []),
        timeline=timeline,
        page=page,
        suggestions=suggestions,
        open_events=(events or {}).get("items", []),
        proposals=(proposals or {}).get("items", []),
        # A group of one is no group: the section shows only with a parent or subsidiaries.
        group=group if group and group["rollup"].get("accounts", 0) > 1 else None,
        log_errors=log_errors or {},
        log_form=request.form if log_errors else {},
        task_errors=task_errors or {},
        task_form=request.form if task_errors else {},
        cover_errors=cover_errors or {},
        cover_form=request.form if cover_errors else {},
        task_added=request.query.get("task") == "1",
        **plays,
        event_types=[t for t in EVENT_TYPES if _may_log(request, t)],
        signals=SIGNALS,
        severities=SEVERITIES,
        logged=request.query.get("logged") == "1",
        today=datetime.now(UTC).date().isoformat(),
    )


def _may_log(request: Request, kind: str) -> bool:
    from kam_gateway.route_table import EVENT_TYPES as ALLOWED

    role = request.role
    return role == "admin" or kind in ALLOWED.get(role, frozenset())


async def log_event(request: Request) -> Answer:
    """The quick log: the fewest fields per type; the account page shows the new score."""
    account_id = request.params["account_id"]
    form = request.form
    kind = form.get("type", "")
    body: dict[str, Any] = {"account_id": account_id, "type": kind}
    assert request.signed is not None  # noqa: S101 - a signed-in page
    body["reported_by"] = request.signed.caller.name
    for name in ("note", "promised_on", "delivered_on", "severity", "signal"):
        if form.get(name):
            body[name] = form[name]
    if kind == "delivery" and "promised_on" not in body:
        body["promised_on"] = None  # the service names the missing date beside its field
    status, data = await request.api("POST", H + "/events", body=body)
    if status >= 400:
        if status == 404:
            raise PageError(404, "")
        return await account(request, log_errors=_errors(data))
    return request.redirect(f"/accounts/{quote(account_id, safe='')}?logged=1#score")


async def update_event(request: Request) -> Answer:
    """One step: a delivery's date, or an issue resolved."""
    account_id, event_id = request.params["account_id"], request.params["event_id"]
    form = request.form
    body: dict[str, Any] = {}
    if form.get("delivered_on"):
        body["delivered_on"] = form["delivered_on"]
    if form.get("resolve"):
        body["resolved_at"] = datetime.now(UTC).isoformat()
    if not body:
        return await account(request, log_errors={"delivered_on": tr(request, "Enter a date.")})
    status, data = await request.api("PATCH", f"{H}/events/{quote(event_id, safe='')}", body=body)
    if status >= 400:
        if status == 404:
            raise PageError(404, "")
        return await account(request, log_errors=_errors(data))
    return request.redirect(f"/accounts/{quote(account_id, safe='')}?logged=1#score")


async def log_search(request: Request) -> Answer:
    """The global "Log event": find the account, then log on its page."""
    q = request.query.get("q", "")
    found = None
    if q:
        found = await request.read(A, {"q": q, "per_page": 20})
    return request.render("log.html", q=q, found=(found or {}).get("items", []))


# Proposals -------------------------------------------------------------------------------


async def build_proposal(request: Request) -> Answer:
    account_id = request.params["account_id"]
    status, data = await request.api("POST", O + "/proposals", body={"account_id": account_id})
    if status >= 400:
        raise PageError(status, (data or {}).get("detail", "") if status != 404 else "")
    return request.redirect(f"/proposals/{quote(data['id'], safe='')}")


async def proposal(request: Request, *, errors: dict[str, str] | None = None) -> Answer:
    proposal_id = request.params["proposal_id"]
    found = await request.read(f"{O}/proposals/{quote(proposal_id, safe='')}")
    account_data = await request.read(f"{A}/{quote(found['account_id'], safe='')}")
    return request.render(
        "proposal.html",
        status=422 if errors else 200,
        proposal=found,
        account=account_data,
        errors=errors or {},
        chosen=request.form.get("strategy") or found.get("recommended"),
        chosen_items={
            name: set(request.form_list(f"optional_{name}"))
            for name in ("unbundled", "collaborative", "flexible")
        },
        sees_costs=request.role in ("admin", "executive", "sales"),
    )


async def accept_proposal(request: Request) -> Answer:
    proposal_id = request.params["proposal_id"]
    strategy = request.form.get("strategy", "")
    if not strategy:
        return await proposal(request, errors={"strategy": tr(request, "Choose an option.")})
    # Each option has its own menu of optional items: only the chosen option's count.
    chosen = request.form_list(f"optional_{strategy}")
    body = {"strategy": strategy, "optional_item_ids": chosen}
    status, data = await request.api(
        "POST", f"{O}/proposals/{quote(proposal_id, safe='')}/accept", body=body
    )
    if status >= 400:
        if status == 404:
            raise PageError(404, "")
        return await proposal(request, errors=_errors(data))
    return request.redirect(f"/accounts/{quote(data['account_id'], safe='')}?accepted=1")


# Admin -----------------------------------------------------------------------------------

ROLES = ("admin", "executive", "sales", "engineer", "partner")


async def admin(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    key_errors: dict[str, str] | None = None,
    new_key: dict[str, Any] | None = None,
    edit_id: str | None = None,
    edit_errors: dict[str, str] | None = None,
) -> Answer:
    if request.role != "admin":
        raise PageError(403, "")
    users, keys = await asyncio.gather(
        request.read("/api/v1/admin/users", {"per_page": 100}),
        request.read("/api/v1/admin/keys", {"per_page": 100}),
    )
    failed = bool(errors or key_errors or edit_errors)
    return request.render(
        "admin.html",
        status=422 if failed else (201 if new_key else 200),
        users=users.get("items", []),
        keys=keys.get("items", []),
        errors=errors or {},
        key_errors=key_errors or {},
        user_form=request.form if errors else {},
        key_form=request.form if key_errors else {},
        edit_id=edit_id,
        edit_errors=edit_errors or {},
        edit_form=request.form if edit_errors else {},
        new_key=new_key,
        roles=ROLES,
    )


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


async def create_user(request: Request) -> Answer:
    form = request.form
    body: dict[str, Any] = {
        "email": form.get("email", ""),
        "name": form.get("name", ""),
        "role": form.get("role", ""),
        "password": dict(request.form_items).get("password", ""),
    }
    if form.get("account_ids"):
        body["account_ids"] = _ids(form["account_ids"])
    status, data = await request.api("POST", "/api/v1/admin/users", body=body)
    if status >= 400:
        return await admin(request, errors=_errors(data))
    return request.redirect("/admin")


async def update_user(request: Request) -> Answer:
    """Role, accounts, a new password (empty keeps the old one), or a deactivated person back."""
    user_id = request.params["user_id"]
    form = request.form
    body: dict[str, Any] = {
        "role": form.get("role", ""),
        "account_ids": _ids(form.get("account_ids", "")),
    }
    password = dict(request.form_items).get("password", "")
    if password:
        body["password"] = password
    if form.get("active") == "true":
        body["active"] = True
    status, data = await request.api(
        "PATCH", f"/api/v1/admin/users/{quote(user_id, safe='')}", body=body
    )
    if status == 404:
        raise PageError(status, (data or {}).get("detail", ""))
    if status >= 400:
        return await admin(request, edit_id=user_id, edit_errors=_errors(data))
    return request.redirect("/admin")


async def deactivate_user(request: Request) -> Answer:
    user_id = quote(request.params["user_id"], safe="")
    status, data = await request.api("DELETE", f"/api/v1/admin/users/{user_id}")
    if status >= 400:
        raise PageError(status, (data or {}).get("detail", ""))
    return request.redirect("/admin")


async def create_key(request: Request) -> Answer:
    form = request.form
    body: dict[str, Any] = {"name": form.get("name", ""), "role": form.get("role", "")}
    if form.get("account_ids"):
        body["account_ids"] = _ids(form["account_ids"])
    status, data = await request.api("POST", "/api/v1/admin/keys", body=body)
    if status >= 400:
        return await admin(request, key_errors=_errors(data))
    request.form_items = []
    return await admin(request, new_key=data)


async def revoke_key(request: Request) -> Answer:
    key_id = quote(request.params["key_id"], safe="")
    status, data = await request.api("DELETE", f"/api/v1/admin/keys/{key_id}")
    if status >= 400:
        raise PageError(status, (data or {}).get("detail", ""))
    return request.redirect("/admin")


# Scorecard --------------------------------------------------------------------------------

WEIGHTS = ("delivery", "quality", "support", "commitment")
THRESHOLDS = ("healthy", "watch", "at_risk")


async def scorecard(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    proposal_error: str | None = None,
) -> Answer:
    card = await request.read(H + "/scorecard")
    typed = request.form if (errors or preview) else {}
    # How well the scorecard foretold the outcomes, and a fitted proposal (executives).
    backtest = await request.read_optional(H + "/scorecard/backtest")
    proposal = None
    if request.query.get("proposal"):
        wanted = quote(request.query["proposal"], safe="")
        proposal = await request.read_optional(f"{H}/scorecard/proposals/{wanted}")
    return request.render(
        "scorecard.html",
        status=422 if errors or proposal_error else 200,
        card=card,
        typed=typed,
        errors=errors or {},
        preview=preview,
        weights=WEIGHTS,
        thresholds=THRESHOLDS,
        saved=request.query.get("saved") == "1",
        backtest=backtest,
        proposal=proposal,
        proposal_error=proposal_error,
    )


async def propose_scorecard(request: Request) -> Answer:
    """Fit a proposal to the outcomes; too few of them: the service's reason, on the page."""
    status, data = await request.api("POST", H + "/scorecard/proposals", body={})
    if status >= 400:
        reasons = ((data or {}).get("errors") or {}).get("outcomes")
        return await scorecard(
            request, proposal_error=" ".join(reasons or []) or (data or {}).get("detail", "")
        )
    return request.redirect(f"/scorecard?proposal={quote(data['id'], safe='')}")


async def adopt_scorecard_proposal(request: Request) -> Answer:
    proposal_id = quote(request.params["proposal_id"], safe="")
    status, data = await request.api("POST", f"{H}/scorecard/proposals/{proposal_id}/adopt")
    if status >= 400:
        raise PageError(status, (data or {}).get("detail", ""))
    return request.redirect("/scorecard?saved=1")


def _scorecard_body(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as the API's body; a field that is not a number is named beside itself."""
    form, errors = request.form, {}

    def number(name: str) -> float | None:
        try:
            return float(form.get(name, "").replace(",", "."))
        except ValueError:
            errors[name] = tr(request, "Enter a number.")
            return None

    window = number("window_days")
    body = {
        "weights": {name: number(f"weights.{name}") for name in WEIGHTS},
        "thresholds": {name: number(f"thresholds.{name}") for name in THRESHOLDS},
        "window_days": int(window) if window is not None and window.is_integer() else window,
        "half_life_days": number("half_life_days"),
    }
    return body, errors


async def change_scorecard(request: Request) -> Answer:
    """Preview (a dry run: who would change band) or save; nothing is saved on a preview."""
    body, errors = _scorecard_body(request)
    if errors:
        return await scorecard(request, errors=errors)
    dry = request.form.get("action") == "preview"
    status, data = await request.api(
        "PUT", H + "/scorecard", {"dry_run": "true"} if dry else None, body
    )
    if status >= 400:
        found = _errors(data)
        # The API names `weights.delivery`: the form's field has that very name.
        for name, messages in ((data or {}).get("errors") or {}).items():
            found[name] = " ".join(messages)
        if dry and status == 400:  # this health service has no dry run yet
            found = {"_form": tr(request, "A preview is not available yet; save to apply.")}
        return await scorecard(request, errors=found)
    if dry:
        return await scorecard(request, preview=data)
    return request.redirect("/scorecard?saved=1")


async def account_page(request: Request) -> Answer:
    return await account(request)


async def proposal_page(request: Request) -> Answer:
    return await proposal(request)


async def admin_page(request: Request) -> Answer:
    return await admin(request)


async def signin_page(request: Request) -> Answer:
    return await signin_form(request)


# (method, path pattern, handler, public: served without a session)
ROUTES = [
    ("GET", "/signin", signin_page, True),
    ("POST", "/signin", signin, True),
    ("POST", "/signout", signout, False),
    ("GET", "/", portfolio, False),
    ("POST", r"/alerts/(?P<alert_id>[A-Za-z0-9._:-]{1,64})", alert_action, False),
    ("GET", "/log", log_search, False),
    ("GET", f"/accounts/{ID}", account_page, False),
    ("POST", f"/accounts/{ID}/events", log_event, False),
    ("POST", f"/accounts/{ID}/events/(?P<event_id>[A-Za-z0-9._:-]{{1,64}})", update_event, False),
    ("POST", f"/accounts/{ID}/proposals", build_proposal, False),
    ("GET", r"/proposals/(?P<proposal_id>[A-Za-z0-9._:-]{1,64})", proposal_page, False),
    ("POST", r"/proposals/(?P<proposal_id>[A-Za-z0-9._:-]{1,64})/accept", accept_proposal, False),
    ("GET", "/scorecard", scorecard, False),
    ("POST", "/scorecard", change_scorecard, False),
    ("POST", "/scorecard/proposals", propose_scorecard, False),
    (
        "POST",
        r"/scorecard/proposals/(?P<proposal_id>[A-Za-z0-9._:-]{1,64})/adopt",
        adopt_scorecard_proposal,
        False,
    ),
    ("GET", "/admin", admin_page, False),
    ("POST", "/admin/users", create_user, False),
    ("POST", r"/admin/users/(?P<user_id>[A-Za-z0-9-]{1,64})", update_user, False),
    ("POST", r"/admin/users/(?P<user_id>[A-Za-z0-9-]{1,64})/deactivate", deactivate_user, False),
    ("POST", "/admin/keys", create_key, False),
    ("POST", r"/admin/keys/(?P<key_id>[A-Za-z0-9-]{1,64})/revoke", revoke_key, False),
]
