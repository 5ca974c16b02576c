"""Reading an account from its owner, the accounts service, when health has not heard of it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kam_common.http import ServiceClient


class AccountsReader:
    def __init__(self, client: ServiceClient):
        self.client = client

    def __call__(self, account_id: str) -> dict[str, Any] | None:
        """The account as the accounts service has it, or None when it does not exist
        (503/504 naming accounts when it cannot say)."""
        data = self.client.fetch(f"/api/v1/accounts/{quote(account_id, safe='')}")
        return None if data is None else {**data, "account_id": data["id"]}
