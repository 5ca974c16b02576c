"""Reading from the owners when offerings has not heard a fact yet: accounts and health."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from kam_common.errors import AppError
from kam_common.http import ServiceClient

log = logging.getLogger("kam.offerings")


class AccountsUnavailable(AppError):
    status = 503
    slug = "service-unavailable"

    def __init__(self) -> None:
        super().__init__("The accounts service is unavailable to confirm the account; retry.")


class AccountsTimedOut(AppError):
    status = 504
    slug = "gateway-timeout"

    def __init__(self) -> None:
        super().__init__("The accounts service did not answer in time to confirm the account.")


class AccountsReader:
    def __init__(self, client: ServiceClient):
        self.client = client

    def __call__(self, account_id: str) -> dict[str, Any] | None:
        """The account as the accounts service has it, or None when it does not exist."""
        try:
            response = self.client.get(f"/api/v1/accounts/{quote(account_id, safe='')}")
        except requests.Timeout as exc:
            raise AccountsTimedOut() from exc
        except requests.RequestException as exc:
            raise AccountsUnavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise AccountsUnavailable()
        data: dict[str, Any] = response.json()
        return {**data, "account_id": data["id"]}


@dataclass(frozen=True)
class Band:
    band: str
    score: float | None
    at: datetime | None


class HealthReader:
    """Optional answers: a health service that is down or slow gives None, never an error."""

    def __init__(self, client: ServiceClient):
        self.client = client

    def band(self, account_id: str) -> Band | None:
        body = self._get(f"/api/v1/health/accounts/{quote(account_id, safe='')}")
        if body is None or not isinstance(body.get("band"), str):
            return None
        at = None
        if isinstance(body.get("computed_at"), str):
            try:
                at = datetime.fromisoformat(body["computed_at"])
            except ValueError:
                at = None
        score = body.get("score")
        return Band(body["band"], float(score) if isinstance(score, int | float) else None, at)

    def support_tickets(self, account_id: str, since: datetime) -> int | None:
        body = self._get(
            "/api/v1/health/events",
            params={
                "account_id": account_id,
                "type": "support",
                "since": since.isoformat().replace("+00:00", "Z"),
                "per_page": 1,
            },
        )
        total = None if body is None else body.get("total")
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def _get(self, path: str, **kwargs: Any) -> dict[str, Any] | None:
        try:
            response = self.client.get(path, **kwargs)
            if response.status_code != 200:
                log.info("health answered %s for %s", response.status_code, path)
                return None
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("health unavailable for %s: %s", path, exc.__class__.__name__)
            return None
        return body if isinstance(body, dict) else None
