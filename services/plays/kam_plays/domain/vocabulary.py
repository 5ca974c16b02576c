"""The enumerations plays works with (API.md: Accounts, Health, Plays)."""

BANDS = ("healthy", "watch", "at_risk", "critical")  # best first
UNHAPPY_BANDS = ("at_risk", "critical")
COMPONENTS = ("delivery", "quality", "support", "commitment")
# What `component_below` may name: health's four components, and plays' own coverage score.
TRIGGER_COMPONENTS = (*COMPONENTS, "coverage")
TIERS = ("strategic", "key", "standard")
BUYING_ROLES = (
    "decision_maker",
    "economic_buyer",
    "technical_buyer",
    "influencer",
    "user",
    "gatekeeper",
    "champion",
)
TEAM_ROLES = (
    "account_manager",
    "sales",
    "implementation_engineer",
    "quality_engineer",
    "service_engineer",
    "executive_sponsor",
)
EVENT_TYPES = ("delivery", "quality", "support", "warning")
SEVERITIES = {
    "delivery": (),
    "quality": ("minor", "major", "critical"),
    "support": ("low", "medium", "high", "critical"),
    "warning": ("low", "medium", "high"),
}
TASK_STATUSES = ("open", "done", "dismissed")
TASK_SOURCES = ("trigger", "alert", "manual")

CONDITIONS = (
    "band_entered",
    "component_below",
    "purchases_over",
    "renewal_within",
    "contact_left",
    "no_contact_for",
    "event_logged",
)
# Conditions that time alone can make true or false: evaluated on the worker's schedule too.
TIME_BASED = frozenset({"renewal_within", "no_contact_for", "purchases_over", "event_logged"})
ACTIONS = ("create_task", "raise_alert", "suggest")

# The kind of touch a campaign e-mail that reached a person leaves (beside interaction kinds).
CAMPAIGN_TOUCH = "campaign_email"
