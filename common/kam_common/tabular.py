"""CSV in and out: reading a spreadsheet's file row by row with every bad cell named, and
writing cells no spreadsheet will run as a formula.

Infrastructure only: which columns a kind of record has and what a row means is the owning
app's. The stdlib `csv` module reads and writes (RFC 4180 quoting, cells over several lines);
`csv.Sniffer` tells a file separated by something else than commas, so the refusal can say so.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import marshmallow as ma
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from kam_common import fields as kam_fields
from kam_common.db import UTCDateTime
from kam_common.errors import AppError

CSV_TYPE = "text/csv"
# Larger than the JSON limit (1 MiB): a spreadsheet of 100,000 rows is some 15 MiB.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
BOM = "\ufeff"
LIST_SEPARATOR = ";"
IMPORT_MODES = ("create_or_update", "update_only", "create_only")
IMPORT_STATUSES = ("validated", "applied", "failed", "running")
# What a spreadsheet runs as a formula when a cell starts with it (OWASP "CSV injection").
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
# A leading + or - that is only a number or a phone number ("+98 21 5555 0101") is no formula.
_NUMBERISH = re.compile(r"^[+-][\d\s().\-/]*$")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class FileRefused(AppError):
    """The file as a whole cannot be read: nothing in it is looked at row by row."""

    status = 422

    def __init__(self, message: str, *, column: str = "file"):
        super().__init__(message, errors={column: [message]})


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Record:
    """One row of the file: its number and its cells by column (empty cells are None)."""

    row: int
    cells: dict[str, str | None]


def decode(body: bytes) -> str:
    """UTF-8, with or without the BOM Excel's "CSV UTF-8" writes."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f'The file is not UTF-8 text (byte {exc.start}); save it as "CSV UTF-8".'
        ) from None
    return text.removeprefix(BOM)


