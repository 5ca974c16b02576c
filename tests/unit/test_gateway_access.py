"""The route table and access rules, without Flask or a database."""

from __future__ import annotations

import pytest

from kam_gateway.access import (
    Caller,
    Denied,
    EventTypes,
    Match,
    RouteTable,
    Rule,
    authorize,
    check_body,
    needs_body,
)
from kam_gateway.route_table import ROUTES

SALES = Caller("k-sales", "sales")
ENGINEER = Caller("k-eng", "engineer")
EXECUTIVE = Caller("k-exec", "executive")
ADMIN = Caller("k-admin", "admin")
PARTNER = Caller("k-partner", "partner", ("acc-1", "acc-2"))


def decide(caller: Caller, method: str, path: str) -> int | str:
    """The status the gateway answers before forwarding, or the service it forwards to."""
    found = ROUTES.match(method, path)
    if isinstance(found, Denied):
        return found.status
    refusal = authorize(caller, found)
    return refusal.status if refusal else found.rule.service


def test_paths_match_with_their_parameters() -> None:
    found = ROUTES.match("GET", "/api/v1/accounts/acc-1/contacts/c-9")

    assert isinstance(found, Match)
    assert found.rule.pattern == "/api/v1/accounts/{account_id}/contacts/{contact_id}"
    assert found.params == {"account_id": "acc-1", "contact_id": "c-9"}


def test_a_trailing_slash_and_head_match_like_get() -> None:
    assert isinstance(ROUTES.match("GET", "/api/v1/accounts/"), Match)
    assert isinstance(ROUTES.match("HEAD", "/api/v1/accounts/acc-1"), Match)


def test_literal_segments_win_over_parameters() -> None:
    batch = ROUTES.match("POST", "/api/v1/health/events/batch")
    overview = ROUTES.match("GET", "/api/v1/accounts/acc-1/overview")

    assert isinstance(batch, Match) and batch.rule.pattern.endswith("/batch")
    assert isinstance(overview, Match) and overview.rule.service == "gateway"
    # GET on the batch path is not "read the event called batch".
    assert ROUTES.match("GET", "/api/v1/health/events/batch") == Denied(
        405, "This method is not allowed here.", allow=("POST",)
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/unknown",
        "/api/v1/accounts/acc-1/secrets",
        "/api/v1/accounts/acc-1/contacts/c-1/extra",
        "/api/v1/accounts/../admin/keys",
        "/api/v1/internal/accounts/acc-1",
        "/api/v1",
    ],
)
def test_paths_outside_the_table_are_404(path: str) -> None:
    assert decide(ADMIN, "GET", path) == 404


def test_a_known_path_with_another_method_is_405_listing_the_allowed_ones() -> None:
    found = ROUTES.match("DELETE", "/api/v1/health/scorecard")

    assert isinstance(found, Denied)
    assert (found.status, found.allow) == (405, ("GET", "PUT"))


