"""The audit trail's cost: writes with an entry each against the same writes with none.

Runs the accounts service in process (its Flask app, a real database: a temporary SQLite file,
or PostgreSQL with `--database-url` / `ACCOUNTS_DATABASE_URL`) and times `--writes` account
creations and as many changes (`PATCH`), twice side by side:

- baseline: no caller (as the system's own work is: nothing is recorded);
- audited: as a sales key through the gateway's identity headers, so each write also appends
  its entry, in the same transaction;

then one `GET /internal/audit` page of an account's entries among them all.

    .venv/bin/python bench/audit.py [--writes 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

SALES = {"X-KAM-Client": "bench", "X-KAM-Role": "sales", "X-KAM-Client-Name": "bench"}


def run(client: Any, count: int, headers: dict[str, str], tag: str) -> float:
    started = time.perf_counter()
    for i in range(count):
        made = client.post("/api/v1/accounts", json={"name": f"{tag} {i}"}, headers=headers)
        assert made.status_code == 201, made.get_json()
        changed = client.patch(
            f"/api/v1/accounts/{made.get_json()['id']}", json={"tier": "strategic"}, headers=headers
        )
        assert changed.status_code == 200, changed.get_json()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("ACCOUNTS_DATABASE_URL"))
    args, _others = parser.parse_known_args()  # bench/run.py passes every script's options

    os.environ.setdefault("KAM_DATA_DIR", tempfile.mkdtemp(prefix="kam-bench-"))
    from kam_accounts import create_app
    from kam_common.migrations import upgrade

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='kam-bench-')}/accounts.db"
    upgrade("kam_accounts", url)
    token = "bench-token"  # noqa: S105 - a throwaway token for an in-process app
    app = create_app({"DATABASE_URL": url, "INTERNAL_TOKEN": token})
    client = app.test_client()
    client.environ_base["HTTP_X_INTERNAL_TOKEN"] = token

    writes = 2 * args.writes
    run(client, 20, {}, "warm-up")
    baseline = run(client, args.writes, {}, "baseline")
    audited = run(client, args.writes, SALES, "audited")
    print(f"baseline (nothing recorded): {writes / baseline:8.0f} writes/s ({baseline:.2f} s)")
    print(f"audited (an entry each):     {writes / audited:8.0f} writes/s ({audited:.2f} s)")
    print(f"audited / baseline time:     {audited / baseline:8.2f}")

    some = client.get("/internal/audit", query_string={"per_page": 1}).get_json()["items"][0]
    started = time.perf_counter()
    page = client.get("/internal/audit", query_string={"account_id": some["account_id"]})
    spent = (time.perf_counter() - started) * 1000
    total = client.get("/internal/audit", query_string={"per_page": 1}).get_json()["total"]
    print(f"one account's entries among {total}: {spent:.1f} ms ({page.get_json()['total']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
