"""Plain-words lines for the account's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

ENTRY_TYPES = ("account", "interaction", "purchase", "contact_change")

_FIELD_WORDS = {
    "name": "name",
    "title": "title",
    "buying_role": "buying role",
    "influence": "influence",
    "stance": "stance",
    "reports_to_id": "manager",
    "email": "email",
}


@dataclass(frozen=True)
class Entry:
    type: str
    at: datetime
    id: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.at, e.id), reverse=True)


def describe_interaction(kind: str, summary: str | None, people: list[str]) -> str:
    text = kind.capitalize()
    if people:
        text += " with " + ", ".join(people)
    return f"{text}: {summary}" if summary else text


def describe_purchase(product_line: str, amount: Decimal, currency: str) -> str:
    return f"Bought {product_line} for {amount:,.2f} {currency}"


def describe_contact_change(
    name: str, kind: str, changes: dict[str, list[Any]], names: dict[str, str]
) -> str:
    if kind == "added":
        return f"{name} added as a contact"
    if kind == "left":
        return f"{name} left"
    if kind == "returned":
        return f"{name} is back"
    parts = []
    for key, (old, new) in changes.items():
        if key == "reports_to_id":
            old, new = names.get(old or "", "nobody"), names.get(new or "", "nobody")
        parts.append(f"{_FIELD_WORDS.get(key, key)} {old or 'none'} → {new or 'none'}")
    return f"{name} updated: " + "; ".join(parts)
