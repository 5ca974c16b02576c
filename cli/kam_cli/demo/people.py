"""The people who sign in to the demo: one per role, so the web app can be tried as each.

Only on a development installation (`KAM_ENV=development`, the default of `make run`): their
password is written here and in the README, so it must never open a real one.
"""

from __future__ import annotations

from sqlalchemy import select

from kam_cli.demo.registry import DEMO
from kam_cli.demo.wiring import Demo
from kam_common.config import database_url, environment
from kam_common.db import Database
from kam_common.migrations import upgrade

DEMO_PASSWORD = "kam-demo-password"  # noqa: S105 - the demo's published password (development only)
# email, name, role, and for the partner the accounts of the story it may see
PEOPLE = (
    ("admin@demo.kam", "Ada Admin", "admin", ()),
    ("exec@demo.kam", "Elena Exec", "executive", ()),
    ("sales@demo.kam", "Dana Reyes", "sales", ()),
    ("engineer@demo.kam", "Kai Lund", "engineer", ()),
    ("partner@demo.kam", "پرویز شریک", "partner", ("sepahan", "gulf")),
)


@DEMO.step("people", after=("accounts",))
def seed_people(demo: Demo) -> str:
    if environment() != "development":
        return "none (KAM_ENV is not development)"
    from kam_gateway.models import User
    from kam_gateway.people import create_user

    url = database_url("gateway")
    upgrade("kam_gateway", url)
    db = Database(url)
    created = 0
    try:
        with db.session() as session:
            known = set(session.scalars(select(User.email)))
            for email, name, role, stories in PEOPLE:
                if email in known:
                    continue
                ids = [demo.account_ids[key] for key in stories if key in demo.account_ids]
                create_user(
                    session=session,
                    email=email,
                    name=name,
                    role=role,
                    password=DEMO_PASSWORD,
                    account_ids=ids,
                )
                created += 1
    finally:
        db.engine.dispose()
    demo.count("people", created)
    return f"{created} people (sign in at the gateway, password {DEMO_PASSWORD!r})"
