"""Optimistic concurrency: `version` on every resource, `If-Match` on PATCH."""

from __future__ import annotations

from flask import has_request_context, request

from kam_common.errors import PreconditionFailed


def check_if_match(current_version: int) -> None:
    """Refuse the change when the client's `If-Match` names another version.

    Accepts `3`, `"3"` and `W/"3"`; `*` matches anything. Without the header the change applies.
    """
    header = request.headers.get("If-Match") if has_request_context() else None
    if header is None:
        return
    wanted = [part.strip() for part in header.split(",")]
    for tag in wanted:
        if tag == "*":
            return
        tag = tag.removeprefix("W/").strip('"')
        if tag.isdigit() and int(tag) == current_version:
            return
    raise PreconditionFailed(
        f"If-Match {header!r} does not match the current version {current_version}; "
        "read the resource again and retry."
    )
