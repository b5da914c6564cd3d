"""One frame as an .xlsx workbook that opens well in Excel, LibreOffice and Google Sheets.

What the sheet ("contacts") holds:
- typed cells: dates and datetimes are Excel dates (`yyyy-mm-dd`, `yyyy-mm-dd hh:mm:ss`); a
  datetime with a time zone is written as its UTC wall time (Excel has no zones; the text formats
  write the same instant as `…Z`); numbers are numbers, booleans TRUE/FALSE; text is always
  text, never a number, formula or link (a phone `+48 600 …` or a postcode `00501` stays as
  typed). A date Excel cannot show (before 1900, after 9999), NaN, ±inf and an integer Excel
  would round (more than 15 digits) are written as text;
- list columns (`tags`, `email_reasons`, `merged_from` …) joined with `LIST_SEPARATOR` (", "),
  as in CSV; a struct column as JSON text;
- a bold header row, frozen (a zoned datetime column's header carries a note: "times in UTC");
  an autofilter over the data; column widths from the header and the first rows' values, 10 to
  60 characters;
- text longer than an Excel cell holds (32,767 UTF-16 units) cut to fit, the cell marked with a
  note, and the cut cells listed in the workbook's properties (File > Info > Comments) and
  returned to the caller, which tells the user: never cut silently.

Memory: xlsxwriter's constant_memory mode writes each row to a temporary file as soon as the
next begins, and the frame is converted a slice of rows at a time, so the write holds about one
slice beyond the frame it is given. The workbook is zipped straight into the output's file (a
stream such as stdout gets the finished zip from memory: it is not seekable).

Deterministic: the workbook's creation date is pinned (xlsxwriter stamps "now" otherwise) and
the zip entries carry xlsxwriter's fixed 1980 timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from listclean.schema import LIST_SEPARATOR

if TYPE_CHECKING:
    import polars as pl

SHEET_NAME = "contacts"
EXCEL_MAX_CELL_CHARS = 32_767  # what an Excel cell holds (UTF-16 units): longer text is cut to fit, and reported
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
TIME_FORMAT = "hh:mm:ss"
UTC_NOTE = "listclean: times in UTC (an Excel date has no time zone)"
WIDTH_RANGE = (10, 60)  # column widths, in characters
WIDTH_SAMPLE_ROWS = 1_000  # the rows whose values set the widths (with the header)
SLICE_ROWS = 10_000  # rows converted at a time
MAX_EXACT_INTEGER = 999_999_999_999_999  # Excel keeps 15 significant digits; a longer integer is written as text
MARKED_CUTS = 1_000  # cut cells given a note of their own (all are counted and reported)
# Pinned so that the same frame gives the same file, byte for byte (the zip epoch, as the entries).
CREATED = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)
_EXCEL_DATES = (dt.date(1900, 1, 1), dt.date(9999, 12, 31))


@dataclass
class Cuts:
    """Cells whose text was cut to fit an Excel cell, by column: how many, and the first sheet rows."""

    counts: dict[str, int] = field(default_factory=dict)  # column -> cells cut
    rows: dict[str, list[int]] = field(default_factory=dict)  # column -> the first few sheet rows (1-based; the header is 1)

    def add(self, column: str, sheet_row: int) -> None:
        self.counts[column] = self.counts.get(column, 0) + 1
        rows = self.rows.setdefault(column, [])
        if len(rows) < 5:
            rows.append(sheet_row)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def messages(self) -> list[str]:
        """One line per column: which, how many cells, where the first are."""
        lines = []
        for column, count in self.counts.items():
            rows = ", ".join(str(row) for row in self.rows[column])
            more = " …" if count > len(self.rows[column]) else ""
            lines.append(
                f"column {column!r}: {count:,} cell(s) longer than {EXCEL_MAX_CELL_CHARS:,} characters, the most an Excel cell holds, "
                f"cut to fit (sheet row{'s' if count > 1 else ''} {rows}{more}); csv or parquet keeps the whole text"
            )
        return lines


def write_xlsx(frame: pl.DataFrame, handle: IO[bytes], *, seekable: bool = True) -> Cuts:
    """Write the frame as a one-sheet workbook into `handle`; the cells that had to be cut.

    `seekable`: the handle is a file the zip can be written into directly; otherwise (a pipe,
    stdout) the workbook is built in memory and copied."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    with tempfile.TemporaryDirectory(prefix="listclean-xlsx-") as scratch:
        into: IO[bytes] = handle if seekable else io.BytesIO()
        workbook = xlsxwriter.Workbook(
            into,
            {
                # Strings stay strings: never turned into formulas, links or numbers (no formula
                # injection, no "+48 600 …" phone or "00501" postcode silently becoming a number).
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "constant_memory": True,  # rows go to a temporary file as they are written
                "tmpdir": scratch,
            },
        )
        cuts = Cuts()
        try:
            _fill(workbook, frame, cuts)
            if cuts.total:
                workbook.set_properties({"created": CREATED, "comments": "listclean: " + "; ".join(cuts.messages())})
            else:
                workbook.set_properties({"created": CREATED})
            workbook.close()
        except FileCreateError as exc:  # xlsxwriter wraps the OS error of writing the zip
            reason = exc.args[0] if exc.args else None
            if isinstance(reason, OSError):
                raise reason from None
            raise
        finally:
            if not workbook.fileclosed:  # a failure halfway: close the row files in the scratch directory
                for sheet in workbook.worksheets():
                    sheet._opt_close()
        if not seekable:
            handle.write(into.getvalue())  # type: ignore[attr-defined]
    return cuts


