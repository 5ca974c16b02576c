"""The accounts' side of the story: the clients, their people, our team, what we said and sold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kam_cli.demo.registry import DEMO
from kam_cli.demo.scenario import HISTORY_DAYS, INTERACTION_KINDS, PORTFOLIO, Person, Story
from kam_cli.demo.wiring import Demo

ACCOUNTS = "/api/v1/accounts"


@DEMO.step("accounts")
def seed_accounts(demo: Demo) -> str:
    """Each account of the story, unless one of that name exists (then it is the one)."""
    known = {a["name"]: a["id"] for a in demo.every("accounts", ACCOUNTS, status="all")}
    created = 0
    for story in PORTFOLIO:
        if story.name not in known:
            body = _account(story)
            if story.parent is not None:
                body["parent_id"] = demo.account_ids[story.parent]
            known[story.name] = demo.call("accounts", "POST", ACCOUNTS, json=body)["id"]
            created += 1
        demo.account_ids[story.key] = known[story.name]
    demo.count("accounts", created)
    return f"{created} accounts"


def _account(story: Story) -> dict[str, Any]:
    return {
        "name": story.name,
        "segment": story.segment,
        "industry": story.industry,
        "country": story.country,
        "tier": story.tier,
        "orientation": story.orientation,
        "annual_revenue": story.revenue,
        "currency": story.currency,
        "needs": list(story.needs),
        "capabilities": [],
        "contact_cadence_days": story.cadence_days,
    }


def _missing(demo: Demo, story: Story, what: str) -> bool:
    """True when the account has none of `what` yet: the step adds them all, or nothing."""
    path = f"{ACCOUNTS}/{demo.account_ids[story.key]}/{what}"
    return int(demo.call("accounts", "GET", path, params={"per_page": 1})["total"]) == 0


@DEMO.step("contacts", after=("accounts",))
def seed_contacts(demo: Demo) -> str:
    """The client's people with their reporting lines; who left is marked as having left."""
    created = 0
    for story in PORTFOLIO:
        account_id = demo.account_ids[story.key]
        path = f"{ACCOUNTS}/{account_id}/contacts"
        existing = {c["name"]: c["id"] for c in demo.every("accounts", path)}
        for person in story.people:
            if person.name not in existing:
                existing[person.name] = _add_contact(demo, story, person, path, existing)
                created += 1
            demo.contact_ids[(story.key, person.key)] = existing[person.name]
    demo.count("contacts", created)
    return f"{created} contacts"


def _add_contact(
    demo: Demo, story: Story, person: Person, path: str, existing: dict[str, str]
) -> str:
    boss = next((p for p in story.people if p.key == person.reports_to), None)
    body: dict[str, Any] = {
        "name": person.name,
        "title": person.title,
        "buying_role": person.role,
        "influence": person.influence,
        "stance": person.stance,
        "reports_to_id": existing[boss.name] if boss else None,
    }
    if person.notes:
        body["notes"] = person.notes
    contact_id: str = demo.call("accounts", "POST", path, json=body)["id"]
    if person.left_days_ago is not None:
        # Marked as left through the API, as a user would: the account's health hears of it.
        left_on = demo.today - timedelta(days=person.left_days_ago)
        demo.call(
            "accounts",
            "PATCH",
            f"{path}/{contact_id}",
            json={"active": False, "left_on": left_on.isoformat()},
        )
    return contact_id


@DEMO.step("team", after=("accounts",))
def seed_team(demo: Demo) -> str:
    created = 0
    for story in PORTFOLIO:
        if _missing(demo, story, "team"):
            path = f"{ACCOUNTS}/{demo.account_ids[story.key]}/team"
            for name, role in story.team:
                email = name.lower().replace(" ", ".").encode("ascii", "ignore").decode()
                demo.call(
                    "accounts",
                    "POST",
                    path,
                    json={"name": name, "role": role, "email": f"{email}@example.com"},
                )
                created += 1
    demo.count("team members", created)
    return f"{created} team members"


def interaction_days(story: Story) -> list[int]:
    """Days ago of each interaction, oldest first: about every `cadence_days`, slipping a bit,
    from eighteen months ago until the account went quiet (`quiet_days` ago)."""
    rng = story.rng("interactions")
    days, day = [], HISTORY_DAYS - rng.randint(0, 10)
    while day > story.quiet_days:
        days.append(day)
        day -= max(3, round(story.cadence_days * rng.uniform(0.6, 1.05)))
    days.append(story.quiet_days)
    return days


def _present(person: Person, days_ago: int) -> bool:
    joined = person.joined_days_ago is None or days_ago <= person.joined_days_ago
    still_there = person.left_days_ago is None or days_ago > person.left_days_ago
    return joined and still_there


@DEMO.step("interactions", after=("contacts",))
def seed_interactions(demo: Demo) -> str:
    created = 0
    for story in PORTFOLIO:
        if not _missing(demo, story, "interactions"):
            continue
        rng = story.rng("who")
        path = f"{ACCOUNTS}/{demo.account_ids[story.key]}/interactions"
        for number, days_ago in enumerate(interaction_days(story)):
            kind, summary = INTERACTION_KINDS[number % len(INTERACTION_KINDS)]
            present = [p for p in story.people if _present(p, days_ago)]
            people = rng.sample(present, k=min(len(present), rng.randint(1, 2)))
            moment = demo.now - timedelta(days=days_ago, hours=rng.randint(0, 6))
            demo.call(
                "accounts",
                "POST",
                path,
                json={
                    "kind": kind,
                    "occurred_at": moment.isoformat(),
                    "summary": summary,
                    "contact_ids": [demo.contact_ids[(story.key, p.key)] for p in people],
                },
            )
            created += 1
    demo.count("interactions", created)
    return f"{created} interactions"


@DEMO.step("purchases", after=("accounts",))
def seed_purchases(demo: Demo) -> str:
    """Every quarter, each product line the client buys, growing or shrinking as its story."""
    created = 0
    for story in PORTFOLIO:
        if not _missing(demo, story, "purchases"):
            continue
        rng = story.rng("purchases")
        path = f"{ACCOUNTS}/{demo.account_ids[story.key]}/purchases"
        for line in story.lines:
            quarter, day = 0, line.since_days_ago - rng.randint(0, 20)
            while day > 5:
                amount = story.revenue * line.share / 4 * (1 + line.growth) ** quarter
                demo.call(
                    "accounts",
                    "POST",
                    path,
                    json={
                        "product_line": line.product_line,
                        "amount": round(amount, 2),
                        "occurred_on": (demo.today - timedelta(days=day)).isoformat(),
                        "description": f"Quarterly order, {line.product_line}",
                    },
                )
                created += 1
                quarter += 1
                day -= 91 + rng.randint(-6, 6)
    demo.count("purchases", created)
    return f"{created} purchases"
