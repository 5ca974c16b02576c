"""Whatever a client sends: the right 4xx problem document, and nothing changes."""

import json

import pytest

PROBLEM = "application/problem+json"


def _count(client):
    return client.get("/api/v1/accounts?status=all").get_json()["total"]


def _problem(response, status):
    assert response.status_code == status, response.data
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["type"] and body["title"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_malformed_json_is_400(client):
    response = client.post(
        "/api/v1/accounts", data=b'{"name": "x",', content_type="application/json"
    )
    _problem(response, 400)
    assert _count(client) == 0


def test_invalid_utf8_is_400(client):
    response = client.post(
        "/api/v1/accounts", data=b'{"name": "\xff\xfe"}', content_type="application/json"
    )
    _problem(response, 400)


def test_body_over_one_mebibyte_is_413(client):
    big = json.dumps({"name": "x", "industry": "a" * (1024 * 1024)})
    _problem(client.post("/api/v1/accounts", data=big, content_type="application/json"), 413)
    assert _count(client) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(client, content_type):
    response = client.post("/api/v1/accounts", data='{"name": "x"}', content_type=content_type)
    _problem(response, 415)
    assert _count(client) == 0


def test_unknown_and_read_only_fields_are_422_naming_them(client):
    body = _problem(client.post("/api/v1/accounts", json={"name": "x", "colour": "red"}), 422)
    assert body["errors"] == {"colour": ["Unknown field."]}
    for field in ("id", "version", "created_at"):
        body = _problem(client.post("/api/v1/accounts", json={"name": "x", field: "1"}), 422)
        assert field in body["errors"]
    assert _count(client) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 42}, "name"),
        ({"name": None}, "name"),
        ({"name": "x", "tier": "gold"}, "tier"),
        ({"name": "x", "orientation": "loyal"}, "orientation"),
        ({"name": "x", "annual_revenue": -1}, "annual_revenue"),
        ({"name": "x", "annual_revenue": "100"}, "annual_revenue"),
        ({"name": "x", "annual_revenue": True}, "annual_revenue"),
        ({"name": "x", "annual_revenue": 1e30}, "annual_revenue"),
        ({"name": "x", "currency": "usd"}, "currency"),
        ({"name": "x", "contact_cadence_days": 0}, "contact_cadence_days"),
        ({"name": "x", "contact_cadence_days": "30"}, "contact_cadence_days"),
        ({"name": "x", "contact_cadence_days": 10**20}, "contact_cadence_days"),
        ({"name": "x", "contact_cadence_days": 7.5}, "contact_cadence_days"),
        ({"name": "x", "needs": "speed"}, "needs"),
        ({"name": "x", "needs": [1]}, "needs.0"),
        ({"name": "x", "needs": ["ok"] * 51}, "needs"),
        ({"name": "x\u0000y"}, "name"),
        ({"name": "x\ud800"}, "name"),
        ({"name": "x", "status": "deleted"}, "status"),
    ],
)
def test_wrong_values_are_422_naming_the_field(client, payload, field):
    # json.dumps escapes non-ASCII, so even a lone surrogate travels as valid JSON text.
    raw = json.dumps(payload)
    body = _problem(client.post("/api/v1/accounts", data=raw, content_type="application/json"), 422)
    assert field in body["errors"], body
    assert _count(client) == 0


def test_non_object_bodies_are_422(client):
    for raw in ("[]", '"name"', "42", "null"):
        response = client.post("/api/v1/accounts", data=raw, content_type="application/json")
        assert response.status_code in (400, 422)
        assert response.content_type == PROBLEM
    assert _count(client) == 0


def test_deeply_nested_json_is_a_client_error(client):
    raw = '{"name": "x", "needs": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/api/v1/accounts", data=raw, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.content_type == PROBLEM


@pytest.mark.parametrize(
    "name",
    [
        "Robert'); DROP TABLE accounts;--",
        "<script>alert(1)</script>",
        "${jndi:ldap://x}",
        "%_\\%",
        "../../etc/passwd",
    ],
)
def test_injection_looking_names_are_just_names(client, name):
    created = client.post("/api/v1/accounts", json={"name": name})
    assert created.status_code == 201
    assert client.get(f"/api/v1/accounts/{created.get_json()['id']}").get_json()["name"] == name
    found = client.get("/api/v1/accounts", query_string={"q": name}).get_json()
    assert [a["name"] for a in found["items"]] == [name]


