"""Calls between apps: the internal token and the request id ride along on every call."""

from __future__ import annotations

import json as jsonlib
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from kam_common.errors import ServiceTimedOut, ServiceUnavailable
from kam_common.keepalive import KeepAlivePool
from kam_common.requestlog import REQUEST_ID_HEADER, current_request_id

INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 - a header name, not a secret


class Reply:
    """A service's answer, read whole: status, headers (case-insensitive) and body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Any, content: bytes):
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class ServiceClient:
    """A pooled HTTP client for one internal service.

    Built on `keepalive.KeepAlivePool` rather than requests or urllib3: on the gateway's hop
    their per-call machinery cost more than the call. Failures are raised as requests'
    exceptions (a connect timeout is both a ConnectionError and a Timeout), which callers catch.
    """

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
        parts = urlsplit(self.base_url)
        tls = parts.scheme == "https"
        self.prefix = parts.path
        # Past pool_size concurrent calls, extra connections are made and closed after use.
        self.pool = KeepAlivePool(
            parts.hostname or "127.0.0.1",
            parts.port or (443 if tls else 80),
            tls=tls,
            maxsize=pool_size,
        )

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
        params: dict[str, Any] | None = None,
        data: bytes | str | None = None,
        json: Any = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> Reply:
        sent = self.headers(headers)
        if json is not None:
            data = jsonlib.dumps(json).encode()
            sent.setdefault("Content-Type", "application/json")
        url = self.prefix + path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, quote_via=quote)
        limit = timeout if timeout is not None else self.timeout
        connect, read = limit if isinstance(limit, tuple) else (limit, limit)
        body = data.encode() if isinstance(data, str) else data
        try:
            status, answer_headers, content = self.pool.request(
                method, url, sent, body, connect_timeout=connect, read_timeout=read
            )
        except requests.RequestException as exc:
            raise type(exc)(f"{self.name}: {exc}") from exc
        return Reply(status, answer_headers, content)

    def get(self, path: str, **kwargs: Any) -> Reply:
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
