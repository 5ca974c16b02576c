"""A campaign's message: its placeholders, checked when it is written, and the text and HTML
each recipient gets, with the links tracked.

Plain Python. Placeholders are `{{ name }}`; the links in the body (http or https) become
tracked click links; the HTML part carries the open pixel; every message ends with the
unsubscribe link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kam_common.errors import Invalid

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
PLACEHOLDERS = {
    "name": "the person's full name",
    "first_name": "the first word of the person's name",
    "title": "the person's job title (empty when unknown)",
    "account_name": "the client's name",
    "sender_name": "the account manager's name (or the sender's)",
}
MAX_BODY_CHARS = 100_000
MAX_SUBJECT_CHARS = 300
MAX_LINKS = 50


@dataclass(frozen=True)
class Person:
    name: str
    title: str | None
    account_name: str
    sender_name: str


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def check_template(*, subject: str, body: str) -> None:
    """Refuse what cannot be sent as written (422 naming the field)."""
    if len(body) > MAX_BODY_CHARS:
        raise Invalid("body", f"At most {MAX_BODY_CHARS} characters (this one has {len(body)}).")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise Invalid("subject", f"At most {MAX_SUBJECT_CHARS} characters.")
    if "\n" in subject or "\r" in subject:
        raise Invalid("subject", "A subject is one line.")
    for field, text in (("subject", subject), ("body", body)):
        unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(text)} - set(PLACEHOLDERS))
        if unknown:
            known = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
            raise Invalid(
                field,
                f"Unknown placeholder {', '.join('{{' + u + '}}' for u in unknown)} "
                f"(known: {known}).",
            )
    if len(URL.findall(body)) > MAX_LINKS:
        raise Invalid("body", f"At most {MAX_LINKS} links.")


def links(body: str) -> list[str]:
    """The body's links, in order (a link's index is its place in this list)."""
    return URL.findall(body)


def _fill(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def render(
    *,
    subject: str,
    body: str,
    person: Person,
    click_url: Callable[[int], str],
    open_url: str,
    unsubscribe_url: str,
) -> Message:
    """The message for one person: placeholders filled, links tracked, the unsubscribe link
    and (in the HTML part) the open pixel added. Works for text in any script."""
    values = {
        "name": person.name,
        "first_name": (person.name.split() or [""])[0],
        "title": person.title or "",
        "account_name": person.account_name,
        "sender_name": person.sender_name,
    }
    filled_subject = _fill(subject, values)
    # Links are tracked as the template has them (one index per link, the same for everyone);
    # a link that a placeholder's value brings in is left as it is.
    counter = iter(range(MAX_LINKS))
    tracked = URL.sub(lambda _m: click_url(next(counter)), body)
    text = _fill(tracked, values)
    footer = f"\n\n--\nTo stop receiving these messages: {unsubscribe_url}\n"
    parts = []
    position = 0
    for match in URL.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        url = match.group(0)
        parts.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        position = match.end()
    parts.append(html.escape(text[position:]))
    body_html = "".join(parts).replace("\n", "<br>\n")
    page = (
        '<!doctype html><html><body><div style="font-family:sans-serif">'
        f"{body_html}</div>"
        f'<p style="font-size:small"><a href="{html.escape(unsubscribe_url)}">Unsubscribe</a></p>'
        f'<img src="{html.escape(open_url)}" width="1" height="1" alt="">'
        "</body></html>"
    )
    return Message(subject=filled_subject, text=text + footer, html=page)
