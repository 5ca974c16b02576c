"""The health service answers /healthz to anyone and everything else only to internal callers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from kam_common.http import INTERNAL_TOKEN_HEADER
from kam_health import create_app
from kam_health.models import Base


@pytest.fixture
def client(service_client: Callable[..., FlaskClient]) -> FlaskClient:
    return service_client("health", create_app, Base.metadata)


def test_healthz_answers_without_a_token(client: FlaskClient) -> None:
    response = client.application.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "service": "health"}


@pytest.mark.parametrize("path", ["/openapi.json", "/anything", "/api/v1/accounts"])
def test_other_paths_refuse_callers_without_the_internal_token(
    client: FlaskClient, path: str
) -> None:
    response = client.application.test_client().get(path)

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 401


def test_a_wrong_internal_token_is_refused(client: FlaskClient) -> None:
    response = client.get("/openapi.json", headers={INTERNAL_TOKEN_HEADER: "wrong"})

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_unknown_path_with_the_token_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get("/no-such-thing", headers={"X-Request-ID": "req-health-404"})

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:kam:problem:not-found"
    assert response.json["request_id"] == "req-health-404"
    assert response.headers["X-Request-ID"] == "req-health-404"


def test_openapi_is_served_to_internal_callers(client: FlaskClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    assert response.json["info"]["title"] == "KAM health service"
