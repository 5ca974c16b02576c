"""Each app's migrations form one line: two heads would leave `kam migrate` refusing to run."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from kam_common.migrations import alembic_config

APPS = ("kam_accounts", "kam_offerings", "kam_health", "kam_plays", "kam_gateway")


@pytest.mark.parametrize("package", APPS)
def test_one_head_per_app(package: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(package, "sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()
