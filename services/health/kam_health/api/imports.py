"""CSV in and out of health events: /api/v1/imports (kind `events`) and the events export."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from kam_common.db import request_session
from kam_common.http import AccountsReader
from kam_common.imports import Imports, add_import_routes
from kam_common.scope import request_caller
from kam_common.web import Blueprint, answers_csv, csv_response, reads_through
from kam_health.api.schemas import EventCreateSchema, EventExportArgs
from kam_health.models import imports as imports_table
from kam_health.services import imports as use_cases
from kam_health.services.facts import AccountLookup

KINDS = ("events",)
PREFIX = "hea_"

blp = Blueprint(
    "health_imports", __name__, url_prefix="/api/v1", description="CSV import and export"
)


def make_imports(inline_rows: int, lookup: AccountLookup | AccountsReader) -> Imports:
    return Imports(
        imports_table,
        prefix=PREFIX,
        importers={"events": use_cases.EventsImport(EventCreateSchema(), lookup)},
        inline_rows=inline_rows,
    )


_imports = add_import_routes(
    blp,
    kinds=KINDS,
    make=lambda app: make_imports(
        app.config["IMPORT_INLINE_ROWS"], app.extensions["kam_accounts_reader"]
    ),
    summary="Import health events: a dry run names every bad row; else all or nothing.",
    decorators=(reads_through(blp, "accounts"),),
)


@blp.route("/exports/events.csv")
class EventsExport(MethodView):
    @blp.arguments(EventExportArgs, location="query")
    @answers_csv(blp, "Every event the list with these filters shows, as CSV")
    def get(self, args: dict[str, Any]) -> Response:
        """Export health events (the list's filters); importing the file back changes nothing."""
        body = use_cases.export_events(session=request_session(), caller=request_caller(), **args)
        return csv_response(body, "events.csv")
