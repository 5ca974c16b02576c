"""/api/v1/admin/users: the people who sign in to the web app. Admins only (route table)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from kam_common.pagination import PageArgs, page_of
from kam_gateway import people as use_cases
from kam_gateway.api.schemas import UserCreateSchema, UserSchema, UserUpdateSchema
from kam_gateway.exchange import Answer, Call, json_answer
from kam_gateway.operations import OPERATIONS

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway

USERS = "/api/v1/admin/users"
USER = USERS + "/{user_id}"
TAG = "people"


@OPERATIONS("GET", USERS, tag=TAG, query=PageArgs, answers={200: (page_of(UserSchema), "OK")})
async def list_users(call: Call, gateway: Gateway, args: dict[str, Any]) -> Answer:
    """List the people who may sign in, newest first. Passwords are never shown."""

    def read() -> dict[str, Any]:
        with gateway.db.session(write=False) as session:
            return use_cases.paginate_users(session=session, **args)

    page = await asyncio.to_thread(read)
    return json_answer(200, page_of(UserSchema)().dump(page))


@OPERATIONS(
    "POST",
    USERS,
    tag=TAG,
    body=UserCreateSchema,
    answers={201: (UserSchema, "Created")},
    problems={409: "A person with this email exists already."},
)
async def create_user(call: Call, gateway: Gateway, data: dict[str, Any]) -> Answer:
    """Create a person who signs in with this email and password (at least 12 characters)."""

    def create() -> dict[str, Any]:
        with gateway.db.session() as session:
            return dict(UserSchema().dump(use_cases.create_user(session=session, **data)))

    return json_answer(201, await asyncio.to_thread(create))


@OPERATIONS(
    "PATCH",
    USER,
    tag=TAG,
    body=UserUpdateSchema,
    answers={200: (UserSchema, "OK")},
    problems={404: "No such person."},
)
async def update_user(call: Call, gateway: Gateway, data: dict[str, Any]) -> Answer:
    """Change a person's name, role, accounts, password or `active`.

    A new password, or `active: false`, ends the person's sessions at once."""

    def change() -> dict[str, Any]:
        with gateway.db.session() as session:
            user = use_cases.update_user(
                session=session, user_id=call.params["user_id"], changes=data
            )
            return dict(UserSchema().dump(user))

    return json_answer(200, await asyncio.to_thread(change))


@OPERATIONS(
    "DELETE",
    USER,
    tag=TAG,
    answers={204: (None, "Deactivated: the person's sessions have ended.")},
    problems={404: "No such person."},
)
async def deactivate_user(call: Call, gateway: Gateway) -> Answer:
    """Deactivate a person: their sessions end at once and they can no longer sign in."""

    def deactivate() -> None:
        with gateway.db.session() as session:
            use_cases.deactivate_user(session=session, user_id=call.params["user_id"])

    await asyncio.to_thread(deactivate)
    return Answer(204)
