"""People and sessions: the admin API for people, signing in and out, CSRF, throttling, and a
person's calls authorized and forwarded exactly as a key's of the same role."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

import requests
from support import HttpClient

from kam_gateway.people import create_user

PASSWORD = "correct horse battery"


def person(gateway: HttpClient, role: str, email: str | None = None, **extra: object) -> str:
    email = email or f"{role}@example.com"
    with gateway.application.db.session() as session:
        create_user(session=session, email=email, name=f"Test {role}", role=role,
                    password=PASSWORD, **extra)  # fmt: skip
    return email


def signin_token(client: requests.Session, base: str) -> str:
    page = client.get(base + "/signin", timeout=10)
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def sign_in(gateway: HttpClient, email: str, password: str = PASSWORD) -> requests.Session:
    client = requests.Session()
    token = signin_token(client, gateway.base_url)
    answer = client.post(
        gateway.base_url + "/signin",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    client.last_status = answer.status_code  # type: ignore[attr-defined]
    client.last_answer = answer  # type: ignore[attr-defined]
    return client


def csrf_of(client: requests.Session, base: str) -> str:
    page = client.get(base + "/log", timeout=10)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def test_admin_creates_lists_changes_and_deactivates_people(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    admin = auth("admin")
    created = gateway.post(
        "/api/v1/admin/users",
        json={"email": "Sara@Example.com", "name": "سارا", "role": "sales", "password": PASSWORD},
        headers=admin,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["email"] == "sara@example.com" and body["name"] == "سارا" and body["active"]
    assert "password" not in body and "password_hash" not in created.get_data(as_text=True)
    again = gateway.post(
        "/api/v1/admin/users",
        json={"email": "sara@example.com", "name": "S", "role": "sales", "password": PASSWORD},
        headers=admin,
    )
    assert again.status_code == 409 and "email" in again.get_json()["errors"]
    listed = gateway.get("/api/v1/admin/users", headers=admin).get_json()
    assert [u["email"] for u in listed["items"]] == ["sara@example.com"]
    assert "hash" not in str(listed)
    changed = gateway.patch(
        f"/api/v1/admin/users/{body['id']}", json={"role": "engineer"}, headers=admin
    )
    assert changed.status_code == 200 and changed.get_json()["role"] == "engineer"
    assert gateway.delete(f"/api/v1/admin/users/{body['id']}", headers=admin).status_code == 204
    assert (
        gateway.get("/api/v1/admin/users", headers=admin).get_json()["items"][0]["active"] is False
    )


def test_people_api_refuses_bad_input_naming_the_field(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    admin = auth("admin")
    short = gateway.post(
        "/api/v1/admin/users",
        json={"email": "a@example.com", "name": "A", "role": "sales", "password": "short"},
        headers=admin,
    )
    assert short.status_code == 422 and "password" in short.get_json()["errors"]
    assert "short" not in short.get_data(as_text=True)
    partner = gateway.post(
        "/api/v1/admin/users",
        json={"email": "p@example.com", "name": "P", "role": "partner", "password": PASSWORD},
        headers=admin,
    )
    assert partner.status_code == 422 and "account_ids" in partner.get_json()["errors"]
    bad_email = gateway.post(
        "/api/v1/admin/users",
        json={"email": "nope", "name": "P", "role": "sales", "password": PASSWORD},
        headers=admin,
    )
    assert bad_email.status_code == 422 and "email" in bad_email.get_json()["errors"]
    assert gateway.get("/api/v1/admin/users", headers=admin).get_json()["total"] == 0
    for role in ("executive", "sales", "engineer"):
        assert gateway.get("/api/v1/admin/users", headers=auth(role)).status_code == 403


def test_sign_in_sets_a_protected_cookie_and_wrong_email_or_password_answer_alike(
    gateway: HttpClient,
) -> None:
    email = person(gateway, "executive")
    wrong_password = sign_in(gateway, email, "not the password at all")
    wrong_email = sign_in(gateway, "nobody@example.com")
    for failed in (wrong_password, wrong_email):
        assert failed.last_status == 401  # type: ignore[attr-defined]
        assert "kam_session" not in failed.cookies
    texts = [
        re.sub(r'value="[^"]*"', "", c.last_answer.text)  # type: ignore[attr-defined]
        for c in (wrong_password, wrong_email)
    ]
    assert texts[0].replace("not the password at all", "") == texts[1].replace(
        "nobody@example.com", email
    )
    signed = sign_in(gateway, email)
    assert signed.last_status == 303  # type: ignore[attr-defined]
    cookie = signed.last_answer.headers["Set-Cookie"]  # type: ignore[attr-defined]
    assert "kam_session=" in cookie
    session_cookie = next(c for c in cookie.split(", kam_") if "session=" in c)
    for attribute in ("HttpOnly", "SameSite=Lax", "Max-Age="):
        assert attribute in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP here; HTTPS adds it
    home = signed.get(gateway.base_url + "/log", timeout=10)
    assert home.status_code == 200 and "Sign out" in home.text


def test_a_session_calls_the_api_as_its_person_with_the_same_table_and_identity(
    gateway: HttpClient, received: dict[str, list[dict]]
) -> None:
    email = person(gateway, "partner", account_ids=["acc-1"])
    client = sign_in(gateway, email)
    own = client.get(gateway.base_url + "/api/v1/accounts/acc-1", timeout=10)
    assert own.status_code == 200
    headers = received["accounts"][-1]["headers"]
    assert headers["X-Kam-Client-Type"] == "user" and headers["X-Kam-Role"] == "partner"
    assert unquote(headers["X-Kam-Client-Name"]) == "Test partner"
    assert headers["X-Kam-Account-Scope"] == "acc-1"
    foreign = client.get(gateway.base_url + "/api/v1/accounts/acc-2", timeout=10)
    assert foreign.status_code == 404
    assert client.get(gateway.base_url + "/api/v1/admin/keys", timeout=10).status_code == 403


def test_a_change_with_a_session_needs_its_csrf_token(
    gateway: HttpClient, received: dict[str, list[dict]]
) -> None:
    email = person(gateway, "engineer")
    client = sign_in(gateway, email)
    event = {"account_id": "acc-1", "type": "delivery", "promised_on": "2026-11-01"}
    forged = client.post(gateway.base_url + "/api/v1/health/events", json=event, timeout=10)
    assert forged.status_code == 403
    assert received["health"] == []
    token = csrf_of(client, gateway.base_url)
    made = client.post(
        gateway.base_url + "/api/v1/health/events",
        json=event,
        headers={"X-CSRF-Token": token},
        timeout=10,
    )
    assert made.status_code == 200 and len(received["health"]) == 1


def test_a_forged_cross_site_form_post_fails_and_reveals_nothing(
    gateway: HttpClient, received: dict[str, list[dict]]
) -> None:
    email = person(gateway, "engineer")
    client = sign_in(gateway, email)
    form = {"type": "warning", "signal": "other", "severity": "low"}
    no_token = client.post(
        gateway.base_url + "/accounts/acc-1/events", data=form, allow_redirects=False, timeout=10
    )
    assert no_token.status_code == 403
    token = csrf_of(client, gateway.base_url)
    other_site = client.post(
        gateway.base_url + "/accounts/acc-1/events",
        data={**form, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
        timeout=10,
    )
    assert other_site.status_code == 403
    assert "acc-1" not in other_site.text
    assert received["health"] == []


def test_sign_out_and_deactivation_end_sessions_at_once(
    gateway: HttpClient, auth: Callable[..., dict[str, str]]
) -> None:
    email = person(gateway, "sales")
    client = sign_in(gateway, email)
    cookie = client.cookies["kam_session"]
    token = csrf_of(client, gateway.base_url)
    out = client.post(
        gateway.base_url + "/signout", data={"csrf_token": token}, allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    assert out.status_code == 303
    replay = requests.get(
        gateway.base_url + "/api/v1/accounts", cookies={"kam_session": cookie}, timeout=10
    )
    assert replay.status_code == 401
    page = requests.get(
        gateway.base_url + "/", cookies={"kam_session": cookie}, allow_redirects=False, timeout=10
    )
    assert page.status_code == 303 and page.headers["Location"].startswith("/signin")

    second = sign_in(gateway, email)
    assert second.get(gateway.base_url + "/api/v1/accounts", timeout=10).status_code == 200
    users = gateway.get("/api/v1/admin/users", headers=auth("admin")).get_json()["items"]
    gateway.delete(f"/api/v1/admin/users/{users[0]['id']}", headers=auth("admin"))
    assert second.get(gateway.base_url + "/api/v1/accounts", timeout=10).status_code == 401
    assert sign_in(gateway, email).last_status == 401  # type: ignore[attr-defined]


def test_sign_in_is_throttled_per_account(make_gateway: Callable[..., HttpClient]) -> None:
    gateway = make_gateway(SIGNIN_LIMIT_ACCOUNT="3/minute", SIGNIN_LIMIT_ADDRESS="100/minute")
    email = person(gateway, "executive")
    for _ in range(3):
        assert sign_in(gateway, email, "wrong password here").last_status == 401  # type: ignore[attr-defined]
    blocked = sign_in(gateway, email)  # even the right password waits now
    assert blocked.last_status == 429  # type: ignore[attr-defined]
    assert "kam_session" not in blocked.cookies
    other = person(gateway, "sales")
    assert sign_in(gateway, other).last_status == 303  # type: ignore[attr-defined]


def test_sign_in_is_throttled_per_address(make_gateway: Callable[..., HttpClient]) -> None:
    gateway = make_gateway(SIGNIN_LIMIT_ACCOUNT="100/minute", SIGNIN_LIMIT_ADDRESS="3/minute")
    email = person(gateway, "executive")
    for n in range(3):
        sign_in(gateway, f"guess{n}@example.com")
    assert sign_in(gateway, email).last_status == 429  # type: ignore[attr-defined]


def test_bootstrap_admin_person(make_gateway: Callable[..., HttpClient]) -> None:
    gateway = make_gateway(BOOTSTRAP_ADMIN_PERSON=("root@example.com", "a long admin secret"))
    client = sign_in(gateway, "root@example.com", "a long admin secret")
    assert client.last_status == 303  # type: ignore[attr-defined]
    assert client.get(gateway.base_url + "/api/v1/admin/users", timeout=10).status_code == 200
