"""`make bench`: every benchmark under bench/, one after the other, each printing its figures.

Extra arguments go to each script (e.g. `--accounts 2000 --events 100000` for a quick run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = [
    "gateway_hop.py",
    "health_scoring.py",
    "health_history.py",
    "drills.py",
    "web_pages.py",
    "learning.py",
    "imports.py",
    "audit.py",
]


def main() -> int:
    here = Path(__file__).parent
    failed = 0
    for script in BENCHMARKS:
        print(f"===== {script} =====", flush=True)
        failed |= subprocess.call([sys.executable, str(here / script), *sys.argv[1:]])
    return failed


if __name__ == "__main__":
    sys.exit(main())
