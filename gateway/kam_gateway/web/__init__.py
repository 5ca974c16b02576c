"""The web app for people: server-rendered pages (Jinja), served by the gateway on its own port.

It owns no business data. Each page is a client of the public API: it reads and changes things
with `Gateway.subcall`, as the signed-in person, so the route table decides what a person may
see and do exactly as it does for an API key of the same role (a partner's foreign account is
the same 404 as a missing one).

Sessions: the sign-in form sets an `HttpOnly`, `SameSite=Lax` cookie (`Secure` over HTTPS)
that expires. Every form that changes something carries the session's CSRF token, and a post
whose `Origin` is another site is refused; the sign-in form itself is protected by a
double-submit token. Sign-in failures are counted per email and per address (429 past the
limit), and a wrong email and a wrong password get the same answer.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from kam_gateway.exchange import Answer, Call, Refusal
from kam_gateway.web import i18n
from kam_gateway.web.render import Renderer

if TYPE_CHECKING:
    from kam_gateway.people import Signed
    from kam_gateway.pipeline import Gateway

log = logging.getLogger("kam.gateway.web")

SESSION_COOKIE = "kam_session"
SIGNIN_COOKIE = "kam_signin"
LANG_COOKIE = "kam_lang"
STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_STATIC_TYPES[".txt"] = "text/plain; charset=utf-8"
_STATIC_TYPES[".svg"] = "image/svg+xml"

PageHandler = Callable[["Request"], Awaitable[Answer]]
MULTIPART = "multipart/form-data"
# Pages whose form sends a file (multipart, up to the upload limit); every other form is
# urlencoded and at most 1 MiB.
UPLOAD_PAGES = frozenset({"/imports"})


class PageError(Exception):
    """A page that cannot be shown: rendered as a readable error page with this status."""

    def __init__(self, status: int, message: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    """One page request, as a handler sees it."""

    call: Call
    web: WebApp
    signed: Signed | None
    locale: str
    params: dict[str, str] = field(default_factory=dict)
    form_items: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name: (filename, bytes)
    cookies_out: list[str] = field(default_factory=list)

    @property
    def gateway(self) -> Gateway:
        return self.web.gateway

    @property
    def role(self) -> str:
        return self.signed.caller.role if self.signed else ""

    @property
    def query(self) -> dict[str, str]:
        return dict(self.call.query_items())

    @property
    def form(self) -> dict[str, str]:
        return {name: value.strip() for name, value in self.form_items}

    def form_list(self, name: str) -> list[str]:
        return [value for key, value in self.form_items if key == name]

    async def api(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        file: tuple[bytes, str] | None = None,
    ) -> tuple[int, Any]:
        pairs = [(k, v) for k, v in (query or {}).items() if v not in (None, "")]
        return await self.gateway.subcall(self.call, method, path, urlencode(pairs), body, file)

    async def read(self, path: str, query: dict[str, Any] | None = None) -> Any:
        """A read the page cannot do without: a 404 (or a partner's foreign account) is the
        page's 404, any other refusal an error page."""
        status, data = await self.api("GET", path, query)
        if status >= 400:
            raise PageError(status, (data or {}).get("detail", "") if status != 404 else "")
        return data

    async def change(self, method: str, path: str, body: Any = None) -> Any:
        """A change the page makes without a form to show again: any refusal is an error page
        saying why."""
        status, data = await self.api(method, path, body=body)
        if status >= 400:
            raise PageError(status, (data or {}).get("detail", ""))
        return data

    async def read_optional(self, path: str, query: dict[str, Any] | None = None) -> Any:
        """A part of a page: None when the person may not read it or its service failed."""
        if not self.may("GET", path):
            return None
        status, data = await self.api("GET", path, query)
        return data if status < 400 else None

    def may(self, method: str, path: str) -> bool:
        """Whether the route table lets this person make this call (ignoring its body)."""
        return self.signed is not None and self.web.may(self.signed, method, path)

    def render(self, template: str, status: int = 200, **context: Any) -> Answer:
        return self.web.renderer.page(self, template, status, context)

    def redirect(self, location: str) -> Answer:
        headers = [("Location", location), *(("Set-Cookie", c) for c in self.cookies_out)]
        return Answer(303, b"", headers)

    def with_lang(self, code: str) -> str:
        here = self.path_with() if self.call.method == "GET" else "/"
        return here + ("&" if "?" in here else "?") + "lang=" + code

    def path_with(self, **changes: Any) -> str:
        """This page's own address with some query parameters changed (pagination, filters)."""
        query = {**self.query, **{k: str(v) for k, v in changes.items() if v is not None}}
        query = {k: v for k, v in query.items() if v != "" and k != "lang"}
        return self.call.path + ("?" + urlencode(query) if query else "")


class WebApp:
    """Serves the pages: static files, sign-in and out, and every signed-in page."""

    def __init__(self, gateway: Gateway):
        from kam_gateway.web import (
            audit_pages,
            campaigns_pages,
            imports_pages,
            pages,
            plays_pages,
            triggers_pages,
        )

        self.gateway = gateway
        self.renderer = Renderer()
        self.routes: list[tuple[str, re.Pattern[str], PageHandler, bool]] = [
            (method, re.compile(f"^{pattern}$"), handler, public)
            for method, pattern, handler, public in (
                *pages.ROUTES,
                *plays_pages.ROUTES,
                *imports_pages.ROUTES,
                *audit_pages.ROUTES,
                *campaigns_pages.ROUTES,
                *triggers_pages.ROUTES,
            )
        ]

    def may(self, signed: Signed, method: str, path: str) -> bool:
        from kam_gateway.access import Denied, authorize

        found = self.gateway.table.match(method, path)
        return not isinstance(found, Denied) and authorize(signed.caller, found) is None

    async def serve(self, call: Call) -> Answer:
        if call.path.startswith("/static/"):
            return self.static(call.path.removeprefix("/static/"))
        locale, cookies = i18n.choose(call)
        request = Request(call, self, None, locale, cookies_out=cookies)
        try:
            return await self.page(request)
        except PageError as error:
            return self.error(request, error.status, error.message)
        except Refusal as refusal:
            answer = self.error(request, refusal.status, refusal.detail)
            answer.headers += [(k, v) for k, v in refusal.headers.items() if k == "Retry-After"]
            return answer
        except Exception:  # noqa: BLE001 - a page never shows a stack trace
            log.exception("page failed", extra={"request_id": call.request_id})
            return self.error(request, 500, "")

    async def page(self, request: Request) -> Answer:
        call = request.call
        method = "GET" if call.method == "HEAD" else call.method
        handler, params, public = self.find(method, call.path)
        if call.method == "POST" and call.path in UPLOAD_PAGES:
            request.form_items, request.files = _multipart(call)
        elif call.method == "POST":
            request.form_items = parse_qsl(call.body.decode("utf-8", "replace"), True)
            if not self.same_origin(call):
                raise PageError(403, "")
        if not public:
            request.signed = await self.gateway.session_of(call)
            if request.signed is None:
                if method != "GET":
                    raise PageError(401, "")
                return Answer(303, b"", [("Location", "/signin?next=" + quote(call.path))])
            call.caller = request.signed.caller
            if method == "POST" and not _same(request.form.get("csrf_token"), request.signed):
                raise PageError(403, "")
            await self.gateway.spend_page(call)
        request.params = params
        return await handler(request)

    def find(self, method: str, path: str) -> tuple[PageHandler, dict[str, str], bool]:
        allowed = False
        for route_method, pattern, handler, public in self.routes:
            found = pattern.match(path)
            if found is None:
                continue
            if route_method == method:
                return handler, found.groupdict(), public
            allowed = True
        raise PageError(405 if allowed else 404, "")

    @staticmethod
    def same_origin(call: Call) -> bool:
        """A post from a page of another site is refused (the CSRF token is the main guard)."""
        origin = call.header("origin")
        if origin is None or origin == "null":
            return origin is None
        host = call.header("host") or ""
        return origin.partition("://")[2] == host

    def error(self, request: Request, status: int, message: str) -> Answer:
        return self.renderer.page(request, "error.html", status, {"message": message})

    def static(self, name: str) -> Answer:
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            return Answer(404, b"Not found", [("Content-Type", "text/plain")])
        kind = _STATIC_TYPES.get(path.suffix, "application/octet-stream")
        return Answer(
            200,
            path.read_bytes(),
            [("Content-Type", kind), ("Cache-Control", "public, max-age=3600")],
        )


def _multipart(call: Call) -> tuple[list[tuple[str, str]], dict[str, tuple[str, bytes]]]:
    """A multipart form's fields and files, read by Werkzeug's parser (Flask's own)."""
    from werkzeug.formparser import parse_form_data

    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": call.header("content-type") or "",
        "CONTENT_LENGTH": str(len(call.body)),
        "wsgi.input": io.BytesIO(call.body),
    }
    _stream, form, files = parse_form_data(environ, max_content_length=len(call.body) + 1)
    fields = [(name, value) for name, value in form.items(multi=True)]
    uploaded = {name: (f.filename or "", f.read()) for name, f in files.items()}
    return fields, uploaded


def _same(given: str | None, signed: Signed) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), signed.csrf_token.encode())


def session_cookie(call: Call, token: str, max_age: int, secure: bool) -> str:
    attributes = f"Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
    if secure or call.scheme == "https":
        attributes += "; Secure"
    return f"{SESSION_COOKIE}={token}; {attributes}"


def new_signin_token() -> str:
    return secrets.token_urlsafe(24)


async def gather(*reads: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*reads))
