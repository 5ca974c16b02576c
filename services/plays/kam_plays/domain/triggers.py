"""Trigger conditions: when each one holds for an account, and for which causes.

A condition holds for an account for zero or more *causes* (an event, a departed contact, the
band it entered, ...). A trigger fires once per account and cause, and fires again for that cause
only after it has cleared (see `kam_plays.services.evaluation`). Plain Python: the facts come in
as `AccountState`, the answer is `{cause: facts}`, the facts being what the firing records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kam_common.errors import Invalid
from kam_plays.domain.vocabulary import BANDS, CONDITIONS, SEVERITIES

# A warning sign is never "resolved" in health; it counts as current for this long.
WARNING_CURRENT_DAYS = 30
# An active agreement renews a year after it started unless it says otherwise.
AGREEMENT_TERM_DAYS = 365


@dataclass(frozen=True)
class Purchase:
    product_line: str
    amount: Decimal
    occurred_on: date


@dataclass(frozen=True)
class Departed:
    contact_id: str
    name: str
    buying_role: str | None
    left_on: date | None


@dataclass(frozen=True)
class OpenEvent:
    event_id: str
    type: str
    severity: str | None
    occurred_at: datetime


@dataclass
class AccountState:
    """Everything a condition may look at for one account."""

    account_id: str
    name: str
    status: str = "active"
    segment: str | None = None
    tier: str = "key"
    band: str | None = None
    components: dict[str, float] = field(default_factory=dict)
    cadence_days: int = 30
    created_at: datetime | None = None
    last_contact_at: datetime | None = None
    renewal_on: date | None = None
    purchases: list[Purchase] = field(default_factory=list)
    departed: list[Departed] = field(default_factory=list)
    events: list[OpenEvent] = field(default_factory=list)


def condition_kind(when: dict[str, Any]) -> str:
    """The one condition a `when` names (the schema has checked there is exactly one)."""
    return next(name for name in CONDITIONS if name in when)


def check_can_fire(when: dict[str, Any]) -> None:
    """Refuse a condition that no account could ever meet (422 naming the field)."""
    kind = condition_kind(when)
    spec = when[kind]
    where = f"when.{kind}"
    if kind == "band_entered" and not spec:
        raise Invalid(where, "Name at least one band: an empty list can never fire.")
    if kind == "component_below" and spec["score"] <= 0:
        raise Invalid(f"{where}.score", "Scores are never below 0: this can never fire.")
    if kind == "contact_left" and not spec["buying_roles"]:
        raise Invalid(
            f"{where}.buying_roles", "Name at least one buying role: an empty list never fires."
        )
    if kind == "event_logged":
        severity = spec.get("severity")
        allowed = SEVERITIES[spec["type"]]
        if severity is not None and severity not in allowed:
            words = ", ".join(allowed) if allowed else "none (they have no severity)"
            raise Invalid(
                f"{where}.severity",
                f"{spec['type']} events never have severity {severity!r} (theirs: {words}); "
                "this can never fire.",
            )


def fires_everywhere_by_definition(when: dict[str, Any]) -> bool:
    """A condition true of every account whatever its facts (every band named)."""
    kind = condition_kind(when)
    return kind == "band_entered" and set(when[kind]) >= set(BANDS)


def in_scope(when: dict[str, Any], state: AccountState) -> bool:
    if state.status != "active":
        return False
    if when.get("segment") is not None and state.segment != when["segment"]:
        return False
    return not (when.get("tier") is not None and state.tier != when["tier"])


def renewal_date(starts_on: date, renews_on: date | None = None) -> date:
    return renews_on or starts_on + timedelta(days=AGREEMENT_TERM_DAYS)


def causes(when: dict[str, Any], state: AccountState, now: datetime) -> dict[str, dict[str, Any]]:
    """For which causes the condition holds for the account now, each with its facts."""
    if not in_scope(when, state):
        return {}
    kind = condition_kind(when)
    spec = when[kind]
    today = now.date()
    if kind == "band_entered":
        band = state.band or "healthy"  # no score yet: no evidence of trouble
        return {f"band:{band}": {"band": band}} if band in spec else {}
    if kind == "component_below":
        name, limit = spec["component"], float(spec["score"])
        score = state.components.get(name)
        if score is None or score >= limit:
            return {}
        return {f"component:{name}": {"component": name, "score": score, "below": limit}}
    if kind == "purchases_over":
        line, days = spec["product_line"], int(spec["days"])
        since = today - timedelta(days=days)
        bought = [
            p
            for p in state.purchases
            if p.product_line.casefold() == line.casefold() and p.occurred_on > since
        ]
        total = sum((p.amount for p in bought), Decimal("0"))
        if total <= Decimal(str(spec["amount"])):
            return {}
        return {
            f"purchases:{line.casefold()}"[:120]: {
                "product_line": line,
                "total": float(total),
                "purchases": len(bought),
                "days": days,
                "over": float(spec["amount"]),
            }
        }
    if kind == "renewal_within":
        if state.renewal_on is None:
            return {}
        left = (state.renewal_on - today).days
        if not 0 <= left <= int(spec["days"]):
            return {}
        return {
            f"renewal:{state.renewal_on.isoformat()}": {
                "renewal_on": state.renewal_on.isoformat(),
                "days_left": left,
            }
        }
    if kind == "contact_left":
        roles = set(spec["buying_roles"])
        return {
            f"contact:{person.contact_id}": {
                "contact_id": person.contact_id,
                "name": person.name,
                "buying_role": person.buying_role,
                "left_on": person.left_on.isoformat() if person.left_on else None,
            }
            for person in state.departed
            if person.buying_role in roles
        }
    if kind == "no_contact_for":
        last = state.last_contact_at or state.created_at
        if last is None:
            return {}
        silent = (now - last).days
        allowed = state.cadence_days + int(spec["days_past_cadence"])
        if silent <= allowed:
            return {}
        return {
            "no_contact": {
                "last_contact_at": state.last_contact_at.isoformat()
                if state.last_contact_at
                else None,
                "days_without_contact": silent,
                "cadence_days": state.cadence_days,
                "days_past_cadence": silent - state.cadence_days,
            }
        }
    # event_logged
    found = {}
    for event in state.events:
        if event.type != spec["type"]:
            continue
        if spec.get("severity") is not None and event.severity != spec["severity"]:
            continue
        if event.type == "warning" and now - event.occurred_at > timedelta(
            days=WARNING_CURRENT_DAYS
        ):
            continue
        found[f"event:{event.event_id}"] = {
            "event_id": event.event_id,
            "type": event.type,
            "severity": event.severity,
            "occurred_at": event.occurred_at.isoformat(),
        }
    return found


def due_on(today: date, days: int) -> date:
    return today + timedelta(days=days)
