"""/api/v1/offerings/catalog: the services we can offer."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_precondition
from kam_common.web import Blueprint, problem_doc
from kam_offerings.api.schemas import (
    CatalogItemCreateSchema,
    CatalogItemSchema,
    CatalogListArgs,
    CatalogPatchSchema,
)
from kam_offerings.services import catalog as use_cases

blp = Blueprint(
    "catalog", __name__, url_prefix="/api/v1/offerings/catalog", description="The catalog"
)


@blp.route("")
class Catalog(MethodView):
    @blp.arguments(CatalogListArgs, location="query")
    @blp.response(200, page_of(CatalogItemSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List catalog items (filters: `kind`, `active`, `q`)."""
        return use_cases.list_items(session=request_session(), **args)

    @blp.arguments(CatalogItemCreateSchema)
    @blp.response(201, CatalogItemSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a service to the catalog; its `code` must be unique."""
        return use_cases.create_item(session=request_session(), data=data)


@blp.route("/<item_id>")
class CatalogItemById(MethodView):
    @blp.response(200, CatalogItemSchema)
    def get(self, item_id: str) -> Any:
        """Read a catalog item (inactive ones too)."""
        return use_cases.get_item(session=request_session(), item_id=item_id)

    @blp.arguments(CatalogPatchSchema)
    @blp.response(200, CatalogItemSchema)
    @problem_doc(blp, 409, "Another catalog item has this `code`.")
    def patch(self, changes: dict[str, Any], item_id: str) -> Any:
        """Change a catalog item; `{"active": false}` deactivates it (nothing is deleted)."""
        return use_cases.update_item(
            session=request_session(),
            item_id=item_id,
            changes=changes,
            precondition=request_precondition(),
        )
