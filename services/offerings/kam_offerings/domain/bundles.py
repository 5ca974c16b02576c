"""The three options of a proposal, and what each costs the client and us.

Every amount is yearly (see `money.PERIODS_PER_YEAR`).

- `unbundled`: the core at its lowest price, nothing else included; every support and
  value-added service is on the list as an optional item priced on its own.
- `collaborative`: the core, the segment's minimum set and the enriched services that fit the
  account's needs (one per family, the richest tier that fits), in one price: their list prices
  less the bundle discount, never below our cost to serve. Everything else stays optional.
- `flexible`: the core plus the segment's minimum set at list prices, and a menu of every other
  service as an optional item, each saying what it saves or improves for the client.

An option's `margin` is always `price - cost_to_serve`, to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from kam_offerings.domain.catalog import Service, commitment_text, tightest
from kam_offerings.domain.money import cents, total


@dataclass(frozen=True)
class Line:
    service: Service
    included: bool

    @property
    def price(self) -> Decimal:
        return self.service.yearly_price

    @property
    def cost(self) -> Decimal:
        return self.service.yearly_cost

    @property
    def benefit(self) -> str:
        return benefit(self.service)


@dataclass(frozen=True)
class Option:
    strategy: str
    lines: tuple[Line, ...]
    price: Decimal
    cost_to_serve: Decimal
    rationale: str

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost_to_serve

    @property
    def included(self) -> list[Line]:
        return [line for line in self.lines if line.included]

    @property
    def optional(self) -> list[Line]:
        return [line for line in self.lines if not line.included]


@dataclass(frozen=True)
class SegmentSet:
    """The services every client of the segment values, and how that was found."""

    service_ids: frozenset[str]
    explanation: str


def benefit(service: Service) -> str:
    if service.kind == "core":
        return "The core offering."
    promise = commitment_text(service.commitment)
    return {
        "cost_reduction": "Cuts the client's costs.",
        "performance": "Improves the client's operations.",
        "assurance": f"Assures the client's supply{': ' + promise if promise else ''}.",
    }.get(service.value_driver, "Supports the core offering.")


def cheapest_core(services: Iterable[Service]) -> Service | None:
    cores = [s for s in services if s.kind == "core"]
    return min(cores, key=lambda s: (s.yearly_price, s.code), default=None)


def _lines(core: Service, services: list[Service], included_ids: set[str]) -> tuple[Line, ...]:
    others = sorted(
        (s for s in services if s.kind != "core"),
        key=lambda s: (s.id not in included_ids, s.kind, s.code),
    )
    return (Line(core, True), *(Line(s, s.id in included_ids) for s in others))


def _names(services: Iterable[Service]) -> str:
    names = [s.name for s in services]
    return ", ".join(names) if names else "nothing"


def one_per_family(services: Iterable[Service], *, richest: bool) -> list[Service]:
    """One tier of each service: an option never holds "Help desk" and "Help desk 24/7" at
    once. `richest` keeps the highest level of each family, else the entry (lowest) one."""
    chosen: dict[str, Service] = {}
    for service in sorted(services, key=lambda s: (s.family_key, s.level, s.code)):
        held = chosen.get(service.family_key)
        if held is None or (richest and service.level > held.level):
            chosen[service.family_key] = service
    return sorted(chosen.values(), key=lambda s: s.code)


def enriched_services(
    services: list[Service], matched: Mapping[str, list[Service]]
) -> tuple[list[Service], bool]:
    """The value-added services for a collaborative bundle, one per family; and whether they
    came from the account's needs (else: every family at its entry tier)."""
    fitting = [s for found in matched.values() for s in found if s.kind == "value_added"]
    from_needs = bool(fitting)
    pool = fitting or [s for s in services if s.kind == "value_added"]
    chosen: dict[str, Service] = {}
    for service in sorted(pool, key=lambda s: (s.family_key, s.level, s.code)):
        held = chosen.get(service.family_key)
        if held is None or (from_needs and service.level > held.level):
            chosen[service.family_key] = service
    return sorted(chosen.values(), key=lambda s: s.code), from_needs


