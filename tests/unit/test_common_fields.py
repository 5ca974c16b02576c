"""The strict fields and error flattening every app relies on."""

from datetime import UTC, datetime
from decimal import Decimal

import marshmallow as ma
import pytest

from kam_common.concurrency import MalformedPrecondition, parse_if_match
from kam_common.errors import PreconditionFailed
from kam_common.fields import Money, Name, StrictBoolean, StrictInteger, Text, Timestamp
from kam_common.problems import flatten_errors


class Sample(ma.Schema):
    name = Name()
    note = Text()
    amount = Money()
    positive = Money(positive=True)
    count = StrictInteger()
    flag = StrictBoolean()
    at = Timestamp()


def load(**data):
    return Sample().load(data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, Decimal("0.00")), (12.5, Decimal("12.50")), (1234567.89, Decimal("1234567.89"))],
)
def test_money_loads_exact_decimals(value, expected):
    assert load(amount=value)["amount"] == expected


@pytest.mark.parametrize("value", [-0.01, 0.001, "5", True, None, float("nan"), float("inf"), 1e13])
def test_money_refuses_what_is_not_an_amount(value):
    with pytest.raises(ma.ValidationError) as caught:
        load(amount=value)
    assert "amount" in caught.value.messages


def test_money_positive_refuses_zero_and_dumps_a_number():
    with pytest.raises(ma.ValidationError):
        load(positive=0)
    assert Sample().dump({"amount": Decimal("10.50")})["amount"] == 10.5


@pytest.mark.parametrize("value", [True, "3", 3.5])
def test_strict_integer(value):
    with pytest.raises(ma.ValidationError):
        load(count=value)


@pytest.mark.parametrize("value", [1, 0, "true", "yes"])
def test_strict_boolean(value):
    with pytest.raises(ma.ValidationError):
        load(flag=value)


@pytest.mark.parametrize("value", ["a\x00b", "bell\x07", "\ud83d"])
def test_text_refuses_what_databases_cannot_store(value):
    with pytest.raises(ma.ValidationError):
        load(note=value)


def test_text_keeps_tabs_newlines_and_any_script():
    text = "line one\n\tخط دوم 第三行 🚀"
    assert load(note=text)["note"] == text


def test_timestamps_need_an_offset_and_come_back_in_utc_with_z():
    loaded = load(at="2026-11-22T13:00:00+03:30")["at"]
    assert loaded == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert Sample().dump({"at": loaded})["at"] == "2026-11-22T09:30:00Z"
    with pytest.raises(ma.ValidationError):
        load(at="2026-11-22T13:00:00")
    with pytest.raises(ma.ValidationError):
        load(at=1700000000)


def test_flatten_errors_names_nested_fields():
    assert flatten_errors({"needs": {0: ["Not a valid string."]}, "_schema": ["Bad."]}) == {
        "needs.0": ["Not a valid string."],
        "body": ["Bad."],
    }
    assert flatten_errors({"events": {3: {"type": ["Unknown."]}}}) == {
        "events.3.type": ["Unknown."]
    }


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (None, True),
        ("3", True),
        ('"3"', True),
        ('W/"3"', True),
        ("*", True),
        ("2", False),
        ('"1", "3"', True),
        ('W/"1" , 2', False),
    ],
)
def test_if_match_names_the_versions_a_change_is_based_on(header, ok):
    precondition = parse_if_match(header)
    if ok:
        precondition.check(3)
    else:
        with pytest.raises(PreconditionFailed):
            precondition.check(3)


@pytest.mark.parametrize(
    "header", ["abc", "", "3;4", '"3', "W/", "-1", "1" * 4301, "1" * 19, "3, ", "\x00"]
)
def test_a_malformed_if_match_is_refused_before_any_version_is_compared(header):
    with pytest.raises(MalformedPrecondition) as refused:
        parse_if_match(header)
    assert refused.value.status == 400
    assert refused.value.errors == {"If-Match": ["Not a version, a list of versions, or *."]}


def test_a_date_filter_reads_a_plain_date_as_the_start_of_that_day_utc():
    from kam_common.fields import parse_moment

    assert parse_moment("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment("2026-11-01T02:00:00+02:00") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment("2026-11-01T00:00:00Z") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment("2026-11-01T00:00:00") is None  # no offset: which midnight?
    assert parse_moment("2026-13-01") is None
    assert parse_moment("yesterday") is None
