"""The catalog: unique codes, deactivation instead of deletion, and bad input refused."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"
BASE = {"code": "X-1", "name": "Thing", "kind": "core", "list_price": 10, "unit_cost": 5}


def _problem(response, status):
    assert response.status_code == status, response.get_json()
    assert response.content_type == PROBLEM
    assert "Traceback" not in response.get_data(as_text=True)
    return response.get_json()


def _count(client):
    return client.get("/api/v1/offerings/catalog").get_json()["total"]


def test_create_read_list_and_filter(client, catalog):
    item = catalog["DELIVERY-2"]
    assert item["commitment"] == {"max_delivery_delay_days": 2}
    assert item["active"] is True and item["version"] == 1 and item["billing"] == "annual"
    assert client.get(f"/api/v1/offerings/catalog/{item['id']}").get_json() == item
    body = client.get("/api/v1/offerings/catalog?kind=value_added&per_page=2").get_json()
    assert body["total"] == 5 and len(body["items"]) == 2 and body["per_page"] == 2
    found = client.get("/api/v1/offerings/catalog?q=DELIVERY").get_json()["items"]
    assert {i["code"] for i in found} == {"DELIVERY-2", "DELIVERY-5"}


def test_deactivation_instead_of_deletion(client, catalog):
    item = catalog["PROMO"]
    url = f"/api/v1/offerings/catalog/{item['id']}"
    assert client.delete(url).status_code == 405
    stale = client.patch(url, json={"active": False}, headers={"If-Match": "7"})
    _problem(stale, 412)
    changed = client.patch(url, json={"active": False}, headers={"If-Match": "1"}).get_json()
    assert changed["active"] is False and changed["version"] == 2
    active = client.get("/api/v1/offerings/catalog?active=false").get_json()["items"]
    assert [i["code"] for i in active] == ["PROMO"]
    assert client.get(url).status_code == 200


def test_duplicate_code_is_409_and_nothing_is_stored(client, catalog):
    body = _problem(client.post("/api/v1/offerings/catalog", json={**BASE, "code": "CORE"}), 409)
    assert "code" in body["errors"]
    other = catalog["PROMO"]["id"]
    _problem(client.patch(f"/api/v1/offerings/catalog/{other}", json={"code": "CORE"}), 409)
    assert _count(client) == len(catalog)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"list_price": -1}, "list_price"),
        ({"unit_cost": 1_000_000_000_000}, "unit_cost"),
        ({"list_price": 1e308}, "list_price"),
        ({"list_price": "10"}, "list_price"),
        ({"list_price": 1.234}, "list_price"),
        ({"kind": "premium"}, "kind"),
        ({"billing": "weekly"}, "billing"),
        ({"value_driver": "fun"}, "value_driver"),
        ({"name": "bad\u0000name"}, "name"),
        ({"code": "has space"}, "code"),
        ({"code": None}, "code"),
        ({"active": 1}, "active"),
        ({"level": 0}, "level"),
        ({"colour": "red"}, "colour"),
        ({"id": "mine"}, "id"),
        ({"commitment": {"max_delivery_delay_days": 2}}, "commitment"),  # on a core item
        ({"kind": "value_added", "commitment": {"uptime": 1}}, "commitment.uptime"),
        (
            {"kind": "value_added", "commitment": {"max_delivery_delay_days": "2"}},
            "commitment.max_delivery_delay_days",
        ),
    ],
)
def test_bad_catalog_input_is_422_naming_the_field(client, change, field):
    body = _problem(client.post("/api/v1/offerings/catalog", json={**BASE, **change}), 422)
    assert field in body["errors"], body
    assert _count(client) == 0


def test_patch_checks_the_commitment_against_the_kind(client, catalog):
    url = f"/api/v1/offerings/catalog/{catalog['DELIVERY-2']['id']}"
    body = _problem(client.patch(url, json={"kind": "support"}), 422)
    assert "commitment" in body["errors"]
    assert client.patch(url, json={"kind": "support", "commitment": None}).status_code == 200


def test_unknown_item_is_404(client):
    _problem(client.get("/api/v1/offerings/catalog/nope"), 404)
    _problem(client.patch("/api/v1/offerings/catalog/nope", json={"active": False}), 404)


def test_idempotent_create(client):
    headers = {"Idempotency-Key": "catalog-1"}
    first = client.post("/api/v1/offerings/catalog", json=BASE, headers=headers)
    again = client.post("/api/v1/offerings/catalog", json=BASE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    other = client.post("/api/v1/offerings/catalog", json={**BASE, "name": "B"}, headers=headers)
    _problem(other, 409)
    assert _count(client) == 1


@pytest.mark.parametrize("query", ["page=0", "per_page=101", "page=x", "kind=premium"])
def test_bad_list_queries_are_refused(client, query):
    assert client.get(f"/api/v1/offerings/catalog?{query}").status_code in (400, 422)
