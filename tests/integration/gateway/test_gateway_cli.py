"""The `kam` command line: keys, the key hint, and demo data switched off."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import HttpClient

from kam_cli.main import main


@pytest.fixture
def gateway_db(monkeypatch: pytest.MonkeyPatch, database_url: Callable[[str], str]) -> str:
    url = database_url("gateway")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    return url


def test_create_key_prints_a_working_secret_once(
    gateway: HttpClient, gateway_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-key", "--name", "me", "--role", "admin"]) == 0

    out = capsys.readouterr().out
    secret = next(word for word in out.split() if word.startswith("kam_"))
    assert out.count(secret) == 2  # the key on its own line, and in the usage example
    response = gateway.get("/api/v1/admin/keys", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json["items"][0]["name"] == "me"


def test_create_key_refuses_a_partner_without_accounts(
    gateway_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-key", "--name", "p", "--role", "partner"]) == 2
    assert "account" in capsys.readouterr().err

    assert main(["create-key", "--name", "p", "--role", "partner", "--account-id", "a1,a2"]) == 2
    assert "no commas" in capsys.readouterr().err

    assert main(["create-key", "--name", "p", "--role", "partner", "--account-id", "a1"]) == 0


def test_keys_hint_names_the_bootstrap_key_or_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KAM_BOOTSTRAP_ADMIN_KEY", raising=False)
    main(["keys-hint"])
    assert ".venv/bin/kam create-key --role admin --name me" in capsys.readouterr().out

    monkeypatch.setenv("KAM_BOOTSTRAP_ADMIN_KEY", "s3cret-value")
    main(["keys-hint"])
    out = capsys.readouterr().out
    assert "KAM_BOOTSTRAP_ADMIN_KEY" in out and "s3cret-value" not in out


def test_seed_does_nothing_when_demo_data_is_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAM_DEMO_DATA", "0")

    assert main(["seed"]) == 0

    assert "not seeded" in capsys.readouterr().out


def test_create_user_makes_a_person_who_can_sign_in(
    gateway: HttpClient,
    gateway_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    from sqlalchemy import create_engine, text

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    argv = ["create-user", "--email", "Eve@Example.com", "--name", "Eve", "--role", "executive"]
    assert main([*argv, "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "eve@example.com" in out and "a long enough secret" not in out
    with create_engine(gateway_db).connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and "a long enough secret" not in stored
    from test_gateway_people import sign_in

    assert sign_in(gateway, "eve@example.com", "a long enough secret").last_status == 303  # type: ignore[attr-defined]

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*argv[:2], "x@example.com", *argv[3:], "--password-stdin"]) == 2
    assert "12 characters" in capsys.readouterr().err