def test_nul_in_query_is_422_not_a_crash(client):
    _problem(client.get("/api/v1/accounts", query_string={"q": "a\x00b"}), 422)


def test_unknown_path_404_and_wrong_method_405(client):
    _problem(client.get("/api/v1/nothing-here"), 404)
    body = _problem(client.put("/api/v1/accounts", json={"name": "x"}), 405)
    assert body["detail"]


def test_patch_with_bad_values_changes_nothing(client):
    account = client.post("/api/v1/accounts", json={"name": "Keep"}).get_json()
    url = f"/api/v1/accounts/{account['id']}"
    _problem(client.patch(url, json={"name": "New", "tier": "gold"}), 422)
    after = client.get(url).get_json()
    assert after["name"] == "Keep" and after["version"] == 1


def test_calls_without_the_internal_token_are_refused(client):
    response = client.get("/api/v1/accounts", headers={"X-Internal-Token": "wrong"})
    _problem(response, 401)
    assert client.get("/healthz", headers={"X-Internal-Token": ""}).status_code == 200


def test_request_id_is_kept_or_made(client):
    mine = client.get("/api/v1/accounts", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["X-Request-ID"] == "abc-123"
    made = client.get("/api/v1/accounts", headers={"X-Request-ID": "bad id <script>" * 20})
    assert made.headers["X-Request-ID"] and "<" not in made.headers["X-Request-ID"]
    problem = client.get("/api/v1/accounts/nope", headers={"X-Request-ID": "req-9"}).get_json()
    assert problem["request_id"] == "req-9"


def test_idempotency_key_replays_and_creates_once(client):
    headers = {"Idempotency-Key": "create-acme-1", "X-KAM-Client": "key-1"}
    first = client.post("/api/v1/accounts", json={"name": "Acme"}, headers=headers)
    again = client.post("/api/v1/accounts", json={"name": "Acme"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(client) == 1
    clash = client.post("/api/v1/accounts", json={"name": "Other"}, headers=headers)
    _problem(clash, 409)
    other_client = {"Idempotency-Key": "create-acme-1", "X-KAM-Client": "key-2"}
    assert (
        client.post("/api/v1/accounts", json={"name": "Acme"}, headers=other_client).status_code
        == 201
    )
    assert _count(client) == 2


def test_a_failed_attempt_does_not_burn_the_idempotency_key(client):
    headers = {"Idempotency-Key": "k-2"}
    assert client.post("/api/v1/accounts", json={"name": ""}, headers=headers).status_code == 422
    assert client.post("/api/v1/accounts", json={"name": "x"}, headers=headers).status_code == 201


def test_an_account_cannot_be_created_archived(client):
    refused = client.post("/api/v1/accounts", json={"name": "Ghost", "status": "archived"})
    assert refused.status_code == 422
    assert "status" in refused.get_json()["errors"]
    assert client.get("/api/v1/accounts?status=all").get_json()["total"] == 0


def test_history_does_not_start_in_year_one(client, make_account):
    account = make_account()
    base = f"/api/v1/accounts/{account['id']}"
    for path, body, field in (
        (
            "/purchases",
            {"product_line": "x", "amount": 1, "occurred_on": "0001-01-01"},
            "occurred_on",
        ),
        ("/interactions", {"kind": "call", "occurred_at": "0001-01-01T00:00:00Z"}, "occurred_at"),
        ("/contacts", {"name": "Gone", "left_on": "1899-12-31"}, "left_on"),
    ):
        refused = client.post(base + path, json=body)
        assert refused.status_code == 422, (path, refused.get_json())
        assert field in refused.get_json()["errors"]


@pytest.mark.parametrize("code", ["XYZ", "usd", "EURO", "ABC"])
def test_currency_must_be_a_real_iso_4217_code(client, make_account, code):
    refused = client.post("/api/v1/accounts", json={"name": "Acme", "currency": code})
    assert refused.status_code == 422, refused.get_json()
    assert list(refused.get_json()["errors"]) == ["currency"]
    account = make_account(currency="IRR")
    patched = client.patch(f"/api/v1/accounts/{account['id']}", json={"currency": code})
    assert patched.status_code == 422 and list(patched.get_json()["errors"]) == ["currency"]
    assert client.get(f"/api/v1/accounts/{account['id']}").get_json()["currency"] == "IRR"
