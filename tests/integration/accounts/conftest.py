from __future__ import annotations

from typing import Any

import pytest

from kam_accounts import create_app
from kam_accounts.models import Base


@pytest.fixture
def client(service_client):
    return service_client("accounts", create_app, Base.metadata)


@pytest.fixture
def make_account(client):
    def make(**fields: Any) -> dict[str, Any]:
        response = client.post("/api/v1/accounts", json={"name": "Acme", **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def make_contact(client):
    def make(account_id: str, **fields: Any) -> dict[str, Any]:
        response = client.post(
            f"/api/v1/accounts/{account_id}/contacts", json={"name": "Someone", **fields}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make
