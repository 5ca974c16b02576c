"""Pages as HTML: the Jinja environment (autoescaped, with the i18n extension), the headers every
page carries, and the few helpers templates share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from kam_gateway.exchange import Answer
from kam_gateway.web import i18n

if TYPE_CHECKING:
    from kam_gateway.web import Request

TEMPLATES = Path(__file__).parent / "templates"
# Pages load nothing from elsewhere; no other site may frame them.
SECURITY_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
]
BANDS = ("healthy", "watch", "at_risk", "critical")


class Renderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(("html",)),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["BANDS"] = BANDS

    def page(self, request: Request, template: str, status: int, context: dict[str, Any]) -> Answer:
        translations = i18n.translations(request.locale)
        # Rendering is synchronous on the one event loop: installing per page is safe.
        self.env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        signed = request.signed
        html = self.env.get_template(template).render(
            **context,
            request=request,
            status=status,
            locale=request.locale,
            dir=i18n.direction(request.locale),
            fmt=i18n.Formats(request.locale),
            me=signed.caller if signed else None,
            csrf_token=signed.csrf_token if signed else "",
            may=request.may,
            word=lambda value: translations.gettext(str(value).replace("_", " ")) if value else "",
        )
        headers = [*SECURITY_HEADERS, *(("Set-Cookie", c) for c in request.cookies_out)]
        return Answer(status, html.encode("utf-8"), headers)
