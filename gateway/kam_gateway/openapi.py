"""One OpenAPI document for the whole public API: the gateway's own spec plus each service's.

Only operations in the route table are published, so a service's internal endpoints stay out.
Components with the same name and the same definition are shared; a real conflict renames the
service's one (`Account` → `AccountsAccount`) and rewrites its `$ref`s. Only tags that a
published operation uses are kept. A service that cannot be reached is listed in `x-degraded`
and the rest is still served.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from kam_common.problems import PROBLEM_CONTENT_TYPE

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
BEARER = "bearerAuth"
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
# Served by every app for its operators, not part of the partner API.
UNPUBLISHED_PATHS = frozenset({"/metrics"})
# A gateway schema property that stands for a service's own schema (`x-kam-schema: Account`)
# becomes a reference to it once the services' components are in the document.
SERVICE_SCHEMA = "x-kam-schema"

Spec = dict[str, Any]


def merge_specs(
    own: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any] | None],
    is_public: Callable[[str, str], bool],
) -> Spec:
    """`services` maps a service name to its spec, or None when it could not be fetched."""
    doc: Spec = copy.deepcopy(dict(own))
    doc.setdefault("paths", {})
    components = doc.setdefault("components", {})
    tags = {tag["name"]: tag for tag in doc.get("tags", [])}
    degraded = []
    for name, spec in services.items():
        if spec is None:
            degraded.append(name)
            continue
        theirs = spec.get("components", {})
        renames = plan_renames(components, theirs, prefix=name[:1].upper() + name[1:])
        spec = rewrite_refs(copy.deepcopy(dict(spec)), renames)
        for section, items in spec.get("components", {}).items():
            if section == "securitySchemes":
                continue  # services use the internal token; clients use the gateway's scheme
            target = components.setdefault(section, {})
            for key, value in items.items():
                target.setdefault(key, value)  # new, or the same definition
        for path, item in spec.get("paths", {}).items():
            operations = {
                method: op
                for method, op in item.items()
                if method not in HTTP_METHODS or is_public(method.upper(), path)
            }
            if not HTTP_METHODS.intersection(operations):
                continue
            merged = doc["paths"].setdefault(path, {})
            for key, value in operations.items():
                merged.setdefault(key, value)  # the gateway's own operation wins
        for tag in spec.get("tags", []):
            tags.setdefault(tag["name"], tag)
    # A tag of a service's unpublished operations (`internal`) would list an empty group.
    used = {
        tag
        for item in doc["paths"].values()
        for method, op in item.items()
        if method in HTTP_METHODS
        for tag in op.get("tags", [])
    }
    doc.pop("tags", None)
    if kept := [tag for name, tag in tags.items() if name in used]:
        doc["tags"] = kept
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer <key>`.",
    }
    doc["security"] = [{BEARER: []}]
    for path in OPEN_PATHS:
        for method, op in doc["paths"].get(path, {}).items():
            if method in HTTP_METHODS:
                op["security"] = []
    for path in UNPUBLISHED_PATHS:
        doc["paths"].pop(path, None)
    link_service_schemas(doc)
    add_gateway_answers(doc)
    drop_unused_components(doc)
    if degraded:
        doc["x-degraded"] = degraded
    return doc


def link_service_schemas(doc: Spec) -> None:
    """Replace each `x-kam-schema: Name` marker by a reference to that component (its items,
    for an array) when a service published it; keep the loose shape when it did not."""
    schemas = doc.get("components", {}).get("schemas", {})

    def link(node: Any) -> Any:
        if isinstance(node, list):
            return [link(item) for item in node]
        if not isinstance(node, dict):
            return node
        target = node.get(SERVICE_SCHEMA)
        if isinstance(target, str) and target in schemas:
            ref = {"$ref": f"#/components/schemas/{target}"}
            kept = {k: v for k, v in node.items() if k in ("description", "nullable")}
            if node.get("type") == "array":
                return {**kept, "type": "array", "items": ref}
            return {**kept, "allOf": [ref]} if kept.get("nullable") else {**kept, **ref}
        return {key: link(value) for key, value in node.items()}

    doc["components"]["schemas"] = {name: link(schema) for name, schema in schemas.items()}


def drop_unused_components(doc: Spec) -> None:
    """Keep only the components the published operations use, directly or through others: a
    service's internal schemas (its inbox, its outbox state) must not reach the public API."""
    components = doc.get("components", {})
    used: set[tuple[str, str]] = set()
    pending = [doc.get("paths", {})]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                _, _, section, name = ref.split("/", 3)
                if (section, name) not in used:
                    used.add((section, name))
                    pending.append(components.get(section, {}).get(name))
            pending.extend(value for key, value in node.items() if key != "$ref")
        elif isinstance(node, list):
            pending.extend(node)
    for section, items in components.items():
        if section == "securitySchemes" or not isinstance(items, dict):
            continue
        components[section] = {k: v for k, v in items.items() if (section, k) in used}


