"""The interface's languages (English, Persian): choosing one, its catalog, and formatting.

The language is the one the person chose (`?lang=` sets a cookie), else the best match of the
browser's `Accept-Language`, else English. Catalogs are gettext files compiled from
`translations/*/LC_MESSAGES/messages.po` (Babel) and committed. Numbers, money and dates are
formatted by Babel for the language (Persian digits in Persian).
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from kam_gateway.exchange import Call

LOCALES = ("en", "fa")
RIGHT_TO_LEFT = frozenset({"fa"})
DEFAULT = "en"
COOKIE = "kam_lang"
CATALOGS = Path(__file__).parent / "translations"
ONE_YEAR = 365 * 24 * 3600


def choose(call: Call) -> tuple[str, list[str]]:
    """The page's language, and the cookie to set when the person has just chosen one."""
    chosen = dict(call.query_items()).get("lang")
    if chosen in LOCALES:
        return chosen, [f"{COOKIE}={chosen}; Path=/; Max-Age={ONE_YEAR}; SameSite=Lax"]
    kept = call.cookie(COOKIE)
    if kept in LOCALES:
        return kept, []
    return from_header(call.header("accept-language") or ""), []


def from_header(header: str) -> str:
    ranked: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            ranked.append((quality, tag.strip().replace("-", "_")))
    preferred = [tag for _, tag in sorted(ranked, key=lambda item: -item[0])]
    return negotiate_locale(preferred, LOCALES) or DEFAULT


@functools.cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(CATALOGS), [locale])


def direction(locale: str) -> str:
    return "rtl" if locale in RIGHT_TO_LEFT else "ltr"


# Babel gives a locale's separators but leaves the digits Latin: its own digits are put in here.
_DIGITS = {"arabext": "۰۱۲۳۴۵۶۷۸۹", "arab": "٠١٢٣٤٥٦٧٨٩"}


class Formats:
    """Formatting for one language, as the templates use it (its own digits: Persian's in fa)."""

    def __init__(self, locale: str):
        self.locale = Locale.parse(locale)
        digits = _DIGITS.get(self.locale.default_numbering_system)
        self._digits = str.maketrans("0123456789", digits) if digits else None

    def _local(self, text: str) -> str:
        return text.translate(self._digits) if self._digits else text

    def number(self, value: Any, digits: int = 0) -> str:
        if value is None or value == "":
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return self._local(
            format_decimal(
                float(value), format=pattern, locale=self.locale, numbering_system="default"
            )
        )

    def signed(self, value: Any, digits: int = 1) -> str:
        if value is None:
            return "—"
        text = self.number(abs(float(value)), digits)
        return ("+" if float(value) > 0 else "−" if float(value) < 0 else "") + text

    def money(self, value: Any, currency: str | None) -> str:
        if value is None:
            return "—"
        return self._local(
            format_currency(
                float(value),
                currency or "USD",
                locale=self.locale,
                format_type="standard",
                numbering_system="default",
            )
        )

    def date(self, value: Any) -> str:
        parsed = _parse(value)
        if parsed is None:
            return "—"
        return self._local(format_date(parsed, format="medium", locale=self.locale))

    def datetime(self, value: Any) -> str:
        parsed = _parse(value)
        if parsed is None:
            return "—"
        if not isinstance(parsed, datetime):
            return self.date(parsed)
        return self._local(format_datetime(parsed, format="medium", locale=self.locale))


def _parse(value: Any) -> date | datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "translate later"
    """Marks a word for the catalog; `word()` in the templates translates it when shown."""
    return text


# The API's own values as the pages show them (`word(value)`: underscores become spaces).
WORDS = (
    N_("healthy"),
    N_("watch"),
    N_("at risk"),
    N_("critical"),
    N_("delivery"),
    N_("quality"),
    N_("support"),
    N_("warning"),
    N_("commitment"),
    N_("strategic"),
    N_("key"),
    N_("standard"),
    N_("minor"),
    N_("major"),
    N_("low"),
    N_("medium"),
    N_("high"),
    N_("market change"),
    N_("new competitor"),
    N_("new technology"),
    N_("cost pressure"),
    N_("needs change"),
    N_("champion left"),
    N_("engagement drop"),
    N_("other"),
    N_("decision maker"),
    N_("economic buyer"),
    N_("technical buyer"),
    N_("influencer"),
    N_("user"),
    N_("gatekeeper"),
    N_("champion"),
    N_("supporter"),
    N_("neutral"),
    N_("detractor"),
    N_("unknown"),
    N_("account manager"),
    N_("sales"),
    N_("implementation engineer"),
    N_("quality engineer"),
    N_("service engineer"),
    N_("executive sponsor"),
    N_("admin"),
    N_("executive"),
    N_("engineer"),
    N_("partner"),
    N_("unbundled"),
    N_("collaborative"),
    N_("flexible"),
    N_("draft"),
    N_("promotional"),
    N_("informational"),
    N_("sending"),
    N_("sent"),
    N_("accepted"),
    N_("superseded"),
    N_("interaction"),
    N_("purchase"),
    N_("contact change"),
    N_("health event"),
    N_("agreement"),
    N_("account"),
    N_("cross sell"),
    N_("up sell"),
    N_("max delivery delay days"),
)
