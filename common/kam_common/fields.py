"""Strict marshmallow fields for the contract's conventions.

Clients get a 422 naming the field for anything that is not exactly the documented type:
no numbers-as-strings, no 1-for-true, no NUL bytes or lone surrogates that a database would
choke on later, money with at most 2 decimals, timestamps with an offset.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

MAX_MONEY = Decimal("999999999999.99")
# Dates before this are typing mistakes (`0001-01-01`), not history a relationship can have.
HISTORY_STARTS = date(2000, 1, 1)

# What the documents declare of text: no control characters but tab, line feed and return.
_CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
TEXT_PATTERN = f"^[^{_CONTROL}]*$"
NAME_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"


class Text(fields.String):
    """A string that any database stores byte for byte."""

    pattern: str | None = TEXT_PATTERN

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.pattern and not any(isinstance(v, validate.Regexp) for v in self.validators):
            self.metadata = {"pattern": self.pattern, **self.metadata}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError("Not valid Unicode text (lone surrogate).") from exc
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
            raise ValidationError("Control characters are not allowed.")
        return text


class Name(Text):
    """Required-looking text: not blank, bounded."""

    pattern = NAME_PATTERN

    def __init__(self, *, max_length: int = 200, **kwargs: Any):
        super().__init__(validate=validate.Length(min=1, max=max_length), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ValidationError("Must not be blank.")
        return text


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class QueryInteger(fields.Integer):
    """Integers from the query string, where everything arrives as text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Money(fields.Field[Decimal]):
    """A JSON number with at most 2 decimals, loaded as `Decimal`, dumped as a number."""

    default_error_messages = {
        "invalid": "Not a valid amount: a JSON number is expected.",
        "places": "At most 2 decimal places.",
        "range": "Must be between {minimum} and {maximum}.",
        "positive": "Must be greater than 0.",
    }

    def __init__(self, *, positive: bool = False, **kwargs: Any):
        metadata = {
            "minimum": 0,
            "maximum": float(MAX_MONEY),
            "multipleOf": 0.01,
            **kwargs.pop("metadata", {}),
        }
        if positive:
            # OpenAPI 3.0 (JSON Schema draft 4): a flag on `minimum`, not a number of its own.
            metadata["exclusiveMinimum"] = True
        super().__init__(metadata=metadata, **kwargs)
        self.positive = positive

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.make_error("invalid")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if amount < 0 or amount > MAX_MONEY:
            raise self.make_error("range", minimum=0, maximum=MAX_MONEY)
        if self.positive and amount == 0:
            raise self.make_error("positive")
        if amount != amount.quantize(Decimal("0.01")):
            raise self.make_error("places")
        return amount.quantize(Decimal("0.01"))

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> float | None:
        return None if value is None else float(value)


class Amount(fields.Field[Decimal]):
    """Money in an answer: a JSON number to the cent. `signed` amounts may fall below zero
    (a margin); the others never do. No maximum: sums and yearly prices outgrow any one
    price's bound."""

    def __init__(self, *, signed: bool = False, **kwargs: Any):
        super().__init__(dump_only=True, **kwargs)
        if not signed:
            self.metadata = {"minimum": 0, **self.metadata}

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> float | None:
        return None if value is None else float(value)


def _from_history_start(kwargs: dict[str, Any], earliest: date | datetime) -> None:
    """A field's keyword arguments, made to refuse values before HISTORY_STARTS and say so."""
    kwargs["validate"] = validate.Range(
        min=earliest, error=f"Must not be before {HISTORY_STARTS.isoformat()}."
    )
    metadata = dict(kwargs.get("metadata") or {})
    described = metadata.get("description")
    since = f"from {HISTORY_STARTS.isoformat()} on."
    metadata["description"] = f"{described}; {since}" if described else since.capitalize()
    kwargs["metadata"] = metadata


class Timestamp(fields.AwareDateTime):
    """ISO 8601 with an offset on the way in; UTC with `Z` on the way out. `recorded`: a moment
    of the relationship's history, so not before HISTORY_STARTS."""

    def __init__(self, *, recorded: bool = False, **kwargs: Any):
        if recorded:
            earliest = datetime.combine(HISTORY_STARTS, datetime.min.time(), tzinfo=UTC)
            _from_history_start(kwargs, earliest)
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from exc

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        text: str = value.astimezone(UTC).isoformat()
        return text.replace("+00:00", "Z")


class Day(fields.Date):
    """`YYYY-MM-DD`. `recorded`: a day of the relationship's history, not before HISTORY_STARTS."""

    def __init__(self, *, recorded: bool = False, **kwargs: Any):
        if recorded:
            _from_history_start(kwargs, HISTORY_STARTS)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


_MOMENT_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ].+)?$"


class MomentFilter(fields.String):
    """A date filter of a query (`since`, `from`, `to`, …): a date (`2026-11-01`, the start of
    that day UTC) or a timestamp with an offset, loaded as an aware UTC datetime. `as_day`: the
    filter compares days, so a timestamp stands for its UTC day."""

    default_error_messages = {
        "moment": "Not a date (YYYY-MM-DD) or a timestamp with an offset (ISO 8601).",
    }

    def __init__(self, *, as_day: bool = False, **kwargs: Any):
        metadata = {
            "pattern": _MOMENT_PATTERN,
            "description": "A date (YYYY-MM-DD: the start of that day, UTC) or a timestamp "
            "with an offset.",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)
        self.as_day = as_day

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        moment = parse_moment(text)
        if moment is None:
            raise self.make_error("moment")
        return moment.date() if self.as_day else moment


def parse_moment(text: str) -> datetime | None:
    """`2026-11-01` → its midnight UTC; an ISO 8601 timestamp with an offset → that moment in
    UTC; anything else (a timestamp without offset included) → None."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def text_list(*, max_items: int = 50, max_length: int = 200, **kwargs: Any) -> fields.List[str]:
    return fields.List(
        Name(max_length=max_length), validate=validate.Length(max=max_items), **kwargs
    )


class Choice(Text):
    """One of an enumeration (documented as its `enum`, so no pattern)."""

    pattern = None


def one_of(choices: list[str] | tuple[str, ...], **kwargs: Any) -> Text:
    return Choice(validate=validate.OneOf(choices), **kwargs)


def optional_text(max_length: int, **kwargs: Any) -> Text:
    """Text that may be null or absent, at most `max_length` characters."""
    return Text(allow_none=True, validate=validate.Length(max=max_length), **kwargs)
