"""Who may call what: matching a request against the route table, and the checks that follow.

Plain Python (no Flask), so the rules are tested directly. The table itself is in
`route_table.py`; this module compiles it once and answers, per request, one of: no such
path (404), wrong method (405), role not allowed (403), outside a partner's accounts (404),
a body the role may not send (403/422), or the upstream service to call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

ROLES = ("admin", "executive", "sales", "engineer", "partner")
PARTNER = "partner"
ADMIN = "admin"

# Path parameters with this name are account ids: a partner may only address its own.
SCOPED_PARAM = "account_id"
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Caller:
    """Who is calling: an API key, or a person signed in to the web app (`kind` "user", with
    the person's id as `key_id`). Both are authorized by the same table, the same way."""

    key_id: str
    role: str
    account_ids: tuple[str, ...] = ()
    name: str = ""
    kind: str = "key"

    @property
    def is_partner(self) -> bool:
        return self.role == PARTNER

    def may_see(self, account_id: str) -> bool:
        return not self.is_partner or account_id in self.account_ids


def actor_of(caller: Caller) -> dict[str, str]:
    """The caller as the audit trail names an actor (kam_common.audit)."""
    return {"type": caller.kind, "id": caller.key_id, "name": caller.name, "role": caller.role}


# Who calls a public route: nobody known (the services see this name and role, and no scope).
PUBLIC_CALLER = Caller(key_id="public", role="public", name="public link")


@dataclass(frozen=True)
class EventTypes:
    """Body rule: the event `type`s a role may send (the whole body, or each of `events`)."""

    allowed: Mapping[str, frozenset[str]]
    batch: bool = False


@dataclass(frozen=True)
class Rule:
    method: str
    pattern: str
    roles: frozenset[str]
    service: str  # "accounts", "offerings", "health", or "gateway" for its own routes
    event_types: EventTypes | None = None
    # The body names an account (`account_id`); a partner may only name its own.
    body_account: bool = False
    # The body's list under this name costs one unit of the rate limit per item.
    counts_items: str | None = None
    # Reached without a key (a link in a mail): no key step, no role, no budget. Reads only.
    public: bool = False
    # A file in or out: its body is CSV (up to the upload limit, not JSON's 1 MiB), and its
    # service gets the bulk read time-out.
    bulk: bool = False

    @cached_property
    def metrics_route(self) -> str:
        """The pattern in the services' own label style: `/api/v1/accounts/<account_id>`."""
        return _PARAM.sub(r"<\1>", self.pattern)


@dataclass(frozen=True)
class Denied:
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None
    allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    rule: Rule
    params: dict[str, str] = field(default_factory=dict)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    parts = _PARAM.split(pattern)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


class RouteTable:
    """The rows compiled once; `match` is a handful of regex tests per request."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = tuple(rules)
        by_pattern: dict[str, dict[str, Rule]] = {}
        for rule in self.rules:
            if rule.roles - set(ROLES):
                raise ValueError(f"unknown role in {rule.method} {rule.pattern}")
            methods = by_pattern.setdefault(rule.pattern, {})
            if rule.method in methods:
                raise ValueError(f"duplicate row {rule.method} {rule.pattern}")
            methods[rule.method] = rule
            if rule.public and rule.method != "GET":
                raise ValueError(f"a public route is a read: {rule.method} {rule.pattern}")
        # Literal segments before parameters: `/accounts/{id}/overview` beats a generic match.
        # Parameters never span a `/`, so only patterns with the path's number of segments can
        # match it: they are grouped by that number, and a request tests only its group.
        ordered = sorted(by_pattern.items(), key=lambda item: -len(_PARAM.sub("", item[0])))
        self._by_depth: dict[int, list[tuple[re.Pattern[str], dict[str, Rule]]]] = {}
        self._public = [compile_pattern(rule.pattern) for rule in self.rules if rule.public]
        for pattern, methods in ordered:
            group = self._by_depth.setdefault(pattern.count("/"), [])
            group.append((compile_pattern(pattern), methods))

    def match(self, method: str, path: str) -> Match | Denied:
        if len(path) > 1:
            path = path.rstrip("/")
        method = "GET" if method == "HEAD" else method
        if "/./" in path + "/" or "/../" in path + "/":
            # A dot segment could be resolved differently upstream than here: refuse it.
            return Denied(404, "No such resource.")
        for regex, methods in self._by_depth.get(path.count("/"), ()):
            found = regex.match(path)
            if found is None:
                continue
            rule = methods.get(method)
            if rule is None:
                return Denied(405, "This method is not allowed here.", allow=tuple(sorted(methods)))
            return Match(rule, found.groupdict())
        return Denied(404, "No such resource.")

    def is_public(self, method: str, path: str) -> bool:
        """Whether the call goes to a keyless route (checked before the key step)."""
        if method not in ("GET", "HEAD") or not self._public:
            return False
        return any(regex.match(path) for regex in self._public)

    def operations(self) -> Iterable[tuple[str, str]]:
        return ((rule.method, rule.pattern) for rule in self.rules)


def authorize(caller: Caller, match: Match) -> Denied | None:
    """Role, then path scope: a partner's foreign account looks exactly like a missing one."""
    rule = match.rule
    if rule.public:
        return None
    if caller.role != ADMIN and caller.role not in rule.roles:
        return Denied(403, f"A {caller.role} key may not call {rule.method} {rule.pattern}.")
    account_id = match.params.get(SCOPED_PARAM)
    if account_id is not None and not caller.may_see(account_id):
        return Denied(404, "Account not found.")
    return None


def needs_body(caller: Caller, rule: Rule) -> bool:
    """Whether the gateway must read the JSON body before forwarding (rare, so kept cheap)."""
    if caller.role == ADMIN:
        return False
    return rule.event_types is not None or (rule.body_account and caller.is_partner)


def check_body(caller: Caller, rule: Rule, body: Any) -> Denied | None:
    """Body rules. Bodies the service will refuse anyway (no `type`, not a list) pass through."""
    if rule.event_types is not None:
        items = _items(body, rule.event_types.batch)
        allowed = rule.event_types.allowed.get(caller.role, frozenset())
        for where, item in items:
            kind = item.get("type")
            if isinstance(kind, str) and kind not in allowed:
                return Denied(
                    403,
                    f"A {caller.role} key may not log {kind!r} events"
                    f" (allowed: {', '.join(sorted(allowed)) or 'none'}).",
                    errors={f"{where}type": [f"{kind!r} events are not allowed for this key."]},
                )
    if rule.body_account and caller.is_partner:
        batch = rule.event_types.batch if rule.event_types else False
        errors: dict[str, list[str]] = {}
        for where, item in _items(body, batch):
            account_id = item.get("account_id")
            # Same words as for an account that does not exist: never reveal existence.
            if isinstance(account_id, str) and not caller.may_see(account_id):
                errors[f"{where}account_id"] = ["No active account with this id."]
        if errors:
            return Denied(422, f"Invalid input: {', '.join(errors)}.", errors=errors)
    return None


def _items(body: Any, batch: bool) -> list[tuple[str, dict[str, Any]]]:
    if not batch:
        return [("", body)] if isinstance(body, dict) else []
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        return []
    return [(f"events.{i}.", item) for i, item in enumerate(events) if isinstance(item, dict)]
