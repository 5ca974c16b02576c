"""People who sign in to the web app: create, list, change, deactivate; sign in and out.

A person has a role and (partners) accounts exactly as an API key has, and calls the API with
the same authorization table: `session_caller` turns a signed-in browser into a `Caller` of kind
"user". Passwords are hashed with argon2id (argon2-cffi) and never kept, logged or returned.

A session is a random token in a cookie; the database keeps its SHA-256, the person, a CSRF
token, and when it expires. Signing out, deactivating the person or changing their password
ends sessions at once: every call reads its session (joined with the person) afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kam_common.db import Database, new_id, utcnow
from kam_common.errors import Conflict, Invalid, NotFound
from kam_common.pagination import paginate
from kam_gateway.access import Caller
from kam_gateway.keys import check_role_scope
from kam_gateway.models import User, UserSession

log = logging.getLogger("kam.gateway.people")

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_HASHER = PasswordHasher()
# Checked when the email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
_SESSIONS = UserSession.__table__
_USERS = User.__table__


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(field, f"At least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise Invalid(field, f"At most {MAX_PASSWORD} characters.")
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(check_password(password))


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    role: str,
    password: str,
    account_ids: Sequence[str] | None = None,
) -> User:
    ids = check_role_scope(role, account_ids, holder="person")
    now = utcnow()
    user = User(
        id=new_id(),
        email=normalize_email(email),
        name=name,
        role=role,
        account_ids=ids,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "A person with this email exists already.",
            errors={"email": ["A person with this email exists already."]},
        ) from None
    log.info("person created", extra={"user_id": user.id, "role": role})
    return user


def paginate_users(*, session: Session, page: int, per_page: int) -> dict[str, Any]:
    stmt = select(User).order_by(User.created_at.desc(), User.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Person not found.")
    return user


def update_user(*, session: Session, user_id: str, changes: dict[str, Any]) -> User:
    """Change name, role, accounts, password or `active`. A new password or deactivation ends the
    person's sessions in the same transaction."""
    user = get_user(session, user_id)
    role = changes.get("role", user.role)
    if "role" in changes or "account_ids" in changes:
        # A partner who becomes anything else loses the accounts unless new ones are named.
        ids = changes.get("account_ids", user.account_ids if role == "partner" else [])
        user.account_ids = check_role_scope(role, ids, holder="person")
        user.role = role
    if "name" in changes:
        user.name = changes["name"]
    end_sessions = False
    if "password" in changes:
        user.password_hash = hash_password(changes["password"])
        end_sessions = True
    if "active" in changes:
        end_sessions = end_sessions or (user.active and not changes["active"])
        user.active = bool(changes["active"])
    user.updated_at = utcnow()
    if end_sessions:
        _end_sessions_of(session, user.id)
    session.commit()
    return user


def deactivate_user(*, session: Session, user_id: str) -> None:
    """Deactivating twice is fine; the person's sessions end at once."""
    user = get_user(session, user_id)
    user.active = False
    user.updated_at = utcnow()
    _end_sessions_of(session, user.id)
    session.commit()


def _end_sessions_of(session: Session, user_id: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


# Signing in and out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    token: str  # for the cookie; kept nowhere
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(*, session: Session, email: str, password: str, hours: float) -> SignedIn | None:
    """A new session for the active person with this email and password, else None: the same
    None (after the same work) for an unknown email, a wrong password or a deactivated person."""
    user = session.scalars(select(User).where(User.email == normalize_email(email))).first()
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
        matched = user is not None
    except (VerificationError, InvalidHashError):
        matched = False
    if not matched or user is None or not user.active:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    signed = SignedIn(token, secrets.token_urlsafe(32), now + timedelta(hours=hours))
    session.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=signed.csrf_token,
            created_at=now,
            expires_at=signed.expires_at,
        )
    )
    session.commit()
    return signed


def sign_out(*, session: Session, token: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    session.commit()


@dataclass(frozen=True)
class Signed:
    """A live session: who, and the token every change must carry."""

    caller: Caller
    csrf_token: str
    email: str


_LOOKUP = (
    select(
        _USERS.c.id,
        _USERS.c.name,
        _USERS.c.email,
        _USERS.c.role,
        _USERS.c.account_ids,
        _SESSIONS.c.csrf_token,
    )
    .select_from(_SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id))
    .where(
        _SESSIONS.c.token_hash == bindparam("token_hash"),
        _SESSIONS.c.ended_at.is_(None),
        _SESSIONS.c.expires_at > bindparam("now"),
        _USERS.c.active.is_(True),
    )
)


def session_caller(engine: Engine, token: str) -> Signed | None:
    """The person signed in with this cookie token, or None (unknown, ended, expired, inactive)."""
    if not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(_LOOKUP, {"token_hash": _digest(token), "now": utcnow()}).first()
    if row is None:
        return None
    caller = Caller(
        key_id=row.id,
        role=row.role,
        account_ids=tuple(row.account_ids or ()),
        name=row.name,
        kind="user",
    )
    return Signed(caller, row.csrf_token, row.email)


def ensure_bootstrap_admin(db: Database, email: str, password: str) -> None:
    """Make this person an active admin with this password. Safe when several workers start."""
    with db.session() as session:
        user = session.scalars(select(User).where(User.email == normalize_email(email))).first()
        if user is None:
            try:
                create_user(
                    session=session, email=email, name=email, role="admin", password=password
                )
                log.info("bootstrap admin person created")
            except Conflict:
                pass  # another worker made it just now
            return
        same = False
        with contextlib.suppress(VerificationError, InvalidHashError):
            same = _HASHER.verify(user.password_hash, password)
        if not same:
            user.password_hash = hash_password(password)
        if user.role != "admin" or not user.active or not same:
            user.role, user.account_ids, user.active = "admin", [], True
            user.updated_at = utcnow()
        session.commit()
