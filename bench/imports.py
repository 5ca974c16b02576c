"""CSV import against row-by-row API calls: rows per second, side by side.

Runs the accounts service in process (its Flask app, a real database: a temporary SQLite file,
or PostgreSQL with `--database-url` / `ACCOUNTS_DATABASE_URL`) and, for accounts and for
contacts (with reporting lines by e-mail):

- baseline: `--sample` rows created one `POST` each (the JSON API, through the same app);
- import: `--rows` rows in one CSV file through `POST /api/v1/imports`, which queues a file
  that large; the worker's job (`Imports.run_queued`, what `kam worker` runs) then checks and
  applies it in one transaction. The time is from the upload to `applied`.

Both paths run the same checks and write the same rows, integration events and audit entries.
No HTTP hop is counted on either side (the gateway adds the same to each call), so the
baseline is the fastest row-by-row can be. Target: 100,000 rows in under a minute.

    .venv/bin/python bench/imports.py [--rows 100000] [--sample 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from typing import Any

TARGET_SECONDS = 60.0
SALES = {"X-KAM-Client": "bench", "X-KAM-Role": "sales", "X-KAM-Client-Name": "bench"}
ACCOUNTS_IN_CONTACTS_FILE = 200


def say(message: str) -> None:
    print(message, flush=True)


def csv_file(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def account_rows(count: int, prefix: str) -> list[list[Any]]:
    header = ["external_id", "name", "tier", "segment", "country", "annual_revenue", "needs"]
    return [header] + [
        [f"{prefix}{i}", f"شرکت نمونه {i}", ("strategic", "key", "standard")[i % 3],
         "manufacturing", "IR", f"{1000 + i}.50", "steel; logistics"]
        for i in range(count)
    ]  # fmt: skip


def contact_rows(count: int, accounts: list[str]) -> list[list[Any]]:
    """Each account's first ten people report to its first; the rest to one of those ten."""
    header = ["account_external_id", "external_id", "name", "email", "buying_role",
              "reports_to_email"]  # fmt: skip
    n = len(accounts)
    rows: list[list[Any]] = [header]
    for i in range(count):
        number = i // n
        manager = "" if number == 0 else f"p{(number // 10) * n + i % n}@client.example"
        rows.append([accounts[i % n], f"c{i}", f"سارا احمدی {i}", f"p{i}@client.example",
                     "influencer", manager])  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("ACCOUNTS_DATABASE_URL"))
    args, _others = parser.parse_known_args()  # bench/run.py passes every script's options

    os.environ.setdefault("KAM_DATA_DIR", tempfile.mkdtemp(prefix="kam-bench-"))
    from kam_accounts import create_app
    from kam_accounts.api.imports import make_imports
    from kam_accounts.models import Base
    from kam_common.migrations import upgrade

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='kam-bench-')}/accounts.db"
    upgrade("kam_accounts", url)
    token = "bench-internal-token-0123456789abcdef"  # noqa: S105 - a throwaway local token
    app = create_app({"DATABASE_URL": url, "INTERNAL_TOKEN": token, "IMPORT_INLINE_ROWS": 1000})
    db = app.extensions["kam_db"]
    with db.engine.begin() as conn:  # a clean slate on a reused database
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "audit_entries":
                conn.execute(table.delete())
    client = app.test_client()
    headers = {**SALES, "X-Internal-Token": token}
    imports = make_imports(1000)
    backend = db.engine.url.get_backend_name()
    say(f"database: {backend}; {args.rows:,} rows imported, {args.sample:,} posted one by one")

    def post_each(path: str, bodies: list[dict[str, Any]]) -> float:
        started = time.perf_counter()
        for body in bodies:
            answer = client.post(path, json=body, headers=headers)
            assert answer.status_code == 201, answer.get_json()
        return len(bodies) / (time.perf_counter() - started)

    def import_file(kind: str, body: bytes) -> tuple[float, float]:
        started = time.perf_counter()
        answer = client.post(
            f"/api/v1/imports?kind={kind}", data=body, content_type="text/csv", headers=headers
        )
        assert answer.status_code == 201, answer.get_json()
        with app.app_context():
            while imports.run_queued(db) is not None:
                pass
        seconds = time.perf_counter() - started
        result = client.get(f"/api/v1/imports/{answer.get_json()['id']}", headers=headers)
        outcome = result.get_json()
        assert outcome["status"] == "applied", outcome["errors"][:3]
        return outcome["created"] / seconds, seconds

    results = []
    sample = account_rows(args.sample, "s")[1:]
    baseline = post_each(
        "/api/v1/accounts",
        [{"external_id": r[0], "name": r[1], "tier": r[2], "segment": r[3], "country": r[4],
          "annual_revenue": float(r[5]), "needs": r[6].split("; ")} for r in sample],
    )  # fmt: skip
    rate, seconds = import_file("accounts", csv_file(account_rows(args.rows, "a")))
    results.append(("accounts", baseline, rate, seconds))

    owners = [f"a{i}" for i in range(min(ACCOUNTS_IN_CONTACTS_FILE, args.rows))]
    target = client.get("/api/v1/accounts?external_id=a0", headers=headers).get_json()["items"][0]
    baseline = post_each(
        f"/api/v1/accounts/{target['id']}/contacts",
        [{"name": f"Baseline {i}", "email": f"b{i}@client.example", "buying_role": "user"}
         for i in range(args.sample)],
    )  # fmt: skip
    rate, seconds = import_file("contacts", csv_file(contact_rows(args.rows, owners)))
    results.append(("contacts", baseline, rate, seconds))

    say("")
    say(f"{'kind':<10} {'row by row (rows/s)':>20} {'CSV import (rows/s)':>20} {'ratio':>7}"
        f" {f'{args.rows:,} rows in':>16}")  # fmt: skip
    failed = False
    for kind, one_by_one, imported, spent in results:
        projected = args.rows / one_by_one
        say(f"{kind:<10} {one_by_one:>20,.0f} {imported:>20,.0f} {imported / one_by_one:>6.1f}x"
            f" {spent:>8.1f} s (row by row ~{projected:,.0f} s)")  # fmt: skip
        failed |= args.rows >= 100_000 and spent > TARGET_SECONDS
    if args.rows >= 100_000:
        verdict = "MISSED" if failed else "met"
        say(f"target: 100,000 rows in under {TARGET_SECONDS:.0f} s per kind: {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
