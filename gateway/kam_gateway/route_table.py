"""THE route table: every public operation, the service behind it and the roles allowed.

`admin` may do everything and is not repeated on each row. A path that is not here is a 404 at
the gateway, so a service's internal endpoints are never reachable from outside. A parameter
named `{account_id}` is checked against a partner key's accounts. See docs/gateway.md.
"""

from __future__ import annotations

from kam_gateway.access import EventTypes, RouteTable, Rule

EXEC, SALES, ENG, PARTNER = "executive", "sales", "engineer", "partner"

ANY_KEY = frozenset({"admin", EXEC, SALES, ENG, PARTNER})
ADMIN_ONLY: frozenset[str] = frozenset()
STAFF = frozenset({EXEC, SALES, ENG})  # read accounts and health
STAFF_AND_PARTNER = STAFF | {PARTNER}
COMMERCIAL = frozenset({EXEC, SALES})  # read offerings (engineers do not)
SALES_ONLY = frozenset({SALES})
EXEC_ONLY = frozenset({EXEC})
PARTNER_ONLY = frozenset({PARTNER})

# Who may log which kind of health event (admin: any).
EVENT_TYPES = {
    SALES: frozenset({"warning"}),
    ENG: frozenset({"delivery", "quality", "support", "warning"}),
    PARTNER: frozenset({"delivery", "support"}),
}
EVENT_LOGGERS = frozenset(EVENT_TYPES)

A = "/api/v1/accounts"
ACC = A + "/{account_id}"
H = "/api/v1/health"
O = "/api/v1/offerings"  # noqa: E741 - reads as the path it stands for
WH = "/api/v1/webhooks"