@pytest.mark.parametrize(
    ("caller", "method", "path", "expected"),
    [
        # admin: everything, including keys and the scorecard
        (ADMIN, "POST", "/api/v1/admin/keys", "gateway"),
        (ADMIN, "PUT", "/api/v1/health/scorecard", "health"),
        (ADMIN, "PATCH", "/api/v1/offerings/catalog/i-1", "offerings"),
        # executive: reads everything, overrides, the scorecard
        (EXECUTIVE, "GET", "/api/v1/offerings/recommendations", "offerings"),
        (EXECUTIVE, "POST", "/api/v1/health/accounts/acc-1/override", "health"),
        (EXECUTIVE, "PUT", "/api/v1/health/scorecard", "health"),
        (EXECUTIVE, "PATCH", "/api/v1/accounts/acc-1", 403),
        (EXECUTIVE, "POST", "/api/v1/health/events", 403),
        (EXECUTIVE, "GET", "/api/v1/admin/keys", 403),
        # sales: reads everything, writes the relationship and commercial records
        (SALES, "POST", "/api/v1/accounts", "accounts"),
        (SALES, "DELETE", "/api/v1/accounts/acc-1/contacts/c-1", "accounts"),
        (SALES, "DELETE", "/api/v1/accounts/acc-1/team/m-1", "accounts"),
        (SALES, "POST", "/api/v1/accounts/acc-1/purchases", "accounts"),
        (SALES, "POST", "/api/v1/offerings/proposals", "offerings"),
        (SALES, "POST", "/api/v1/offerings/proposals/p-1/accept", "offerings"),
        (SALES, "POST", "/api/v1/health/events", "health"),
        (SALES, "POST", "/api/v1/offerings/catalog", 403),
        (SALES, "PUT", "/api/v1/health/scorecard", 403),
        # the scorecard is readable by every internal role; only executives change it
        (SALES, "GET", "/api/v1/health/scorecard", "health"),
        (ENGINEER, "GET", "/api/v1/health/scorecard", "health"),
        (EXECUTIVE, "GET", "/api/v1/health/scorecard", "health"),
        (ENGINEER, "PUT", "/api/v1/health/scorecard", 403),
        (PARTNER, "GET", "/api/v1/health/scorecard", 403),
        # alerts are acknowledged and resolved by executive, sales and engineer
        (EXECUTIVE, "PATCH", "/api/v1/health/alerts/a-1", "health"),
        (PARTNER, "PATCH", "/api/v1/health/alerts/a-1", 403),
        (SALES, "POST", "/api/v1/health/accounts/acc-1/override", 403),
        (SALES, "PATCH", "/api/v1/health/alerts/a-1", "health"),
        # engineer: accounts and health, not offerings
        (ENGINEER, "GET", "/api/v1/accounts/acc-1/timeline", "gateway"),
        (ENGINEER, "PATCH", "/api/v1/health/events/e-1", "health"),
        (ENGINEER, "PATCH", "/api/v1/health/alerts/a-1", "health"),
        (ENGINEER, "GET", "/api/v1/offerings/agreements", 403),
        (ENGINEER, "POST", "/api/v1/accounts", 403),
        # partner: its own accounts only, and only what it may read
        (PARTNER, "GET", "/api/v1/accounts", "accounts"),
        (PARTNER, "GET", "/api/v1/accounts/acc-1", "accounts"),
        (PARTNER, "GET", "/api/v1/accounts/acc-2/org-chart", "accounts"),
        (PARTNER, "GET", "/api/v1/accounts/acc-1/contacts/c-1", "accounts"),
        (PARTNER, "GET", "/api/v1/health/accounts/acc-1", "health"),
        (PARTNER, "GET", "/api/v1/offerings/agreements", "offerings"),
        (PARTNER, "GET", "/api/v1/health/portfolio", "health"),  # of its own accounts
        (PARTNER, "GET", "/api/v1/accounts/acc-1/overview", "gateway"),
        (PARTNER, "GET", "/api/v1/accounts/acc-3", 404),
        (PARTNER, "GET", "/api/v1/health/accounts/acc-3", 404),
        (PARTNER, "GET", "/api/v1/accounts/acc-1/team", 403),
        (PARTNER, "GET", "/api/v1/accounts/acc-1/interactions", 403),
        (PARTNER, "GET", "/api/v1/health/accounts/acc-1/history", 403),
        (PARTNER, "GET", "/api/v1/offerings/proposals", 403),
        (PARTNER, "PATCH", "/api/v1/accounts/acc-1", 403),
        (PARTNER, "GET", "/api/v1/openapi.json", "gateway"),
    ],
)
def test_role_table_rows(caller: Caller, method: str, path: str, expected: int | str) -> None:
    assert decide(caller, method, path) == expected


def test_every_row_names_a_known_service_and_only_admin_touches_keys() -> None:
    services = {"accounts", "offerings", "health", "plays", "gateway"}
    for rule in ROUTES.rules:
        assert rule.service in services
        if rule.pattern.startswith("/api/v1/admin"):
            assert rule.roles == frozenset()


def test_the_table_refuses_duplicates_and_unknown_roles() -> None:
    row = Rule("GET", "/x", frozenset({"sales"}), "accounts")
    with pytest.raises(ValueError, match="duplicate"):
        RouteTable([row, row])
    with pytest.raises(ValueError, match="unknown role"):
        RouteTable([Rule("GET", "/x", frozenset({"root"}), "accounts")])


