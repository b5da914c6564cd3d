"""What every reader returns (a Source of text columns, its bad rows) and what it is asked.

The records are shared by all formats and by the rest of listclean, so they live apart
from any one reader; so do the small steps more than one reader takes (row numbers,
everything as text). Nothing here imports Polars at import time: the CLI imports this
package only inside command bodies, but `listclean --help` must stay light regardless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from listclean.io.read.workspace import DEFAULT_CHUNK_ROWS

if TYPE_CHECKING:
    import polars as pl

STDIN = "-"
STDIN_NAME = "<stdin>"
OnBadRows = Literal["error", "skip", "keep"]
ROW = "__listclean_row"  # the reader's own 1-based data row number
PROVENANCE_COLUMNS = ("_source_file", "_source_row")
EXTRA_FIELDS = "_extra_fields"
BAD_ROW = "_bad_row"  # why --on-bad-rows keep repaired the row (its reason code); null for rows read as they were


@dataclass
class ReadOptions:
    delimiter: str | None = None
    encoding: str | None = None
    format: str | None = None
    sheet: str | None = None
    header: bool | None = None  # None: detect (a first row holding an address is data)
    skip_lines: int | None = None  # delimited text: lines before the header (None: blank lines and a preamble, detected)
    on_bad_rows: OnBadRows = "error"
    chunk_rows: int = DEFAULT_CHUNK_ROWS  # rows per chunk when a large input is streamed (the runtime's)


@dataclass
class BadRow:
    row: int | None  # 1-based data row (None when the row never became one)
    line: int  # 1-based physical line in the file (Excel: sheet row)
    reason: str  # stable code: ragged_row, unclosed_quote, nul_byte, bad_utf8, bad_json
    detail: str
    raw: str
    action: str  # "skipped" (not in the output) or "kept" (repaired, in the output)


@dataclass
class Source:
    name: str  # as the user named it; "<stdin>" for -
    format: str
    frame: pl.LazyFrame
    header: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    bad_rows: list[BadRow] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    has_provenance: bool = False  # the file already carries _source_file/_source_row
    canonical: bool = False  # listclean's own typed Parquet: columns already standard
    # Some records are ragged, hold NUL bytes or stray quotes (found before the first chunk is read),
    # so with --on-bad-rows keep the rows carry BAD_ROW, in every chunk.
    may_have_bad_rows: bool = False
    # Large files are processed a chunk of rows at a time (bounded memory); `frame` still
    # reads the whole file lazily, for decisions that need every row (date order).
    split: Callable[[], Iterator[pl.LazyFrame]] | None = None

    def chunks(self) -> Iterator[pl.LazyFrame]:
        """The rows in order, as one frame or, for a large file, several."""
        if self.split is None:
            yield self.frame
        else:
            yield from self.split()


def display_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def first_line(exc: BaseException) -> str:
    """An exception's message, its first line only (Polars' messages run on for pages)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def stringify(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Every column as text (see ``text.as_text``); the reader's row number stays an integer."""
    import polars as pl

    from listclean.text import as_text

    def text(title: str, dtype: pl.DataType) -> pl.Expr:
        if title == ROW:
            return pl.col(title).cast(pl.Int64)
        if dtype == pl.Binary:
            # Bytes that are UTF-8 are their text; any other value is shown as hex (0x…), not an error.
            # (Polars' cast fails on the first invalid byte, strict or not; a rare column, read per value.)
            return pl.col(title).map_batches(_bytes_as_text, return_dtype=pl.String).alias(title)
        return as_text(pl.col(title), dtype).alias(title)

    return frame.select(text(title, dtype) for title, dtype in frame.collect_schema().items())


def _bytes_as_text(values: pl.Series) -> pl.Series:
    import polars as pl

    def text(value: bytes | None) -> str | None:
        if value is None:
            return None
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + value.hex()

    return pl.Series(values.name, [text(value) for value in values.to_list()], dtype=pl.String)


def with_row_numbers(frame: pl.LazyFrame, first_row: int = 1) -> tuple[pl.LazyFrame, bool]:
    """Add the reader's row numbers (from `first_row`: a later chunk numbers on); say whether
    the file carries listclean's provenance."""
    import polars as pl

    columns = frame.collect_schema().names()
    frame = frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))
    return frame, all(name in columns for name in PROVENANCE_COLUMNS)
