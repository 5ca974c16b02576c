"""The gateway's own operations (everything else is forwarded), registered on import."""

from kam_gateway.api import (  # noqa: F401 - registers meta's too
    audit,
    imports,
    keys,
    meta,
    overview,
    users,
    webhooks,
)
from kam_gateway.operations import OPERATIONS

TAGS = {
    "meta": "Liveness, readiness and the API description",
    keys.TAG: "API keys (admin only)",
    users.TAG: "People who sign in to the web app (admin only)",
    overview.TAG: "Composites",
    webhooks.TAG: "Webhooks: our events, signed, pushed to partner systems",
    audit.TAG: "The audit trail: who changed what (admin, executive)",
    imports.TAG: "CSV import and export",
}

__all__ = ["OPERATIONS", "TAGS"]
