"""Trigger conditions and the contact-pressure rule, on plain facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from kam_common.errors import Invalid
from kam_plays.domain import pressure
from kam_plays.domain.triggers import (
    AccountState,
    Departed,
    OpenEvent,
    Purchase,
    causes,
    check_can_fire,
    fires_everywhere_by_definition,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def state(**facts) -> AccountState:
    return AccountState(account_id="a", name="A", created_at=NOW - timedelta(days=400), **facts)


def test_each_departed_person_of_a_role_is_a_cause_of_its_own():
    account = state(
        departed=[
            Departed("c1", "Ana", "champion", date(2026, 5, 1)),
            Departed("c2", "Bo", "user", date(2026, 5, 2)),
            Departed("c3", "Cy", "champion", None),
        ]
    )
    found = causes({"contact_left": {"buying_roles": ["champion"]}}, account, NOW)
    assert set(found) == {"contact:c1", "contact:c3"}
    assert found["contact:c1"]["left_on"] == "2026-05-01"


def test_purchases_count_inside_the_window_and_over_the_amount_only():
    account = state(
        purchases=[
            Purchase("Valves", Decimal("600"), date(2026, 5, 20)),
            Purchase("valves", Decimal("500"), date(2026, 4, 1)),
            Purchase("Valves", Decimal("900"), date(2025, 1, 1)),  # outside 90 days
            Purchase("Pumps", Decimal("5000"), date(2026, 5, 20)),
        ]
    )
    when = {"purchases_over": {"product_line": "VALVES", "amount": 1000, "days": 90}}
    assert causes(when, account, NOW)["purchases:valves"]["total"] == 1100
    when["purchases_over"]["amount"] = 1100
    assert causes(when, account, NOW) == {}  # over, not equal


def test_no_contact_counts_the_cadence_plus_the_days_past_it():
    when = {"no_contact_for": {"days_past_cadence": 5}}
    assert causes(when, state(cadence_days=10, last_contact_at=NOW - timedelta(days=15)), NOW) == {}
    late = causes(when, state(cadence_days=10, last_contact_at=NOW - timedelta(days=16)), NOW)
    assert late["no_contact"]["days_past_cadence"] == 6


def test_renewal_within_the_days_and_not_once_past():
    when = {"renewal_within": {"days": 30}}
    assert causes(when, state(renewal_on=date(2026, 6, 20)), NOW)
    assert causes(when, state(renewal_on=date(2026, 8, 20)), NOW) == {}
    assert causes(when, state(renewal_on=date(2026, 5, 20)), NOW) == {}


def test_open_events_of_the_type_and_severity_and_recent_warnings():
    events = [
        OpenEvent("e1", "quality", "critical", NOW - timedelta(days=2)),
        OpenEvent("e2", "quality", "minor", NOW),
        OpenEvent("w1", "warning", "high", NOW - timedelta(days=31)),
        OpenEvent("w2", "warning", "high", NOW - timedelta(days=3)),
    ]
    account = state(events=events)
    assert set(
        causes({"event_logged": {"type": "quality", "severity": "critical"}}, account, NOW)
    ) == {"event:e1"}
    assert set(causes({"event_logged": {"type": "warning"}}, account, NOW)) == {"event:w2"}


def test_scope_and_status_narrow_every_condition():
    when = {"band_entered": ["watch"], "tier": "strategic"}
    assert causes(when, state(band="watch", tier="strategic"), NOW)
    assert causes(when, state(band="watch", tier="key"), NOW) == {}
    assert causes(when, state(band="watch", tier="strategic", status="archived"), NOW) == {}
    below = {"component_below": {"component": "delivery", "score": 50}}
    assert causes(below, state(components={"delivery": 49.5}), NOW)
    assert causes(below, state(components={"delivery": 50}), NOW) == {}


@pytest.mark.parametrize(
    "when",
    [
        {"band_entered": []},
        {"component_below": {"component": "quality", "score": 0}},
        {"contact_left": {"buying_roles": []}},
        {"event_logged": {"type": "delivery", "severity": "minor"}},
        {"event_logged": {"type": "warning", "severity": "critical"}},
    ],
)
def test_conditions_that_can_never_hold_are_refused(when):
    with pytest.raises(Invalid):
        check_can_fire(when)


def test_every_band_holds_everywhere():
    assert fires_everywhere_by_definition(
        {"band_entered": ["healthy", "watch", "at_risk", "critical"]}
    )
    assert not fires_everywhere_by_definition({"band_entered": ["at_risk", "critical"]})


def test_the_pressure_rule_holds_back_unhappy_and_recently_solicited_accounts_and_people():
    rule = pressure.person_restraint
    common = {"unsubscribed": False, "has_email": True, "now": NOW, "last_offer_at": None}
    assert rule(promotional=True, band="healthy", last_solicited_at=None, **common) is None
    assert rule(promotional=True, band="at_risk", last_solicited_at=None, **common).code == (
        "account_unhappy"
    )
    recent = NOW - timedelta(days=29)
    assert rule(promotional=True, band="watch", last_solicited_at=recent, **common).code == (
        "recently_solicited"
    )
    assert rule(promotional=False, band="critical", last_solicited_at=recent, **common) is None
    offered = {**common, "last_offer_at": NOW - timedelta(days=3)}
    assert rule(promotional=True, band=None, last_solicited_at=None, **offered).code == (
        "account_recently_solicited"
    )
    gone = {**common, "unsubscribed": True}
    assert rule(promotional=False, band=None, last_solicited_at=None, **gone).code == "unsubscribed"
    old = NOW - timedelta(days=31)
    assert rule(promotional=True, band="healthy", last_solicited_at=old, **common) is None
