"""The careful reader: delimited text parsed by Python's csv module, one record at a time.

It is slow, so it reads only what the structure check (``structure.py``) could not vouch
for: a ragged range, or a whole file with a quote out of place. What it buys is an answer
for every bad record: which data row, which physical line, why, and its raw text, so the
row can stop the run, go to the rejects table or be repaired (--on-bad-rows).

Everything it needs to know about the text is one `Layout`; a range of a file is the
file's layout with the range's text and the lines and rows before it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from listclean.errors import InputError
from listclean.io.read.source import EXTRA_FIELDS, ROW, BadRow, OnBadRows
from listclean.io.read.workspace import DEFAULT_CHUNK_ROWS, Workspace

if TYPE_CHECKING:
    import polars as pl

_QUOTE_HINT = 'close the quote, or double a literal " inside a quoted field'


@dataclass(frozen=True)
class Layout:
    """Delimited text as the careful reader needs to know it."""

    source: Path | str  # the (UTF-8) file, or a range of it as text
    name: str  # the input as the user named it, for errors
    delimiter: str
    header: tuple[str, ...]  # the cleaned column names
    has_header: bool  # the source starts with the header line (skipped)
    on_bad_rows: OnBadRows
    lines_before: int = 0  # physical lines of the file before `source` starts
    rows_before: int = 0  # data rows of the file before `source` starts
    chunk_rows: int = DEFAULT_CHUNK_ROWS  # records per chunk of a large file
    damaged_lines: frozenset[int] = frozenset()  # lines of a UTF-8 file whose invalid bytes were marked NUL

    @property
    def width(self) -> int:
        return len(self.header)


def read_careful(layout: Layout) -> tuple[pl.LazyFrame, list[BadRow], int]:
    """Every record of the layout's text: the rows, the bad ones, and the last row number."""
    import polars as pl

    bad_rows: list[BadRow] = []
    batches = list(careful_batches(layout, bad_rows))
    frame = pl.concat([batch for batch, _ in batches], how="diagonal_relaxed")
    return frame.lazy(), bad_rows, batches[-1][1]


def read_careful_spooled(
    layout: Layout, workspace: Workspace
) -> tuple[pl.LazyFrame, list[BadRow], Callable[[], Iterator[pl.LazyFrame]]]:
    """The careful reader over a large file, a chunk of records at a time into Parquet parts:
    the whole file as one lazy frame (for whole-file decisions) and its chunks, in bounded memory."""
    import polars as pl

    from listclean.stream.budget import MemoryBudget
    from listclean.stream.spool import Spool

    bad_rows: list[BadRow] = []
    spool = Spool(workspace.path, MemoryBudget())  # a budget of its own: a read is not handed the run's
    for batch, _ in careful_batches(layout, bad_rows, batch_rows=layout.chunk_rows):
        spool.add(batch)
    frame = spool.lazy()
    extras = EXTRA_FIELDS in frame.collect_schema().names()

    def chunks() -> Iterator[pl.LazyFrame]:
        for chunk in spool:
            if extras and EXTRA_FIELDS not in chunk.columns:
                chunk = chunk.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA_FIELDS))
            yield chunk.lazy()

    return frame, bad_rows, chunks


def careful_batches(layout: Layout, bad_rows: list[BadRow], batch_rows: int | None = None) -> Iterator[tuple[pl.DataFrame, int]]:
    """(rows, last row number) for every `batch_rows` records (all in one batch when None);
    bad rows are reported into `bad_rows` as they are met."""
    width, delimiter = layout.width, layout.delimiter
    columns: list[list[str | None]] = [[] for _ in range(width)]
    extras: list[str | None] = []
    row_numbers: list[int] = []
    row_number, batches = layout.rows_before, 0
    for row_number, line, record, raw, quoting in records(layout):
        # A blank line (no fields) is an empty row, counted and reported by the importer.
        if record and (quoting is not None or len(record) != width or any("\x00" in cell for cell in record)):
            record = _bad_record(layout, row_number, line, record, raw, bad_rows, quoting)
            if record is None:
                continue
        if len(record) != width:
            extras.append(delimiter.join(record[width:]) if len(record) > width else None)
            record = (record + [""] * width)[:width]  # pad short rows (only reached with keep)
        else:
            extras.append(None)
        for index, cell in enumerate(record):
            columns[index].append(cell if cell != "" else None)
        row_numbers.append(row_number)
        if batch_rows is not None and len(row_numbers) >= batch_rows:
            yield _batch(layout.header, columns, extras, row_numbers), row_number
            columns, extras, row_numbers = [[] for _ in range(width)], [], []
            batches += 1
    if row_numbers or not batches:  # at least one batch, if empty (every row skipped)
        yield _batch(layout.header, columns, extras, row_numbers), row_number


