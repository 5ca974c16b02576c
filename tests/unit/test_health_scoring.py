"""The health formula on worked examples (the README's numbers)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from kam_common.errors import Invalid
from kam_health.domain import points as pts
from kam_health.domain.score import compute
from kam_health.domain.scorecard import Scorecard, validate_scorecard
from kam_health.domain.tally import AccountFacts, DepartedContact, EventFacts, tally_events

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
CARD = Scorecard()


def score(events, account=None, card=CARD):
    account = account or AccountFacts(created_at=NOW - timedelta(days=365), last_contact_at=NOW)
    window = pts.Window(NOW, card.window_days, card.half_life_days)
    return compute(tally_events(events, account, window), card, account.breach_limit_days)


def days_ago(n):
    return NOW - timedelta(days=n)


def on(n):
    return TODAY - timedelta(days=n)


def test_a_new_account_is_healthy_and_says_there_is_no_evidence_yet():
    result = score([], AccountFacts(created_at=NOW))
    assert result.score == 100.0 and result.band == "healthy"
    assert result.drivers == []
    for component in result.components.values():
        assert component["evidence"][0].startswith("No evidence yet")


def test_contributions_add_up_to_the_score_and_weights_to_one():
    result = score([EventFacts("quality", days_ago(0), severity="major")])
    assert sum(c["weight"] for c in result.components.values()) == pytest.approx(1.0)
    assert sum(c["contribution"] for c in result.components.values()) == pytest.approx(result.score)
    for c in result.components.values():
        assert c["contribution"] == round(c["weight"] * c["score"], 2)


def test_worked_example_one_late_delivery_today():
    # 4 days late, logged today (age 0, weight 1): 15 + 4×4 = 31 points → delivery 69.
    result = score([EventFacts("delivery", days_ago(0), promised_on=on(4), delivered_on=on(0))])
    assert result.components["delivery"]["score"] == 69.0
    # 0.30×69 + 0.25×100 + 0.20×100 + 0.25×100 = 90.7
    assert result.score == 90.7
    assert result.components["delivery"]["evidence"] == [
        "1 of 1 delivery late in the last 180 days, 4 days late on average."
    ]
    assert result.drivers[0]["component"] == "delivery"
    assert result.drivers[0]["points_lost"] == 9.3


def test_age_halves_the_weight_every_half_life():
    # A resolved major issue 60 days old weighs 0.5: 15 × 0.5 = 7.5 points.
    result = score(
        [EventFacts("quality", days_ago(60), severity="major", resolved_at=days_ago(59))]
    )
    assert result.components["quality"]["score"] == 92.5


def test_outside_the_window_only_live_trouble_counts():
    old_resolved = EventFacts(
        "quality", days_ago(200), severity="critical", resolved_at=days_ago(199)
    )
    assert score([old_resolved]).components["quality"]["score"] == 100.0
    old_open = EventFacts("quality", days_ago(200), severity="critical")
    # unresolved: 50 × 1.5 = 75 at full weight, whatever its age
    assert score([old_open]).components["quality"]["score"] == 25.0


def test_outstanding_delivery_is_late_as_of_today_and_future_promises_do_not_count():
    late = EventFacts("delivery", days_ago(10), promised_on=on(3))
    not_due = EventFacts("delivery", days_ago(1), promised_on=TODAY + timedelta(days=5))
    result = score([late, not_due])
    assert result.components["delivery"]["score"] == 100 - (15 + 4 * 3)
    assert (
        "1 delivery still outstanding past the promised date."
        in (result.components["delivery"]["evidence"])
    )


def test_breaking_a_guaranteed_delay_weighs_more_than_an_ordinary_delay():
    late = [EventFacts("delivery", days_ago(0), promised_on=on(4), delivered_on=on(0))]
    ordinary = score(late)
    guaranteed = score(
        late, AccountFacts(created_at=days_ago(365), last_contact_at=NOW, breach_limit_days=2)
    )
    assert guaranteed.components["delivery"]["score"] == 100 - 2 * 31
    assert guaranteed.score < ordinary.score
    assert any(
        "guaranteed 2-day delay" in line for line in guaranteed.components["delivery"]["evidence"]
    )


def test_support_open_severe_and_sla_breach():
    # high, open, opened 10 h ago with an 8 h SLA: 12 × 2 + 10 = 34 → support 66
    ticket = EventFacts("support", NOW - timedelta(hours=10), severity="high")
    result = score([ticket])
    assert result.components["support"]["score"] == 66.0
    assert result.components["support"]["evidence"] == [
        "1 support ticket in the last 180 days: 1 high or critical still open, 1 past the SLA."
    ]
    quick = EventFacts(
        "support",
        days_ago(0),
        severity="low",
        sla_hours=4,
        opened_at=NOW - timedelta(hours=2),
        resolved_at=NOW - timedelta(hours=1),
    )
    assert score([quick]).components["support"]["score"] == 98.0


def test_commitment_warnings_departures_and_overdue_contact():
    account = AccountFacts(
        created_at=days_ago(400),
        last_contact_at=days_ago(45),
        cadence_days=30,
        departed=(DepartedContact("Mina", "champion", on(0)),),
    )
    warning = EventFacts("warning", days_ago(0), signal="new_competitor", severity="high")
    result = score([warning], account)
    # 40 (high warning, age 0) + 25 (champion left at midnight, half a day ago)
    # + 10 + 15 (15 days overdue, not decayed)
    expected = 100 - (40 + 25 * 0.5 ** (0.5 / 60) + 10 + 15)
    assert result.components["commitment"]["score"] == round(expected, 1) == 10.1
    evidence = result.components["commitment"]["evidence"]
    assert "1 warning sign in the last 180 days: new competitor (1 high)." in evidence
    assert "Mina (champion) left on 2026-11-23." in evidence
    assert "No contact for 45 days, 15 past the 30-day cadence." in evidence


def test_the_troubled_account_of_the_issue_falls_to_at_risk():
    events = [
        EventFacts("delivery", days_ago(10), promised_on=on(15), delivered_on=on(10)),
        EventFacts("delivery", days_ago(5), promised_on=on(9), delivered_on=on(5)),
        EventFacts("delivery", days_ago(20), promised_on=on(20), delivered_on=on(20)),
        EventFacts("quality", days_ago(3), severity="critical"),
        EventFacts("support", days_ago(2), severity="high"),
        EventFacts("warning", days_ago(1), signal="new_competitor", severity="medium"),
    ]
    result = score(events)
    assert result.band in ("at_risk", "critical")
    named = " ".join(line for c in result.components.values() for line in c["evidence"])
    for cause in ("late", "critical", "still open", "new competitor"):
        assert cause in named
    assert [d["component"] for d in result.drivers][:2] == ["quality", "delivery"]


def test_bands_follow_the_thresholds():
    assert [CARD.band(s) for s in (100, 75, 74.99, 55, 54.9, 35, 34.9, 0)] == [
        "healthy",
        "healthy",
        "watch",
        "watch",
        "at_risk",
        "at_risk",
        "critical",
        "critical",
    ]


@pytest.mark.parametrize(
    ("weights", "thresholds"),
    [
        (
            {"delivery": 0.5, "quality": 0.5, "support": 0.0},
            {"healthy": 75, "watch": 55, "at_risk": 35},
        ),
        (
            {"delivery": 0.5, "quality": 0.5, "support": 0.1, "commitment": 0.1},
            {"healthy": 75, "watch": 55, "at_risk": 35},
        ),
        (
            {"delivery": 0.25, "quality": 0.25, "support": 0.25, "commitment": 0.25},
            {"healthy": 50, "watch": 55, "at_risk": 35},
        ),
    ],
)
def test_scorecard_validation(weights, thresholds):
    with pytest.raises(Invalid):
        validate_scorecard({"weights": weights, "thresholds": thresholds})


def test_days_between_counts_calendar_days():
    assert pts.days_between(date(2026, 1, 30), date(2026, 2, 2)) == 3


def test_the_fingerprint_changes_exactly_when_the_score_or_its_sentences_would():
    from kam_health.domain.score import fingerprint

    events = [EventFacts("quality", days_ago(10), severity="major", resolved_at=days_ago(9))]
    account = AccountFacts(created_at=days_ago(365), last_contact_at=days_ago(3))

    def print_at(now, account=account, events=events, card=CARD):
        window = pts.Window(now, card.window_days, card.half_life_days)
        return fingerprint(tally_events(events, account, window), card, account.breach_limit_days)

    base = print_at(NOW)
    assert print_at(NOW + timedelta(minutes=5)) == base  # decay too small to move a 0.1
    assert print_at(NOW + timedelta(days=2)) != base  # the score and "3 days ago" moved
    assert print_at(NOW, card=Scorecard(version=2)) != base
    more = [*events, EventFacts("warning", days_ago(1), signal="other", severity="low")]
    assert print_at(NOW, events=more) != base
