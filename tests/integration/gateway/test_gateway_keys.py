"""API keys: who gets in, the secret shown once, lists without secrets, revocation, bootstrap."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from support import HttpClient

from kam_gateway.keys import create_key, hash_secret
from kam_gateway.models import ApiKey

KEYS = "/api/v1/admin/keys"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_call_without_a_key_is_401_with_a_bearer_challenge(gateway: HttpClient) -> None:
    response = gateway.get("/api/v1/accounts")

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401
    assert response.json["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "header", ["Bearer kam_not-a-real-key", "Basic dXNlcjpwYXNz", "Bearer ", "kam_abc"]
)
def test_an_unknown_or_malformed_key_is_401(gateway: HttpClient, header: str) -> None:
    response = gateway.get("/api/v1/accounts", headers={"Authorization": header})

    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_unknown_paths_are_401_without_a_key_and_404_with_one(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    assert gateway.get("/api/v1/nothing-here").status_code == 401

    response = gateway.get("/api/v1/nothing-here", headers=auth("admin"))

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_created_key_is_shown_once_and_works(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    admin = auth("admin")

    created = gateway.post(KEYS, json={"name": "CRM sync", "role": "sales"}, headers=admin)

    assert created.status_code == 201
    body = created.json
    assert set(body) == {"id", "key", "name", "role", "account_ids", "created_at"}
    assert body["key"].startswith("kam_") and len(body["key"]) > 40
    assert (body["name"], body["role"], body["account_ids"]) == ("CRM sync", "sales", [])
    assert body["created_at"].endswith("Z")
    # Only the hash is stored.
    db = gateway.application.db
    with db.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.id == body["id"])).one()
        assert row.key_hash == hash_secret(body["key"])
        assert body["key"] not in (row.key_hash, row.prefix, row.name)
    # The new key is accepted at once, and with its own role.
    assert gateway.get("/api/v1/accounts", headers=bearer(body["key"])).status_code == 200
    assert gateway.get(KEYS, headers=bearer(body["key"])).status_code == 403


def test_the_key_list_never_shows_a_secret(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    admin = auth("admin")
    secret = gateway.post(
        KEYS,
        json={"name": "partner portal", "role": "partner", "account_ids": ["a1", "a2"]},
        headers=admin,
    ).json["key"]

    listed = gateway.get(KEYS, headers=admin)

    assert listed.status_code == 200
    page = listed.json
    assert (page["total"], page["page"], page["per_page"]) == (2, 1, 20)
    assert secret not in listed.get_data(as_text=True)
    assert all("key" not in item and "key_hash" not in item for item in page["items"])
    partner = next(item for item in page["items"] if item["name"] == "partner portal")
    assert partner["account_ids"] == ["a1", "a2"]
    assert partner["revoked_at"] is None
    assert secret.startswith(partner["prefix"]) and len(partner["prefix"]) < 12


def test_revoked_key_gets_401_immediately(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    admin = auth("admin")
    created = gateway.post(KEYS, json={"name": "temp", "role": "engineer"}, headers=admin).json
    assert gateway.get("/api/v1/accounts", headers=bearer(created["key"])).status_code == 200

    revoked = gateway.delete(f"{KEYS}/{created['id']}", headers=admin)

    assert revoked.status_code == 204
    assert gateway.get("/api/v1/accounts", headers=bearer(created["key"])).status_code == 401
    listed = gateway.get(KEYS, headers=admin).json["items"]
    assert next(i for i in listed if i["id"] == created["id"])["revoked_at"] is not None
    # Revoking again is harmless; an unknown id is a 404.
    assert gateway.delete(f"{KEYS}/{created['id']}", headers=admin).status_code == 204
    assert gateway.delete(f"{KEYS}/no-such-key", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "p", "role": "partner"}, "account_ids"),
        ({"name": "p", "role": "partner", "account_ids": []}, "account_ids"),
        ({"name": "s", "role": "sales", "account_ids": ["a1"]}, "account_ids"),
        ({"name": "x", "role": "superuser"}, "role"),
        ({"role": "sales"}, "name"),
        ({"name": "x", "role": "sales", "secret": "mine"}, "secret"),
        # The services would read two accounts in "a1,a2" where the gateway sees one.
        ({"name": "p", "role": "partner", "account_ids": ["a1,a2"]}, "account_ids.0"),
        ({"name": "p", "role": "partner", "account_ids": ["ok", "a b"]}, "account_ids.1"),
    ],
)
def test_invalid_key_requests_are_422_naming_the_field(
    gateway: HttpClient, auth: Callable[..., dict[str, str]], body: dict, field: str
) -> None:
    admin = auth("admin")

    response = gateway.post(KEYS, json=body, headers=admin)

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert gateway.get(KEYS, headers=admin).json["total"] == 1  # only the admin's own key


def test_key_creation_replays_for_the_same_idempotency_key(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    admin = auth("admin")
    headers = {**admin, "Idempotency-Key": "create-ci-key"}
    body = {"name": "CI", "role": "engineer"}

    first = gateway.post(KEYS, json=body, headers=headers)
    again = gateway.post(KEYS, json=body, headers=headers)
    other_body = gateway.post(KEYS, json={**body, "name": "CI 2"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 409
    assert gateway.get(KEYS, headers=admin).json["total"] == 2
    # Idempotency keys belong to one API key: another admin's same key is a new request.
    second_admin = auth("admin")
    fresh = gateway.post(
        KEYS, json=body, headers={**second_admin, "Idempotency-Key": "create-ci-key"}
    )
    assert fresh.status_code == 201
    assert fresh.json["id"] != first.json["id"]


def test_clients_cannot_pose_as_another_key_for_idempotency(
    gateway: HttpClient, key_for: Callable[..., str]
) -> None:
    first_admin, second_admin = key_for("admin"), key_for("admin")
    db = gateway.application.db
    with db.session() as session:
        first_id = session.scalar(
            select(ApiKey.id).where(ApiKey.key_hash == hash_secret(first_admin))
        )
    body = {"name": "CI", "role": "engineer"}
    made = gateway.post(KEYS, json=body, headers={**bearer(first_admin), "Idempotency-Key": "k"})

    spoofed = gateway.post(
        KEYS,
        json=body,
        headers={**bearer(second_admin), "Idempotency-Key": "k", "X-KAM-Client": first_id},
    )

    assert made.status_code == spoofed.status_code == 201
    assert "Idempotent-Replayed" not in spoofed.headers
    assert spoofed.json["key"] != made.json["key"]


def test_bootstrap_admin_key_works_and_survives_restarts_and_revocation(
    make_gateway: Callable[..., HttpClient],
) -> None:
    secret = "bootstrap-secret-for-tests"
    gateway = make_gateway(BOOTSTRAP_ADMIN_KEY=secret)

    assert gateway.get(KEYS, headers=bearer(secret)).status_code == 200
    listed = gateway.get(KEYS, headers=bearer(secret)).json
    assert listed["total"] == 1
    assert listed["items"][0]["role"] == "admin"
    assert secret not in str(listed)

    # Several workers start with the same setting: still one key, still working.
    app = gateway.application
    from kam_gateway.keys import ensure_bootstrap_key

    ensure_bootstrap_key(app.db, secret)
    ensure_bootstrap_key(app.db, secret)
    assert gateway.get(KEYS, headers=bearer(secret)).json["total"] == 1

    key_id = listed["items"][0]["id"]
    assert gateway.delete(f"{KEYS}/{key_id}", headers=bearer(secret)).status_code == 204
    assert gateway.get(KEYS, headers=bearer(secret)).status_code == 401
    # Restarting with the variable still set means the operator wants this key to work.
    ensure_bootstrap_key(app.db, secret)
    assert gateway.get(KEYS, headers=bearer(secret)).status_code == 200


def test_a_key_revoked_through_one_gateway_is_refused_by_another_within_a_second(
    make_gateway: Callable[..., HttpClient], echo_upstreams: dict[str, str]
) -> None:
    """Two gateway processes' worth of caches on one database (SQLite, or PostgreSQL when
    GATEWAY_DATABASE_URL is set): a change made through one reaches the other."""
    urls = {f"{name.upper()}_URL": url for name, url in echo_upstreams.items()}
    first = make_gateway(**urls)
    second = make_gateway(empty=False, **urls)
    with first.application.db.session() as session:
        _admin, admin = create_key(session=session, name="admin", role="admin")
        key, secret = create_key(session=session, name="temp", role="sales")
    for gateway in (first, second):  # both remember the key now
        assert gateway.get("/api/v1/accounts", headers=bearer(secret)).status_code == 200

    assert first.delete(f"{KEYS}/{key.id}", headers=bearer(admin)).status_code == 204
    revoked_at = time.monotonic()
    while second.get("/api/v1/accounts", headers=bearer(secret)).status_code == 200:
        assert time.monotonic() - revoked_at < 1.0, "still accepted after a second"
        time.sleep(0.02)

    assert first.get("/api/v1/accounts", headers=bearer(secret)).status_code == 401
    # A change made behind every gateway's back (an operator's SQL) reaches them too.
    with first.application.db.session() as session:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(revoked_at=None))
        session.commit()
    time.sleep(0.3)
    assert second.get("/api/v1/accounts", headers=bearer(secret)).status_code == 200
