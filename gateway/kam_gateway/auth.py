"""The gate every `/api/v1` call passes: API key, route table, role, partner scope, body rules.

Runs before any view. On success `g.caller` (the key) and `g.route` (the matched row) are set
for the proxy and the gateway's own routes.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from kam_common.problems import problem_response
from kam_gateway.access import Denied, RouteTable, authorize, check_body, needs_body
from kam_gateway.keycache import KeyCache

API_PREFIX = "/api/v1"
# The identity headers services trust; a client must never be able to set them itself.
_IDENTITY_ENVIRON = (
    "HTTP_X_KAM_CLIENT",
    "HTTP_X_KAM_CLIENT_NAME",
    "HTTP_X_KAM_ROLE",
    "HTTP_X_KAM_ACCOUNT_SCOPE",
)


def bearer_secret(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 512:
        return None
    return secret


def unauthorized(detail: str, *, invalid: bool) -> Response:
    challenge = 'Bearer realm="kam"' + (', error="invalid_token"' if invalid else "")
    return problem_response(401, detail, headers={"WWW-Authenticate": challenge})


def denied_response(denied: Denied) -> Response:
    headers = {"Allow": ", ".join(denied.allow)} if denied.allow else None
    return problem_response(denied.status, denied.detail, errors=denied.errors, headers=headers)


def init_auth(app: Flask, keys: KeyCache, table: RouteTable) -> None:
    @app.before_request
    def _gate() -> Response | None:
        path = request.path
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            return None
        environ = request.environ
        for name in _IDENTITY_ENVIRON:
            environ.pop(name, None)
        secret = bearer_secret(request.headers.get("Authorization"))
        if secret is None:
            return unauthorized("Send an API key: Authorization: Bearer <key>.", invalid=False)
        caller = keys.lookup(secret)
        if caller is None:
            return unauthorized("This API key is unknown or revoked.", invalid=True)
        # The gateway's own idempotency records are per API key, like the services' ones.
        environ["HTTP_X_KAM_CLIENT"] = caller.key_id

        found = table.match(request.method, path)
        if isinstance(found, Denied):
            return denied_response(found)
        g.metrics_route = found.rule.metrics_route
        refusal = authorize(caller, found)
        if refusal is None and needs_body(caller, found.rule):
            # Malformed JSON passes through: the service answers it with its own 400.
            refusal = check_body(caller, found.rule, request.get_json(silent=True))
        if refusal is not None:
            return denied_response(refusal)
        g.caller = caller
        g.route = found
        return None
