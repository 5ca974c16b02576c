"""Environment helpers. Each app reads its settings in its own config module through these."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

N = TypeVar("N", int, float)


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_number(name: str, default: N, kind: Callable[[str], N], what: str) -> N:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be {what}, got {raw!r}") from exc


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


# Secrets that are written in the repository (docker-compose.yml's defaults, so that
# `docker-compose up` works on a laptop): refused anywhere but in development.
PUBLISHED_SECRETS = frozenset({"change-me-internal-token", "kam-admin-change-me"})


def environment() -> str:
    """`KAM_ENV`: `development` (the default: one machine, `make run`) or anything else, e.g.
    `production`, where the repository's published secrets are refused."""
    return env_str("KAM_ENV", "development").strip().lower()


def refuse_published(name: str, value: str | None) -> None:
    if value in PUBLISHED_SECRETS and environment() != "development":
        raise RuntimeError(
            f"{name} is the example value from docker-compose.yml; set a secret of your own "
            f"(KAM_ENV={environment()})"
        )


def data_dir() -> Path:
    """KAM_DATA_DIR, made if missing; private to its owner (it holds the internal token, the
    SQLite databases and the rate-limit counts)."""
    path = Path(env_str("KAM_DATA_DIR", "./var")).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def database_url(app_name: str) -> str:
    """`<APP>_DATABASE_URL`, else one SQLite file per app under KAM_DATA_DIR."""
    url = os.environ.get(f"{app_name.upper()}_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / (app_name + '.db')}"


def internal_token() -> str:
    """The secret services require from their callers.

    `KAM_INTERNAL_TOKEN` when set (compose, production); otherwise a random token kept in
    KAM_DATA_DIR so that every process started on this machine agrees on it without setup.
    """
    token = os.environ.get("KAM_INTERNAL_TOKEN")
    if token:
        refuse_published("KAM_INTERNAL_TOKEN", token)
        return token
    path = data_dir() / "internal-token"
    if not path.exists():
        # Write aside, then link into place: readers never see a half-written token.
        tmp = path.with_name(f".internal-token.{os.getpid()}")
        tmp.write_text(secrets.token_urlsafe(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its token
        finally:
            tmp.unlink()
    return path.read_text().strip()


# Where each app listens on one machine by default: the one place these numbers are written.
# `KAM_<APP>_PORT` moves one (`kam run` hands the Procfile every app's port), and the others
# then find it there unless `KAM_<APP>_URL` says otherwise.
SERVICE_PORTS = {
    "gateway": 8080,
    "accounts": 8081,
    "offerings": 8082,
    "health": 8083,
    "plays": 8084,
}


def service_port(app_name: str) -> int:
    return env_int(f"KAM_{app_name.upper()}_PORT", SERVICE_PORTS[app_name])


def service_url(app_name: str) -> str:
    default = f"http://127.0.0.1:{service_port(app_name)}"
    return env_str(f"KAM_{app_name.upper()}_URL", default).rstrip("/")
