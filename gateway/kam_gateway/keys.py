"""API keys: create (secret shown once), list, revoke, authenticate, bootstrap.

Secrets are `kam_` + 32 random bytes, so an unsalted SHA-256 is enough to store them: there is
nothing to brute-force. Calls look their key up by hash through `keycache.KeyCache`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kam_common.db import Database, new_id, utcnow
from kam_common.errors import AppError, Conflict, Invalid, NotFound
from kam_common.idempotency import HEADER as IDEMPOTENCY_HEADER
from kam_common.idempotency import MAX_KEY_LENGTH
from kam_common.pagination import paginate
from kam_gateway.access import PARTNER, ROLES, Caller
from kam_gateway.models import ApiKey, idempotency_keys
from kam_gateway.webhooks import deactivate_owned_by

log = logging.getLogger("kam.gateway.keys")

SECRET_PREFIX = "kam_"  # noqa: S105 - a marker that says what the string is, not a secret
SHOWN_PREFIX_LENGTH = len(SECRET_PREFIX) + 6
_KEYS = ApiKey.__table__
_DONE = idempotency_keys
# The scope travels in one request header to the services; keep it well under header limits.
MAX_ACCOUNT_IDS = 100
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_role_scope(
    role: str, account_ids: Sequence[str] | None, *, holder: str = "key"
) -> list[str]:
    """Partner keys (and partner people: `holder`) need accounts; no other role may carry them.
    Returns the ids, deduplicated."""
    if role not in ROLES:
        raise Invalid("role", f"Must be one of: {', '.join(ROLES)}.")
    ids = list(dict.fromkeys(account_ids or []))
    if role == PARTNER and not ids:
        raise Invalid("account_ids", f"A partner {holder} needs at least one account id.")
    if role != PARTNER and ids:
        raise Invalid("account_ids", f"Only partner {holder}s are limited to accounts.")
    if len(ids) > MAX_ACCOUNT_IDS:
        raise Invalid("account_ids", f"At most {MAX_ACCOUNT_IDS} accounts per {holder}.")
    for index, account_id in enumerate(ids):
        # The scope travels comma-separated in one header: a comma (or a space) in an id would
        # make the services see other ids than the gateway does.
        if not ACCOUNT_ID.match(account_id):
            raise Invalid(
                f"account_ids.{index}",
                "An account id: 1–64 letters, digits, '-', '_', '.' or ':' (no commas or spaces).",
            )
    return ids


def new_key(
    *, name: str, role: str, account_ids: Sequence[str] | None = None
) -> tuple[ApiKey, str]:
    """A new key (not stored yet) and its secret, which is kept nowhere."""
    ids = check_role_scope(role, account_ids)
    secret = new_secret()
    key = ApiKey(
        id=new_id(),
        name=name,
        role=role,
        account_ids=ids,
        key_hash=hash_secret(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        created_at=utcnow(),
    )
    return key, secret


def create_key(
    *, session: Session, name: str, role: str, account_ids: Sequence[str] | None = None
) -> tuple[ApiKey, str]:
    """Store a new key; returns it with its secret."""
    key, secret = new_key(name=name, role=role, account_ids=account_ids)
    session.add(key)
    session.commit()
    return key, secret


@dataclass(frozen=True)
class Created:
    body: dict[str, Any]
    replayed: bool = False


def create_key_once(
    db: Database,
    *,
    client_id: str,
    idempotency_key: str | None,
    render: Callable[[dict[str, Any], str], dict[str, Any]],
    name: str,
    role: str,
    account_ids: Sequence[str] | None = None,
) -> Created:
    """Create a key, and with an `Idempotency-Key` only once: the key and the answer to replay
    are stored in one transaction, so a retry after any failure either replays that answer or
    creates the key then. `render(key fields, secret)` makes the answer's body."""
    key, secret = new_key(name=name, role=role, account_ids=account_ids)
    body = render({c.key: getattr(key, c.key) for c in _KEYS.columns}, secret)
    if idempotency_key is None:
        with db.session() as session:
            session.add(key)
            session.commit()
        return Created(body)
    if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        message = f"1 to {MAX_KEY_LENGTH} characters."
        raise AppError(
            f"{IDEMPOTENCY_HEADER} must be {message}", errors={IDEMPOTENCY_HEADER: [message]}
        )
    fingerprint = hashlib.sha256(
        json.dumps([name, role, list(account_ids or [])]).encode()
    ).hexdigest()
    where = (_DONE.c.client_id == client_id) & (_DONE.c.key == idempotency_key)
    with db.session() as session:
        if (row := session.execute(select(_DONE).where(where)).first()) is None:
            session.add(key)
            session.execute(
                insert(_DONE).values(
                    client_id=client_id,
                    key=idempotency_key,
                    fingerprint=fingerprint,
                    state="done",
                    status_code=201,
                    content_type="application/json",
                    body=json.dumps(body, default=str),
                    created_at=utcnow(),
                )
            )
            try:
                session.commit()
                return Created(body)
            except IntegrityError:  # the same key, at the same moment, from another request
                session.rollback()
                row = session.execute(select(_DONE).where(where)).one()
    if row.fingerprint != fingerprint:
        raise Conflict(
            f"This {IDEMPOTENCY_HEADER} was already used for a different request.",
            errors={IDEMPOTENCY_HEADER: ["Already used with another body or path."]},
        )
    return Created(json.loads(row.body), replayed=True)


def paginate_keys(*, session: Session, page: int, per_page: int) -> dict[str, Any]:
    stmt = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def revoke_key(*, session: Session, key_id: str) -> None:
    """Revoking twice is fine; the first revocation time is kept. The key's webhooks stop:
    nothing is sent on behalf of a credential that is gone."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("API key not found.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    deactivate_owned_by(session=session, owner_id=key.id)
    session.commit()


_LOOKUP = select(_KEYS.c.id, _KEYS.c.name, _KEYS.c.role, _KEYS.c.account_ids).where(
    _KEYS.c.key_hash == bindparam("key_hash"), _KEYS.c.revoked_at.is_(None)
)


def authenticate(engine: Engine, digest: str) -> Caller | None:
    """The active key whose secret hashes to `digest`, read from the database."""
    with engine.connect() as conn:
        row = conn.execute(_LOOKUP, {"key_hash": digest}).first()
    if row is None:
        return None
    return Caller(
        key_id=row.id, name=row.name, role=row.role, account_ids=tuple(row.account_ids or ())
    )


def ensure_bootstrap_key(db: Database, secret: str) -> None:
    """Make `secret` an active admin key. Safe when several workers start at the same moment."""
    digest = hash_secret(secret)
    with db.session() as session:
        try:
            session.add(
                ApiKey(
                    name="bootstrap admin (KAM_BOOTSTRAP_ADMIN_KEY)",
                    role="admin",
                    account_ids=[],
                    key_hash=digest,
                    # The operator's string may be short: show none of it.
                    prefix="bootstrap",
                )
            )
            session.commit()
            log.info("bootstrap admin key created")
            return
        except IntegrityError:
            session.rollback()  # it exists already (or another worker just made it)
        # The operator asked for this exact key to work: undo a revocation or a role change.
        # To retire it for good, unset KAM_BOOTSTRAP_ADMIN_KEY.
        session.execute(
            update(ApiKey)
            .where(ApiKey.key_hash == digest)
            .where((ApiKey.role != "admin") | ApiKey.revoked_at.is_not(None))
            .values(role="admin", account_ids=[], revoked_at=None)
        )
        session.commit()
