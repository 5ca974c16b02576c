"""CSV in and out of health events: /api/v1/imports (kind `events`) and the events export."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request
from flask.views import MethodView

from kam_common.db import request_session
from kam_common.http import AccountsReader
from kam_common.imports import Imports, ImportSchema, import_args
from kam_common.scope import request_caller
from kam_common.web import Blueprint, accepts_csv, answers_csv, csv_response, reads_through
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


def _imports() -> Imports:
    found: Imports | None = current_app.extensions.get("kam_imports")
    if found is None:
        reader = current_app.extensions["kam_accounts_reader"]
        found = make_imports(current_app.config["IMPORT_INLINE_ROWS"], reader)
        current_app.extensions["kam_imports"] = found
    return found


@blp.route("/imports")
class ImportFiles(MethodView):
    @blp.arguments(import_args(KINDS), location="query")
    @blp.response(201, ImportSchema)
    @accepts_csv(blp, "UTF-8 CSV, with or without a BOM; the header row names the columns")
    @reads_through(blp, "accounts")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Import health events: a dry run names every bad row; else all or nothing."""
        return _imports().start(
            request_session(),
            kind=args["kind"],
            body=request.get_data(cache=True),
            mode=args["mode"],
            dry_run=args["dry_run"],
            caller=request_caller(),
            request_id=g.get("request_id"),
        )


@blp.route("/imports/<import_id>")
class ImportById(MethodView):
    @blp.response(200, ImportSchema)
    def get(self, import_id: str) -> dict[str, Any]:
        """An import's state (`progress` while a large file is running)."""
        return _imports().get(request_session(), import_id=import_id)


@blp.route("/exports/events.csv")
class EventsExport(MethodView):
    @blp.arguments(EventExportArgs, location="query")
    @answers_csv(blp, "Every event the list with these filters shows, as CSV")
    def get(self, args: dict[str, Any]) -> Response:
        """Export health events (the list's filters); importing the file back changes nothing."""
        body = use_cases.export_events(session=request_session(), caller=request_caller(), **args)
        return csv_response(body, "events.csv")
