"""What one call through the gateway is made of: the `Call` every step and handler reads, the
`Answer` a handler returns, and the `Refusal` any of them raises (a problem, see pipeline.py)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from kam_gateway.access import Caller, Match

JSON = "application/json"


class Refusal(Exception):
    """A call the gateway answers with a problem: raised by any step or handler."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra) if extra else None


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_answer(status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Answer:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return Answer(status, body, [("Content-Type", JSON), *(headers or [])])


_UNREAD = object()


@dataclass(eq=False)
class Call:
    """One request, as the steps learn about it."""

    method: str
    path: str
    query: str  # as the client sent it
    headers: list[tuple[str, str]]  # lower-case names, in order, repeats kept
    client: str  # the peer's address
    scheme: str = "http"
    request_id: str = ""
    started: float = field(default_factory=time.perf_counter)
    body: bytes = b""
    caller: Caller | None = None
    match: Match | None = None
    waited: float = 0.0  # seconds spent waiting on services (X-Gateway-Latency leaves it out)
    more_headers: list[tuple[str, str]] = field(default_factory=list)  # for any answer
    # A page's API call waits on behalf of the page (its request is the one that is answered).
    parent: Call | None = None
    _json: Any = _UNREAD
    _waiting: int = 0  # calls to services under way for this request
    _waiting_since: float = 0.0

    def __post_init__(self) -> None:
        self._first: dict[str, str] = {}
        for key, value in self.headers:
            self._first.setdefault(key, value)

    def header(self, name: str) -> str | None:
        """The first value of a header (`name` in lower case)."""
        return self._first.get(name)

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    def cookie(self, name: str) -> str | None:
        """A cookie's value (the first of that name), from every `Cookie` header."""
        for header in self.header_values("cookie"):
            for part in header.split(";"):
                key, sep, value = part.strip().partition("=")
                if sep and key == name:
                    return value
        return None

    def json(self) -> Any:
        """The body as JSON (None when empty); malformed JSON is a 400."""
        if self._json is _UNREAD:
            if not self.body:
                self._json = None
            else:
                try:
                    self._json = json.loads(self.body)
                except (ValueError, RecursionError):
                    raise Refusal(400, "The request body is not valid JSON.") from None
        return self._json

    def json_or_none(self) -> Any:
        """The body as JSON, or None when it is not (the service then answers it itself)."""
        try:
            return self.json()
        except Refusal:
            return None

    def query_items(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    @property
    def params(self) -> dict[str, str]:
        return self.match.params if self.match is not None else {}

    @asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Time spent in here is the services', not the gateway's: the wall time during which
        at least one call is under way, so concurrent calls count once."""
        root = self
        while root.parent is not None:
            root = root.parent
        if root._waiting == 0:
            root._waiting_since = time.perf_counter()
        root._waiting += 1
        try:
            yield
        finally:
            root._waiting -= 1
            if root._waiting == 0:
                root.waited += time.perf_counter() - root._waiting_since
