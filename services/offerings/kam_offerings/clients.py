"""Reading health's and accounts' answers offerings does not keep (the account itself:
kam_common.http)."""

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
        return _count(body)

    def _get(self, path: str, **kwargs: Any) -> dict[str, Any] | None:
        return optional_answer(self.client, path, **kwargs)


class VisitCounter:
    """How many visits our team paid an account, from the accounts service (None when it
    cannot say): the field part of the service load."""

    def __init__(self, client: ServiceClient):
        self.client = client

    def visits(self, account_id: str, since: datetime) -> int | None:
        body = optional_answer(
            self.client,
            f"/api/v1/accounts/{quote(account_id, safe='')}/interactions",
            params={
                "kind": "visit",
                "since": since.isoformat().replace("+00:00", "Z"),
                "per_page": 1,
            },
        )
        return _count(body)


def _count(body: dict[str, Any] | None) -> int | None:
    total = None if body is None else body.get("total")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def optional_answer(client: ServiceClient, path: str, **kwargs: Any) -> dict[str, Any] | None:
    """A GET whose failure (down, slow, not found) is None, logged, never an error."""
    try:
        body = client.fetch(path, **kwargs)
    except (ServiceUnavailable, ServiceTimedOut, ValueError) as exc:
        log.warning("%s unavailable for %s: %s", client.name, path, exc.__class__.__name__)
        return None
    return body if isinstance(body, dict) else None
