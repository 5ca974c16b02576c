"""Every service answers /healthz to anyone and everything else only to internal callers."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import pytest
from flask.testing import FlaskClient

from kam_common.http import INTERNAL_TOKEN_HEADER

SERVICES = ("accounts", "offerings", "health")


@pytest.fixture(params=SERVICES)
def client(request: pytest.FixtureRequest, service_client: Callable[..., FlaskClient]):
    app = import_module(f"kam_{request.param}")
    models = import_module(f"kam_{request.param}.models")
    return request.param, service_client(request.param, app.create_app, models.Base.metadata)


def test_healthz_answers_without_a_token(client) -> None:
    name, app = client
    response = app.application.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "service": name}


@pytest.mark.parametrize("path", ["/openapi.json", "/anything", "/api/v1/accounts"])
def test_other_paths_refuse_callers_without_the_internal_token(client, path: str) -> None:
    response = client[1].application.test_client().get(path)

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 401


def test_a_wrong_internal_token_is_refused(client) -> None:
    response = client[1].get("/openapi.json", headers={INTERNAL_TOKEN_HEADER: "wrong"})

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_unknown_path_with_the_token_is_a_404_problem(client) -> None:
    response = client[1].get("/no-such-thing", headers={"X-Request-ID": "req-404"})

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:kam:problem:not-found"
    assert response.json["request_id"] == "req-404"
    assert response.headers["X-Request-ID"] == "req-404"


ITEM_PATHS = {
    "accounts": "/api/v1/accounts/",
    "offerings": "/api/v1/offerings/catalog/",
    "health": "/api/v1/health/events/",
}


def test_an_id_starting_with_a_slash_is_a_404_problem_not_a_redirect(client) -> None:
    name, app = client
    response = app.get(ITEM_PATHS[name] + "%2Fx")

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_openapi_is_served_to_internal_callers(client) -> None:
    name, app = client
    response = app.get("/openapi.json")

    assert response.status_code == 200
    assert response.json["info"]["title"] == f"KAM {name} service"
