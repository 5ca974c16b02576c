"""Plays on a real database, fed by real accounts and health apps over HTTP (outbox → relay →
inbox, as the worker delivers), reading through to accounts."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from support import TEST_TOKEN, serve

from kam_accounts import create_app as create_accounts
from kam_accounts.events import OUTBOX as ACCOUNTS_OUTBOX
from kam_accounts.models import Base as AccountsBase
from kam_common.http import ServiceClient
from kam_common.relay import Relay
from kam_health import create_app as create_health
from kam_health.events import OUTBOX as HEALTH_OUTBOX
from kam_health.models import Base as HealthBase
from kam_plays import create_app
from kam_plays.models import Base


@pytest.fixture
def accounts(service_client) -> Iterator[SimpleNamespace]:
    client = service_client("accounts", create_accounts, AccountsBase.metadata)
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, url=url)


@pytest.fixture
def health(service_client, accounts):
    return service_client("health", create_health, HealthBase.metadata, ACCOUNTS_URL=accounts.url)


@pytest.fixture
def plays(service_client, accounts):
    return service_client("plays", create_app, Base.metadata, ACCOUNTS_URL=accounts.url)


@pytest.fixture
def deliver(plays, accounts, health):
    """Deliver what accounts and health published to plays, as the worker does."""

    def run() -> int:
        with serve(plays.application) as url:
            consumer = {"plays": ServiceClient("plays", url, TEST_TOKEN)}
            delivered = 0
            for outbox, app in (
                (ACCOUNTS_OUTBOX, accounts.client.application),
                (HEALTH_OUTBOX, health.application),
            ):
                delivered += Relay(outbox, app.extensions["kam_db"], consumer).run_once()
            return delivered

    return run


@pytest.fixture
def make_account(accounts):
    def make(**fields: Any) -> dict[str, Any]:
        response = accounts.client.post("/api/v1/accounts", json={"name": "Acme", **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def add_member(accounts):
    def add(account_id: str, role: str, name: str = "Sam") -> dict[str, Any]:
        response = accounts.client.post(
            f"/api/v1/accounts/{account_id}/team", json={"name": name, "role": role}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return add


@pytest.fixture
def add_contact(accounts):
    def add(account_id: str, **fields: Any) -> dict[str, Any]:
        response = accounts.client.post(
            f"/api/v1/accounts/{account_id}/contacts", json={"name": "Dana", **fields}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return add


@pytest.fixture
def install_defaults(plays):
    from kam_plays.services.defaults import install_defaults as install

    def run() -> int:
        with plays.application.extensions["kam_db"].session() as session:
            return install(session)

    return run
