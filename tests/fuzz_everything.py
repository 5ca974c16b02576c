"""Schemathesis with every check and every phase (examples, coverage, fuzzing, stateful) over
every app's served document, against the real apps on real databases. Longer than the fuzzing
in `make test`; run it before a release:

    .venv/bin/python tests/fuzz_everything.py [--max-examples 50] [--app gateway]

The services run as in the tests (real SQLite files, or PostgreSQL with `*_DATABASE_URL`),
seeded with one of each resource, served over HTTP; the gateway in front of them under
uvicorn, as its worker serves it. Prints schemathesis' own summary per app and exits non-zero
on any failure.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

os.environ.setdefault("KAM_DATA_DIR", tempfile.mkdtemp(prefix="kam-fuzz-"))
sys.path.insert(0, str(Path(__file__).parent))

from support import clear, serve, serve_asgi  # noqa: E402

from kam_accounts import create_app as create_accounts  # noqa: E402
from kam_accounts.models import Base as AccountsBase  # noqa: E402
from kam_common.db import make_engine  # noqa: E402
from kam_common.migrations import upgrade  # noqa: E402
from kam_gateway import create_app as create_gateway  # noqa: E402
from kam_gateway.keys import create_key  # noqa: E402
from kam_gateway.models import Base as GatewayBase  # noqa: E402
from kam_health import create_app as create_health  # noqa: E402
from kam_health.models import Base as HealthBase  # noqa: E402
from kam_offerings import create_app as create_offerings  # noqa: E402
from kam_offerings.models import Base as OfferingsBase  # noqa: E402

TOKEN = "fuzz-internal-token"  # noqa: S105 - a throwaway token for a local run
BIN = Path(sys.executable).parent
APPS = {
    "accounts": (create_accounts, AccountsBase.metadata),
    "health": (create_health, HealthBase.metadata),
    "offerings": (create_offerings, OfferingsBase.metadata),
    "gateway": (create_gateway, GatewayBase.metadata),
}


def database(app: str, folder: Path) -> str:
    url = os.environ.get(f"{app.upper()}_DATABASE_URL") or f"sqlite:///{folder / app}.db"
    upgrade(f"kam_{app}", url)
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in reversed(APPS[app][1].sorted_tables):
            clear(conn, table)
    engine.dispose()
    return url


def created(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(path, json=body, headers={"X-Internal-Token": TOKEN})
    assert answer.status_code == 201, answer.get_json()
    return dict(answer.get_json())


# Every check, strict, with one allowance: a request the schema allows may still break a rule
# no schema can state (a reporting loop, a date in the future, a stale If-Match), and is then
# refused with its documented 412 or 422 problem naming the field.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
"""


def run(name: str, url: str, headers: dict[str, str], args: argparse.Namespace) -> int:
    config = Path(tempfile.mkdtemp(prefix="kam-st-")) / "schemathesis.toml"
    config.write_text(CONFIG)
    document = f"{url}/api/v1/openapi.json" if name == "gateway" else f"{url}/openapi.json"
    command = [str(BIN / "st"), "--config-file", str(config), "run", document,
               "--url", url, "--checks", "all",
               "--phases", "examples,coverage,fuzzing,stateful",
               "--max-examples", str(args.max_examples), "--continue-on-failure",
               "--request-timeout", "30", "--workers", "1"]  # fmt: skip
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    print(f"===== {name} =====", flush=True)
    # In its own folder: schemathesis keeps a cache where it runs.
    return subprocess.call(command, cwd=config.parent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--app", action="append", choices=list(APPS))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kam-fuzz-db-"))
    config = {"INTERNAL_TOKEN": TOKEN}
    failed = 0
    with ExitStack() as stack:
        accounts = create_accounts({**config, "DATABASE_URL": database("accounts", folder)})
        a = stack.enter_context(serve(accounts))
        client = accounts.test_client()
        account = created(client, "/api/v1/accounts", {"name": "Fuzz Ltd", "needs": ["speed"]})
        base = f"/api/v1/accounts/{account['id']}"
        created(client, f"{base}/contacts", {"name": "Dana Decider"})
        created(client, f"{base}/team", {"name": "Sam Seller", "role": "account_manager"})
        health = create_health(
            {**config, "DATABASE_URL": database("health", folder), "ACCOUNTS_URL": a}
        )
        h = stack.enter_context(serve(health))
        event = {"account_id": account["id"], "type": "quality", "severity": "critical"}
        created(health.test_client(), "/api/v1/health/events", event)
        offerings = create_offerings(
            {**config, "DATABASE_URL": database("offerings", folder), "ACCOUNTS_URL": a,
             "HEALTH_URL": h}
        )  # fmt: skip
        o = stack.enter_context(serve(offerings))
        oc = offerings.test_client()
        core = {"code": "CORE", "name": "Core", "kind": "core", "list_price": 1000, "unit_cost": 7}
        created(oc, "/api/v1/offerings/catalog", core)
        created(oc, "/api/v1/offerings/proposals", {"account_id": account["id"]})
        gateway = create_gateway(
            {**config, "DATABASE_URL": database("gateway", folder), "ACCOUNTS_URL": a,
             "HEALTH_URL": h, "OFFERINGS_URL": o, "RATE_LIMIT_ENABLED": False}
        )  # fmt: skip
        with gateway.db.session() as session:
            _key, secret = create_key(session=session, name="fuzz", role="admin")
            create_key(session=session, name="spare " + secrets.token_hex(2), role="sales")
        g = stack.enter_context(serve_asgi(gateway))
        targets = {
            "accounts": (a, {"X-Internal-Token": TOKEN}),
            "health": (h, {"X-Internal-Token": TOKEN}),
            "offerings": (o, {"X-Internal-Token": TOKEN}),
            "gateway": (g, {"Authorization": f"Bearer {secret}"}),
        }
        for name in args.app or list(APPS):
            url, headers = targets[name]
            failed |= run(name, url, headers, args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
