"""Health on a real database, reading through to a real accounts service over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from support import serve

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_health import create_app
from kam_health.models import Base


@pytest.fixture
def accounts(service_client) -> Iterator[SimpleNamespace]:
    client = service_client("accounts", create_accounts, AccountsBase.metadata)
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, url=url)


@pytest.fixture
def client(service_client, accounts):
    return service_client("health", create_app, Base.metadata, ACCOUNTS_URL=accounts.url)


@pytest.fixture
def make_account(accounts):
    def make(**fields: Any) -> dict[str, Any]:
        response = accounts.client.post("/api/v1/accounts", json={"name": "Acme", **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def log(client):
    def log_event(**event: Any) -> dict[str, Any]:
        response = client.post("/api/v1/health/events", json=event)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return log_event


@pytest.fixture
def deliver(client, accounts):
    """Deliver the accounts outbox to this health app over HTTP, as the worker does."""
    from kam_accounts.events import OUTBOX
    from kam_common.http import ServiceClient
    from kam_common.relay import Relay

    def run() -> int:
        with serve(client.application) as url:
            consumer = ServiceClient("health", url, "test-internal-token")
            relay = Relay(
                OUTBOX, accounts.client.application.extensions["kam_db"], {"health": consumer}
            )
            return relay.run_once()

    return run
