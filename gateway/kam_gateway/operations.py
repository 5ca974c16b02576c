"""The gateway's own operations: plain handlers, each declared once with what it reads and
answers, so the pipeline can hand it checked input and the OpenAPI document can describe it.

A handler runs behind every step of the pipeline (key, role, scope, rate limit): it checks
nothing of that itself. It gets the `Call`, the `Gateway` (its parts: database, services,
settings) and, loaded by its schemas, `data` (the JSON body) and `args` (the query string).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import marshmallow as ma

from kam_common.problems import PROBLEM_CONTENT_TYPE, flatten_errors
from kam_common.web import ProblemSchema, query_status
from kam_gateway.exchange import Answer, Call, Refusal

if TYPE_CHECKING:
    from kam_gateway.pipeline import Gateway

Handler = Callable[..., Awaitable[Answer]]
# A marshmallow schema, or a JSON schema written out (the OpenAPI document's own).
Shape = type[ma.Schema] | dict[str, Any]
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    tag: str
    body: type[ma.Schema] | None = None
    query: type[ma.Schema] | None = None
    # OpenAPI: status → (schema or None, description); and the problems beyond the usual ones.
    answers: dict[int, tuple[Shape | None, str]] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)
    # A file instead of a JSON body (its media type), passed on to the service as it came.
    upload: str | None = None

    async def run(self, call: Call, gateway: Gateway) -> Answer:
        inputs: dict[str, Any] = {}
        if self.body is not None:
            inputs["data"] = _load(self.body(), call.json(), status=422)
        if self.query is not None:
            inputs["args"] = load_query(self.query(), call.query_items())
        elif items := call.query_items():
            names = sorted({name for name, _value in items})
            raise Refusal(
                400,
                f"Unknown query parameter: {', '.join(names)}.",
                errors={name: ["Unknown parameter."] for name in names},
            )
        return await self.handler(call, gateway, **inputs)

    def openapi(self) -> dict[str, Any]:
        """The operation for `apispec` (the marshmallow plugin resolves the schemas)."""
        doc = inspect.cleandoc(self.handler.__doc__ or "")
        summary, _, description = doc.partition("\n\n")
        parameters: list[Any] = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(self.path)
        ]
        if self.query is not None:
            parameters.append({"in": "query", "schema": self.query})
        responses: dict[Any, Any] = {}
        for status, (schema, text) in self.answers.items():
            responses[status] = {"description": text}
            if schema is not None:
                responses[status]["content"] = {"application/json": {"schema": schema}}
        problems = dict(self.problems)
        problems.setdefault(400, "An unknown query parameter or filter value (named in `errors`).")
        if self.query is not None:
            problems.setdefault(422, "A query parameter's value is invalid (named in `errors`).")
        for status, text in problems.items():
            responses[status] = {
                "description": text,
                "content": {PROBLEM_CONTENT_TYPE: {"schema": ProblemSchema}},
            }
        operation: dict[str, Any] = {
            "summary": " ".join(summary.split()),
            "tags": [self.tag],
            "parameters": parameters,
            "responses": responses,
        }
        if description:
            operation["description"] = description.strip()
        if self.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self.body}},
            }
        if self.upload is not None:
            binary = {"type": "string", "format": "binary"}
            operation["requestBody"] = {
                "required": True,
                "content": {self.upload: {"schema": binary}},
            }
        return operation


class Operations(dict[tuple[str, str], Operation]):
    """`@operations("POST", "/api/v1/admin/keys", tag=…, body=…)` above a handler."""

    def __call__(self, method: str, path: str, **declared: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self[(method, path)] = Operation(method, path, handler, **declared)
            return handler

        return register


OPERATIONS = Operations()


def _load(schema: ma.Schema, data: Any, *, status: int) -> Any:
    try:
        return schema.load(data if data is not None else {}, unknown=ma.RAISE)
    except ma.ValidationError as error:
        errors = flatten_errors(error.messages)
        if status == 400 and query_status(schema, error.messages) == 400:
            detail = f"Unknown query parameter or filter value: {', '.join(sorted(errors))}."
        else:
            status = 422
            detail = f"Invalid input: {', '.join(sorted(errors))}."
        raise Refusal(status, detail, errors=errors) from None


def load_query(schema: ma.Schema, items: list[tuple[str, str]]) -> Any:
    """Query values by field: a list for list fields (`type=a&type=b`), else the last one.
    An unknown parameter or filter value is a 400 naming it; a malformed value a 422."""
    values: dict[str, Any] = {}
    for name, value in items:
        if isinstance(schema.fields.get(name), ma.fields.List):
            values.setdefault(name, []).append(value)
        else:
            values[name] = value
    return _load(schema, values, status=400)
