"""The health side of the story: eighteen months of deliveries, quality issues, tickets and
warning signs with their real dates; an executive's override; alerts dealt with."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from kam_cli.demo.registry import DEMO
from kam_cli.demo.scenario import HISTORY_DAYS, PORTFOLIO, Story, Trouble
from kam_cli.demo.wiring import Demo

EVENTS = "/api/v1/health/events"
BATCH_LIMIT = 1000
REPORTERS = {
    "delivery": "Delivery tracking",
    "quality": "Quality lab",
    "support": "Help desk",
    "warning": "Account team",
}


def routine_deliveries(story: Story) -> list[Trouble]:
    """A delivery promised about every month for eighteen months, on time unless the story
    says otherwise (its late deliveries take the place of the routine one that month)."""
    rng = story.rng("deliveries")
    troubled = [t.days_ago for t in story.events() if t.type == "delivery"]
    routine = []
    for month in range(1, HISTORY_DAYS // 30):
        day = month * 30 + rng.randint(-6, 6)
        if all(abs(day - other) > 10 for other in troubled):
            routine.append(Trouble("delivery", day, late=rng.choice((0, 0, 0, -1))))
    return routine


def event_body(demo: Demo, story: Story, trouble: Trouble, number: int) -> dict[str, Any]:
    today = demo.today
    at = datetime.combine(today - timedelta(days=trouble.days_ago), time(9, 30), demo.now.tzinfo)
    body: dict[str, Any] = {
        "account_id": demo.account_ids[story.key],
        "type": trouble.type,
        "occurred_at": at.isoformat(),
        "reported_by": REPORTERS[trouble.type],
        "external_ref": f"demo-{story.key}-{trouble.type}-{number}",
    }
    if trouble.note:
        body["note"] = trouble.note
    if trouble.type == "delivery":
        promised = at.date()
        body["promised_on"] = promised.isoformat()
        delivered = None if trouble.late is None else promised + timedelta(days=trouble.late)
        body["delivered_on"] = _day_or_none(delivered, today)
    elif trouble.type in ("quality", "support"):
        body["severity"] = trouble.severity
        if trouble.resolved_after is not None:
            resolved = at + timedelta(days=trouble.resolved_after)
            body["resolved_at"] = resolved.isoformat() if resolved <= demo.now else None
        if trouble.type == "support":
            body["opened_at"] = at.isoformat()
            body["sla_hours"] = trouble.sla_hours
    else:
        body["signal"] = trouble.signal
        body["severity"] = trouble.severity
    return body


def _day_or_none(day: date | None, today: date) -> str | None:
    return day.isoformat() if day is not None and day <= today else None


@DEMO.step("health-events", after=("contacts", "interactions", "agreements"))
def seed_events(demo: Demo) -> str:
    """Each account's events, unless it has any already; sent in batches of up to 1000."""
    pending: list[dict[str, Any]] = []
    for story in PORTFOLIO:
        listed = demo.call(
            "health",
            "GET",
            EVENTS,
            params={"account_id": demo.account_ids[story.key], "per_page": 1},
        )
        if listed["total"]:
            continue
        everything = sorted(
            (*routine_deliveries(story), *story.events()), key=lambda t: -t.days_ago
        )
        pending.extend(event_body(demo, story, t, n) for n, t in enumerate(everything))
    for start in range(0, len(pending), BATCH_LIMIT):
        demo.call(
            "health",
            "POST",
            f"{EVENTS}/batch",
            json={"events": pending[start : start + BATCH_LIMIT]},
        )
    demo.count("health events", len(pending))
    return f"{len(pending)} health events"


@DEMO.step("override", after=("health-events",))
def seed_override(demo: Demo) -> str:
    """The executive's judgement on the accounts whose story has one: once, while the story's
    override would still be in force (an account with an override keeps it)."""
    added = 0
    for story in PORTFOLIO:
        if story.override is None:
            continue
        override = story.override
        account_id = demo.account_ids[story.key]
        if override.expires_in_days is not None:
            # Seeded long ago, the override has had its time: expired is how the story ends.
            account = demo.call("accounts", "GET", f"/api/v1/accounts/{account_id}")
            seeded_on = datetime.fromisoformat(account["created_at"]).date()
            if (demo.today - seeded_on).days >= override.expires_in_days:
                continue
        path = f"/api/v1/health/accounts/{account_id}"
        if demo.call("health", "GET", path)["override"] is not None:
            continue
        body: dict[str, Any] = {"score": override.score, "reason": override.reason}
        if override.expires_in_days is not None:
            expires = demo.today + timedelta(days=override.expires_in_days)
            body["expires_on"] = expires.isoformat()
        demo.call("health", "POST", f"{path}/override", json=body, as_person=override.by)
        added += 1
    demo.count("overrides", added)
    return f"{added} overrides"


@DEMO.step("alerts", after=("health-events", "override"))
def seed_alert_outcomes(demo: Demo) -> str:
    """The alerts the story has dealt with: acknowledged or resolved, with the note why.
    Alerts of the other accounts stay open, waiting for someone."""
    changed = 0
    for story in PORTFOLIO:
        if story.alert_outcome is None:
            continue
        status, note = story.alert_outcome
        account_id = demo.account_ids[story.key]
        alerts = demo.every("health", "/api/v1/health/alerts", account_id=account_id)
        if any(alert["status"] == status for alert in alerts):
            continue
        manager = next(name for name, role in story.team if role == "account_manager")
        for alert in alerts:
            if alert["status"] == "open":
                demo.call(
                    "health",
                    "PATCH",
                    f"/api/v1/health/alerts/{alert['id']}",
                    json={"status": status, "note": note},
                    as_person=(manager, "sales"),
                )
                changed += 1
    demo.count("alerts dealt with", changed)
    return f"{changed} alerts acknowledged or resolved"
