"""The enumerations of the partner contract (API.md, Accounts)."""

TIERS = ("strategic", "key", "standard")
ORIENTATIONS = ("transactional", "relational", "mixed")
ACCOUNT_STATUSES = ("active", "archived")
BUYING_ROLES = (
    "decision_maker",
    "economic_buyer",
    "technical_buyer",
    "influencer",
    "user",
    "gatekeeper",
    "champion",
)
STANCES = ("supporter", "neutral", "detractor", "unknown")
TEAM_ROLES = (
    "account_manager",
    "sales",
    "implementation_engineer",
    "quality_engineer",
    "service_engineer",
    "executive_sponsor",
)
INTERACTION_KINDS = ("meeting", "call", "email", "visit", "review", "other")
ACCOUNT_SORTS = ("name", "-annual_revenue", "-updated_at")
