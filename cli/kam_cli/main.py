"""`kam`: the project's command line (migrate, seed, keys, worker, outboxes, run all).

Each app contributes a `kam_<app>.cli` module with `migrate()` and, optionally, `seed()`.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from kam_common.config import env_bool
from kam_common.errors import AppError
from kam_common.relay import Relay

APPS = ("accounts", "offerings", "health", "plays", "gateway")


def _app_cli(app: str) -> ModuleType | None:
    name = f"kam_{app}.cli"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only a missing app (or a missing cli module) is tolerated; a broken import is not.
        if exc.name not in (name, f"kam_{app}"):
            raise
        print(f"{app}: no command-line module, skipped", file=sys.stderr)
        return None


def _task(app: str, task: str) -> Callable[[], None] | None:
    module = _app_cli(app)
    return getattr(module, task, None) if module is not None else None


def migrate(_args: argparse.Namespace) -> int:
    for app in APPS:
        task = _task(app, "migrate")
        if task is not None:
            print(f"migrating {app} ...", flush=True)
            task()
    return 0


def seed(_args: argparse.Namespace) -> int:
    if not env_bool("KAM_DEMO_DATA", True):
        print("KAM_DEMO_DATA=0: demo data not seeded")
        return 0
    from kam_cli.demo import seed_demo

    seed_demo(say=lambda line: print(line, flush=True))
    return 0


def create_key(args: argparse.Namespace) -> int:
    from kam_gateway.cli import create_key as create

    try:
        key = create(name=args.name, role=args.role, account_ids=args.account_id or [])
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    ids = cast(list[str], key["account_ids"])
    scope = f" for accounts {', '.join(ids)}" if ids else ""
    print(f"Created {key['role']} key {key['name']!r} (id {key['id']}){scope}.")
    print("The key is shown only this once; keep it somewhere safe:")
    print()
    print(f"    {key['key']}")
    print()
    print(f"Use it as: Authorization: Bearer {key['key']}")
    return 0


def create_user(args: argparse.Namespace) -> int:
    from kam_gateway.cli import create_user as create

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("Again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    try:
        user = create(
            email=args.email,
            name=args.name or args.email,
            role=args.role,
            password=password,
            account_ids=args.account_id or [],
        )
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(f"Created {user['role']} {user['name']!r} <{user['email']}> (id {user['id']}).")
    print("They sign in at the gateway's address, e.g. http://127.0.0.1:8080/")
    return 0


def keys_hint(_args: argparse.Namespace) -> int:
    if os.environ.get("KAM_BOOTSTRAP_ADMIN_KEY"):
        print("API key: the value of KAM_BOOTSTRAP_ADMIN_KEY works as an admin key.")
    else:
        print("API key: create one with `make key` (ROLE=admin NAME=me) or")
        print("    .venv/bin/kam create-key --role admin --name me")
    print("Then call the gateway with: Authorization: Bearer <key>")
    print("Web app: open the gateway's address in a browser and sign in; the demo's people are")
    print("exec@, sales@, engineer@, partner@ and admin@demo.kam (password: kam-demo-password);")
    print("more with .venv/bin/kam create-user --email you@example.com --role executive")
    return 0


def worker(args: argparse.Namespace) -> int:
    from kam_cli.worker import Job, Worker
    from kam_common.requestlog import configure_logging

    configure_logging("worker")
    relays: list[Any] = []
    jobs: list[Job] = []
    for app in args.app or APPS:
        module = _app_cli(app)
        relays.extend(getattr(module, "relays", lambda: [])())
        jobs.extend(Job(every, name, run) for every, name, run in getattr(module, "jobs", list)())
    heartbeat = os.environ.get("KAM_WORKER_HEARTBEAT")
    loop = Worker(relays, jobs, Path(heartbeat) if heartbeat else None)
    if args.once:
        print(f"delivered {loop.tick()} events")
    else:
        loop.run_forever()
    return 0


def _publishers(only: list[str] | None) -> list[tuple[str, Relay]]:
    found = []
    for app in only or APPS:
        module = _app_cli(app)
        for relay in getattr(module, "relays", lambda: [])():
            found.append((app, relay))
    return found


def outbox(args: argparse.Namespace) -> int:
    """`kam outbox list`: what each outbox still holds; `kam outbox redrive`: retry dead letters."""
    from kam_common import outbox_state

    total_dead = 0
    for app, relay in _publishers(args.app):
        table = relay.outbox.table
        if args.action == "redrive":
            count = outbox_state.redrive(
                relay.db, table, destination=args.consumer, seqs=args.seq or None
            )
            print(f"{app}: {count} dead letter(s) made due again; the worker sends them now")
            continue
        numbers = outbox_state.summary(relay.db, table)
        for consumer in relay.outbox.destinations:
            if args.consumer and consumer != args.consumer:
                continue
            n = numbers.get(
                consumer, {"pending": 0, "dead_letters": 0, "oldest_pending_seconds": 0}
            )
            total_dead += n["dead_letters"]
            print(
                f"{app} -> {consumer}: {n['pending']} pending, {n['dead_letters']} dead letter(s), "
                f"oldest pending {n['oldest_pending_seconds']:g} s"
            )
            for row in outbox_state.dead_letters(
                relay.db, table, destination=consumer, limit=args.limit
            ):
                why = (row.last_error or "").splitlines()[:1] or [""]
                print(
                    f"    seq {row.seq}  {row.type}  event {row.event_id}  "
                    f"{row.attempts} attempts  dead since {row.dead_at:%Y-%m-%d %H:%M:%S}Z\n"
                    f"        {why[0][:160]}"
                )
        relay.db.engine.dispose()
    if args.action == "list" and total_dead:
        print(f"{total_dead} dead letter(s): fix the consumer, then `kam outbox redrive`.")
    return 0


def mail_sink(args: argparse.Namespace) -> int:
    from kam_cli.mailsink import DEFAULT_URL
    from kam_cli.mailsink import run as run_sink
    from kam_common.config import data_dir, env_str
    from kam_common.requestlog import configure_logging

    configure_logging("mail-sink")
    folder = Path(args.folder) if args.folder else data_dir() / "mail"
    run_sink(folder, env_str("KAM_SMTP_URL", DEFAULT_URL))
    return 0


def synthetic_outcomes(args: argparse.Namespace) -> int:
    """Load the synthetic portfolio with known truth into health's database, to try the
    backtest and the fitted proposals on (`docs/learning.md`)."""
    from kam_cli.synthetic import load_health
    from kam_common.db import Database
    from kam_health import config
    from kam_health.services.scoring import rescore_portfolio

    db = Database(config.load()["DATABASE_URL"])
    with db.session() as session:
        truth = load_health(session, accounts=args.accounts, seed=args.seed)
        rescore_portfolio(session)
        session.commit()
    print(
        f"health: {args.accounts} synthetic accounts, {truth.outcomes} outcomes "
        f"({truth.churns} churned); hidden weights {truth.weights}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    from kam_cli.supervisor import run_procfile
    from kam_common.config import SERVICE_PORTS, service_port

    for app in SERVICE_PORTS:  # the Procfile binds each app to its port
        os.environ[f"KAM_{app.upper()}_PORT"] = str(service_port(app))
    return run_procfile(Path(args.procfile))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring every app's database to the latest schema")
    commands.add_parser("seed", help="add the demo portfolio (skipped when KAM_DEMO_DATA=0)")
    key = commands.add_parser("create-key", help="create an API key and print it once")
    key.add_argument("--name", required=True)
    key.add_argument(
        "--role", required=True, choices=["admin", "executive", "sales", "engineer", "partner"]
    )
    key.add_argument(
        "--account-id",
        action="append",
        metavar="ID",
        help="an account a partner key may see (repeat for several)",
    )
    person = commands.add_parser("create-user", help="create a person who signs in to the web app")
    person.add_argument("--email", required=True)
    person.add_argument("--name", help="default: the email")
    person.add_argument(
        "--role", required=True, choices=["admin", "executive", "sales", "engineer", "partner"]
    )
    person.add_argument(
        "--account-id", action="append", metavar="ID", help="an account a partner may see"
    )
    person.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else it is asked twice)",
    )
    commands.add_parser("keys-hint", help="say how to get an API key")
    work = commands.add_parser(
        "worker", help="deliver integration events between apps and run periodic jobs"
    )
    work.add_argument("--once", action="store_true", help="one pass, then exit")
    work.add_argument(
        "--app",
        action="append",
        choices=APPS,
        help="only this app's relays and jobs (repeat for several; default: all), so a "
        "deployment can run one worker per app, each with only its own database",
    )
    box = commands.add_parser(
        "outbox", help="list what the outboxes hold (dead letters first) or re-drive dead letters"
    )
    box.add_argument("action", choices=["list", "redrive"])
    box.add_argument("--app", action="append", choices=APPS, help="only this publisher")
    box.add_argument("--consumer", help="only events for this consumer (e.g. health)")
    box.add_argument(
        "--seq", action="append", type=int, help="redrive only this outbox row (repeatable)"
    )
    box.add_argument("--limit", type=int, default=50, help="dead letters listed per consumer")
    sink = commands.add_parser(
        "mail-sink",
        help="a local SMTP server at KAM_SMTP_URL keeping each message as an .eml file",
    )
    sink.add_argument("--folder", help="where the messages go (default: KAM_DATA_DIR/mail)")
    planted = commands.add_parser(
        "synthetic-outcomes",
        help="add synthetic accounts whose churn follows hidden weights (health only), to try "
        "the backtest and fitted scorecards on",
    )
    planted.add_argument("--accounts", type=int, default=600)
    planted.add_argument("--seed", type=int, default=7)
    everything = commands.add_parser(
        "run",
        help="start every process of the Procfile; restart one that dies; Ctrl-C stops all",
    )
    everything.add_argument("--procfile", default="Procfile", help="default: ./Procfile")
    from kam_cli import transfer

    transfer.add_parsers(commands)
    return parser


_COMMANDS = {
    "migrate": migrate,
    "seed": seed,
    "create-key": create_key,
    "create-user": create_user,
    "keys-hint": keys_hint,
    "worker": worker,
    "outbox": outbox,
    "mail-sink": mail_sink,
    "synthetic-outcomes": synthetic_outcomes,
    "run": run,
    "import": lambda args: _transfer("import_file", args),
    "export": lambda args: _transfer("export_file", args),
}


def _transfer(name: str, args: argparse.Namespace) -> int:
    from kam_cli import transfer

    command: Callable[[argparse.Namespace], int] = getattr(transfer, name)
    return command(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return _COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
