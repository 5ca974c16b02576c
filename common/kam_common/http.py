"""Calls between apps: the internal token and the request id ride along on every call.

Synchronous, on `requests` (a pooled session per client): the services' read-throughs, the
worker's deliveries and the CLI. The gateway, which serves on an event loop, has its own
asynchronous client (`kam_gateway.upstream`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from kam_common.errors import ServiceTimedOut, ServiceUnavailable
from kam_common.requestlog import REQUEST_ID_HEADER, current_request_id

INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 - a header name, not a secret


class ServiceClient:
    """A pooled HTTP client for one internal service. Failures raise requests' exceptions."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 10.0,
        pool_size: int = 32,
    ):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        self.session.trust_env = False  # our services are never behind the operator's proxy
        self.session.mount(self.base_url, HTTPAdapter(pool_maxsize=pool_size))

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {INTERNAL_TOKEN_HEADER: self.token}
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        if extra:
            headers.update(extra)
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """`params`, `data` and `json` as for requests."""
        try:
            return self.session.request(
                method,
                self.base_url + path,
                headers=self.headers(headers),
                timeout=timeout if timeout is not None else self.timeout,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise type(exc)(f"{self.name}: {exc}") from exc

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def fetch(self, path: str, **kwargs: Any) -> dict[str, Any] | None:
        """GET a resource as JSON: None when it does not exist (404); a service that is down,
        slow or answering otherwise raises `ServiceUnavailable` / `ServiceTimedOut`."""
        try:
            response = self.get(path, **kwargs)
        except requests.Timeout as exc:
            raise ServiceTimedOut(self.name) from exc
        except requests.RequestException as exc:
            raise ServiceUnavailable(self.name) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable(self.name)
        data: dict[str, Any] = response.json()
        return data


class AccountsReader:
    """Reads an account from its owner, for a service that has not heard of it yet (its event
    may still be on the way)."""

    def __init__(self, client: ServiceClient):
        self.client = client

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> AccountsReader:
        """From an app's `ACCOUNTS_URL`, `INTERNAL_TOKEN` and `ACCOUNTS_TIMEOUT` settings."""
        client = ServiceClient(
            "accounts",
            settings["ACCOUNTS_URL"],
            settings["INTERNAL_TOKEN"],
            read_timeout=settings["ACCOUNTS_TIMEOUT"],
        )
        return cls(client)

    def __call__(self, account_id: str) -> dict[str, Any] | None:
        """The account as the accounts service has it (with `account_id` beside `id`), None
        when it does not exist; a 503/504 problem naming accounts when it cannot say."""
        data = self.client.fetch(f"/api/v1/accounts/{quote(account_id, safe='')}")
        return None if data is None else {**data, "account_id": data["id"]}
