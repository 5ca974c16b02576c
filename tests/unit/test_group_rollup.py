"""The group roll-up: worst band and revenue-weighted score, never adding currencies."""

from __future__ import annotations

from kam_gateway.groups import health_rollup


def member(id_: str, revenue: float, currency: str = "USD", status: str = "active") -> dict:
    return {"id": id_, "annual_revenue": revenue, "currency": currency, "status": status}


def test_the_score_is_weighted_by_revenue_and_the_worst_band_wins() -> None:
    members = [member("a", 900), member("b", 100), member("c", 5000, status="archived")]
    scores = {
        "a": {"score": 80.0, "band": "healthy"},
        "b": {"score": 30.0, "band": "critical"},
        "c": {"score": 10.0, "band": "critical"},
    }
    rollup = health_rollup(members, scores, None)
    assert rollup == {"worst_band": "critical", "revenue_weighted_score": 75.0}


def test_several_currencies_are_converted_with_the_named_rates_or_not_at_all() -> None:
    members = [member("a", 100, "EUR"), member("b", 100, "USD")]
    scores = {"a": {"score": 90.0, "band": "healthy"}, "b": {"score": 60.0, "band": "watch"}}
    rates = {"base": "USD", "rates": [{"currency": "EUR", "rate": 2, "as_of": "2026-12-01"}]}
    rollup = health_rollup(members, scores, rates)
    assert rollup["revenue_weighted_score"] == 80.0  # 200 USD at 90, 100 USD at 60
    assert rollup["converted"]["rates"] == rates["rates"]
    without = health_rollup(members, scores, {"base": "USD", "rates": []})
    assert without["revenue_weighted_score"] is None and "EUR" in without["notes"][0]
    assert without["worst_band"] == "watch"


def test_no_scores_or_no_revenue_give_no_weighted_score() -> None:
    assert health_rollup([member("a", 100)], {}, None) == {
        "worst_band": None,
        "revenue_weighted_score": None,
    }
    zero = health_rollup([member("a", 0)], {"a": {"score": 50.0, "band": "watch"}}, None)
    assert zero["revenue_weighted_score"] is None and zero["notes"]