def _rows() -> list[Rule]:
    acc, hea, off, gw = "accounts", "health", "offerings", "gateway"
    return [
        # The gateway's own operations (kam_gateway/api).
        Rule("GET", "/api/v1/openapi.json", ANY_KEY, gw),
        Rule("POST", "/api/v1/admin/keys", ADMIN_ONLY, gw),
        Rule("GET", "/api/v1/admin/keys", ADMIN_ONLY, gw),
        Rule("DELETE", "/api/v1/admin/keys/{key_id}", ADMIN_ONLY, gw),
        Rule("POST", "/api/v1/admin/users", ADMIN_ONLY, gw),
        Rule("GET", "/api/v1/admin/users", ADMIN_ONLY, gw),
        Rule("PATCH", "/api/v1/admin/users/{user_id}", ADMIN_ONLY, gw),
        Rule("DELETE", "/api/v1/admin/users/{user_id}", ADMIN_ONLY, gw),
        Rule("GET", ACC + "/overview", STAFF_AND_PARTNER, gw),
        # Webhooks: admins manage all, partners their own (the use cases check whose).
        Rule("POST", WH, PARTNER_ONLY, gw),
        Rule("GET", WH, PARTNER_ONLY, gw),
        Rule("GET", WH + "/{webhook_id}", PARTNER_ONLY, gw),
        Rule("PATCH", WH + "/{webhook_id}", PARTNER_ONLY, gw),
        Rule("DELETE", WH + "/{webhook_id}", PARTNER_ONLY, gw),
        Rule("POST", WH + "/{webhook_id}/rotate-secret", PARTNER_ONLY, gw),
        Rule("GET", WH + "/{webhook_id}/deliveries", PARTNER_ONLY, gw),
        Rule("POST", WH + "/{webhook_id}/deliveries/{delivery_id}/retry", PARTNER_ONLY, gw),
        Rule("POST", WH + "/{webhook_id}/test", PARTNER_ONLY, gw),
        # The timeline merges health events and agreements in: partners never see it.
        Rule("GET", ACC + "/timeline", STAFF, gw),
        # Accounts: partners read their own accounts and decision-makers, never our side.
        Rule("GET", A, STAFF_AND_PARTNER, acc),
        Rule("POST", A, SALES_ONLY, acc),
        Rule("GET", ACC, STAFF_AND_PARTNER, acc),
        Rule("PATCH", ACC, SALES_ONLY, acc),
        Rule("DELETE", ACC, SALES_ONLY, acc),
        Rule("GET", ACC + "/contacts", STAFF_AND_PARTNER, acc),
        Rule("POST", ACC + "/contacts", SALES_ONLY, acc),
        Rule("GET", ACC + "/contacts/{contact_id}", STAFF_AND_PARTNER, acc),
        Rule("PATCH", ACC + "/contacts/{contact_id}", SALES_ONLY, acc),
        Rule("DELETE", ACC + "/contacts/{contact_id}", SALES_ONLY, acc),
        Rule("GET", ACC + "/org-chart", STAFF_AND_PARTNER, acc),
        Rule("GET", ACC + "/team", STAFF, acc),
        Rule("POST", ACC + "/team", SALES_ONLY, acc),
        Rule("DELETE", ACC + "/team/{member_id}", SALES_ONLY, acc),
        Rule("GET", ACC + "/interactions", STAFF, acc),
        Rule("POST", ACC + "/interactions", SALES_ONLY, acc),
        Rule("GET", ACC + "/purchases", STAFF, acc),
        Rule("POST", ACC + "/purchases", SALES_ONLY, acc),
        # Health.
        Rule("GET", H + "/events", STAFF, hea),
        Rule(
            "POST",
            H + "/events",
            EVENT_LOGGERS,
            hea,
            event_types=EventTypes(EVENT_TYPES),
            body_account=True,
        ),
        Rule(
            "POST",
            H + "/events/batch",
            EVENT_LOGGERS,
            hea,
            event_types=EventTypes(EVENT_TYPES, batch=True),
            body_account=True,
            counts_items="events",
        ),
        Rule("GET", H + "/events/{event_id}", STAFF, hea),
        # Every event is one of the engineer's four types, so no body rule is needed here.
        Rule("PATCH", H + "/events/{event_id}", frozenset({ENG}), hea),
        Rule("GET", H + "/accounts/{account_id}", STAFF_AND_PARTNER, hea),
        Rule("GET", H + "/accounts/{account_id}/history", STAFF, hea),
        Rule("POST", H + "/accounts/{account_id}/override", EXEC_ONLY, hea),
        Rule("DELETE", H + "/accounts/{account_id}/override", EXEC_ONLY, hea),
        # A partner's portfolio covers its own accounts only (the service reads the scope).
        Rule("GET", H + "/portfolio", STAFF_AND_PARTNER, hea),
        # The scorecard is policy: every internal role reads it, only executives change it.
        Rule("GET", H + "/scorecard", STAFF, hea),
        Rule("PUT", H + "/scorecard", EXEC_ONLY, hea),
        Rule("GET", H + "/scorecard/versions", STAFF, hea),
        Rule("GET", H + "/scorecard/versions/{version}", STAFF, hea),
        Rule("GET", H + "/alerts", STAFF, hea),
        # Acknowledged and resolved by whoever acts on them: executive, sales, engineer.
        Rule("PATCH", H + "/alerts/{alert_id}", STAFF, hea),
        # Offerings: the catalog is priced policy, so only admins change it.
        Rule("GET", O + "/catalog", COMMERCIAL, off),
        Rule("POST", O + "/catalog", ADMIN_ONLY, off),
        Rule("GET", O + "/catalog/{item_id}", COMMERCIAL, off),
        Rule("PATCH", O + "/catalog/{item_id}", ADMIN_ONLY, off),
        Rule("GET", O + "/proposals", COMMERCIAL, off),
        Rule("POST", O + "/proposals", SALES_ONLY, off, body_account=True),
        Rule("GET", O + "/proposals/{proposal_id}", COMMERCIAL, off),
        Rule("POST", O + "/proposals/{proposal_id}/accept", SALES_ONLY, off),
        Rule("GET", O + "/agreements", COMMERCIAL | {PARTNER}, off),
        Rule("GET", O + "/recommendations", COMMERCIAL, off),
        # Customer economics: our costs and margins, never shown to partners.
        Rule("GET", O + "/economics/{account_id}", COMMERCIAL, off),
    ]


ROUTES = RouteTable(_rows())
