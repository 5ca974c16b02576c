"""/api/v1/admin/keys: create (secret shown once), list, revoke. Admin keys only."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from werkzeug.local import LocalProxy

from kam_common.db import Database, request_session
from kam_common.idempotency import init_idempotency
from kam_common.pagination import PageArgs, page_of
from kam_common.web import Blueprint
from kam_gateway import keys as use_cases
from kam_gateway.api.schemas import KeyCreatedSchema, KeyCreateSchema, KeySchema
from kam_gateway.models import idempotency_keys

blp = Blueprint(
    "keys", __name__, url_prefix="/api/v1/admin/keys", description="API keys (admin only)"
)

# Idempotency only for this blueprint: forwarded POSTs are made idempotent by their service.
_db: Database = LocalProxy(lambda: current_app.extensions["kam_db"])  # type: ignore[assignment]
init_idempotency(blp, _db, idempotency_keys)  # type: ignore[arg-type]


@blp.route("")
class Keys(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(KeySchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List API keys, newest first. Secrets are never shown."""
        return use_cases.paginate_keys(session=request_session(), **args)

    @blp.arguments(KeyCreateSchema)
    @blp.response(201, KeyCreatedSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create an API key. The `key` in this response is the only time the secret is shown."""
        key, secret = use_cases.create_key(session=request_session(), **data)
        return {
            "id": key.id,
            "key": secret,
            "name": key.name,
            "role": key.role,
            "account_ids": key.account_ids,
            "created_at": key.created_at,
        }


@blp.route("/<key_id>")
class KeyById(MethodView):
    @blp.response(204)
    def delete(self, key_id: str) -> None:
        """Revoke an API key: from now on it gets 401."""
        use_cases.revoke_key(session=request_session(), key_id=key_id)
