"""The pure offering rules, with worked examples: bundles, pricing, recommendation, 80/20,
propensity and suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kam_common.errors import Invalid
from kam_offerings.domain.bundles import SegmentSet, build_options, segment_minimum_set
from kam_offerings.domain.catalog import Service, check_commitment, tightest
from kam_offerings.domain.needs import match_needs
from kam_offerings.domain.pareto import ParetoPosition, positions
from kam_offerings.domain.recommend import AccountView, recommend
from kam_offerings.domain.suggestions import (
    cross_sell,
    hold_out,
    popular,
    ranked_lines,
    suppression,
    up_sell,
)

D = Decimal


def svc(code: str, kind: str, price: int, cost: int, **kw) -> Service:
    return Service(id=code, code=code, name=kw.pop("name", code), kind=kind,
                   list_price=D(price), unit_cost=D(cost), **kw)  # fmt: skip


CORE = svc("CORE", "core", 100_000, 70_000, family="core")
CORE_PLUS = svc("CORE-PLUS", "core", 130_000, 85_000, family="core", level=2)
HELP = svc("HELP", "support", 1_000, 600, billing="monthly", name="Help desk",
           value_driver="performance")  # fmt: skip
COST = svc("COST", "value_added", 20_000, 9_000, name="Coordinated cost-reduction programme",
           value_driver="cost_reduction")  # fmt: skip
DEL5 = svc("DEL5", "value_added", 9_000, 4_000, name="Guaranteed delivery (5 days)",
           value_driver="assurance", family="delivery",
           commitment={"max_delivery_delay_days": 5})  # fmt: skip
DEL2 = svc("DEL2", "value_added", 15_000, 6_000, name="Guaranteed delivery (2 days)",
           value_driver="assurance", family="delivery", level=2,
           commitment={"max_delivery_delay_days": 2})  # fmt: skip
PROMO = svc("PROMO", "value_added", 8_000, 5_000, billing="one_time", name="Cooperative promotion",
            value_driver="performance")  # fmt: skip
CATALOG = [CORE, CORE_PLUS, HELP, COST, DEL5, DEL2, PROMO]
NO_HISTORY = SegmentSet(frozenset({"HELP"}), "no history")


def options(needs: list[str], segment_set: SegmentSet = NO_HISTORY) -> dict:
    built = build_options(
        services=CATALOG,
        matched=match_needs(needs, CATALOG),
        segment_set=segment_set,
        bundle_discount=D("0.10"),
    )
    return {o.strategy: o for o in built}


def test_every_option_has_margin_equal_to_price_minus_cost_to_the_cent():
    for option in options(["guaranteed delivery"]).values():
        assert option.margin == option.price - option.cost_to_serve
        assert option.price == option.price.quantize(D("0.01"))


def test_unbundled_is_the_cheapest_core_alone_with_everything_else_optional():
    unbundled = options([])["unbundled"]
    assert [line.service.code for line in unbundled.included] == ["CORE"]
    assert (unbundled.price, unbundled.cost_to_serve) == (D("100000.00"), D("70000.00"))
    assert {line.service.code for line in unbundled.optional} == {"HELP", "COST", "DEL5", "DEL2",
                                                                 "PROMO"}  # fmt: skip


def test_monthly_items_count_twelve_times_and_one_time_items_once():
    lines = {line.service.code: line for line in options([])["unbundled"].lines}
    assert lines["HELP"].price == D("12000.00") and lines["HELP"].cost == D("7200.00")
    assert lines["PROMO"].price == D("8000.00")


def test_collaborative_bundles_the_needed_services_with_the_richest_tier_and_a_discount():
    collaborative = options(["guaranteed delivery", "cost reduction"])["collaborative"]
    included = {line.service.code for line in collaborative.included}
    assert included == {"CORE", "HELP", "COST", "DEL2"}  # DEL2 beats DEL5 in the same family
    # list 100000 + 12000 + 20000 + 15000 = 147000, less 10% = 132300
    assert collaborative.price == D("132300.00")
    assert collaborative.cost_to_serve == D("70000") + D("7200") + D("9000") + D("6000")
    assert "at most 2 days late" in collaborative.rationale


def test_collaborative_without_matching_needs_offers_every_family_at_its_entry_tier():
    included = {line.service.code for line in options(["low price"])["collaborative"].included}
    assert included == {"CORE", "HELP", "COST", "DEL5", "PROMO"}


def test_the_bundle_price_never_falls_below_our_cost():
    thin = [svc("C", "core", 100, 99), svc("V", "value_added", 100, 99, name="Cost reduction")]
    built = build_options(
        services=thin,
        matched=match_needs(["cost reduction"], thin),
        segment_set=SegmentSet(frozenset(), "x"),
        bundle_discount=D("0.5"),
    )
    collaborative = built[1]
    assert collaborative.price == collaborative.cost_to_serve == D("198.00")


def test_flexible_is_core_plus_the_segment_set_with_a_menu_saying_what_each_does():
    flexible = options([], SegmentSet(frozenset({"HELP", "DEL5"}), "learned"))["flexible"]
    assert {line.service.code for line in flexible.included} == {"CORE", "HELP", "DEL5"}
    assert flexible.price == D("121000.00")
    benefits = {line.service.code: line.benefit for line in flexible.optional}
    assert benefits["COST"] == "Cuts the client's costs."
    assert benefits["PROMO"] == "Improves the client's operations."


def test_segment_set_is_learned_from_half_of_the_segments_agreements():
    agreements = [{"CORE", "HELP", "DEL5"}, {"CORE", "HELP"}, {"CORE", "COST"}, {"CORE", "HELP"}]
    found = segment_minimum_set(segment="retail", agreements=agreements, services=CATALOG)
    assert found.service_ids == {"HELP"}  # 3 of 4; DEL5 and COST 1 of 4
    assert "learned from the 4 active agreements in segment retail" in found.explanation


def test_segment_set_falls_back_to_support_services_without_enough_history():
    found = segment_minimum_set(segment="retail", agreements=[{"CORE", "COST"}], services=CATALOG)
    assert found.service_ids == {"HELP"}
    assert "fewer than the 3 needed" in found.explanation


def test_needs_match_services_by_their_words():
    matched = match_needs(["Guaranteed deliveries", "cost reduction", "low price"], CATALOG)
    assert [s.code for s in matched["Guaranteed deliveries"]] == ["DEL5", "DEL2"]
    assert [s.code for s in matched["cost reduction"]] == ["COST"]
    assert matched["low price"] == []


@pytest.mark.parametrize(
    ("commitment", "kind", "field"),
    [
        ({"max_delivery_delay_days": 2}, "support", "commitment"),
        ({"uptime": 99}, "value_added", "commitment.uptime"),
        ({"max_delivery_delay_days": -1}, "value_added", "commitment.max_delivery_delay_days"),
        ({"max_delivery_delay_days": True}, "value_added", "commitment.max_delivery_delay_days"),
    ],
)
def test_bad_commitments_are_refused_naming_the_field(commitment, kind, field):
    with pytest.raises(Invalid) as caught:
        check_commitment(kind, commitment)
    assert field in caught.value.errors


def test_the_tightest_guaranteed_delay_wins():
    assert tightest([{"max_delivery_delay_days": 5}, {}, {"max_delivery_delay_days": 2}]) == {
        "max_delivery_delay_days": 2
    }
    assert tightest([{}, {}]) == {}


def test_pareto_positions_worked_example():
    found = positions({"a": D(600), "b": D(200), "c": D(100), "d": D(60), "e": D(40)})
    assert found["a"].rank == 1 and found["a"].in_top_20_percent and found["a"].vital_few
    assert found["b"].cumulative_share == 0.8 and not found["b"].in_top_20_percent
    assert found["b"].vital_few  # 60% before it: needed to reach 80%
    assert not found["c"].vital_few  # 80% before it
    assert found["e"].cumulative_share == 1.0


def position(top: bool) -> ParetoPosition:
    return ParetoPosition("USD", 1 if top else 5, 5, D(100), D(100), D(500))


def view(
    orientation: str, band: str | None = "healthy", top: bool = False, needs=()
) -> AccountView:
    return AccountView(name="Acme", orientation=orientation, currency="USD",
                       matched_needs=match_needs(list(needs), CATALOG), position=position(top),
                       band=band, band_score=80.0)  # fmt: skip


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (view("transactional"), "unbundled"),
        (view("transactional", top=True, needs=["cost reduction"]), "unbundled"),
        (view("relational"), "collaborative"),
        (view("relational", band=None), "collaborative"),
        (view("relational", band="at_risk"), "flexible"),
        (view("mixed"), "flexible"),
        (view("mixed", top=True, needs=["cost reduction"]), "collaborative"),
        (view("mixed", top=True, needs=["cost reduction"], band=None), "flexible"),
        (view("mixed", top=True, needs=["cost reduction"], band="critical"), "flexible"),
        (view("mixed", top=True, needs=["low price"]), "flexible"),
    ],
)
def test_recommendation_rules(account, expected):
    assert recommend(account)[0] == expected


def test_reasons_name_orientation_needs_revenue_and_health():
    _choice, reasons = recommend(view("relational", band=None, needs=["cost reduction"]))
    text = " ".join(reasons)
    assert "Orientation is relational" in text
    assert "“cost reduction” → Coordinated cost-reduction programme" in text
    assert "80/20" in text and "ranks 5 of 5" in text
    assert "Health band is unknown" in text


def test_cross_sell_propensity_is_what_goes_with_the_lines_held_smoothed_to_popularity():
    similar = {
        "b": {"steel", "coating"},
        "c": {"steel", "coating", "logistics"},
        "d": {"steel"},
        "e": {"textiles"},  # bought with nothing this account holds: not suggested
    }
    found = cross_sell(account_lines={"steel"}, similar=similar, segment="manufacturing")
    # P(coating | steel) = (2 bought both + 1 × 2/4 popularity) / (3 bought steel + 1)
    assert [(s.product_line, s.propensity) for s in found] == [
        ("coating", round(2.5 / 4, 4)),
        ("logistics", round(1.25 / 4, 4)),
    ]
    assert "2 of 3 similar accounts in segment manufacturing that buy steel" in found[0].reason


def test_cross_sell_combines_the_evidence_of_every_line_held():
    similar = {
        "b": {"erp", "analytics"},
        "c": {"training", "analytics"},
        "d": {"training", "security"},
        "e": {"training", "security"},
        "f": {"training", "security"},
    }
    found = cross_sell(account_lines={"erp", "training"}, similar=similar, segment=None)
    # security goes with training alone; analytics with erp and with training: noisy-OR.
    assert [s.product_line for s in found] == ["analytics", "security"]
    assert "and with 1 more of its lines" in found[0].reason
    # The popularity baseline would put the line most accounts bought first.
    assert popular(account_lines={"erp", "training"}, similar=similar)[0] == "security"


def test_hold_out_counts_hidden_last_purchases_found_in_the_top_k():
    from datetime import date

    histories = {
        "a": [(date(2026, 1, 1), "erp"), (date(2026, 2, 1), "analytics")],
        "b": [(date(2026, 1, 1), "erp"), (date(2026, 3, 1), "analytics")],
        "c": [(date(2026, 1, 1), "training")],  # one purchase: nothing to hide
    }
    judged = hold_out(histories, ranked_lines, k=1)
    assert (judged.accounts, judged.hits, judged.rate) == (2, 2, 1.0)


def test_up_sell_offers_higher_levels_of_held_families_with_smoothed_propensity():
    found = up_sell(held=[CORE, DEL5], catalog=CATALOG, peer_levels={"delivery": [2, 1, 2]})
    by_code = {s.catalog_item_id: s for s in found}
    assert set(by_code) == {"DEL2", "CORE-PLUS"}
    assert by_code["DEL2"].propensity == round(3 / 5, 4)  # (2 + 1) / (3 + 2)
    assert by_code["CORE-PLUS"].propensity == 0.5  # no peer history


NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_suppressed_while_unhappy_or_recently_offered():
    assert "at_risk" in suppression(band="at_risk", last_offer_at=None, now=NOW)
    recent = suppression(band="healthy", last_offer_at=NOW - timedelta(days=29), now=NOW)
    assert "within the last 30 days" in recent
    assert suppression(band="watch", last_offer_at=NOW - timedelta(days=31), now=NOW) is None
    assert suppression(band=None, last_offer_at=None, now=NOW) is None
