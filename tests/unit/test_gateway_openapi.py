"""Merging the services' OpenAPI documents into the gateway's."""

from __future__ import annotations

from kam_gateway.openapi import merge_specs


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(schema: str) -> dict:
    return {"content": {"application/json": {"schema": ref(schema)}}}


def op(schema: str, tag: str = "x") -> dict:
    return {
        "responses": {"200": {"content": {"application/json": {"schema": ref(schema)}}}},
        "tags": [tag],
    }


PROBLEM = {"type": "object", "properties": {"title": {"type": "string"}}}
OWN = {
    "openapi": "3.0.3",
    "info": {"title": "KAM API", "version": "1.0.0"},
    "paths": {"/api/v1/admin/keys": {"get": op("Key", "keys")}, "/readyz": {"get": op("Ready")}},
    "components": {
        "schemas": {
            "Key": {"type": "object"},
            "Ready": {"type": "object"},
            "Problem": PROBLEM,
            "Page": {"type": "object", "properties": {"items": ref("Key")}},
        }
    },
    "tags": [{"name": "keys"}],
}


def everything_public(method: str, path: str) -> bool:
    return True


def test_paths_are_united_and_the_gateway_adds_bearer_security() -> None:
    accounts = {
        "paths": {
            "/api/v1/accounts": {
                "get": op("Account", "accounts"),
                "post": op("Account", "accounts"),
            }
        },
        "components": {"schemas": {"Account": {"type": "object"}, "Problem": PROBLEM}},
        "tags": [{"name": "accounts"}],
    }

    doc = merge_specs(OWN, {"accounts": accounts}, everything_public)

    assert set(doc["paths"]) == {"/api/v1/admin/keys", "/readyz", "/api/v1/accounts"}
    assert set(doc["paths"]["/api/v1/accounts"]) == {"get", "post"}
    assert doc["components"]["schemas"]["Problem"] == PROBLEM  # the same schema, kept once
    assert "AccountsProblem" not in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/readyz"]["get"]["security"] == []
    assert [t["name"] for t in doc["tags"]] == ["keys", "accounts"]
    assert "x-degraded" not in doc
    assert "securitySchemes" not in OWN["components"]  # the input is not modified


