"""The contract's enumerations (API.md, Offerings)."""

from __future__ import annotations

KINDS = ("core", "support", "value_added")
BILLINGS = ("one_time", "monthly", "annual")
VALUE_DRIVERS = ("cost_reduction", "performance", "assurance", "none")
STRATEGIES = ("unbundled", "collaborative", "flexible")
PROPOSAL_STATUSES = ("draft", "accepted", "superseded")
AGREEMENT_STATUSES = ("active", "ended")
# How a relationship turned out when its agreement ended (health learns from them).
OUTCOMES = ("renewed", "expanded", "contracted", "churned")
ORIENTATIONS = ("transactional", "relational", "mixed")
TIERS = ("strategic", "key", "standard")
BANDS = ("healthy", "watch", "at_risk", "critical")
UNHAPPY_BANDS = frozenset({"at_risk", "critical"})
SUGGESTION_KINDS = ("cross_sell", "up_sell")

# Keys a catalog item's `commitment` may carry, each with its allowed integer range.
COMMITMENT_KEYS = {"max_delivery_delay_days": (0, 365)}
