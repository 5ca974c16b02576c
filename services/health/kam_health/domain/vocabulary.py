"""The enumerations of the partner contract (API.md, Health)."""

EVENT_TYPES = ("delivery", "quality", "support", "warning")
QUALITY_SEVERITIES = ("minor", "major", "critical")
SUPPORT_SEVERITIES = ("low", "medium", "high", "critical")
WARNING_SEVERITIES = ("low", "medium", "high")
SIGNALS = (
    "market_change",
    "new_competitor",
    "new_technology",
    "cost_pressure",
    "needs_change",
    "champion_left",
    "engagement_drop",
    "other",
)
COMPONENTS = ("delivery", "quality", "support", "commitment")
TIERS = ("strategic", "key", "standard")  # the accounts service's tiers
BANDS = ("healthy", "watch", "at_risk", "critical")  # best first
ALERT_STATUSES = ("open", "acknowledged", "resolved")