def read_records(
    body: bytes, *, columns: Sequence[str], required: Iterable[str] = ()
) -> tuple[list[Record], list[RowError]]:
    """Every record of the file, and the rows that cannot be records (wrong cell count).

    Refuses the whole file (`FileRefused`) for what makes every row unreadable: not UTF-8, not
    comma-separated, no header, an unknown, repeated or missing required column.
    """
    text = decode(body)
    if not text.strip():
        raise FileRefused("The file is empty: a header row and at least one record are needed.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = [name.strip() for name in next(reader)]
    _check_header(text, header, columns, required)
    records: list[Record] = []
    problems: list[RowError] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line (spreadsheets leave them at the end)
        if len(cells) != len(header):
            problems.append(
                RowError(number, "", f"Has {len(cells)} cells; the header has {len(header)}.")
            )
            continue
        pairs = zip(header, cells, strict=True)
        records.append(
            Record(number, {name: cell if cell.strip() else None for name, cell in pairs})
        )
    if not records and not problems:
        raise FileRefused("The file has a header but no records.")
    return records, problems


def _check_header(
    text: str, header: list[str], columns: Sequence[str], required: Iterable[str]
) -> None:
    known = set(columns)
    if len(header) == 1 and header[0] not in known:
        delimiter = _sniffed_delimiter(text)
        if delimiter is not None:
            shown = {"\t": "tabs"}.get(delimiter, repr(delimiter))
            raise FileRefused(
                f"The file is separated by {shown}, not commas: save it as CSV "
                "(comma-separated values)."
            )
    unknown = [name for name in header if name not in known]
    if unknown:
        raise FileRefused(
            f"Unknown column(s): {', '.join(unknown)}. The columns are: {', '.join(columns)}.",
            column=unknown[0] or "file",
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileRefused(f"Column(s) given twice: {', '.join(repeated)}.", column=repeated[0])
    missing = [name for name in required if name not in header]
    if missing:
        raise FileRefused(f"Missing required column(s): {', '.join(missing)}.", column=missing[0])


def _sniffed_delimiter(text: str) -> str | None:
    try:
        dialect = csv.Sniffer().sniff(text[: 64 * 1024], delimiters=";\t|:")
    except csv.Error:
        return None
    return str(dialect.delimiter)


def unquote(value: str | None) -> str | None:
    """A cell as stored: a formula-like value neutralised on export (`'=…`) loses its quote."""
    if value is not None and _FORMULA.match(value) and value.startswith("'"):
        return value[1:]
    return value


def formula_problem(value: str | None) -> str | None:
    """Why a cell would be run as a formula by a spreadsheet, or None when it would not."""
    if value is None or value.startswith("'") or not _FORMULA.match(value):
        return None
    if _NUMBERISH.match(value.strip()):
        return None
    return (
        "Looks like a spreadsheet formula (starts with "
        f"{value[:1]!r}); refused. To store it as text, start the cell with an apostrophe (')."
    )


def cell_to_json(field: ma.fields.Field[Any], value: str) -> Any:
    """A cell's text as the JSON value the field's schema loads (raises ValueError)."""
    if isinstance(field, ma.fields.List):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if isinstance(field, ma.fields.Boolean):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError("Not a yes/no value: write true or false.")
    if isinstance(field, ma.fields.Integer):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError("Not a whole number.") from None
    if isinstance(field, kam_fields.Money | ma.fields.Number):
        try:
            number = float(Decimal(value.strip().replace(",", "")))
        except ArithmeticError:
            raise ValueError("Not a number.") from None
        if not math.isfinite(number):
            raise ValueError("Not a number.")
        return number
    return value


def load_row(
    schema: ma.Schema, record: Record, columns: Iterable[str]
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """The record's cells of `columns` loaded by `schema` (formula check, text to JSON, then
    the schema's own rules); an empty cell is null where the field takes null, else left out."""
    problems: list[RowError] = []
    data: dict[str, Any] = {}
    for column in columns:
        if column not in record.cells:
            continue
        raw = record.cells[column]
        if (why := formula_problem(raw)) is not None:
            problems.append(RowError(record.row, column, why))
            continue
        field = schema.fields[column]
        value = unquote(raw)
        if value is None:
            if isinstance(field, ma.fields.List):
                data[column] = []
            elif field.allow_none:
                data[column] = None
            continue
        try:
            data[column] = cell_to_json(field, value)
        except ValueError as exc:
            problems.append(RowError(record.row, column, str(exc)))
    if problems:
        return None, problems
    try:
        return schema.load(data), []
    except ma.ValidationError as error:
        return None, [
            RowError(record.row, column, message) for column, message in _messages(error.messages)
        ]


def _messages(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = prefix or str(key)
            yield from _messages(value, name)
    elif isinstance(messages, list):
        for message in messages:
            yield from _messages(message, prefix)
    else:
        yield prefix, str(messages)


def repeats(records: Sequence[Record], column: str) -> list[RowError]:
    """A value given in more than one row of a column that must be unique."""
    first: dict[str, int] = {}
    problems = []
    for record in records:
        value = record.cells.get(column)
        if value is None:
            continue
        if value in first:
            problems.append(RowError(record.row, column, f"Repeats row {first[value]}."))
        else:
            first[value] = record.row
    return problems


# Writing ------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """A cell a spreadsheet shows as text: a formula-like start gets an apostrophe in front."""
    return "'" + text if _FORMULA.match(text) else text


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return f"{LIST_SEPARATOR} ".join(str(item) for item in value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8 with a BOM (so Excel reads Persian and Arabic right), CRLF line ends."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(row.get(column)) for column in columns])
    return out.getvalue().encode("utf-8")


# The record of an import --------------------------------------------------------------------


def imports_table(metadata: MetaData) -> Table:
    """One row per import: its state, counts and errors; `body` holds a large file while it
    waits for the worker (emptied once done)."""
    return Table("imports", metadata, *_import_columns(), PrimaryKeyConstraint("id"))


def create_imports_table(op: Any) -> None:
    """The migration step that adds the imports' table (`op`: alembic's)."""
    op.create_table("imports", *_import_columns(), PrimaryKeyConstraint("id", name="pk_imports"))


def _import_columns() -> list[Column[Any]]:
    return [
        Column("id", String(40), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("mode", String(20), nullable=False),
        Column("dry_run", Boolean, nullable=False),
        Column("status", String(20), nullable=False),
        Column("rows", Integer, nullable=False, default=0),
        Column("created", Integer, nullable=False, default=0),
        Column("updated", Integer, nullable=False, default=0),
        Column("unchanged", Integer, nullable=False, default=0),
        Column("errors", JSON, nullable=False),
        Column("progress", JSON),
        Column("caller", JSON, nullable=False),
        Column("body", Text),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("claimed_at", UTCDateTime()),
        Column("finished_at", UTCDateTime()),
    ]
