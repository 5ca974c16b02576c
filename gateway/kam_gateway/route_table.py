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
# Plays: the account team works its tasks; triggers are policy that executives write.
TASK_WORKERS = frozenset({EXEC, SALES, ENG})
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
T = "/api/v1/triggers"
K = "/api/v1/tasks"
C = "/api/v1/campaigns"
WH = "/api/v1/webhooks"
AUDIT = "/api/v1/audit"
EX = "/api/v1/exports"


def _rows() -> list[Rule]:
    acc, hea, off, pla, gw = "accounts", "health", "offerings", "plays", "gateway"
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
        # A client group with its health roll-up (partners: their accounts of it).
        Rule("GET", ACC + "/group", STAFF_AND_PARTNER, gw),
        # The audit trail of every service (and the gateway's own), merged: who changed what.
        Rule("GET", AUDIT, EXEC_ONLY, gw),
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
        # Plays keeps the coverage map and the touches (they are about the same people).
        Rule("GET", ACC + "/coverage", STAFF, pla),
        Rule("POST", ACC + "/coverage", SALES_ONLY, pla),
        Rule("DELETE", ACC + "/coverage/{link_id}", SALES_ONLY, pla),
        Rule("GET", ACC + "/contacts/{contact_id}/touches", STAFF_AND_PARTNER, pla),
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
        # Outcomes: the account team records them; judging and fitting the scorecard is policy.
        Rule("GET", H + "/outcomes", COMMERCIAL, hea),
        Rule("POST", H + "/outcomes", COMMERCIAL, hea, body_account=True),
        Rule("GET", H + "/scorecard/backtest", EXEC_ONLY, hea),
        Rule("POST", H + "/scorecard/proposals", EXEC_ONLY, hea),
        Rule("GET", H + "/scorecard/proposals/{proposal_id}", EXEC_ONLY, hea),
        Rule("POST", H + "/scorecard/proposals/{proposal_id}/adopt", EXEC_ONLY, hea),
        Rule("GET", H + "/scorecards/{segment}", EXEC_ONLY, hea),
        Rule("PUT", H + "/scorecards/{segment}", EXEC_ONLY, hea),
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
        Rule("GET", O + "/agreements/{agreement_id}", COMMERCIAL | {PARTNER}, off),
        Rule("POST", O + "/agreements/{agreement_id}/end", SALES_ONLY, off),
        Rule("GET", O + "/recommendations", COMMERCIAL, off),
        # Customer economics: our costs and margins, never shown to partners.
        Rule("GET", O + "/economics", COMMERCIAL, off),
        Rule("GET", O + "/economics/{account_id}", COMMERCIAL, off),
        # Plays: triggers (sales read them), their firings, and the team's tasks.
        Rule("GET", T, COMMERCIAL, pla),
        Rule("POST", T, EXEC_ONLY, pla),
        Rule("GET", T + "/{trigger_id}", COMMERCIAL, pla),
        Rule("PATCH", T + "/{trigger_id}", EXEC_ONLY, pla),
        Rule("DELETE", T + "/{trigger_id}", EXEC_ONLY, pla),
        Rule("GET", T + "/{trigger_id}/firings", COMMERCIAL, pla),
        Rule("GET", K, TASK_WORKERS, pla),
        Rule("POST", K, TASK_WORKERS, pla),
        Rule("GET", K + "/{task_id}", TASK_WORKERS, pla),
        Rule("PATCH", K + "/{task_id}", TASK_WORKERS, pla),
        # Campaigns: written and sent by sales and executives.
        Rule("GET", C, COMMERCIAL, pla),
        Rule("POST", C, COMMERCIAL, pla),
        Rule("GET", C + "/{campaign_id}", COMMERCIAL, pla),
        Rule("POST", C + "/{campaign_id}/send", COMMERCIAL, pla),
        Rule("GET", ACC + "/campaigns", COMMERCIAL, pla),
        # A campaign's tracking links, followed from the mail by its recipient: no key. The
        # token is signed per recipient; an altered one is a 404 that records nothing.
        Rule("GET", "/t/o/{token}", ADMIN_ONLY, pla, public=True),
        Rule("GET", "/t/c/{token}", ADMIN_ONLY, pla, public=True),
        Rule("GET", "/t/u/{token}", ADMIN_ONLY, pla, public=True),
        # CSV in and out. The gateway sends an import to the service that owns its `kind`
        # (engineers import events only); an export is read by whoever may list its kind.
        Rule("POST", "/api/v1/imports", SALES_ONLY | {ENG}, gw, bulk=True),
        Rule("GET", "/api/v1/imports/{import_id}", SALES_ONLY | {ENG}, gw),
        Rule("POST", "/api/v1/imports/{import_id}/apply", SALES_ONLY | {ENG}, gw),
        Rule("GET", EX + "/accounts.csv", STAFF_AND_PARTNER, acc, bulk=True),
        Rule("GET", EX + "/contacts.csv", STAFF_AND_PARTNER, acc, bulk=True),
        Rule("GET", EX + "/purchases.csv", STAFF, acc, bulk=True),
        Rule("GET", EX + "/events.csv", STAFF, hea, bulk=True),
        # Exchange rates: admin's alone (a converted figure names its rate and date anyway).
        Rule("GET", "/api/v1/admin/exchange-rates", ADMIN_ONLY, off),
        Rule("PUT", "/api/v1/admin/exchange-rates", ADMIN_ONLY, off),
    ]


ROUTES = RouteTable(_rows())
