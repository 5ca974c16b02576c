"""The demo's step registry and its story (no services: the order and the data alone)."""

from __future__ import annotations

import pytest

from kam_cli.demo import DEMO, Registry
from kam_cli.demo.registry import load_steps
from kam_cli.demo.scenario import PORTFOLIO, STORIES, check


def noop(_demo: object) -> str:
    return "done"


def test_steps_run_after_the_ones_they_name_whatever_the_order_of_registration() -> None:
    registry = Registry()
    registry.step("plays", after=("health", "accounts"))(noop)
    registry.step("health", after=("accounts",))(noop)
    registry.step("accounts")(noop)
    registry.step("catalog")(noop)
    assert [s.name for s in registry.ordered()] == ["accounts", "catalog", "health", "plays"]


def test_a_step_after_an_unknown_one_or_a_loop_is_refused() -> None:
    registry = Registry()
    registry.step("plays", after=("nope",))(noop)
    with pytest.raises(ValueError, match="unknown"):
        registry.ordered()
    looped = Registry()
    looped.step("a", after=("b",))(noop)
    looped.step("b", after=("a",))(noop)
    with pytest.raises(ValueError, match="loop"):
        looped.ordered()


def test_two_steps_of_one_name_are_refused() -> None:
    registry = Registry()
    registry.step("accounts")(noop)
    with pytest.raises(ValueError, match="twice"):
        registry.step("accounts")(lambda _demo: None)


def test_every_module_of_the_package_registers_its_steps() -> None:
    load_steps()
    names = [step.name for step in DEMO.ordered()]
    assert names.index("accounts") < names.index("contacts") < names.index("health-events")
    assert names.index("agreements") < names.index("health-events") < names.index("alerts")


def test_the_story_is_consistent_and_broad() -> None:
    check()
    assert len(PORTFOLIO) == 40
    assert len({s.segment for s in PORTFOLIO}) >= 4
    assert {s.tier for s in PORTFOLIO} == {"strategic", "key", "standard"}
    assert {s.orientation for s in PORTFOLIO} == {"transactional", "relational", "mixed"}
    assert len({s.currency for s in PORTFOLIO}) >= 2
    signals = {t.signal for s in PORTFOLIO for t in s.events() if t.type == "warning"}
    assert signals == {
        "market_change", "new_competitor", "new_technology", "cost_pressure",
        "needs_change", "champion_left", "engagement_drop", "other",
    }  # fmt: skip
    assert any(p.left_days_ago for s in STORIES for p in s.people)


def test_the_story_reads_the_same_every_time() -> None:
    first = [s.events() for s in PORTFOLIO]
    assert [s.events() for s in PORTFOLIO] == first