def build_options(
    *,
    services: list[Service],
    matched: Mapping[str, list[Service]],
    segment_set: SegmentSet,
    bundle_discount: Decimal,
) -> list[Option]:
    """The three options from the active catalog. `services` must hold at least one core."""
    core = cheapest_core(services)
    if core is None:
        raise ValueError("no core service")
    non_core = [s for s in services if s.kind != "core"]
    minimum = one_per_family(
        (s for s in non_core if s.id in segment_set.service_ids), richest=False
    )

    unbundled_lines = _lines(core, services, set())
    unbundled = Option(
        "unbundled",
        unbundled_lines,
        core.yearly_price,
        core.yearly_cost,
        f"{core.name} at its lowest price, {core.yearly_price} a year; each of the "
        f"{len(non_core)} other services can be added on its own at its list price. For a "
        "client who buys on price.",
    )

    enriched, from_needs = enriched_services(services, matched)
    # Where the segment's entry tier and a need's richer tier meet, the richer one stays.
    bundle = {s.id: s for s in one_per_family([*minimum, *enriched], richest=True)}
    collaborative_lines = _lines(core, services, set(bundle))
    list_total = total([line.price for line in collaborative_lines if line.included])
    cost = total([line.cost for line in collaborative_lines if line.included])
    price = max(cost, cents(list_total * (1 - bundle_discount)))
    why = "they fit the account's stated needs" if from_needs else "no stated need picked them"
    collaborative = Option(
        "collaborative",
        collaborative_lines,
        price,
        cost,
        f"{core.name} with {_names(bundle.values())} agreed jointly in one price: list "
        f"{list_total} less a {bundle_discount * 100:.0f}% bundle discount, never below our cost "
        f"(enriched services chosen because {why}"
        f"{'' if from_needs else ', so every family is offered at its entry tier'}). "
        f"{_promises(bundle.values())}For a client who builds the relationship with us.",
    )

    flexible_lines = _lines(core, services, {s.id for s in minimum})
    flexible = Option(
        "flexible",
        flexible_lines,
        total([line.price for line in flexible_lines if line.included]),
        total([line.cost for line in flexible_lines if line.included]),
        f"{core.name} with the segment's minimum set ({_names(minimum)}; "
        f"{segment_set.explanation}), plus a menu of {len(non_core) - len(minimum)} optional "
        "services, each saying whether it cuts the client's costs or improves its operations.",
    )
    return [unbundled, collaborative, flexible]


def _promises(services: Iterable[Service]) -> str:
    merged = tightest([s.commitment for s in services])
    if not merged:
        return ""
    return f"Its commitment becomes the agreement's: {commitment_text(merged)}. "


def segment_minimum_set(
    *,
    segment: str | None,
    agreements: list[set[str]],
    services: list[Service],
    min_agreements: int = 3,
    share: float = 0.5,
) -> SegmentSet:
    """The segment's minimum set, learned from the active agreements of its accounts.

    With at least `min_agreements` agreements in the segment, it is every active non-core
    service that at least `share` of them include. With less history than that, it falls back
    to the catalog's support services: what every client needs to run the core.
    """
    candidates = {s.id: s for s in services if s.kind != "core"}
    label = f"segment {segment}" if segment else "accounts without a segment"
    if len(agreements) >= min_agreements:
        needed = share * len(agreements)
        chosen = frozenset(
            service_id
            for service_id in candidates
            if sum(service_id in items for items in agreements) >= needed
        )
        return SegmentSet(
            chosen,
            f"learned from the {len(agreements)} active agreements in {label}: the services "
            f"at least {share:.0%} of them include",
        )
    support = frozenset(sid for sid, s in candidates.items() if s.kind == "support")
    return SegmentSet(
        support,
        f"{label} has {len(agreements)} active agreement{'s' if len(agreements) != 1 else ''}, "
        f"fewer than the {min_agreements} needed to learn from, so the support services stand in",
    )
