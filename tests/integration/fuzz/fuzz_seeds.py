"""Ids of the rows the fixtures seeded, by path parameter name (`account_id`, ...).

The fixtures fill it before each test; the fuzz tests' path parameter hook draws from it.
"""

from __future__ import annotations

KNOWN_IDS: dict[str, str] = {}
