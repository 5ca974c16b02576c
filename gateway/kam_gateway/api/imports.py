"""/api/v1/imports: a CSV file goes to the service that owns its kind of record.

Accounts, contacts and purchases are the accounts service's; health events the health
service's. An import's id starts with its service's prefix, so `GET /imports/{id}` finds it.
The exports are plain rows of the route table (each kind has its own path and owner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kam_common.imports import ImportSchema, import_args
from kam_common.tabular import CSV_TYPE
from kam_gateway.exchange import Answer, Call, Refusal
from kam_gateway.forward import forward
from kam_gateway.operations import OPERATIONS

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway

TAG = "imports"
OWNERS = {
    "accounts": "accounts",
    "contacts": "accounts",
    "purchases": "accounts",
    "events": "health",
}
PREFIXES = {"acc_": "accounts", "hea_": "health"}
# Engineers log health events; the other kinds are sales' (and admins').
ENGINEER_KINDS = frozenset({"events"})


def _may_import(call: Call, kind: str) -> None:
    assert call.caller is not None  # noqa: S101 - the key step ran
    if call.caller.role == "engineer" and kind not in ENGINEER_KINDS:
        raise Refusal(403, f"An engineer key may import events only, not {kind}.")


@OPERATIONS(
    "POST",
    "/api/v1/imports",
    tag=TAG,
    query=import_args(tuple(OWNERS)),
    upload=CSV_TYPE,
    answers={201: (ImportSchema, "Checked (and unless a dry run, applied), or running")},
    problems={
        413: "The file is larger than 20 MiB.",
        415: "The body is not sent as text/csv.",
        422: "The file cannot be read (not UTF-8, not comma-separated, a column missing or "
        "unknown; `errors` names it), or a query value is invalid.",
        503: "The service that owns the kind is busy or down (`service` names it).",
        504: "The service that owns the kind did not answer in time.",
    },
)
async def start_import(call: Call, gateway: Gateway, args: dict[str, Any]) -> Answer:
    """Import a CSV file of accounts, contacts, events or purchases.

    Rows match on `id`, else `external_id`: a match updates, no match creates (`mode` may
    forbid either). A dry run names every bad row (`errors`: row, column, message) and stores
    nothing; an apply stores every row or none. A large file answers `running` at once, with
    `progress`; follow it with `GET /api/v1/imports/{id}`."""
    _may_import(call, args["kind"])
    owner = gateway.upstreams[OWNERS[args["kind"]]]
    return await forward(call, owner, gateway.settings.get("BULK_READ_TIMEOUT"))


@OPERATIONS(
    "GET",
    "/api/v1/imports/{import_id}",
    tag=TAG,
    answers={200: (ImportSchema, "OK")},
    problems={
        404: "No such import.",
        503: "The service that owns the import is busy or down (`service` names it).",
        504: "The service that owns the import did not answer in time.",
    },
)
async def get_import(call: Call, gateway: Gateway) -> Answer:
    """An import's state: counts, errors, and `progress` while it runs."""
    return await forward(call, gateway.upstreams[_owner(call)])


def _owner(call: Call) -> str:
    """The service an import's id names (engineers: health's only)."""
    import_id = call.params["import_id"]
    owner = next((s for prefix, s in PREFIXES.items() if import_id.startswith(prefix)), None)
    if owner is None:
        raise Refusal(404, "Import not found.")
    if owner != "health":
        _may_import(call, "accounts")
    return owner


@OPERATIONS(
    "POST",
    "/api/v1/imports/{import_id}/apply",
    tag=TAG,
    answers={201: (ImportSchema, "Applied (or refused, nothing stored), as a new import")},
    problems={
        404: "No such import.",
        409: "Not a dry run that found every row good, or applied already.",
        503: "The service that owns the import is busy or down (`service` names it).",
        504: "The service that owns the import did not answer in time.",
    },
)
async def apply_import(call: Call, gateway: Gateway) -> Answer:
    """Apply a good dry run's file as it was sent, without sending it again.

    The rows are checked again (the data may have changed since the dry run); the answer is a
    new import (`status` `applied`, `failed` or `running`). A dry run is applied once only."""
    owner = gateway.upstreams[_owner(call)]
    return await forward(call, owner, gateway.settings.get("BULK_READ_TIMEOUT"))
