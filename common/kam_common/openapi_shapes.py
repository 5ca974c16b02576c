"""Shapes in the OpenAPI documents that generated clients read as meant.

apispec writes a nullable enumeration inline with `null` among its values, and a nullable
nested object as `anyOf` of the reference and an empty object; a client generator then makes
two or three types for one field (`ContactBuyingRoleType1`, `...Type2Type1`, ...). This pass
names each nullable enumeration as a component of its own and writes every nullable reference
as `allOf: [$ref]` with `nullable: true`, which OpenAPI 3.0 tools (client generators,
validators, schemathesis) all read as "this type, or null".
"""

from __future__ import annotations

import copy
from typing import Any

Spec = dict[str, Any]


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def tidy(doc: Spec) -> Spec:
    doc = copy.deepcopy(doc)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in list(schemas):
        _tidy_object(schemas[name], name, schemas)
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                _walk(operation, "", schemas)
    return doc


def _walk(node: Any, owner: str, schemas: dict[str, Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, owner, schemas)
    elif isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            _tidy_object(node, owner, schemas)
            return
        for value in node.values():
            _walk(value, owner, schemas)


def _tidy_object(schema: dict[str, Any], owner: str, schemas: dict[str, Any]) -> None:
    for prop, value in (schema.get("properties") or {}).items():
        if isinstance(value, dict):
            schema["properties"][prop] = _tidy_property(value, owner, prop, schemas)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _tidy_property(schema[key], owner, key, schemas)


def _tidy_property(value: dict[str, Any], owner: str, prop: str, schemas: dict[str, Any]) -> Any:
    if value.get("nullable") and isinstance(value.get("enum"), list):
        return _named_enum(value, owner, prop, schemas)
    options = value.get("anyOf")
    if isinstance(options, list) and len(options) == 2:
        refs = [o for o in options if "$ref" in o]
        empties = [o for o in options if "$ref" not in o and set(o) <= {"type", "nullable"}]
        if len(refs) == 1 and len(empties) == 1 and empties[0].get("nullable"):
            rest = {k: v for k, v in value.items() if k != "anyOf"}
            return {**rest, "allOf": [refs[0]], "nullable": True}
    if value.get("type") == "array" and isinstance(value.get("items"), dict):
        value["items"] = _tidy_property(value["items"], owner, prop, schemas)
    if isinstance(value.get("additionalProperties"), dict):
        value["additionalProperties"] = _tidy_property(
            value["additionalProperties"], owner, prop, schemas
        )
    if isinstance(value.get("properties"), dict):
        _tidy_object(value, owner, schemas)
    return value


def _named_enum(value: dict[str, Any], owner: str, prop: str, schemas: dict[str, Any]) -> Any:
    values = [v for v in value["enum"] if v is not None]
    enum = {"type": value.get("type", "string"), "enum": values}
    name = _camel(prop)
    if name in schemas and schemas[name] != enum:
        name = _camel(owner) + name
    schemas.setdefault(name, enum)
    rest = {k: v for k, v in value.items() if k not in ("enum", "type", "nullable")}
    return {**rest, "allOf": [{"$ref": f"#/components/schemas/{name}"}], "nullable": True}