def _fill(workbook: Any, frame: pl.DataFrame, cuts: Cuts) -> None:  # noqa: ANN401 - an xlsxwriter Workbook
    import polars as pl

    sheet = workbook.add_worksheet(SHEET_NAME)
    formats = {
        "date": workbook.add_format({"num_format": DATE_FORMAT}),
        "datetime": workbook.add_format({"num_format": DATETIME_FORMAT}),
        "time": workbook.add_format({"num_format": TIME_FORMAT}),
    }
    bold = workbook.add_format({"bold": True})
    columns = frame.columns
    if not columns:
        return
    kinds = [_kind(dtype) for dtype in frame.dtypes]
    conversions = [_cell_expr(title, dtype) for title, dtype in frame.schema.items()]
    writers = [_writer(sheet, kind, formats, cuts, title) for kind, title in zip(kinds, columns)]

    first = frame.head(WIDTH_SAMPLE_ROWS).select(conversions)
    for column, title in enumerate(columns):
        sheet.set_column(column, column, _width(title, first.get_column(title), kinds[column]))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, frame.height, len(columns) - 1)
    for column, (title, dtype) in enumerate(frame.schema.items()):
        sheet.write_string(0, column, title, bold)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone:
            sheet.write_comment(0, column, UTC_NOTE, {"x_scale": 1.5})

    for offset in range(0, frame.height, SLICE_ROWS):
        part = frame.slice(offset, SLICE_ROWS).select(conversions)
        for number, row in enumerate(part.iter_rows(), start=offset + 1):
            for column, value in enumerate(row):
                if value is not None:
                    writers[column](number, column, value)


def _kind(dtype: pl.DataType) -> str:
    """How a column's cells are written: text, number, integer, bool, date, datetime or time."""
    import polars as pl

    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "number"
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Time:
        return "time"
    return "text"


def _cell_expr(title: str, dtype: pl.DataType) -> pl.Expr:
    """The column as the Python values its cells take: lists joined, a zoned datetime as its UTC
    wall time, decimals as floats; anything else that is not a number, bool or date as text."""
    import polars as pl

    column = pl.col(title)
    kind = _kind(dtype)
    if kind == "datetime":
        if dtype.time_zone:  # type: ignore[attr-defined]
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return column.alias(title)
    if dtype.is_decimal():
        return column.cast(pl.Float64).alias(title)
    if kind != "text" or dtype == pl.String:
        return column.alias(title)
    if isinstance(dtype, (pl.List, pl.Array)):
        inner = dtype.inner  # type: ignore[attr-defined]
        if isinstance(inner, (pl.List, pl.Array, pl.Struct)):  # lists of lists or records: JSON
            return column.map_batches(_as_json, return_dtype=pl.String).alias(title)
        joined = column.cast(pl.List(pl.String)) if isinstance(dtype, pl.List) else column.arr.to_list().cast(pl.List(pl.String))
        return joined.list.join(LIST_SEPARATOR).alias(title)
    if isinstance(dtype, pl.Struct):
        return pl.when(column.is_not_null()).then(column.struct.json_encode()).alias(title)
    if dtype == pl.Binary:
        return pl.when(column.is_not_null()).then(pl.lit("0x") + column.bin.encode("hex")).alias(title)
    if isinstance(dtype, pl.Duration):
        return column.dt.to_string().alias(title)  # ISO 8601: PT5H
    if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Null:
        return column.cast(pl.String).alias(title)
    return column.map_batches(_as_text, return_dtype=pl.String).alias(title)  # an Object column: as Python prints it