def _bad_record(
    layout: Layout, row_number: int, line: int, record: list[str], raw: str, bad_rows: list[BadRow], quoting: tuple[str, str] | None = None
) -> list[str] | None:
    """Stop at a bad record, or list it in `bad_rows` and return it repaired (None: skip it).
    `quoting`: (reason, detail) of a record whose quotes had to be interpreted."""
    damaged = bool(layout.damaged_lines) and any(line + extra in layout.damaged_lines for extra in range(raw.count("\n") + 1))
    if quoting is not None:
        reason, detail = quoting
    elif damaged and any("\x00" in cell for cell in record):
        reason, detail = "bad_utf8", "holds bytes that are not UTF-8"
    elif any("\x00" in cell for cell in record):
        reason, detail = "nul_byte", "contains a NUL byte (\\0)"
    else:
        reason, detail = "ragged_row", f"has {len(record)} fields, the header has {layout.width}"
    if layout.on_bad_rows == "error":
        raise InputError(
            f"row {row_number} {detail}",
            source=layout.name,
            line=line,
            hint=(
                "pass --encoding if the file is not UTF-8, or --on-bad-rows keep (replace them with U+FFFD) or skip (quarantine the row)"
                if reason == "bad_utf8"
                else f"{_QUOTE_HINT}, or pass --on-bad-rows skip (quarantine it) or keep (keep it as read)"
                if quoting is not None
                else "fix the file, or pass --on-bad-rows skip (quarantine it) or keep (repair it)"
            ),
        )
    action = "skipped" if layout.on_bad_rows == "skip" else "kept"
    if reason == "bad_utf8":
        raw = raw.replace("\x00", "\ufffd")
    bad_rows.append(BadRow(row_number, line, reason, detail, raw, action))
    if layout.on_bad_rows == "skip":
        return None
    return [cell.replace("\x00", "\ufffd" if reason == "bad_utf8" else "") for cell in record]


def _batch(header: tuple[str, ...], columns: list[list[str | None]], extras: list[str | None], row_numbers: list[int]) -> pl.DataFrame:
    import polars as pl

    data: dict[str, list] = {ROW: row_numbers}
    data.update({title: values for title, values in zip(header, columns, strict=True)})
    schema = {ROW: pl.Int64, **{title: pl.String for title in header}}
    if any(value is not None for value in extras):
        if EXTRA_FIELDS in header:  # a file listclean wrote with surplus fields, ragged again: add to them
            data[EXTRA_FIELDS] = [
                mine if theirs is None else theirs if mine is None else f"{mine},{theirs}"
                for mine, theirs in zip(data[EXTRA_FIELDS], extras, strict=True)
            ]
        else:
            data[EXTRA_FIELDS] = extras
            schema[EXTRA_FIELDS] = pl.String
    return pl.DataFrame(data, schema=schema)


def records(layout: Layout) -> Iterator[tuple[int, int, list[str], str, tuple[str, str] | None]]:
    """(data row number, first line, fields, raw text, quoting) for every record after the header;
    quoting is (reason, detail) when the record's quotes are not well formed and had to be
    interpreted (a quote never closed, one inside a quoted field not doubled, a backslash-escaped one)."""
    import io

    source = layout.source
    with open(source, encoding="utf-8", newline="") if isinstance(source, Path) else io.StringIO(source, newline="") as handle:
        raw_lines: list[str] = []

        def lines() -> Iterator[str]:
            # Lines end at LF (a CR alone is inside a quoted field: line ends of CR only were made
            # LF when the file was decoded), so lines are numbered as the structure check numbers them.
            pending = ""
            for text in handle:
                if not text.endswith("\n"):
                    pending += text
                    continue
                text, pending = pending + text, ""
                raw_lines.append(text)
                yield text
            if pending:
                raw_lines.append(pending)
                yield pending

        reader = csv.reader(lines(), delimiter=layout.delimiter, quotechar='"', strict=False)
        line_before = layout.lines_before
        row_number = layout.rows_before
        first = True
        while True:
            raw_lines.clear()
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. "unexpected end of data": an unclosed quote
                raise InputError(f"unclosed quote in the row starting here ({exc})", source=layout.name, line=line_before + 1, hint=_QUOTE_HINT) from None
            start = line_before + 1
            line_before = layout.lines_before + reader.line_num
            if first and layout.has_header:
                first = False
                continue
            first = False
            raw = "".join(raw_lines)
            row_number += 1
            if not record and raw.strip("\r\n") == "":
                yield row_number, start, [], "", None  # a blank line: Polars yields an empty row, so we count it too
                continue
            if not raw.strip():  # blank space only: an empty row, as a blank line
                yield row_number, start, [], "", None
                continue
            quoting = _quoting(raw, layout.delimiter) if '"' in raw else None
            if quoting is not None and quoting[0] == "unclosed_quote" and layout.on_bad_rows == "error":
                # The non-strict csv module lets a quote that never closes swallow the rest of the file.
                raise InputError(
                    "unclosed quote: the quoted field starting here runs to the end of the file",
                    source=layout.name,
                    line=start,
                    hint=f"{_QUOTE_HINT}, or pass --on-bad-rows skip (quarantine the rest) or keep (keep it as read)",
                )
            yield row_number, start, record, raw.rstrip("\r\n"), quoting


def _quoting(raw: str, delimiter: str) -> tuple[str, str] | None:
    """What is wrong with a record's quotes, read strictly (None: nothing)."""
    try:
        for _ in csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, quotechar='"', strict=True):
            pass
    except csv.Error as error:
        if "end of data" in str(error) or "EOF" in str(error):
            return "unclosed_quote", "has a quoted field that is never closed (the file may be cut off)"
        if '\\"' in raw:
            return "stray_quote", 'has a backslash-escaped quote (\\"): CSV doubles a quote inside a quoted field'
        return "stray_quote", "has a quote inside a quoted field that is not doubled"
    return None
