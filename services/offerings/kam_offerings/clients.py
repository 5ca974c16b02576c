"""Reading health's answers when offerings has not heard them yet (accounts: kam_common.http)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from kam_common.errors import ServiceTimedOut, ServiceUnavailable
from kam_common.http import ServiceClient

log = logging.getLogger("kam.offerings")


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
            body = self.client.fetch(path, **kwargs)
        except (ServiceUnavailable, ServiceTimedOut, ValueError) as exc:
            log.warning("health unavailable for %s: %s", path, exc.__class__.__name__)
            return None
        return body if isinstance(body, dict) else None
