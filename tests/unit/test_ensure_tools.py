"""`make test` on a machine without redis-server: installed as root from Debian, else one line
naming what is missing (never a wall of failing tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-tools"


def run(args: list[str], path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "KAM_NO_INSTALL": "1"}
    return subprocess.run(
        ["/bin/sh", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30
    )


def test_a_missing_redis_server_is_named_in_one_line(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("python3", "id"):  # what the script itself runs, and no redis-server
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)

    done = run(["test"], str(bin_dir))

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "redis-server" in done.stderr


def test_nothing_is_said_when_everything_is_there() -> None:
    assert shutil.which("redis-server"), "this machine has it (CI installs it)"
    done = run(["test"], os.environ["PATH"])
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert run(["venv"], os.environ["PATH"]).returncode == 0
