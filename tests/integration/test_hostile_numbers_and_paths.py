"""What Python or PostgreSQL cannot take is refused plainly, in every app: a JSON number of
more than 4,300 digits (Python will not read it as an int), an If-Match as long, and a NUL
byte in a path id (PostgreSQL text cannot hold one). A 400 or 404 problem, never a 500."""

from __future__ import annotations

import pytest
from support import TEST_TOKEN, HttpClient, empty_tables, serve, serve_asgi

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_gateway import create_app as create_gateway
from kam_gateway.keys import create_key
from kam_gateway.models import Base as GatewayBase
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase
from kam_offerings import create_app as create_offerings
from kam_offerings.models import Base as OfferingsBase

HUGE = "9" * 4301
SERVICES = {
    "accounts": (create_accounts, AccountsBase.metadata, "/api/v1/accounts"),
    "health": (create_health, HealthBase.metadata, "/api/v1/health/events"),
    "offerings": (create_offerings, OfferingsBase.metadata, "/api/v1/offerings/catalog"),
}


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type.startswith("application/problem+json")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_number_of_more_than_4300_digits_is_a_400(service_client, name):
    create_app, metadata, path = SERVICES[name]
    client = service_client(name, create_app, metadata)
    body = '{"name": "A", "annual_revenue": ' + HUGE + ', "list_price": ' + HUGE + "}"
    for headers in ({}, {"Idempotency-Key": "huge"}):
        answer = client.post(path, data=body, content_type="application/json", headers=headers)
        assert_problem(answer, 400)


def test_the_inbox_refuses_a_huge_number_too(service_client):
    client = service_client("health", create_health, HealthBase.metadata)
    body = '{"events": [{"id": "e", "type": "account.created", "payload": {"n": ' + HUGE + "}}]}"
    assert_problem(client.post("/internal/events", data=body, content_type="application/json"), 400)


def test_a_huge_if_match_is_a_400(service_client):
    client = service_client("accounts", create_accounts, AccountsBase.metadata)
    account = client.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    answer = client.patch(
        f"/api/v1/accounts/{account['id']}", json={"industry": "x"}, headers={"If-Match": HUGE}
    )
    assert_problem(answer, 400)
    assert answer.get_json()["errors"] == {"If-Match": ["Not a version, a list of versions, or *."]}


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("accounts", "/api/v1/accounts/%00"),
        ("accounts", "/api/v1/accounts/a%00b/contacts"),
        ("health", "/api/v1/health/accounts/%00"),
        ("health", "/api/v1/health/events/%00"),
        ("offerings", "/api/v1/offerings/catalog/%00"),
        ("offerings", "/api/v1/offerings/economics/%00"),
    ],
)
def test_a_nul_byte_in_a_path_id_is_a_404(service_client, name, path):
    create_app, metadata, _ = SERVICES[name]
    assert_problem(service_client(name, create_app, metadata).get(path), 404)


def test_the_gateway_refuses_them_too(service_client, database_url):
    accounts = service_client("accounts", create_accounts, AccountsBase.metadata)
    url = database_url("gateway")
    empty_tables(url, GatewayBase.metadata)
    with serve(accounts.application) as accounts_url:
        app = create_gateway(
            {"DATABASE_URL": url, "INTERNAL_TOKEN": TEST_TOKEN, "ACCOUNTS_URL": accounts_url}
        )
        with app.db.session() as session:
            _key, secret = create_key(session=session, name="admin", role="admin")
        auth = {"Authorization": f"Bearer {secret}"}
        with serve_asgi(app) as base_url:
            gateway = HttpClient(base_url, app)
            assert_problem(gateway.delete("/api/v1/admin/keys/%00", headers=auth), 404)
            assert_problem(gateway.get("/api/v1/accounts/%00/overview", headers=auth), 404)
            body = '{"name": "k", "role": "sales", "n": ' + HUGE + "}"
            answer = gateway.post(
                "/api/v1/admin/keys",
                data=body,
                headers={**auth, "Content-Type": "application/json"},
            )
            assert_problem(answer, 400)
