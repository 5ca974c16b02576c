"""Commands the `kam` CLI runs for the gateway."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kam_common.config import database_url, env_float
from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_gateway import keys, people


def migrate() -> None:
    upgrade("kam_gateway", database_url("gateway"))
    print("gateway: database migrated")


def create_key(*, name: str, role: str, account_ids: Sequence[str] = ()) -> dict[str, object]:
    """Create an API key from the command line; the result holds the secret (shown once)."""
    url = database_url("gateway")
    # `make key` may come before `make run` on a fresh machine: migrating first is harmless.
    upgrade("kam_gateway", url)
    db = Database(url)
    try:
        with db.session() as session:
            key, secret = keys.create_key(
                session=session, name=name, role=role, account_ids=list(account_ids)
            )
            return {
                "id": key.id,
                "key": secret,
                "name": key.name,
                "role": key.role,
                "account_ids": key.account_ids,
            }
    finally:
        db.engine.dispose()


def jobs() -> list[tuple[float, str, Callable[[], str | None]]]:
    """Webhook deliveries: each webhook with something due is sent to on a thread of its own."""
    from kam_gateway.delivery import Dispatcher

    dispatcher = Dispatcher(Database(database_url("gateway")))
    return [(env_float("KAM_WEBHOOKS_POLL_SECONDS", 0.5), "webhooks", dispatcher.run)]


def create_user(
    *, email: str, name: str, role: str, password: str, account_ids: Sequence[str] = ()
) -> dict[str, object]:
    """Create a person who signs in to the web app (the password is hashed, never printed)."""
    url = database_url("gateway")
    upgrade("kam_gateway", url)
    db = Database(url)
    try:
        with db.session() as session:
            user = people.create_user(
                session=session,
                email=email,
                name=name,
                role=role,
                password=password,
                account_ids=list(account_ids),
            )
            return {"id": user.id, "email": user.email, "name": user.name, "role": user.role}
    finally:
        db.engine.dispose()
