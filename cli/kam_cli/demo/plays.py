"""The account team's side of the story: the default triggers have opened tasks on the troubled
accounts as their facts arrived; Northwind's coverage map shows who we still do not reach; a
promotional campaign to the manufacturing clients goes to the healthy ones only.

The triggers themselves ship with the product (`kam migrate` installs them), so every fact the
earlier steps told plays has already been judged by the time this step runs.
"""

from __future__ import annotations

import re
import unicodedata

from kam_cli.demo.registry import DEMO
from kam_cli.demo.scenario import PORTFOLIO, SALES
from kam_cli.demo.wiring import Demo

CAMPAIGN = "Spring service review for manufacturing clients"
SEGMENT = "manufacturing"
CAMPAIGN_BODY = (
    "Dear {{first_name}},\n\n"
    "As spring planning starts at {{account_name}}, we would like to offer you our new "
    "predictive maintenance service: fewer stoppages, parts on site before they fail.\n"
    "The details: https://example.com/kam/predictive-maintenance\n\n"
    "Kind regards,\n{{sender_name}}"
)
# On Northwind, our executive sponsor talks to the CEO and the account manager to the planner;
# nobody yet to Maya's successor or to procurement, and Maya, our champion, has left.
NORTHWIND_COVER = (("executive_sponsor", "ceo"), ("account_manager", "planner"))


@DEMO.step("plays", after=("health-events", "alerts", "agreements", "team", "interactions"))
def seed_plays(demo: Demo) -> str:
    links = cover_northwind(demo)
    sent = send_campaign(demo)
    demo.settle()
    open_tasks = demo.every("plays", "/api/v1/tasks", status="open")
    gaps = demo.call("plays", "GET", f"/api/v1/accounts/{demo.account_ids['northwind']}/coverage")
    return (
        f"{len(open_tasks)} open tasks from the default triggers; "
        f"Northwind coverage {gaps['score']}/100 with {len(gaps['gaps'])} gaps"
        + (f" ({links} links added)" if links else "")
        + (f"; campaign sent: {sent}" if sent else "")
    )


def cover_northwind(demo: Demo) -> int:
    account_id = demo.account_ids["northwind"]
    team = demo.every("accounts", f"/api/v1/accounts/{account_id}/team")
    by_role = {member["role"]: member["id"] for member in team}
    path = f"/api/v1/accounts/{account_id}/coverage"
    existing = {
        (link["member_id"], link["contact_id"]) for link in demo.call("plays", "GET", path)["links"]
    }
    added = 0
    for role, person in NORTHWIND_COVER:
        pair = (by_role[role], demo.contact_ids[("northwind", person)])
        if pair not in existing:
            body = {"member_id": pair[0], "contact_id": pair[1]}
            demo.call("plays", "POST", path, json=body, as_person=(SALES[0], "sales"))
            added += 1
    demo.count("coverage links", added)
    return added


def _slug(text: str, fallback: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", ".", ascii_text.lower()).strip(".")
    return slug or fallback


def give_addresses(demo: Demo) -> int:
    """The segment's people get an e-mail address (at a domain that cannot exist outside the
    demo), so the campaign has someone to write to."""
    added = 0
    for story in PORTFOLIO:
        if story.segment != SEGMENT:
            continue
        account_id = demo.account_ids[story.key]
        domain = f"{_slug(story.name, story.key)}.example"
        people = demo.every("accounts", f"/api/v1/accounts/{account_id}/contacts")
        for index, person in enumerate(people):
            if person["email"] or not person["active"]:
                continue
            address = f"{_slug(person['name'], f'contact{index + 1}')}@{domain}"
            demo.call(
                "accounts",
                "PATCH",
                f"/api/v1/accounts/{account_id}/contacts/{person['id']}",
                json={"email": address},
                as_person=(SALES[0], "sales"),
            )
            added += 1
    demo.count("e-mail addresses", added)
    return added


def send_campaign(demo: Demo) -> str | None:
    if any(c["name"] == CAMPAIGN for c in demo.every("plays", "/api/v1/campaigns")):
        return None
    give_addresses(demo)
    demo.settle()  # the addresses reach plays
    draft = demo.call(
        "plays",
        "POST",
        "/api/v1/campaigns",
        json={
            "name": CAMPAIGN,
            "kind": "promotional",
            "subject": "Fewer stoppages at {{account_name}} this spring",
            "body": CAMPAIGN_BODY,
            "audience": {"segment": SEGMENT},
        },
        as_person=(SALES[0], "sales"),
    )
    # Before `make run` starts the mail sink the campaign stays `sending`; the worker sends it
    # as soon as the sink answers.
    sent = demo.call(
        "plays", "POST", f"/api/v1/campaigns/{draft['id']}/send", as_person=(SALES[0], "sales")
    )
    demo.count("campaigns", 1)
    held = len(sent["suppressed"])
    return f"{sent['audience_size'] - held} people, {held} held back"
