"""The query-string rules every app shares (API.md, "Common to lists and inputs"): a parameter
an operation does not declare, or a filter value outside its enumeration, is a 400 naming it;
date filters take a plain date (the start of that day, UTC) or a timestamp with an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase
from kam_offerings import create_app as create_offerings
from kam_offerings.models import Base as OfferingsBase


@pytest.fixture
def accounts(service_client):
    return service_client("accounts", create_accounts, AccountsBase.metadata)


@pytest.fixture
def health(service_client):
    return service_client("health", create_health, HealthBase.metadata)


@pytest.fixture
def offerings(service_client):
    return service_client("offerings", create_offerings, OfferingsBase.metadata)


def _assert_names(response, *names: str) -> None:
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert sorted(body["errors"]) == sorted(names)
    for name in names:
        assert name in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts?band=at_risk",
        "/api/v1/accounts?page=1&colour=red",
    ],
)
def test_accounts_list_refuses_a_parameter_it_does_not_have(accounts, path):
    name = path.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    _assert_names(accounts.get(path), name)


def test_a_read_without_any_parameter_refuses_one(accounts):
    created = accounts.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    _assert_names(accounts.get(f"/api/v1/accounts/{created['id']}?expand=team"), "expand")
    assert accounts.get(f"/api/v1/accounts/{created['id']}").status_code == 200


def test_a_filter_value_outside_its_enumeration_is_a_400_naming_it(accounts, health, offerings):
    _assert_names(accounts.get("/api/v1/accounts?tier=gold"), "tier")
    _assert_names(health.get("/api/v1/health/events?type=rumour"), "type")
    _assert_names(health.get("/api/v1/health/alerts?status=forgotten"), "status")
    _assert_names(offerings.get("/api/v1/offerings/catalog?kind=gift"), "kind")


def test_a_malformed_value_of_a_known_parameter_stays_a_422(accounts):
    response = accounts.get("/api/v1/accounts?per_page=lots")
    assert response.status_code == 422
    assert "per_page" in response.get_json()["errors"]


def test_portfolio_refuses_what_it_does_not_filter_by(health):
    _assert_names(health.get("/api/v1/health/portfolio?colour=red"), "colour")


def test_event_since_takes_a_plain_date_or_a_timestamp_with_an_offset(accounts, health):
    today = datetime.now(UTC).date()
    for since in (today.isoformat(), f"{today.isoformat()}T00:00:00%2B02:00"):
        response = health.get(f"/api/v1/health/events?since={since}")
        assert response.status_code == 200, (since, response.get_json())
    naive = health.get(f"/api/v1/health/events?since={today.isoformat()}T10:00:00")
    assert naive.status_code == 422
    assert "since" in naive.get_json()["errors"]


def test_interaction_filters_by_plain_dates_as_start_of_day_utc(accounts):
    account = accounts.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    path = f"/api/v1/accounts/{account['id']}/interactions"
    day = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    start_of_day = day.replace(hour=0, minute=0, second=0)
    logged = accounts.post(
        path,
        json={"kind": "call", "occurred_at": (start_of_day + timedelta(hours=1)).isoformat()},
    )
    assert logged.status_code == 201, logged.get_json()
    on_the_day = accounts.get(f"{path}?since={start_of_day.date().isoformat()}").get_json()
    assert on_the_day["total"] == 1
    next_day = (start_of_day + timedelta(days=1)).date().isoformat()
    assert accounts.get(f"{path}?since={next_day}").get_json()["total"] == 0
    assert accounts.get(f"{path}?until={next_day}").get_json()["total"] == 1
    # 02:00 at +02:00 is midnight UTC: the same start as the plain date.
    offset = f"{start_of_day.date().isoformat()}T02:00:00%2B02:00"
    assert accounts.get(f"{path}?since={offset}").get_json()["total"] == 1


def test_purchase_day_filters_take_a_timestamp_as_its_utc_day(accounts):
    account = accounts.post("/api/v1/accounts", json={"name": "Acme"}).get_json()
    path = f"/api/v1/accounts/{account['id']}/purchases"
    day = (datetime.now(UTC) - timedelta(days=5)).date()
    bought = accounts.post(
        path, json={"product_line": "Valves", "amount": 10, "occurred_on": day.isoformat()}
    )
    assert bought.status_code == 201, bought.get_json()
    moment = f"{day.isoformat()}T23:30:00-01:00"  # already the next day in UTC
    # `until` is exclusive: the day after includes the purchase, the day itself does not.
    assert accounts.get(f"{path}?until={day.isoformat()}").get_json()["total"] == 0
    assert accounts.get(f"{path}?since={day.isoformat()}").get_json()["total"] == 1
    assert accounts.get(f"{path}?since={moment}").get_json()["total"] == 0
