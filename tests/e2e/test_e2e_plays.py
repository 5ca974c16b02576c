"""Plays on the running stack: the default triggers open tasks for the right team member from
facts the worker carries between the real services, and a campaign leaves through the real
mail sink with links that work through the gateway without a key."""

from __future__ import annotations

import email
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_stack import Stack

pytestmark = pytest.mark.e2e

API = "/api/v1"


def until(what: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = what()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


@pytest.fixture(scope="module")
def keys(make_key) -> dict[str, dict[str, str]]:
    return {role: make_key(role) for role in ("sales", "engineer", "executive")}


def call(gateway_url: str, method: str, path: str, headers: dict[str, str], **kwargs: Any):
    return requests.request(method, gateway_url + API + path, headers=headers, timeout=20, **kwargs)


def test_a_critical_quality_issue_opens_a_task_for_the_accounts_quality_engineer(
    gateway_url: str, keys: dict[str, dict[str, str]]
) -> None:
    sales, engineer = keys["sales"], keys["engineer"]
    account = call(gateway_url, "POST", "/accounts", sales, json={"name": "E2E Plays"}).json()
    member = call(
        gateway_url,
        "POST",
        f"/accounts/{account['id']}/team",
        sales,
        json={"name": "Ziba", "role": "quality_engineer"},
    ).json()
    logged = call(
        gateway_url,
        "POST",
        "/health/events",
        engineer,
        json={"account_id": account["id"], "type": "quality", "severity": "critical"},
    )
    assert logged.status_code == 201, logged.text

    seen: list[dict[str, Any]] = []

    def task() -> dict[str, Any] | None:
        found = call(gateway_url, "GET", "/tasks", engineer, params={"account_id": account["id"]})
        assert found.status_code == 200, found.text
        items = [t for t in found.json()["items"] if t["assignee_role"] == "quality_engineer"]
        seen[:] = items
        # The member and the event reach plays by separate streams: a task opened before the
        # member arrived waits for the role and is assigned when the member does.
        return items[0] if items and items[0]["assignee_id"] else None

    opened = until(task)
    assert opened is not None, f"no task was opened and assigned: {seen}"
    assert opened["assignee_id"] == member["id"] and opened["source"]["type"] == "trigger"
    mine = call(gateway_url, "GET", "/tasks", engineer, params={"assignee_id": member["id"]})
    assert [t["id"] for t in mine.json()["items"]] == [opened["id"]]
    # Sales read triggers but may not write them.
    assert call(gateway_url, "GET", "/triggers", sales).status_code == 200
    denied = call(gateway_url, "POST", "/triggers", sales, json={})
    assert denied.status_code == 403


def test_a_campaign_reaches_the_mail_sink_and_its_links_work_without_a_key(
    gateway_url: str, keys: dict[str, dict[str, str]], stack: Stack
) -> None:
    sales = keys["sales"]
    segment = f"e2e-{uuid.uuid4().hex[:8]}"
    account = call(
        gateway_url, "POST", "/accounts", sales, json={"name": "Mail Ltd", "segment": segment}
    ).json()
    address = f"{uuid.uuid4().hex[:8]}@mail.example"
    call(
        gateway_url,
        "POST",
        f"/accounts/{account['id']}/contacts",
        sales,
        json={"name": "Parisa Mehr", "email": address},
    )
    body = {
        "name": "E2E launch",
        "kind": "promotional",
        "subject": "Hello {{first_name}}",
        "body": "Dear {{first_name}}, see https://example.com/new",
        "audience": {"segment": segment},
    }
    # The contact reaches plays through the worker: the audience fills once it has.
    created = until(
        lambda: (
            (r := call(gateway_url, "POST", "/campaigns", sales, json=body)).status_code == 201
            and r
        )
    )
    assert created, "the audience never filled"
    campaign = created.json()
    sent = call(gateway_url, "POST", f"/campaigns/{campaign['id']}/send", sales)
    assert sent.status_code == 202, sent.text

    folder: Path = stack.data_dir / "mail"

    def mail() -> email.message.Message | None:
        for path in folder.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes())
            if address in (message["To"] or ""):
                return message
        return None

    message = until(mail)
    assert message is not None, "no message reached the mail sink"
    assert message["Subject"] == "Hello Parisa"
    text = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    [click] = re.findall(re.escape(gateway_url) + r"/t/c/[\w-]+\.[\w-]+", text)
    followed = requests.get(click, allow_redirects=False, timeout=10)  # no key
    assert followed.status_code == 302 and followed.headers["Location"] == "https://example.com/new"
    stats = call(gateway_url, "GET", f"/campaigns/{campaign['id']}", sales).json()
    assert stats["status"] == "sent"
    assert stats["stats"]["delivered"] == 1 and stats["stats"]["clicked"] == 1
    assert requests.get(click[:-4] + "abcd", timeout=10).status_code == 404
