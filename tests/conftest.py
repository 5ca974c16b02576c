"""Fixtures shared by the API tests: a real database per app, migrated once, emptied per test.

Each app uses `<APP>_DATABASE_URL` when set (CI sets PostgreSQL ones), else a SQLite file in a
temporary folder. Tests talk to apps through Flask's test client with the internal token.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData

# Keep the token file and SQLite files of anything started by the tests out of ./var.
os.environ.setdefault("KAM_DATA_DIR", tempfile.mkdtemp(prefix="kam-test-"))

from support import TEST_TOKEN, empty_tables  # noqa: E402

from kam_common.http import INTERNAL_TOKEN_HEADER  # noqa: E402
from kam_common.migrations import upgrade  # noqa: E402


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """`database_url("accounts")`: a migrated database for that app, the same for the session."""
    urls: dict[str, str] = {}

    def get(app: str) -> str:
        if app not in urls:
            url = os.environ.get(f"{app.upper()}_DATABASE_URL")
            if not url:
                url = f"sqlite:///{tmp_path_factory.mktemp(app)}/{app}.db"
            upgrade(f"kam_{app}", url)
            urls[app] = url
        return urls[app]

    return get


@pytest.fixture
def service_client(
    database_url: Callable[[str], str],
) -> Iterator[Callable[..., FlaskClient]]:
    """`service_client("accounts", create_app, Base.metadata)`: a test client on an empty DB."""
    apps: list[Flask] = []

    def make(
        app_name: str,
        create_app: Callable[[dict[str, Any]], Flask],
        metadata: MetaData,
        **config: Any,
    ) -> FlaskClient:
        url = database_url(app_name)
        empty_tables(url, metadata)
        app = create_app(
            {"DATABASE_URL": url, "INTERNAL_TOKEN": TEST_TOKEN, "TESTING": True, **config}
        )
        apps.append(app)
        client = app.test_client()
        client.environ_base[f"HTTP_{INTERNAL_TOKEN_HEADER.upper().replace('-', '_')}"] = TEST_TOKEN
        return client

    yield make
    for app in apps:
        app.extensions["kam_db"].engine.dispose()