def test_a_real_conflict_renames_the_services_schema_and_its_refs() -> None:
    health = {
        "paths": {"/api/v1/health/events": {"get": op("Page")}},
        "components": {
            "schemas": {
                "Key": {"type": "string"},  # same name, different thing
                "Page": {"type": "object", "properties": {"items": ref("Key")}},
            }
        },
    }

    doc = merge_specs(OWN, {"health": health}, everything_public)
    schemas = doc["components"]["schemas"]

    assert schemas["Key"] == {"type": "object"}
    assert schemas["HealthKey"] == {"type": "string"}
    # Page looked identical but points at a different Key, so it is renamed too.
    assert schemas["HealthPage"] == {"type": "object", "properties": {"items": ref("HealthKey")}}
    assert "Page" not in schemas  # the gateway's own Page: no published operation uses it
    response = doc["paths"]["/api/v1/health/events"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == ref("HealthPage")


def test_only_public_operations_are_published() -> None:
    service = {
        "paths": {
            "/api/v1/accounts": {"get": op("A"), "parameters": []},
            "/internal/accounts/{id}": {"get": op("A")},
            "/healthz": {"get": op("A")},
        },
        "components": {"schemas": {"A": {"type": "object"}}},
    }

    doc = merge_specs(OWN, {"accounts": service}, lambda method, path: path.startswith("/api/v1/"))

    assert "/internal/accounts/{id}" not in doc["paths"]
    assert "/healthz" not in doc["paths"]
    assert doc["paths"]["/api/v1/accounts"]["parameters"] == []
    assert doc["paths"]["/api/v1/accounts"]["get"]["responses"]["200"] == ok("A")


def test_gateway_operations_win_over_a_services_same_operation() -> None:
    service = {"paths": {"/api/v1/admin/keys": {"get": op("Other"), "post": op("Other")}}}

    doc = merge_specs(OWN, {"accounts": service}, everything_public)

    assert doc["paths"]["/api/v1/admin/keys"]["get"]["responses"]["200"] == ok("Key")
    assert doc["paths"]["/api/v1/admin/keys"]["post"]["responses"]["200"] == ok("Other")


def test_every_api_operation_documents_what_the_gateway_itself_may_answer() -> None:
    own_503 = {"description": "the service's own words"}
    service = {
        "paths": {"/api/v1/accounts": {"get": {"responses": {"200": ok("A"), "503": own_503}}}}
    }

    doc = merge_specs(OWN, {"accounts": service}, everything_public)

    for path in ("/api/v1/accounts", "/api/v1/admin/keys"):
        answers = doc["paths"][path]["get"]["responses"]
        assert answers["429"] == {"$ref": "#/components/responses/TOO_MANY_REQUESTS"}
        assert answers["504"] == {"$ref": "#/components/responses/GATEWAY_TIMEOUT"}
        assert answers["414"] == {"$ref": "#/components/responses/REQUEST_URI_TOO_LONG"}
        assert {"401", "403", "503"} <= set(answers)
    assert doc["paths"]["/api/v1/accounts"]["get"]["responses"]["503"] == own_503
    assert "429" not in doc["paths"]["/readyz"]["get"]["responses"]  # a probe has no key
    limited = doc["components"]["responses"]["TOO_MANY_REQUESTS"]
    assert limited["content"]["application/problem+json"]["schema"] == ref("Problem")


def test_tags_that_no_published_operation_uses_are_dropped() -> None:
    service = {
        "paths": {
            "/api/v1/accounts": {"get": op("A", "accounts")},
            "/internal/events": {"post": op("A", "internal")},
        },
        "tags": [{"name": "internal"}, {"name": "accounts"}, {"name": "unused"}],
    }
    own = {**OWN, "tags": [{"name": "keys"}, {"name": "meta"}]}

    doc = merge_specs(own, {"accounts": service}, lambda method, path: path != "/internal/events")

    assert [t["name"] for t in doc["tags"]] == ["keys", "accounts"]


def test_no_tags_are_listed_when_no_published_operation_has_one() -> None:
    untagged = {"paths": {"/api/v1/admin/keys": {"get": {"responses": {"200": ok("Key")}}}}}

    doc = merge_specs({**OWN, **untagged}, {}, everything_public)

    assert "tags" not in doc


def test_unreachable_services_are_listed_as_degraded() -> None:
    doc = merge_specs(OWN, {"accounts": None, "health": {"paths": {}}}, everything_public)

    assert doc["x-degraded"] == ["accounts"]
    assert "/api/v1/admin/keys" in doc["paths"]


def test_components_no_published_operation_uses_are_left_out() -> None:
    service = {
        "paths": {
            "/api/v1/accounts": {"get": op("AccountPage")},
            "/internal/events": {"post": op("IntegrationEventBatch")},
        },
        "components": {
            "schemas": {
                "AccountPage": {"type": "object", "properties": {"items": ref("Account")}},
                "Account": {"type": "object", "properties": {"owner": ref("Person")}},
                "Person": {"type": "object"},
                "IntegrationEventBatch": {"type": "object", "properties": {"x": ref("Inbox")}},
                "Inbox": {"type": "object"},
            }
        },
    }

    doc = merge_specs(OWN, {"accounts": service}, lambda m, path: path.startswith("/api/v1/"))
    schemas = set(doc["components"]["schemas"])

    assert {"AccountPage", "Account", "Person", "Key", "Ready", "Problem"} <= schemas
    assert not {"IntegrationEventBatch", "Inbox", "Page"} & schemas


def test_metrics_stay_out_and_a_part_naming_a_service_schema_refers_to_it() -> None:
    own = {
        **OWN,
        "paths": {
            **OWN["paths"],
            "/metrics": {"get": {"responses": {"200": {"description": "text"}}}},
            "/api/v1/x/overview": {"get": op("Overview")},
        },
        "components": {
            "schemas": {
                **OWN["components"]["schemas"],
                "Overview": {
                    "type": "object",
                    "properties": {
                        "account": {"type": "object", "x-kam-schema": "Account"},
                        "contacts": {"type": "array", "nullable": True, "x-kam-schema": "Contact"},
                        "other": {"type": "object", "x-kam-schema": "Missing"},
                    },
                },
            }
        },
    }
    accounts = {
        "paths": {"/api/v1/accounts": {"get": op("Account")}},
        "components": {"schemas": {"Account": {"type": "object"}, "Contact": {"type": "object"}}},
    }

    doc = merge_specs(own, {"accounts": accounts}, everything_public)
    overview = doc["components"]["schemas"]["Overview"]["properties"]

    assert "/metrics" not in doc["paths"]
    assert overview["account"] == ref("Account")
    assert overview["contacts"] == {"nullable": True, "type": "array", "items": ref("Contact")}
    assert overview["other"] == {"type": "object", "x-kam-schema": "Missing"}
    assert "Contact" in doc["components"]["schemas"]
