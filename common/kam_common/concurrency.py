"""Optimistic concurrency: `version` on every resource, `If-Match` on the changes.

`parse_if_match` reads the header once, in the route; the use case then calls
`Precondition.check(current_version)`. Plain Python, so use cases are tested without Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kam_common.errors import AppError, PreconditionFailed

IF_MATCH_HEADER = "If-Match"
# A version is a positive integer; nineteen digits would pass any version a row can reach.
MAX_VERSION_DIGITS = 18
MAX_IF_MATCH_LENGTH = 200
_DIGITS = f"[0-9]{{1,{MAX_VERSION_DIGITS}}}"
_TAG = rf'(?:\*|{_DIGITS}|(?:W/)?"{_DIGITS}")'
# What the OpenAPI documents declare for the header: one or more versions (bare, quoted or
# weak), comma-separated, or `*`.
IF_MATCH_PATTERN = rf"^ *{_TAG}(?: *, *{_TAG})* *$"
_VALID = re.compile(IF_MATCH_PATTERN)


class MalformedPrecondition(AppError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            'If-Match must name versions such as 3, "3" or W/"3" (comma-separated), or *.',
            errors={IF_MATCH_HEADER: ["Not a version, a list of versions, or *."]},
        )


@dataclass(frozen=True)
class Precondition:
    """The versions a change is based on. `header` None: no `If-Match`, the change applies."""

    header: str | None = None
    versions: frozenset[int] = frozenset()
    any_version: bool = False

    @property
    def given(self) -> bool:
        return self.header is not None

    def check(self, current_version: int) -> None:
        """Refuse the change (412) when the client based it on another version."""
        if self.header is None or self.any_version or current_version in self.versions:
            return
        raise PreconditionFailed(
            f"If-Match {self.header!r} does not match the current version {current_version}; "
            "read the resource again and retry."
        )


UNCONDITIONAL = Precondition()


def parse_if_match(header: str | None) -> Precondition:
    """`3`, `"3"`, `W/"3"`, lists of them, or `*`; anything else is a 400 naming the header."""
    if header is None:
        return UNCONDITIONAL
    if len(header) > MAX_IF_MATCH_LENGTH or not _VALID.match(header):
        raise MalformedPrecondition()
    versions: set[int] = set()
    any_version = False
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            any_version = True
        else:
            versions.add(int(tag.removeprefix("W/").strip('"')))
    return Precondition(header=header, versions=frozenset(versions), any_version=any_version)
