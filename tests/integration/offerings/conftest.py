"""Offerings on a real database, reading through to real accounts and health apps over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from support import closed_port_url, serve

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase
from kam_offerings import create_app
from kam_offerings.models import Base

CATALOG: list[dict[str, Any]] = [
    {"code": "CORE", "name": "Core supply", "kind": "core", "list_price": 100000,
     "unit_cost": 70000, "family": "core"},
    {"code": "CORE-PLUS", "name": "Core supply plus", "kind": "core", "list_price": 130000,
     "unit_cost": 85000, "family": "core", "level": 2},
    {"code": "HELPDESK", "name": "Help desk", "kind": "support", "billing": "monthly",
     "list_price": 1000, "unit_cost": 600, "value_driver": "performance"},
    {"code": "COSTRED", "name": "Coordinated cost-reduction programme", "kind": "value_added",
     "list_price": 20000, "unit_cost": 9000, "value_driver": "cost_reduction"},
    {"code": "TECH", "name": "Technical assistance", "kind": "value_added",
     "billing": "monthly", "list_price": 2500, "unit_cost": 1500,
     "value_driver": "performance"},
    {"code": "DELIVERY-5", "name": "Guaranteed delivery (5 days)", "kind": "value_added",
     "list_price": 9000, "unit_cost": 4000, "value_driver": "assurance",
     "family": "guaranteed-delivery", "level": 1, "commitment": {"max_delivery_delay_days": 5}},
    {"code": "DELIVERY-2", "name": "Guaranteed delivery (2 days)", "kind": "value_added",
     "list_price": 15000, "unit_cost": 6000, "value_driver": "assurance",
     "family": "guaranteed-delivery", "level": 2, "commitment": {"max_delivery_delay_days": 2}},
    {"code": "PROMO", "name": "Cooperative promotion", "kind": "value_added",
     "billing": "one_time", "list_price": 8000, "unit_cost": 5000,
     "value_driver": "performance"},
]  # fmt: skip


@pytest.fixture
def accounts(service_client) -> Iterator[SimpleNamespace]:
    client = service_client("accounts", create_accounts, AccountsBase.metadata)
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, url=url)


@pytest.fixture
def health(service_client, accounts) -> Iterator[SimpleNamespace]:
    client = service_client("health", create_health, HealthBase.metadata, ACCOUNTS_URL=accounts.url)
    with serve(client.application) as url:
        yield SimpleNamespace(client=client, url=url)


@pytest.fixture
def client(service_client, accounts, health):
    return service_client(
        "offerings",
        create_app,
        Base.metadata,
        ACCOUNTS_URL=accounts.url,
        HEALTH_URL=health.url,
        PLAYS_URL=closed_port_url(),
    )


@pytest.fixture
def client_without_health(service_client, accounts):
    """Offerings whose health service is down: nobody listens at its address."""
    return service_client(
        "offerings",
        create_app,
        Base.metadata,
        ACCOUNTS_URL=accounts.url,
        HEALTH_URL=closed_port_url(),
        PLAYS_URL=closed_port_url(),
    )


@pytest.fixture
def make_account(accounts):
    def make(**fields: Any) -> dict[str, Any]:
        response = accounts.client.post("/api/v1/accounts", json={"name": "Acme", **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


def add_catalog(client, items: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    by_code = {}
    for item in items or CATALOG:
        response = client.post("/api/v1/offerings/catalog", json=item)
        assert response.status_code == 201, response.get_json()
        by_code[item["code"]] = response.get_json()
    return by_code


@pytest.fixture
def catalog(client):
    return add_catalog(client)


@pytest.fixture
def propose(client):
    def make(account_id: str, http=None) -> dict[str, Any]:
        response = (http or client).post(
            "/api/v1/offerings/proposals", json={"account_id": account_id}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def deliver_offerings(client, health):
    """Deliver the offerings outbox to the health app over HTTP, as the worker does."""
    from kam_common.http import ServiceClient
    from kam_common.relay import Relay
    from kam_offerings.events import OUTBOX

    def run() -> int:
        consumer = ServiceClient("health", health.url, "test-internal-token")
        return Relay(
            OUTBOX, client.application.extensions["kam_db"], {"health": consumer}
        ).run_once()

    return run
