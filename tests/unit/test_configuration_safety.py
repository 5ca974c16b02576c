"""Settings that must not be left as the repository ships them, and files only their owner
may read."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from kam_common.config import PUBLISHED_SECRETS, data_dir, internal_token
from kam_common.db import make_engine
from kam_gateway.config import bootstrap_admin_key

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_the_compose_files_example_secrets_are_the_ones_refused() -> None:
    text = COMPOSE.read_text()
    examples = set(re.findall(r"\$\{KAM_(?:INTERNAL_TOKEN|BOOTSTRAP_ADMIN_KEY):-([^}]+)\}", text))

    assert examples and examples <= PUBLISHED_SECRETS
    assert "KAM_ENV: ${KAM_ENV:-production}" in text


@pytest.mark.parametrize("env", ["production", "staging"])
def test_the_example_secrets_stop_the_apps_outside_development(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv("KAM_ENV", env)
    monkeypatch.setenv("KAM_INTERNAL_TOKEN", "change-me-internal-token")
    monkeypatch.setenv("KAM_BOOTSTRAP_ADMIN_KEY", "kam-admin-change-me")

    with pytest.raises(RuntimeError, match="KAM_INTERNAL_TOKEN is the example value"):
        internal_token()
    with pytest.raises(RuntimeError, match="KAM_BOOTSTRAP_ADMIN_KEY is the example value"):
        bootstrap_admin_key()


def test_the_example_secrets_work_in_development_and_real_ones_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAM_INTERNAL_TOKEN", "change-me-internal-token")
    monkeypatch.delenv("KAM_ENV", raising=False)
    assert internal_token() == "change-me-internal-token"
    monkeypatch.setenv("KAM_ENV", "production")
    monkeypatch.setenv("KAM_INTERNAL_TOKEN", "a-real-secret-of-our-own")
    assert internal_token() == "a-real-secret-of-our-own"


def test_the_data_folder_and_sqlite_files_are_private_to_their_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    monkeypatch.setenv("KAM_DATA_DIR", str(folder))
    monkeypatch.delenv("KAM_INTERNAL_TOKEN", raising=False)

    assert data_dir() == folder
    token = internal_token()
    engine = make_engine(f"sqlite:///{folder / 'accounts.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()

    assert token
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_an_apps_port_is_set_once_and_its_url_follows(monkeypatch: pytest.MonkeyPatch) -> None:
    from kam_common.config import SERVICE_PORTS, service_url

    monkeypatch.delenv("KAM_HEALTH_URL", raising=False)
    monkeypatch.delenv("KAM_HEALTH_PORT", raising=False)
    assert service_url("health") == f"http://127.0.0.1:{SERVICE_PORTS['health']}"
    monkeypatch.setenv("KAM_HEALTH_PORT", "9213")
    assert service_url("health") == "http://127.0.0.1:9213"
    monkeypatch.setenv("KAM_HEALTH_URL", "http://health.internal:80/")
    assert service_url("health") == "http://health.internal:80"
    procfile = (COMPOSE.parent / "Procfile").read_text()
    assert not re.search(r"808\d", procfile)  # the Procfile takes the ports from `kam run`


def test_the_log_level_setting_governs_every_apps_own_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    from kam_common.requestlog import configure_logging

    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    try:
        monkeypatch.setenv("KAM_LOG_LEVEL", "warning")
        configure_logging("gateway")
        assert not logging.getLogger("kam.access").isEnabledFor(logging.INFO)
        monkeypatch.delenv("KAM_LOG_LEVEL")
        configure_logging("gateway")
        assert logging.getLogger("kam.access").isEnabledFor(logging.INFO)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
