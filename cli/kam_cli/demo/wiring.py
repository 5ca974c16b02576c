"""The services, in this process, behind their own HTTP API: what the demo's steps talk to.

`kam seed` runs before the services are started, so the demo builds each service's WSGI app
(`create_app()`, the very app gunicorn serves) and sends real HTTP requests into it through a
requests transport adapter: the same routes, schemas, use cases, transactions and outboxes as a
partner's call, without a port. The calls the services make to one another (health reading an
account it has not heard of, offerings asking health for a band) and the outbox relays of the
worker take the same path, so integration events are delivered exactly as in production.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import Client

from kam_common.http import ServiceClient
from kam_common.relay import Relay
from kam_common.scope import CLIENT_HEADER, CLIENT_NAME_HEADER, ROLE_HEADER


def services_of_the_product() -> tuple[str, ...]:
    """Every app of `kam` that is a service, the gateway aside: the demo speaks to the
    services directly, as the gateway itself does."""
    from kam_cli.main import APPS

    found = []
    for name in APPS:
        if name == "gateway":
            continue
        try:
            package = importlib.import_module(f"kam_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kam_{name}":
                raise
            continue
        # A service owns data: it has an app and a database to migrate (pages have neither).
        has_cli = importlib.util.find_spec(f"kam_{name}.cli") is not None
        if (
            hasattr(package, "create_app")
            and has_cli
            and hasattr(importlib.import_module(f"kam_{name}.cli"), "migrate")
        ):
            found.append(name)
    return tuple(found)


class DemoError(RuntimeError):
    """A service refused a demo call: the demo and the API disagree."""


class WsgiAdapter(BaseAdapter):
    """A requests transport that hands each request to a WSGI app instead of a socket."""

    def __init__(self, app: Flask):
        super().__init__()
        self.client = Client(app)

    def send(  # type: ignore[override]  # timeouts, TLS and proxies mean nothing in-process
        self, request: requests.PreparedRequest, **_options: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        answer = self.client.open(
            path=url.path,
            query_string=url.query,
            method=request.method or "GET",
            headers=list(request.headers.items()),
            data=body.encode() if isinstance(body, str) else body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        response._content = answer.get_data()
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        return None


def _clients_in(value: Any) -> Iterator[ServiceClient]:
    """The service clients an app keeps in its extensions (directly, or one object deep)."""
    for candidate in (value, *getattr(value, "__dict__", {}).values()):
        if isinstance(candidate, ServiceClient):
            yield candidate
        elif isinstance(getattr(candidate, "client", None), ServiceClient):
            yield candidate.client


@dataclass
class Services:
    """The services' apps, their relays and periodic jobs, wired to one another."""

    apps: dict[str, Flask]
    relays: list[Relay] = field(default_factory=list)
    jobs: list[Callable[[], str | None]] = field(default_factory=list)

    @classmethod
    def build(cls) -> Services:
        apps: dict[str, Flask] = {}
        relays: list[Relay] = []
        jobs: list[Callable[[], str | None]] = []
        for name in services_of_the_product():
            apps[name] = importlib.import_module(f"kam_{name}").create_app()
            cli = importlib.import_module(f"kam_{name}.cli")
            relays.extend(getattr(cli, "relays", list)())
            # The jobs the worker runs all the time (a queue's), not the hourly sweeps.
            jobs.extend(run for every, _name, run in getattr(cli, "jobs", list)() if every < 60)
        services = cls(apps, relays, jobs)
        for app in apps.values():
            for extension in app.extensions.values():
                for client in _clients_in(extension):
                    services.wire(client)
        for relay in relays:
            # The gateway (webhooks) is no app here: its events wait for the real worker.
            relay.consumers = {n: c for n, c in relay.consumers.items() if n in apps}
            for client in relay.consumers.values():
                services.wire(client)
        return services

    def wire(self, client: ServiceClient) -> ServiceClient:
        """Route the client's calls into the app it names (one not built here is left as is)."""
        app = self.apps.get(client.name)
        if app is not None:
            client.session.mount(client.base_url, WsgiAdapter(app))
        return client

    def client(self, name: str) -> ServiceClient:
        return self.wire(ServiceClient(name, f"http://{name}.demo.invalid", _internal_token()))

    def settle(self) -> None:
        """Deliver every integration event and run the periodic jobs (the rescore queue)
        until nothing moves: what the worker would do in its first seconds."""
        for _ in range(100):
            moved = sum(relay.run_once() for relay in self.relays)
            moved += sum(bool(job()) for job in self.jobs)
            if not moved:
                return
        raise DemoError("integration events kept flowing after 100 rounds")

    def close(self) -> None:
        for relay in self.relays:
            relay.db.engine.dispose()
        for app in self.apps.values():
            for extension in app.extensions.values():
                engine = getattr(extension, "engine", None)
                if engine is not None and hasattr(engine, "dispose"):
                    engine.dispose()


def _internal_token() -> str:
    from kam_common.config import internal_token

    return internal_token()


@dataclass
class Demo:
    """What a step gets: the services' API, the story's day, and the ids found or made."""

    services: Services
    today: date
    api: dict[str, ServiceClient] = field(default_factory=dict)
    # scenario key -> account id, filled by the accounts step
    account_ids: dict[str, str] = field(default_factory=dict)
    # (account key, person key) -> contact id
    contact_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.services.apps:
            self.api.setdefault(name, self.services.client(name))

    @property
    def now(self) -> datetime:
        return datetime.combine(self.today, time(12, 0), tzinfo=UTC)

    def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        as_person: tuple[str, str] | None = None,
    ) -> Any:
        """One call to a service's API (`as_person`: (name, role) acting, else the system).
        Anything but a success is a `DemoError` naming the call and the problem."""
        headers = {}
        if as_person is not None:
            headers = {
                CLIENT_HEADER: f"demo-{as_person[1]}",
                CLIENT_NAME_HEADER: as_person[0],
                ROLE_HEADER: as_person[1],
            }
        response = self.api[service].request(
            method, path, json=json, params=params, headers=headers
        )
        if response.status_code >= 300:
            raise DemoError(f"{method} {service}{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def every(self, service: str, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.call(service, "GET", path, params={**params, "page": page, "per_page": 100})
            items.extend(body["items"])
            if len(items) >= body["total"] or not body["items"]:
                return items
            page += 1

    def count(self, what: str, number: int) -> None:
        self.added[what] = self.added.get(what, 0) + number

    def settle(self) -> None:
        self.services.settle()


@contextmanager
def running_services() -> Iterator[Services]:
    services = Services.build()
    try:
        yield services
    finally:
        services.close()


def ids_of(items: Iterable[dict[str, Any]], key: str = "id") -> list[str]:
    return [item[key] for item in items]