def _as_json(values: pl.Series) -> pl.Series:
    import json

    import polars as pl

    return pl.Series(values.name, [None if value is None else json.dumps(value, ensure_ascii=False, default=str) for value in values.to_list()], dtype=pl.String)


def _as_text(values: pl.Series) -> pl.Series:
    import polars as pl

    return pl.Series(values.name, [None if value is None else str(value) for value in values.to_list()], dtype=pl.String)


Writer = Callable[[int, int, Any], None]


def _writer(sheet: Any, kind: str, formats: dict[str, Any], cuts: Cuts, title: str) -> Writer:  # noqa: ANN401, C901
    """The function writing one cell of a column of this kind (None is never passed: a blank)."""
    first, last = _EXCEL_DATES

    def text(row: int, column: int, value: Any) -> None:  # noqa: ANN401
        value = value if isinstance(value, str) else str(value)
        if not value:
            return
        if sheet.write_string(row, column, value) == -2:  # longer than a cell holds: xlsxwriter cut it
            cuts.add(title, row + 1)
            if cuts.total <= MARKED_CUTS:
                sheet.write_comment(
                    row,
                    column,
                    f"listclean: this text had {len(value):,} characters; an Excel cell holds {EXCEL_MAX_CELL_CHARS:,}, "
                    "so it was cut. A csv or parquet output keeps the whole text.",
                    {"x_scale": 2, "y_scale": 1.5},
                )

    def number(row: int, column: int, value: Any) -> None:  # noqa: ANN401
        if math.isnan(value):
            sheet.write_string(row, column, "NaN")
        elif math.isinf(value):
            sheet.write_string(row, column, "inf" if value > 0 else "-inf")
        else:
            sheet.write_number(row, column, value)

    def integer(row: int, column: int, value: int) -> None:
        if -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
            sheet.write_number(row, column, value)
        else:  # Excel would round it (an id of 16+ digits): kept exact, as text
            sheet.write_string(row, column, str(value))

    def boolean(row: int, column: int, value: bool) -> None:
        sheet.write_boolean(row, column, value)

    def moment(style: Any) -> Writer:  # noqa: ANN401
        def write(row: int, column: int, value: Any) -> None:  # noqa: ANN401
            day = value.date() if isinstance(value, dt.datetime) else value
            if first <= day <= last:
                sheet.write_datetime(row, column, value, style)
            else:  # before Excel's first date or after its last: the ISO text, as csv has it
                sheet.write_string(row, column, value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat())

        return write

    def time_of_day(row: int, column: int, value: dt.time) -> None:
        sheet.write_datetime(row, column, value, formats["time"])

    return {
        "text": text,
        "number": number,
        "integer": integer,
        "bool": boolean,
        "date": moment(formats["date"]),
        "datetime": moment(formats["datetime"]),
        "time": time_of_day,
    }[kind]


_FIXED_WIDTHS = {"date": len("2024-01-31"), "datetime": len("2024-01-31 23:59:59"), "time": len("23:59:59"), "bool": len("FALSE")}


def _width(title: str, sample: pl.Series, kind: str) -> int:
    """A column's width in characters: enough for the header (and its filter button) and the
    sampled values, within WIDTH_RANGE."""
    low, high = WIDTH_RANGE
    widest = _shown_width(title) + 3  # the autofilter's drop-down button sits over the header's end
    if kind in _FIXED_WIDTHS:
        widest = max(widest, _FIXED_WIDTHS[kind] + 2)
    else:
        for value in sample.drop_nulls().head(WIDTH_SAMPLE_ROWS).to_list():
            shown = value if isinstance(value, str) else (f"{value:,.2f}" if isinstance(value, float) else str(value))
            widest = max(widest, _shown_width(shown[: high * 2]) + 2)
            if widest >= high:
                break
    return max(low, min(high, widest))


def _shown_width(text: str) -> int:
    """Columns a text takes on screen: East Asian wide and full-width characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
