"""Every route an app serves is in its OpenAPI document, and every documented operation is
served: `app.url_map` and the document's `paths` name the same (method, path) pairs. No
operation has a `default` response: each lists the statuses it may answer, so an answer with
any other status is a fault that the fuzzing reports."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import TEST_TOKEN, HttpClient, empty_tables, serve, serve_asgi

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_gateway import create_app as create_gateway
from kam_gateway.keys import create_key
from kam_gateway.models import Base as GatewayBase
from kam_gateway.route_table import ROUTES
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase
from kam_offerings import create_app as create_offerings
from kam_offerings.models import Base as OfferingsBase
from kam_plays import create_app as create_plays
from kam_plays.models import Base as PlaysBase

SERVICES = {
    "accounts": (create_accounts, AccountsBase.metadata),
    "offerings": (create_offerings, OfferingsBase.metadata),
    "health": (create_health, HealthBase.metadata),
    "plays": (create_plays, PlaysBase.metadata),
}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")

Operations = set[tuple[str, str]]


def routed(app: Flask) -> Operations:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, path))
    return found


def documented(spec: dict[str, Any]) -> Operations:
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def catch_alls(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """Operations with a `default` response, which would accept any status."""
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS and "default" in operation.get("responses", {})
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_services_operations_document_their_statuses_and_no_default(
    name: str, service_client: Callable[..., FlaskClient]
) -> None:
    create_app, metadata = SERVICES[name]
    spec = service_client(name, create_app, metadata).get("/openapi.json").get_json()

    assert catch_alls(spec) == set()
    assert "DEFAULT_ERROR" not in spec["components"].get("responses", {})
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                # A success, or a redirect (a campaign's click link answers with its target).
                answers = operation["responses"]
                assert any(code.startswith(("2", "3")) for code in answers), (method, path)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_services_routes_and_its_document_match(
    name: str, service_client: Callable[..., FlaskClient]
) -> None:
    create_app, metadata = SERVICES[name]
    client = service_client(name, create_app, metadata)
    spec = client.get("/openapi.json").get_json()

    assert routed(client.application) - documented(spec) == set(), "routes left undocumented"
    assert documented(spec) - routed(client.application) == set(), "documented, not served"
    assert {("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/openapi.json")} <= documented(spec)


def test_the_inbox_is_documented_as_internal(service_client: Callable[..., FlaskClient]) -> None:
    for name in ("offerings", "health", "plays"):
        create_app, metadata = SERVICES[name]
        spec = service_client(name, create_app, metadata).get("/openapi.json").get_json()
        assert spec["paths"]["/internal/events"]["post"]["tags"] == ["internal"]


@pytest.fixture
def gateway(service_client: Callable[..., FlaskClient], database_url: Callable[[str], str]) -> Any:
    clients = {name: service_client(name, *SERVICES[name]) for name in SERVICES}
    url = database_url("gateway")
    empty_tables(url, GatewayBase.metadata)
    with (
        serve(clients["accounts"].application) as accounts,
        serve(clients["offerings"].application) as offerings,
        serve(clients["health"].application) as health,
        serve(clients["plays"].application) as plays,
    ):
        application = create_gateway(
            {
                "DATABASE_URL": url,
                "INTERNAL_TOKEN": TEST_TOKEN,
                "ACCOUNTS_URL": accounts,
                "OFFERINGS_URL": offerings,
                "HEALTH_URL": health,
                "PLAYS_URL": plays,
            }
        )
        with application.db.session() as session:
            _key, secret = create_key(session=session, name="parity", role="admin")
        with serve_asgi(application) as base_url:
            client = HttpClient(base_url, application)
            client.session.headers["Authorization"] = f"Bearer {secret}"
            yield client


def test_the_gateways_own_operations_are_its_rows_of_the_route_table_and_documented(
    gateway: HttpClient,
) -> None:
    own = gateway.application.spec.own
    handled = set(gateway.application.operations)
    rows = {(rule.method, rule.pattern) for rule in ROUTES.rules if rule.service == "gateway"}

    assert handled - {("GET", "/healthz"), ("GET", "/readyz")} == rows
    assert documented(own) == handled


def test_the_public_document_is_exactly_the_gateways_routes_and_the_route_table(
    gateway: HttpClient,
) -> None:
    answer = gateway.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    public = answer.get_json()
    assert "x-degraded" not in public

    own = documented(gateway.application.spec.own)
    # /metrics is for the operators' scrapers, not part of the partner API.
    assert ("GET", "/metrics") not in documented(public)
    assert documented(public) == (own - {("GET", "/metrics")}) | set(ROUTES.operations())
    # The services' own infrastructure and internal paths never leak into the public API.
    paths = set(public["paths"])
    assert not {p for p in paths if p.startswith("/internal/")}
    assert "/openapi.json" not in paths
    tagged = {
        tag for item in public["paths"].values() for op in item.values() if isinstance(op, dict)
        for tag in op.get("tags", [])
    }  # fmt: skip
    assert "internal" not in tagged
    assert {tag["name"] for tag in public["tags"]} == tagged  # no group without operations


def test_no_operation_of_the_gateways_documents_has_a_default_response(
    gateway: HttpClient,
) -> None:
    own = gateway.application.spec.own
    public = gateway.get("/api/v1/openapi.json").get_json()

    assert catch_alls(own) == set()
    assert catch_alls(public) == set()
    assert "DEFAULT_ERROR" not in public["components"].get("responses", {})
