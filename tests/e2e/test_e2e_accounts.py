"""Accounts through the gateway, the way partner systems and sales tools use them (API.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from support import problem

pytestmark = pytest.mark.e2e

MakeKey = Callable[..., dict[str, str]]


def unique(name: str) -> str:
    """The session's databases outlive single tests; a marker keeps searches to our rows."""
    return f"{name} {uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def sales(make_key: MakeKey) -> dict[str, str]:
    return make_key("sales")


@pytest.fixture(scope="module")
def accounts_url(gateway_url: str) -> str:
    return f"{gateway_url}/api/v1/accounts"


def create_account(accounts_url: str, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = requests.post(accounts_url, json=fields, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def search(accounts_url: str, headers: dict[str, str], q: str) -> dict[str, Any]:
    response = requests.get(
        accounts_url, params={"q": q, "per_page": 100}, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_sales_creates_an_account_with_the_documented_defaults(
    accounts_url: str, sales: dict[str, str]
) -> None:
    name = unique("Northwind Traders")

    account = create_account(accounts_url, sales, name=name, annual_revenue=125000.5)

    assert isinstance(account["id"], str) and account["id"]
    assert account["name"] == name
    assert account["annual_revenue"] == 125000.5
    assert account["tier"] == "key"
    assert account["orientation"] == "mixed"
    assert account["currency"] == "USD"
    assert account["contact_cadence_days"] == 30
    assert account["status"] == "active"
    assert account["version"] == 1


@pytest.mark.parametrize("role", ["admin", "executive", "sales", "engineer", "partner"])
def test_every_role_reads_an_account_it_may_see(
    accounts_url: str, sales: dict[str, str], make_key: MakeKey, role: str
) -> None:
    account = create_account(accounts_url, sales, name=unique("Contoso"))
    headers = make_key(role, [account["id"]] if role == "partner" else None)

    response = requests.get(f"{accounts_url}/{account['id']}", headers=headers, timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["name"] == account["name"]


def test_a_partner_sees_only_its_own_accounts(
    accounts_url: str, sales: dict[str, str], make_key: MakeKey
) -> None:
    marker = uuid.uuid4().hex[:10]
    mine = create_account(accounts_url, sales, name=f"Partner-visible {marker}")
    other = create_account(accounts_url, sales, name=f"Partner-hidden {marker}")
    partner = make_key("partner", [mine["id"]])

    listed = search(accounts_url, partner, marker)
    by_id_mine = requests.get(f"{accounts_url}/{mine['id']}", headers=partner, timeout=10)
    by_id_other = requests.get(f"{accounts_url}/{other['id']}", headers=partner, timeout=10)

    assert [item["id"] for item in listed["items"]] == [mine["id"]]
    assert listed["total"] == 1
    assert by_id_mine.status_code == 200
    # Out of scope looks exactly like missing: the partner must not learn that it exists.
    problem(by_id_other, 404)
    missing = requests.get(f"{accounts_url}/{uuid.uuid4()}", headers=partner, timeout=10)
    assert problem(missing, 404)["detail"] == problem(by_id_other, 404)["detail"]


def test_a_partner_listing_without_filters_never_shows_other_accounts(
    accounts_url: str, sales: dict[str, str], make_key: MakeKey
) -> None:
    mine = create_account(accounts_url, sales, name=unique("Scoped"))
    create_account(accounts_url, sales, name=unique("Not scoped"))
    partner = make_key("partner", [mine["id"]])

    response = requests.get(accounts_url, params={"per_page": 100}, headers=partner, timeout=10)

    assert response.status_code == 200, response.text
    assert {item["id"] for item in response.json()["items"]} == {mine["id"]}


@pytest.mark.parametrize("role", ["engineer", "executive", "partner"])
def test_roles_without_account_writes_cannot_create_accounts(
    accounts_url: str, sales: dict[str, str], make_key: MakeKey, role: str
) -> None:
    name = unique("Forbidden Inc")
    scope = [create_account(accounts_url, sales, name=unique("Scope"))["id"]]
    headers = make_key(role, scope if role == "partner" else None)

    response = requests.post(accounts_url, json={"name": name}, headers=headers, timeout=10)

    problem(response, 403)
    assert search(accounts_url, make_key("admin"), name)["total"] == 0


def test_executive_reads_the_list(
    accounts_url: str, sales: dict[str, str], make_key: MakeKey
) -> None:
    account = create_account(accounts_url, sales, name=unique("Fabrikam"))

    listed = search(accounts_url, make_key("executive"), account["name"])

    assert [item["id"] for item in listed["items"]] == [account["id"]]


NAMES = {
    "persian": "شرکت فولاد مبارکه اصفهان",
    "arabic": "شركة أرامكو السعودية",
    "chinese": "华为技术有限公司",
    "japanese": "株式会社トヨタ自動車",
    "korean": "삼성전자 주식회사",
    "emoji": "Rocket 🚀 Ventures 👩🏽‍💻",
    "decomposed": "Cafe\u0301 Zoe\u0308 (not normalised)",
}
FRAGMENTS = {
    "persian": "فولاد",
    "arabic": "أرامكو",
    "chinese": "技术",
    "japanese": "トヨタ",
    "korean": "삼성",
    "emoji": "🚀",
    "decomposed": "Cafe\u0301",
}


@pytest.mark.parametrize("script", sorted(NAMES))
def test_names_in_any_script_round_trip_and_are_found(
    accounts_url: str, sales: dict[str, str], script: str
) -> None:
    marker = uuid.uuid4().hex[:10]
    name = f"{NAMES[script]} {marker}"

    created = create_account(accounts_url, sales, name=name)
    read = requests.get(f"{accounts_url}/{created['id']}", headers=sales, timeout=10)
    found = search(accounts_url, sales, f"{FRAGMENTS[script]}")

    assert created["name"].encode("utf-8") == name.encode("utf-8")
    assert read.json()["name"].encode("utf-8") == name.encode("utf-8")
    assert created["id"] in {item["id"] for item in found["items"]}
    assert [i["id"] for i in search(accounts_url, sales, marker)["items"]] == [created["id"]]


def test_search_ignores_case_beyond_ascii(accounts_url: str, sales: dict[str, str]) -> None:
    marker = uuid.uuid4().hex[:10]
    created = create_account(accounts_url, sales, name=f"ÉCOLE ÄRZTE Σοφία {marker}")

    found = search(accounts_url, sales, "école ärzte σοφία")

    assert created["id"] in {item["id"] for item in found["items"]}


def test_an_idempotent_retry_creates_exactly_one_account(
    accounts_url: str, sales: dict[str, str]
) -> None:
    name = unique("Retry Ltd")
    headers = {**sales, "Idempotency-Key": f"e2e-{uuid.uuid4()}"}

    first = requests.post(accounts_url, json={"name": name}, headers=headers, timeout=10)
    second = requests.post(accounts_url, json={"name": name}, headers=headers, timeout=10)
    other_body = requests.post(
        accounts_url, json={"name": name + " changed"}, headers=headers, timeout=10
    )

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert second.json() == first.json()
    problem(other_body, 409)
    assert search(accounts_url, sales, name)["total"] == 1


def test_unknown_fields_are_a_422_naming_them(accounts_url: str, sales: dict[str, str]) -> None:
    response = requests.post(
        accounts_url, json={"name": unique("Extra"), "colour": "red"}, headers=sales, timeout=10
    )

    body = problem(response, 422)
    assert "colour" in body["errors"]


def test_invalid_values_are_a_422_naming_the_field(
    accounts_url: str, sales: dict[str, str]
) -> None:
    response = requests.post(
        accounts_url, json={"name": unique("Bad tier"), "tier": "gold"}, headers=sales, timeout=10
    )

    body = problem(response, 422)
    assert "tier" in body["errors"]


def test_malformed_json_is_a_400(accounts_url: str, sales: dict[str, str]) -> None:
    response = requests.post(
        accounts_url,
        data=b'{"name": ',
        headers={**sales, "Content-Type": "application/json"},
        timeout=10,
    )

    problem(response, 400)


def test_wrong_content_type_is_a_415(accounts_url: str, sales: dict[str, str]) -> None:
    response = requests.post(
        accounts_url,
        data="name=Acme",
        headers={**sales, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )

    problem(response, 415)


def test_a_body_over_one_mebibyte_is_a_413(accounts_url: str, sales: dict[str, str]) -> None:
    body = b'{"name": "' + b"x" * (1024 * 1024 + 16) + b'"}'

    response = requests.post(
        accounts_url,
        data=body,
        headers={**sales, "Content-Type": "application/json"},
        timeout=30,
    )

    problem(response, 413)


def test_an_unknown_account_is_a_404_problem(accounts_url: str, sales: dict[str, str]) -> None:
    response = requests.get(f"{accounts_url}/{uuid.uuid4()}", headers=sales, timeout=10)

    problem(response, 404)


def test_a_wrong_method_is_a_405(accounts_url: str, sales: dict[str, str]) -> None:
    response = requests.put(accounts_url, json={"name": "x"}, headers=sales, timeout=10)

    problem(response, 405)
