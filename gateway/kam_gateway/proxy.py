"""Forwarding a client's call to the service that owns the path, unchanged.

The service sees the same path and query, the headers it needs (content type, preconditions,
idempotency, request id) and who is calling (key id, role, partner scope); the client sees the
service's status, body and the headers that matter to it. A service that is down or slow is a
503/504 problem naming it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from flask import Response, request

from kam_common.http import ServiceClient
from kam_common.problems import problem_response
from kam_common.scope import CLIENT_HEADER, ROLE_HEADER, SCOPE_HEADER
from kam_gateway.access import Caller
from kam_gateway.config import SERVICES

FORWARDED_REQUEST_HEADERS = ("Content-Type", "If-Match", "Idempotency-Key", "Accept")
RETURNED_HEADERS = ("Location", "Retry-After", "Idempotent-Replayed", "ETag")
# Characters that stay as they are when a decoded path is put back on the wire.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def make_clients(settings: dict[str, Any]) -> dict[str, ServiceClient]:
    """One pooled client per service, shared by all requests of this process."""
    return {
        name: ServiceClient(
            name,
            settings[f"{name.upper()}_URL"],
            settings["INTERNAL_TOKEN"],
            connect_timeout=settings["UPSTREAM_CONNECT_TIMEOUT"],
            read_timeout=settings["UPSTREAM_READ_TIMEOUT"],
        )
        for name in SERVICES
    }


def identity_headers(caller: Caller) -> dict[str, str]:
    """Who is calling, for the service. Only partner keys carry a scope (none = everything)."""
    headers = {CLIENT_HEADER: caller.key_id, ROLE_HEADER: caller.role}
    if caller.is_partner:
        headers[SCOPE_HEADER] = ",".join(caller.account_ids)
    return headers


def forward(client: ServiceClient, caller: Caller) -> Response:
    headers = {
        name: value
        for name in FORWARDED_REQUEST_HEADERS
        if (value := request.headers.get(name)) is not None
    }
    headers.update(identity_headers(caller))
    target = quote(request.path, safe=_PATH_SAFE)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    try:
        upstream = client.request(
            request.method, target, headers=headers, data=request.get_data() or None
        )
    except requests.RequestException as exc:
        return upstream_failure(client.name, exc)
    return relay(client, upstream)


def relay(client: ServiceClient, upstream: requests.Response) -> Response:
    response = Response(upstream.content, status=upstream.status_code)
    content_type = upstream.headers.get("Content-Type")
    if content_type:
        response.headers["Content-Type"] = content_type
    else:
        del response.headers["Content-Type"]
    for name in RETURNED_HEADERS:
        value = upstream.headers.get(name)
        if value is not None:
            if name == "Location" and value.startswith(client.base_url):
                value = value[len(client.base_url) :] or "/"  # the client only knows the gateway
            response.headers[name] = value
    return response


def upstream_failure(service: str, exc: requests.RequestException) -> Response:
    """Down (refused, reset) is a 503; slow (no answer in time) is a 504."""
    if isinstance(exc, requests.Timeout):
        return problem_response(
            504, f"The {service} service did not answer in time.", extra={"service": service}
        )
    return problem_response(
        503, f"The {service} service is unavailable.", extra={"service": service}
    )
