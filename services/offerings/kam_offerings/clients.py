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


@dataclass(frozen=True)
class Pressure:
    """The contact-pressure rule's verdict for an account, as the plays service gives it."""

    suppressed: bool
    reason: str | None


class PlaysReader:
    """Asks plays (which owns the contact-pressure rule) whether to hold offers back; None when
    plays is down or slow, so the caller falls back on what it knows itself."""

    def __init__(self, client: ServiceClient):
        self.client = client

    def pressure(self, account_id: str) -> Pressure | None:
        try:
            body = self.client.fetch(f"/internal/pressure/{quote(account_id, safe='')}")
        except (ServiceUnavailable, ServiceTimedOut, ValueError) as exc:
            log.warning("plays unavailable for %s: %s", account_id, exc.__class__.__name__)
            return None
        if not isinstance(body, dict) or not isinstance(body.get("suppressed"), bool):
            return None
        reason = body.get("reason")
        return Pressure(body["suppressed"], reason if isinstance(reason, str) else None)


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
