"""CSV in and out: /api/v1/imports (accounts, contacts, purchases) and /api/v1/exports."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from kam_accounts.api.schemas import (
    AccountExportArgs,
    AccountImportRowSchema,
    AccountPatchSchema,
    ContactCreateSchema,
    ContactExportArgs,
    ContactPatchSchema,
    PurchaseCreateSchema,
    PurchaseExportArgs,
)
from kam_accounts.models import imports as imports_table
from kam_accounts.services import imports as use_cases
from kam_common.db import request_session
from kam_common.imports import Imports, add_import_routes
from kam_common.scope import request_caller
from kam_common.web import Blueprint, answers_csv, csv_response

KINDS = ("accounts", "contacts", "purchases")
PREFIX = "acc_"

blp = Blueprint("imports", __name__, url_prefix="/api/v1", description="CSV import and export")


def make_imports(inline_rows: int) -> Imports:
    return Imports(
        imports_table,
        prefix=PREFIX,
        importers={
            "accounts": use_cases.AccountsImport(AccountImportRowSchema(), AccountPatchSchema()),
            "contacts": use_cases.ContactsImport(ContactCreateSchema(), ContactPatchSchema()),
            "purchases": use_cases.PurchasesImport(PurchaseCreateSchema()),
        },
        inline_rows=inline_rows,
    )


_imports = add_import_routes(
    blp,
    kinds=KINDS,
    make=lambda app: make_imports(app.config["IMPORT_INLINE_ROWS"]),
    summary="Import accounts, contacts or purchases: a dry run names every bad row; else all or "
    "nothing.",
)


@blp.route("/exports/accounts.csv")
class AccountsExport(MethodView):
    @blp.arguments(AccountExportArgs, location="query")
    @answers_csv(blp, "Every account the list with these filters shows, as CSV")
    def get(self, args: dict[str, Any]) -> Response:
        """Export accounts (the list's filters); importing the file back changes nothing."""
        body = use_cases.export_accounts(session=request_session(), caller=request_caller(), **args)
        return csv_response(body, "accounts.csv")


@blp.route("/exports/contacts.csv")
class ContactsExport(MethodView):
    @blp.arguments(ContactExportArgs, location="query")
    @answers_csv(blp, "The contacts of every account the key may see (or of one), as CSV")
    def get(self, args: dict[str, Any]) -> Response:
        """Export contacts, with each one's account and manager named so it imports back."""
        body = use_cases.export_contacts(session=request_session(), caller=request_caller(), **args)
        return csv_response(body, "contacts.csv")


@blp.route("/exports/purchases.csv")
class PurchasesExport(MethodView):
    @blp.arguments(PurchaseExportArgs, location="query")
    @answers_csv(blp, "The purchases of every account the key may see (or of one), as CSV")
    def get(self, args: dict[str, Any]) -> Response:
        """Export purchases (filters `account_id`, `product_line`, `since`, `until`)."""
        body = use_cases.export_purchases(
            session=request_session(), caller=request_caller(), **args
        )
        return csv_response(body, "purchases.csv")