def _rule(method: str, path: str) -> Rule:
    found = ROUTES.match(method, path)
    assert isinstance(found, Match)
    return found.rule


EVENTS = _rule("POST", "/api/v1/health/events")
BATCH = _rule("POST", "/api/v1/health/events/batch")
PROPOSALS = _rule("POST", "/api/v1/offerings/proposals")


@pytest.mark.parametrize(
    ("caller", "allowed", "refused"),
    [
        (SALES, {"warning"}, {"delivery", "quality", "support"}),
        (ENGINEER, {"delivery", "quality", "support", "warning"}, set()),
        (PARTNER, {"delivery", "support"}, {"quality", "warning"}),
        (ADMIN, {"delivery", "quality", "support", "warning"}, set()),
    ],
)
def test_event_types_per_role(caller: Caller, allowed: set[str], refused: set[str]) -> None:
    for kind in allowed:
        body = {"type": kind, "account_id": "acc-1"}
        assert not needs_body(caller, EVENTS) or check_body(caller, EVENTS, body) is None
    for kind in refused:
        denied = check_body(caller, EVENTS, {"type": kind, "account_id": "acc-1"})
        assert denied is not None and denied.status == 403
        assert denied.errors == {"type": [f"{kind!r} events are not allowed for this key."]}


def test_batch_rules_name_the_offending_index() -> None:
    body = {"events": [{"type": "warning"}, {"type": "warning"}, {"type": "delivery"}]}

    denied = check_body(SALES, BATCH, body)

    assert denied is not None and denied.status == 403
    assert list(denied.errors or {}) == ["events.2.type"]


def test_bodies_the_service_will_refuse_are_left_to_it() -> None:
    for body in (None, [], {"note": "no type"}, {"type": 7}, {"events": "nope"}):
        assert check_body(SALES, EVENTS, body) is None
        assert check_body(SALES, BATCH, body) is None


def test_partners_may_only_name_their_own_accounts_in_bodies() -> None:
    foreign = check_body(PARTNER, EVENTS, {"type": "delivery", "account_id": "acc-9"})
    batch = check_body(
        PARTNER,
        BATCH,
        {
            "events": [
                {"type": "support", "account_id": "acc-1"},
                {"type": "support", "account_id": "acc-9"},
            ]
        },
    )

    assert foreign is not None and foreign.status == 422
    assert foreign.errors == {"account_id": ["No active account with this id."]}
    assert batch is not None and list(batch.errors or {}) == ["events.1.account_id"]
    assert check_body(PARTNER, EVENTS, {"type": "delivery", "account_id": "acc-2"}) is None
    assert needs_body(PARTNER, PROPOSALS) and not needs_body(SALES, PROPOSALS)
    assert check_body(PARTNER, PROPOSALS, {"account_id": "acc-9"}) is not None


def test_only_rows_with_body_rules_make_the_gateway_read_bodies() -> None:
    assert not needs_body(SALES, _rule("POST", "/api/v1/accounts"))
    assert not needs_body(ADMIN, EVENTS)
    assert needs_body(ENGINEER, BATCH)


def test_event_types_rule_without_an_entry_allows_nothing() -> None:
    rule = Rule(
        "POST",
        "/e",
        frozenset({"executive"}),
        "health",
        event_types=EventTypes({}),
    )
    denied = check_body(EXECUTIVE, rule, {"type": "warning"})
    assert denied is not None and "allowed: none" in denied.detail


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        ("sales", "GET", "/api/v1/triggers", True),
        ("sales", "POST", "/api/v1/triggers", False),
        ("executive", "PATCH", "/api/v1/triggers/t-1", True),
        ("engineer", "GET", "/api/v1/triggers/t-1/firings", False),
        ("engineer", "PATCH", "/api/v1/tasks/k-1", True),
        ("engineer", "POST", "/api/v1/tasks", True),
        ("partner", "GET", "/api/v1/tasks", False),
    ],
)
def test_plays_routes_follow_the_role_table(
    role: str, method: str, path: str, allowed: bool
) -> None:
    match = ROUTES.match(method, path)
    assert not isinstance(match, Denied) and match.rule.service == "plays"
    refusal = authorize(Caller("k", role, ("a-1",)), match)
    assert (refusal is None) is allowed
