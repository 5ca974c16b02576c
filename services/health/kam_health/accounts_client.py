"""Reading an account from its owner, the accounts service, when health has not heard of it."""

from __future__ import annotations

from typing import Any

import requests

from kam_common.errors import AppError
from kam_common.http import ServiceClient


class AccountsUnavailable(AppError):
    status = 503
    slug = "service-unavailable"

    def __init__(self) -> None:
        super().__init__("The accounts service is unavailable to confirm the account; retry.")


class AccountsReader:
    def __init__(self, client: ServiceClient):
        self.client = client

    def __call__(self, account_id: str) -> dict[str, Any] | None:
        """The account as the accounts service has it, or None when it does not exist."""
        try:
            response = self.client.get(f"/api/v1/accounts/{requests.utils.quote(account_id)}")
        except requests.RequestException as exc:
            raise AccountsUnavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise AccountsUnavailable()
        data: dict[str, Any] = response.json()
        return {"account_id": data["id"], **data}
