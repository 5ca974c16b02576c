"""How the documents describe a new event: one schema per type, chosen by `type`.

The server loads every event with one schema and checks the type's own rules afterwards
(`kam_health.domain.events`). The document says the same thing in a form a client can
validate before it sends: `oneOf` the four types' schemas, discriminated by `type`, each with
only its own fields and its required ones required.
"""

from __future__ import annotations

import copy
from typing import Any

import marshmallow as ma

from kam_common.fields import one_of
from kam_common.web import Api
from kam_health.api.schemas import EventCreateSchema
from kam_health.domain.events import REQUIRED, SEVERITIES, TYPE_FIELDS

COMMON = ("account_id", "occurred_at", "reported_by", "external_ref", "note")
EVENTS_PATH = "/api/v1/health/events"


def _type_schema(kind: str) -> type[ma.Schema]:
    declared = EventCreateSchema._declared_fields
    fields: dict[str, ma.fields.Field] = {}
    for name in (*COMMON, *sorted(TYPE_FIELDS[kind])):
        field = copy.deepcopy(declared[name])
        if name in REQUIRED[kind]:
            field.required = True
            field.allow_none = False
        if name == "severity":
            field = one_of(SEVERITIES[kind], required=True)
        fields[name] = field
    fields["type"] = one_of((kind,), required=True)
    return ma.Schema.from_dict(fields, name=f"{kind.title()}EventCreateSchema")


TYPE_SCHEMAS = {kind: _type_schema(kind) for kind in TYPE_FIELDS}


def document_events_by_type(api: Api) -> None:
    for kind, schema in TYPE_SCHEMAS.items():
        api.spec.components.schema(f"{kind.title()}EventCreate", schema=schema)
    api.document_hooks.append(_one_of_the_types)


def _one_of_the_types(doc: dict[str, Any]) -> None:
    choice = {
        "oneOf": [
            {"$ref": f"#/components/schemas/{kind.title()}EventCreate"} for kind in TYPE_SCHEMAS
        ],
        "discriminator": {
            "propertyName": "type",
            "mapping": {
                kind: f"#/components/schemas/{kind.title()}EventCreate" for kind in TYPE_SCHEMAS
            },
        },
    }
    body = doc["paths"][EVENTS_PATH]["post"]["requestBody"]["content"]["application/json"]
    body["schema"] = choice
    batch = doc["components"]["schemas"]["EventBatch"]["properties"]["events"]
    batch["items"] = choice
    doc["components"]["schemas"].pop("EventCreate", None)
