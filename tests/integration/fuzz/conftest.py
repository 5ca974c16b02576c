"""Fuzzing fixtures: the apps on the session's real databases (SQLite, or PostgreSQL when
`<APP>_DATABASE_URL` is set), each test's tables emptied and then seeded with one of each
resource, so that generated calls reach real rows as well as missing ones.

Services run in-process through WSGI with the internal token; the services a service reads
through to, and every service behind the gateway, are real apps served over HTTP in threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from fuzz_seeds import KNOWN_IDS
from support import TEST_TOKEN, empty_tables, serve, serve_asgi

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase
from kam_offerings import create_app as create_offerings
from kam_offerings.models import Base as OfferingsBase
from kam_plays import create_app as create_plays
from kam_plays.models import Base as PlaysBase


def created(client: FlaskClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


@pytest.fixture
def accounts(service_client: Callable[..., FlaskClient]) -> Iterator[SimpleNamespace]:
    """The accounts app with an account, a contact and a team member; also served over HTTP."""
    client = service_client("accounts", create_accounts, AccountsBase.metadata)
    account = created(client, "/api/v1/accounts", {"name": "Fuzz Ltd", "needs": ["speed"]})
    base = f"/api/v1/accounts/{account['id']}"
    contact = created(client, f"{base}/contacts", {"name": "Dana Decider"})
    member = created(client, f"{base}/team", {"name": "Sam Seller", "role": "account_manager"})
    KNOWN_IDS.clear()
    KNOWN_IDS.update(account_id=account["id"], contact_id=contact["id"], member_id=member["id"])
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, app=client.application, url=url)


@pytest.fixture
def health(
    service_client: Callable[..., FlaskClient], accounts: SimpleNamespace
) -> Iterator[SimpleNamespace]:
    """The health app with an event on the seeded account; also served over HTTP."""
    client = service_client("health", create_health, HealthBase.metadata, ACCOUNTS_URL=accounts.url)
    event = created(
        client,
        "/api/v1/health/events",
        {"account_id": KNOWN_IDS["account_id"], "type": "quality", "severity": "critical"},
    )
    KNOWN_IDS["event_id"] = event["id"]
    alerts = client.get("/api/v1/health/alerts").get_json()["items"]
    if alerts:
        KNOWN_IDS["alert_id"] = alerts[0]["id"]
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, app=client.application, url=url)


@pytest.fixture
def offerings(
    service_client: Callable[..., FlaskClient],
    accounts: SimpleNamespace,
    health: SimpleNamespace,
) -> Iterator[SimpleNamespace]:
    """The offerings app with a small catalog and a proposal; also served over HTTP."""
    client = service_client(
        "offerings",
        create_offerings,
        OfferingsBase.metadata,
        ACCOUNTS_URL=accounts.url,
        HEALTH_URL=health.url,
    )
    core = created(
        client,
        "/api/v1/offerings/catalog",
        {"code": "CORE", "name": "Core supply", "kind": "core", "list_price": 1000,
         "unit_cost": 700},
    )  # fmt: skip
    created(
        client,
        "/api/v1/offerings/catalog",
        {"code": "HELP", "name": "Help desk", "kind": "support", "list_price": 100,
         "unit_cost": 60, "billing": "monthly"},
    )  # fmt: skip
    proposal = created(
        client, "/api/v1/offerings/proposals", {"account_id": KNOWN_IDS["account_id"]}
    )
    KNOWN_IDS.update(item_id=core["id"], proposal_id=proposal["id"])
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, app=client.application, url=url)


@pytest.fixture
def plays(
    service_client: Callable[..., FlaskClient], accounts: SimpleNamespace
) -> Iterator[SimpleNamespace]:
    """The plays app with a trigger and a task on the seeded account; also served over HTTP."""
    client = service_client("plays", create_plays, PlaysBase.metadata, ACCOUNTS_URL=accounts.url)
    trigger = created(
        client,
        "/api/v1/triggers",
        {
            "name": "Fuzz trigger",
            "when": {"event_logged": {"type": "quality", "severity": "critical"}},
            "then": {"create_task": {"title": "Visit", "assignee_role": "quality_engineer"}},
        },
    )
    task = created(
        client,
        "/api/v1/tasks",
        {"account_id": KNOWN_IDS["account_id"], "title": "Call", "due_on": "2030-01-01"},
    )
    KNOWN_IDS.update(trigger_id=trigger["id"], task_id=task["id"])
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, app=client.application, url=url)


@pytest.fixture
def plays_app(plays: SimpleNamespace) -> Flask:
    return plays.app  # type: ignore[no-any-return]


@pytest.fixture
def accounts_app(accounts: SimpleNamespace) -> Flask:
    return accounts.app  # type: ignore[no-any-return]


@pytest.fixture
def health_app(health: SimpleNamespace) -> Flask:
    return health.app  # type: ignore[no-any-return]


@pytest.fixture
def offerings_app(offerings: SimpleNamespace) -> Flask:
    return offerings.app  # type: ignore[no-any-return]


@pytest.fixture
def gateway_app(
    database_url: Callable[[str], str],
    accounts: SimpleNamespace,
    health: SimpleNamespace,
    offerings: SimpleNamespace,
    plays: SimpleNamespace,
) -> Any:
    """The gateway in front of the three real, seeded services."""
    from kam_gateway import create_app as create_gateway
    from kam_gateway.models import Base as GatewayBase

    url = database_url("gateway")
    empty_tables(url, GatewayBase.metadata)
    return create_gateway(
        {
            "DATABASE_URL": url,
            "INTERNAL_TOKEN": TEST_TOKEN,
            "ACCOUNTS_URL": accounts.url,
            "HEALTH_URL": health.url,
            "OFFERINGS_URL": offerings.url,
            "PLAYS_URL": plays.url,
        }
    )


@pytest.fixture
def gateway_url(gateway_app: Any) -> Iterator[str]:
    """The gateway served as in production (uvicorn) on a real port."""
    with serve_asgi(gateway_app) as url:
        yield url


@pytest.fixture
def admin_headers(gateway_app: Any) -> dict[str, str]:
    from kam_gateway.keys import create_key

    with gateway_app.db.session() as session:
        _key, secret = create_key(session=session, name="fuzz admin", role="admin")
        # Another key for the fuzzer to read and revoke: revoking its own would end the run.
        spare, _ = create_key(session=session, name="fuzz spare", role="sales")
        KNOWN_IDS["key_id"] = spare.id
    return {"Authorization": f"Bearer {secret}"}
