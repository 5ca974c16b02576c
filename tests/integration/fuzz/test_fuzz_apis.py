"""Every app's OpenAPI document, fuzzed with schemathesis: no input may give a 5xx, and every
answer must have a documented status, content type, headers and body.

Bounded so the four apps take about a minute on two cores: `FUZZ.max_examples` generated
calls per operation, plus schemathesis' own example and coverage cases. The documents are
loaded from the apps themselves once at import (they need no database); each operation then
runs against freshly seeded apps (see conftest.py).
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import schemathesis
from flask import Flask
from fuzz_seeds import KNOWN_IDS
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support import serve, serve_asgi

from kam_accounts import create_app as create_accounts
from kam_common.http import INTERNAL_TOKEN_HEADER
from kam_common.migrations import upgrade
from kam_gateway import create_app as create_gateway
from kam_health import create_app as create_health
from kam_offerings import create_app as create_offerings
from kam_plays import create_app as create_plays

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
TOKEN = {INTERNAL_TOKEN_HEADER: "test-internal-token"}  # the one tests/conftest.py gives apps
FUZZ = settings(
    max_examples=20,
    deadline=None,  # the first call of an operation pays for imports and connections
    suppress_health_check=list(HealthCheck),
    database=None,  # no example database under the project: each run starts fresh
)


# These frame the HTTP message itself; the HTTP client sets them from the body it sends. A
# generated value (`Content-Length: B`) is not a request to the API at all: the HTTP server
# refuses it before any app code runs, in its own words, so no API document can describe it.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    for name in [name for name in case.headers or {} if name.lower() in FRAMING_HEADERS]:
        del case.headers[name]


def with_known_ids(schema: Any) -> Any:
    """Half the generated path parameters name a seeded row instead of a random string, so
    fuzzing reaches reads and writes of real resources, not only 404s."""

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        known = {name: KNOWN_IDS[name] for name in path_parameters or {} if name in KNOWN_IDS}
        if not known:
            return st.just(path_parameters)
        return st.sampled_from([path_parameters, {**path_parameters, **known}])

    return schema


def service_document(create_app: Callable[[dict[str, Any]], Flask]) -> Any:
    app = create_app({"DATABASE_URL": "sqlite://", "INTERNAL_TOKEN": TOKEN[INTERNAL_TOKEN_HEADER]})
    spec = app.test_client().get("/openapi.json", headers=TOKEN).get_json()
    return with_known_ids(schemathesis.openapi.from_dict(spec))


def gateway_document() -> Any:
    """The public document as clients get it: merged from the real services' documents."""
    config = {"DATABASE_URL": "sqlite://", "INTERNAL_TOKEN": TOKEN[INTERNAL_TOKEN_HEADER]}
    services = {
        "accounts": create_accounts(config),
        "offerings": create_offerings(config),
        "health": create_health(config),
        "plays": create_plays(config),
    }
    secret = "kam_fuzz_" + secrets.token_urlsafe(16)
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='kam-fuzz-')) / 'gateway.db'}"
    upgrade("kam_gateway", url)
    with (
        serve(services["accounts"]) as accounts,
        serve(services["offerings"]) as offerings,
        serve(services["health"]) as health,
        serve(services["plays"]) as plays,
    ):
        gateway = create_gateway(
            {
                **config,
                "DATABASE_URL": url,
                "BOOTSTRAP_ADMIN_KEY": secret,
                "ACCOUNTS_URL": accounts,
                "OFFERINGS_URL": offerings,
                "HEALTH_URL": health,
                "PLAYS_URL": plays,
            }
        )
        with serve_asgi(gateway) as gateway_url:
            answer = requests.get(
                f"{gateway_url}/api/v1/openapi.json",
                headers={"Authorization": f"Bearer {secret}"},
                timeout=30,
            )
    spec = answer.json()
    assert answer.status_code == 200 and "x-degraded" not in spec, spec
    return with_known_ids(schemathesis.openapi.from_dict(spec))


accounts = service_document(create_accounts)
health = service_document(create_health)
offerings = service_document(create_offerings)
plays = service_document(create_plays)
gateway = gateway_document()


@accounts.parametrize()
@FUZZ
def test_accounts_service(case: Any, accounts_app: Flask) -> None:
    case.call_and_validate(app=accounts_app, headers=TOKEN, checks=CHECKS)


@health.parametrize()
@FUZZ
def test_health_service(case: Any, health_app: Flask) -> None:
    case.call_and_validate(app=health_app, headers=TOKEN, checks=CHECKS)


@offerings.parametrize()
@FUZZ
def test_offerings_service(case: Any, offerings_app: Flask) -> None:
    case.call_and_validate(app=offerings_app, headers=TOKEN, checks=CHECKS)


@plays.parametrize()
@FUZZ
def test_plays_service(case: Any, plays_app: Flask) -> None:
    case.call_and_validate(app=plays_app, headers=TOKEN, checks=CHECKS)


@gateway.parametrize()
@FUZZ
def test_gateway(case: Any, gateway_url: str, admin_headers: dict[str, str]) -> None:
    # Over HTTP to the front as served: the fast path and the Flask app behind it.
    case.call_and_validate(base_url=gateway_url, headers=admin_headers, checks=CHECKS)