# What the gateway itself may answer on any /api/ operation, whichever service is behind it.
GATEWAY_ANSWERS = {
    "401": ("UNAUTHORIZED", "No API key, or an unknown or revoked one."),
    "403": ("FORBIDDEN", "The key's role may not call this operation."),
    "414": ("REQUEST_URI_TOO_LONG", "The path and query are longer than 4094 bytes."),
    "429": ("TOO_MANY_REQUESTS", "The key's rate limit is used up; see `Retry-After`."),
    "503": ("SERVICE_UNAVAILABLE", "A service is down, busy, or held off by its breaker."),
    "504": ("GATEWAY_TIMEOUT", "A service did not answer in time."),
}


def add_gateway_answers(doc: Spec) -> None:
    """Document, on every public /api/ operation, the problems the gateway adds on its way:
    key and role refusals, the rate limit, and a service that is down or slow."""
    responses = doc.setdefault("components", {}).setdefault("responses", {})
    for name, description in GATEWAY_ANSWERS.values():
        responses.setdefault(
            name,
            {
                "description": description,
                "content": {
                    PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            },
        )
    for path, item in doc.get("paths", {}).items():
        if not path.startswith("/api/") or path in OPEN_PATHS:
            continue
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            answers = operation.setdefault("responses", {})
            for status, (name, _description) in GATEWAY_ANSWERS.items():
                answers.setdefault(status, {"$ref": f"#/components/responses/{name}"})


def plan_renames(
    ours: Mapping[str, Mapping[str, Any]],
    theirs: Mapping[str, Mapping[str, Any]],
    *,
    prefix: str,
) -> dict[str, dict[str, str]]:
    """New names for their components that clash with a different definition of ours.

    Repeats until stable: renaming one schema changes the `$ref`s inside the ones using it,
    which may turn an identical definition into a different one.
    """
    renames: dict[str, dict[str, str]] = {section: {} for section in theirs}
    changed = True
    while changed:
        changed = False
        for section, items in theirs.items():
            existing = ours.get(section, {})
            for key, value in items.items():
                if key in renames[section] or key not in existing:
                    continue
                if rewrite_refs(copy.deepcopy(value), renames) == existing[key]:
                    continue
                new = prefix + key
                n = 2
                while new in existing or new in items:
                    new, n = f"{prefix}{key}{n}", n + 1
                renames[section][key] = new
                changed = True
    return {section: names for section, names in renames.items() if names}


def rewrite_refs(node: Any, renames: Mapping[str, Mapping[str, str]]) -> Any:
    """Rename components (keys under `components.<section>`) and every `$ref` to them."""
    if not renames:
        return node
    if isinstance(node, list):
        return [rewrite_refs(item, renames) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/components/"):
            _, _, section, name = value.split("/", 3)
            value = f"#/components/{section}/{renames.get(section, {}).get(name, name)}"
        out[key] = rewrite_refs(value, renames)
    components = out.get("components")
    if isinstance(components, dict):
        for section, names in renames.items():
            items = components.get(section)
            if isinstance(items, dict):
                components[section] = {names.get(k, k): v for k, v in items.items()}
    return out
