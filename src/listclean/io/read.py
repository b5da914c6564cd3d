"""Read any supported input into a LazyFrame of text columns, plus what went wrong.

Every column comes back as text (``pl.String``): typing is the standardiser's job,
so leading zeros and ``+`` signs in phones and postcodes survive. Each row carries
``_source_row`` (1-based data row). Rows that cannot be read are never dropped
silently: they raise an ``InputError`` naming file and line, or, with
``on_bad_rows`` = skip/keep, are listed in ``Source.bad_rows``.

Delimited text takes a fast path (Polars' CSV reader) after a vectorised
structural check of the whole file; only a file that fails the check is re-read
by Python's csv module, which then decides and explains every bad row.
"""

from __future__ import annotations

import codecs
import csv
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from listclean.errors import InputError, UsageError
from listclean.io import sniff

if TYPE_CHECKING:
    import polars as pl

STDIN = "-"
STDIN_NAME = "<stdin>"
OnBadRows = Literal["error", "skip", "keep"]
ROW = "__listclean_row"  # the reader's own 1-based data row number
PROVENANCE_COLUMNS = ("_source_file", "_source_row")
EXTRA_FIELDS = "_extra_fields"
DEFAULT_CHUNK_ROWS = 500_000

_ENCODING_ALIASES = {"utf8": "utf-8", "utf-8-sig": "utf-8", "latin1": "latin-1", "shift_jis": "cp932", "sjis": "cp932"}


@dataclass
class ReadOptions:
    delimiter: str | None = None
    encoding: str | None = None
    format: str | None = None
    sheet: str | None = None
    header: bool | None = None  # None: detect (a first row holding an address is data)
    on_bad_rows: OnBadRows = "error"


@dataclass
class BadRow:
    row: int | None  # 1-based data row (None when the row never became one)
    line: int  # 1-based physical line in the file (Excel: sheet row)
    reason: str  # stable code: ragged_row, unclosed_quote, nul_byte, bad_json
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
    # Large files are processed a chunk of rows at a time (bounded memory); `frame` still
    # reads the whole file lazily, for decisions that need every row (date order).
    split: Callable[[], Iterator[pl.LazyFrame]] | None = None

    def chunks(self) -> Iterator[pl.LazyFrame]:
        """The rows in order, as one frame or, for a large file, several."""
        if self.split is None:
            yield self.frame
        else:
            yield from self.split()


def chunk_rows() -> int:
    """Rows per chunk when a large input is streamed (LISTCLEAN_CHUNK_ROWS, default 500,000)."""
    text = os.environ.get("LISTCLEAN_CHUNK_ROWS", "")
    try:
        rows = int(text) if text.strip() else DEFAULT_CHUNK_ROWS
    except ValueError:
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} is not a whole number", hint="e.g. LISTCLEAN_CHUNK_ROWS=500000") from None
    if rows < 1:
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} must be at least 1")
    return rows


class Workspace:
    """A temporary directory for spooled stdin and transcoded copies, removed at exit."""

    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._counter = 0
        self._lock = threading.Lock()  # chunks are read ahead in a second thread (importer.read_ahead)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def path(self, suffix: str) -> Path:
        with self._lock:
            if self._dir is None:
                self._dir = tempfile.TemporaryDirectory(prefix="listclean-")
            self._counter += 1
            return Path(self._dir.name) / f"{self._counter}{suffix}"

    def close(self) -> None:
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def display_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def read_source(path: str, options: ReadOptions, workspace: Workspace) -> Source:
    """Open one input (a path or "-") and return its rows as text."""
    name = display_name(path)
    local = _local_copy(path, workspace)
    with open(local, "rb") as handle:
        head = handle.read(sniff.SAMPLE_BYTES)
    if not head:
        raise InputError("the file is empty (0 bytes)", source=name, hint="nothing to import; check the export step")
    fmt = options.format or sniff.sniff_format(head, name)
    if fmt in sniff.TEXT_FORMATS:
        return _read_delimited(local, name, head, fmt, options, workspace)
    if fmt == "parquet":
        return _read_parquet(local, name)
    if fmt in ("ndjson", "json"):
        return _read_json(local, name, fmt)
    if fmt == "xlsx":
        return _read_excel(local, name, options)
    raise UsageError(f"unknown input format {fmt!r}", hint=f"use one of {', '.join(sniff.FORMATS)}")


def _local_copy(path: str, workspace: Workspace) -> Path:
    """A seekable file for the input: stdin is spooled to the workspace."""
    if path == STDIN:
        spool = workspace.path(".stdin")
        with open(spool, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        return spool
    local = Path(path)
    if not local.exists():
        raise InputError("no such file", source=path, hint="check the path")
    if local.is_dir():
        raise InputError("is a directory, not a file", source=path)
    if not os.access(local, os.R_OK):
        raise InputError("permission denied", source=path)
    return local


# --------------------------------------------------------------------------- delimited text


def _read_delimited(
    local: Path, name: str, head: bytes, fmt: str, options: ReadOptions, workspace: Workspace
) -> Source:
    import polars as pl

    notices: list[str] = []
    encoding = _decide_encoding(local, name, head, options, notices)
    utf8_path = _as_utf8(local, encoding, head, workspace)
    with open(utf8_path, encoding="utf-8", newline="") as text:
        sample = text.read(sniff.SAMPLE_BYTES)
    if not sample.strip():
        raise InputError("the file holds no rows, only blank space", source=name)
    delimiter = _decide_delimiter(sample, fmt, options)
    first = _first_record(sample, delimiter)
    has_header = options.header if options.header is not None else not sniff.looks_like_data_row(first)
    if options.header is None and not has_header:
        notices.append("the first row holds an email address, so it is read as data (pass --header if it is a header)")
    header = _clean_header(first, name, notices) if has_header else [f"column_{i + 1}" for i in range(len(first))]

    ranges = _record_ranges(utf8_path, sample, has_header)
    checks = _check_structure(utf8_path, delimiter, len(first), ranges)
    split = None
    bad_rows: list[BadRow] = []
    if not any(check.bad for check in checks):
        frame = _scan_fast(utf8_path, delimiter, header, has_header)
        if len(ranges) > 1:
            split = _range_reader(utf8_path, name, delimiter, header, checks, options.on_bad_rows, bad_rows)
    elif len(ranges) > 1 and not any(check.quotes for check in checks):
        # Only some records are ragged or hold NUL bytes, and every quote is where it belongs,
        # so the ranges end where records end: the careful reader takes just the bad ranges.
        # (With --on-bad-rows error, reading the chunks stops at the first bad row, naming it;
        # outputs are written only at the end, so nothing is left behind.)
        split = _range_reader(utf8_path, name, delimiter, header, checks, options.on_bad_rows, bad_rows)
        # For decisions over the whole file (the date order) the bad records hardly matter.
        frame = _scan_fast(utf8_path, delimiter, header, has_header, ragged=True)
        if options.on_bad_rows == "keep" and any(check.extra_fields for check in checks):
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA_FIELDS))
    elif len(ranges) > 1:
        # A quote out of place somewhere: no range boundary can be trusted, so the careful reader
        # reads the whole file, a chunk of records at a time, into the workspace.
        frame, bad_rows, split = _read_careful_spooled(utf8_path, name, delimiter, header, has_header, options.on_bad_rows, workspace)
    else:
        frame, bad_rows, _ = _read_careful(utf8_path, name, delimiter, header, has_header, options.on_bad_rows)
    if frame is None:
        raise InputError("the file holds no rows", source=name)
    return Source(
        name=name,
        format=fmt,
        frame=frame,
        header=header,
        has_provenance=all(column in header for column in PROVENANCE_COLUMNS),
        encoding="utf-8-sig" if encoding.name == "utf-8" and encoding.bom_length else encoding.name,
        delimiter=delimiter,
        bad_rows=bad_rows,
        notices=notices,
        split=split,
    )


def _record_ranges(path: Path, sample: str, has_header: bool) -> list[tuple[int, int]]:
    """Byte ranges of the data, each about chunk_rows() records long and ending at a record's end.

    A newline ends a record when the quotes before it are balanced. The structure check
    proves every quote opens or closes a field before the ranges are trusted, so this
    simple parity rule agrees with the CSV reader.
    """
    size = path.stat().st_size
    lines = max(sample.count("\n"), 1)
    target = max(64, int(len(sample.encode("utf-8")) / lines * chunk_rows()))
    if size <= target:
        return [(0, size)]
    ranges: list[tuple[int, int]] = []
    start = 0
    with open(path, "rb") as handle:
        if has_header:
            head = handle.read(min(size, 1 << 20))
            if head[:1] in (b"\n", b"\r"):
                return [(0, size)]  # blank lines before the header: read whole, as Polars skips them
            end = _balanced_newline(head)
            if end is None:
                return [(0, size)]
            ranges.append((0, end + 1))  # the header (and nothing else)
            start = end + 1
        else:
            ranges.append((0, 0))  # no header: the first range (read as the header's) is empty
        while start < size:
            handle.seek(start)
            block = handle.read(target)
            if start + len(block) >= size:
                ranges.append((start, size))
                break
            end = _record_end(block)
            if end is None:  # one line longer than a chunk: take the rest whole
                ranges.append((start, size))
                break
            ranges.append((start, start + end + 1))
            start += end + 1
    return ranges


def _record_end(block: bytes, tries: int = 10_000) -> int | None:
    """The last newline in the block with an even number of quotes before it.

    Failing that within `tries` newlines (a quote out of place, or a quoted field longer
    than the block), the last newline: the structure check then finds the quote trouble
    and the careful reader, which trusts no range, reads the file.
    """
    last = block.rfind(b"\n")
    if last < 0:
        return None
    candidate, quotes = last, block.count(b'"', 0, last)
    for _ in range(tries):
        if quotes % 2 == 0:
            return candidate
        previous = block.rfind(b"\n", 0, candidate)
        if previous < 0:
            break
        quotes -= block.count(b'"', previous, candidate)
        candidate = previous
    return last


def _balanced_newline(block: bytes) -> int | None:
    """The first newline in the block with an even number of quotes before it (the header's end)."""
    end, quotes = block.find(b"\n"), 0
    previous = 0
    while end >= 0:
        quotes += block.count(b'"', previous, end)
        if quotes % 2 == 0:
            return end
        previous, end = end, block.find(b"\n", end + 1)
    return None


def _range_reader(
    path: Path, name: str, delimiter: str, header: list[str], checks: list[_RangeCheck], on_bad_rows: OnBadRows, bad_rows: list[BadRow]
) -> Callable[[], Iterator[pl.LazyFrame]]:
    """The data ranges read one at a time, numbered on from the rows before them; a range with
    bad records goes through the careful reader, whose findings are added to `bad_rows`."""
    import polars as pl

    extras = on_bad_rows == "keep" and any(check.extra_fields for check in checks)

    def chunks() -> Iterator[pl.LazyFrame]:
        rows_before = 0
        with open(path, "rb") as handle:
            for check in checks[1:]:  # the first range is the header
                handle.seek(check.start)
                data = handle.read(check.end - check.start)
                if not check.bad:
                    frame = _scan_fast(data, delimiter, header, False, first_row=rows_before + 1).collect()
                    rows_before += frame.height
                else:
                    text = data.decode("utf-8")
                    lazy, found, rows_before = _read_careful(text, name, delimiter, header, False, on_bad_rows, check.lines_before, rows_before)
                    bad_rows.extend(found)
                    frame = lazy.collect()
                if extras and EXTRA_FIELDS not in frame.columns:  # as the first look at the file promised
                    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA_FIELDS))
                yield frame.lazy()

    return chunks


def _decide_encoding(local: Path, name: str, head: bytes, options: ReadOptions, notices: list[str]) -> sniff.Encoding:
    if options.encoding:
        wanted = _ENCODING_ALIASES.get(options.encoding.lower(), options.encoding.lower())
        try:
            codecs.lookup(wanted)
        except LookupError:
            raise UsageError(f"unknown encoding {options.encoding!r}", hint="e.g. utf-8, cp1252, cp1250, cp932, utf-16") from None
        bom = sniff.sniff_bom(head)
        return sniff.Encoding(wanted, bom.bom_length if bom and bom.name.startswith(wanted[:6]) else 0)
    bom = sniff.sniff_bom(head)
    if bom is not None:
        return bom
    utf16 = sniff.sniff_utf16_without_bom(head)
    if utf16 is not None:
        notices.append(f"no byte-order mark; decoded as {utf16} (pass --encoding to override)")
        return sniff.Encoding(utf16, 0, detected=True)
    with open(local, "rb") as handle:
        bad_at = sniff.first_invalid_utf8(handle)
    if bad_at is None:
        return sniff.Encoding("utf-8")
    with open(local, "rb") as handle:
        before = handle.read(bad_at)
        sample = before[-sniff.SAMPLE_BYTES :] + handle.read(sniff.SAMPLE_BYTES)
    guess = sniff.guess_legacy_encoding(sample)
    line = before.count(b"\n") + 1
    notices.append(f"not UTF-8 (first invalid byte on line {line}); decoded as {guess} (pass --encoding to override)")
    return sniff.Encoding(guess, 0, detected=True)


def _as_utf8(local: Path, encoding: sniff.Encoding, head: bytes, workspace: Workspace) -> Path:
    """A UTF-8 copy with \\n line ends when the file is anything else; the file itself otherwise."""
    old_mac = b"\r" in head and b"\n" not in head  # classic Mac OS line ends: CR only
    if encoding.name == "utf-8" and not encoding.bom_length and not old_mac:
        return local
    target = workspace.path(".utf8.csv")
    decoder = codecs.getincrementaldecoder(encoding.name)(errors="strict")
    with open(local, "rb") as raw, open(target, "w", encoding="utf-8", newline="") as out:
        raw.seek(encoding.bom_length)
        offset = encoding.bom_length
        while True:
            chunk = raw.read(1 << 20)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"cannot be decoded as {encoding.name} near byte {offset + max(exc.start, 0)}",
                    source=str(local),
                    hint="pass the right --encoding",
                ) from None
            if old_mac:
                text = text.replace("\r", "\n")
            out.write(text)
            if not chunk:
                break
            offset += len(chunk)
    return target


def _decide_delimiter(sample: str, fmt: str, options: ReadOptions) -> str:
    if options.delimiter:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(options.delimiter.lower(), options.delimiter)
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            raise UsageError(f"the delimiter must be one character, not {options.delimiter!r}")
        return delimiter
    if fmt == "tsv":
        return "\t"
    return sniff.sniff_delimiter(sample)


def _first_record(sample: str, delimiter: str) -> list[str]:
    lines = iter(sample.splitlines(keepends=True))
    # Skip leading blank lines: some exports start with one.
    reader = csv.reader((line for line in lines if line.strip()), delimiter=delimiter)
    try:
        return next(reader)
    except (StopIteration, csv.Error):
        return []


def _clean_header(cells: list[str], name: str, notices: list[str]) -> list[str]:
    header: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        title = cell.replace("\ufeff", "").strip() or f"column_{index + 1}"
        if title == "*" or (title.startswith("^") and title.endswith("$")) or title.startswith("__listclean"):
            # Polars reads "*" and "^…$" as wildcards, and __listclean… names are listclean's own.
            renamed = f"column_{index + 1} ({title})"
            notices.append(f"line 1: column name {title!r} (column {index + 1}) renamed {renamed!r}: the name is reserved")
            title = renamed
        key = title.casefold()
        if key in seen:
            seen[key] += 1
            renamed = f"{title} ({seen[key]})"
            notices.append(
                f"line 1: duplicate column name {title!r} (column {index + 1}) renamed {renamed!r}; the first one is used"
            )
            title = renamed
        else:
            seen[key] = 1
        header.append(title)
    return header


def _read_lines(data: bytes) -> pl.DataFrame:
    """Every physical line of the data as one text value (quotes not interpreted)."""
    import polars as pl

    # A byte that occurs nowhere in the file serves as the "separator" so each line is one field.
    unused = next((chr(c) for c in (0x1F, 0x1E, 0x1D, 0x1C, 0x07) if bytes([c]) not in data), None)
    if unused is None:  # pragma: no cover - a file holding every control byte
        series = pl.Series("line", data.decode("utf-8").split("\n"))
        if series.len() and series[-1] == "":
            series = series.head(-1)
        return series.to_frame()
    return pl.read_csv(
        data,
        has_header=False,
        separator=unused,
        quote_char=None,
        new_columns=["line"],
        infer_schema=False,
        empty_string_is_null=False,
    )


@dataclass
class _RangeCheck:
    start: int  # byte range of the file
    end: int
    lines_before: int  # physical lines before the range
    bad: bool  # some record is ragged, holds a NUL byte or a stray/unclosed quote
    quotes: bool  # a stray or unclosed quote: where records end is uncertain
    extra_fields: bool  # some record has more fields than the header


def _check_structure(path: Path, delimiter: str, width: int, ranges: list[tuple[int, int]]) -> list[_RangeCheck]:
    """_check_range over the file, range by range (lines numbered across the whole file).

    Two ranges are checked at a time, in two threads: the check is Polars work (it runs
    without the GIL), and it reads the whole file before the first chunk can start.
    """
    from concurrent.futures import ThreadPoolExecutor

    def check(byte_range: tuple[int, int]) -> tuple[tuple[bool, bool, bool], int]:
        start, end = byte_range
        with open(path, "rb") as handle:
            handle.seek(start)
            data = handle.read(end - start)
        verdict = _check_range(data, delimiter, width) if data else (False, False, False)
        return verdict, data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)

    checks = []
    lines_before = 0
    with ThreadPoolExecutor(2, thread_name_prefix="listclean-check") as pool:
        for (start, end), (verdict, lines) in zip(ranges, pool.map(check, ranges)):
            checks.append(_RangeCheck(start, end, lines_before, *verdict))
            lines_before += lines
    return checks


def _check_range(data: bytes, delimiter: str, width: int) -> tuple[bool, bool, bool]:
    """Vectorised check of a range: (any bad record, any stray or unclosed quote, any record too long).

    Quote parity per line tells which lines continue a quoted field; separators are
    counted outside quoted sections. This accepts exactly the files Polars' reader
    parses as intended; anything else (ragged rows, stray or unclosed quotes, NUL
    bytes) returns the suspicious lines and the file takes the careful path.
    """
    import polars as pl

    lines = _read_lines(data)
    quote = '"'
    text = pl.col("line").str.strip_suffix("\r")
    # Polars (like the csv module) honours a quote only at the start of a field; one inside a
    # field is a literal character. Each line, closed with the quotes a multi-line record
    # lends it, must therefore read as fields that are quoted whole or hold no quote at all.
    separator = f"\\x{{{ord(delimiter):X}}}"  # any delimiter, written as a regex escape
    field = f'(?:"(?:[^"]|"")*"|[^"{separator}]*)'
    well_formed = f"^{field}(?:{separator}{field})*$"
    lines = (
        lines.lazy()
        .with_columns(text.alias("line"))
        .with_columns(pl.col("line").str.count_matches(quote, literal=True).alias("quotes"))
        .with_columns(((pl.col("quotes").cum_sum() - pl.col("quotes")) % 2 == 1).alias("open_before"))
        .with_columns(((pl.col("quotes").cum_sum()) % 2 == 1).alias("open_after"))
        .with_columns((~pl.col("open_before")).cum_sum().alias("record"))
        .collect()
    )
    # Most lines hold no quote and continue no quoted field: each is a record of its own whose
    # fields are its separators plus one. Only the records with quotes need the costly checks
    # below (a record either has a quote on its first line or is one quote-free line).
    plain = (pl.col("quotes") == 0) & ~pl.col("open_before")
    simple = lines.lazy().filter(plain).select(
        (pl.col("line").str.count_matches(delimiter, literal=True) + 1).cast(pl.UInt32).alias("fields"),
        pl.col("line").str.contains("\x00", literal=True).alias("nul"),
        pl.lit(False).alias("stray_quote"),
        pl.lit(True).alias("single_line"),
        (pl.col("line").str.len_bytes() == 0).alias("blank_first"),
        pl.lit(False).alias("unclosed"),
    )
    quoted = (
        lines.lazy()
        .filter(~plain)
        .with_columns(
            pl.concat_str(
                pl.when(pl.col("open_before")).then(pl.lit(quote)).otherwise(pl.lit("")),
                pl.col("line"),
                pl.when(pl.col("open_after")).then(pl.lit(quote)).otherwise(pl.lit("")),
            )
            .alias("closed"),
        )
        .with_columns(
            pl.col("closed").str.replace_all(r'"[^"]*"', "").str.count_matches(delimiter, literal=True).alias("separators"),
            (~pl.col("closed").str.contains(well_formed)).alias("stray_quote"),
            pl.col("line").str.contains("\x00", literal=True).alias("nul"),
        )
        .group_by("record", maintain_order=True)
        .agg(
            (pl.col("separators").sum() + 1).cast(pl.UInt32).alias("fields"),
            pl.col("nul").any(),
            pl.col("stray_quote").any(),
            (pl.len() == 1).alias("single_line"),
            (pl.col("line").first().str.len_bytes() == 0).alias("blank_first"),
            pl.col("open_after").last().alias("unclosed"),
        )
        .drop("record")
    )
    checked = pl.concat([simple, quoted])
    blank = pl.col("single_line") & pl.col("blank_first")
    quotes = pl.col("stray_quote") | pl.col("unclosed")
    verdict = checked.select(
        (((pl.col("fields") != width) & ~blank) | pl.col("nul") | quotes).any().alias("bad"),
        quotes.any().alias("quotes"),
        (pl.col("fields") > width).any().alias("extra"),
    ).collect()
    return bool(verdict["bad"][0]), bool(verdict["quotes"][0]), bool(verdict["extra"][0])


def _scan_fast(path: Path | bytes, delimiter: str, header: list[str], has_header: bool, first_row: int = 1, ragged: bool = False) -> pl.LazyFrame:
    import polars as pl

    # An explicit all-text schema (not new_columns): a first line shorter than the header (an
    # empty line before header-less data) must not leave a column typed Null.
    return pl.scan_csv(
        path,
        separator=delimiter,
        has_header=False,
        skip_rows=1 if has_header else 0,  # the header was parsed already (names cleaned, duplicates renamed)
        schema={name: pl.String for name in header},
        quote_char='"',
        row_index_name=ROW,
        row_index_offset=first_row,
        missing_columns="insert",
        # Only for a first look over a file with ragged rows: surplus fields are ignored.
        truncate_ragged_lines=ragged,
        **({"extra_columns": "ignore"} if ragged else {}),
    ).select(pl.col(ROW).cast(pl.Int64), *header)


def _read_careful(
    source: Path | str,
    name: str,
    delimiter: str,
    header: list[str],
    has_header: bool,
    on_bad_rows: OnBadRows,
    lines_before: int = 0,
    rows_before: int = 0,
) -> tuple[pl.LazyFrame, list[BadRow], int]:
    """Parse with Python's csv module, which can say where and why a row is bad.

    `source` is the file, or a range of it as text that starts `lines_before` lines and
    `rows_before` data rows in. Returns the rows, the bad ones, and the last row number.
    """
    import polars as pl

    bad_rows: list[BadRow] = []
    batches = list(_careful_batches(source, name, delimiter, header, has_header, on_bad_rows, bad_rows, lines_before, rows_before))
    frame = pl.concat([batch for batch, _ in batches], how="diagonal_relaxed")
    return frame.lazy(), bad_rows, batches[-1][1]


def _read_careful_spooled(
    path: Path, name: str, delimiter: str, header: list[str], has_header: bool, on_bad_rows: OnBadRows, workspace: Workspace
) -> tuple[pl.LazyFrame, list[BadRow], Callable[[], Iterator[pl.LazyFrame]]]:
    """The careful reader over a large file, a chunk of records at a time into Parquet parts:
    the whole file as one lazy frame (for whole-file decisions) and its chunks, in bounded memory."""
    import polars as pl

    from listclean.io.write import FrameSpool

    bad_rows: list[BadRow] = []
    spool = FrameSpool(workspace.path)
    for batch, _ in _careful_batches(path, name, delimiter, header, has_header, on_bad_rows, bad_rows, batch_rows=chunk_rows()):
        spool.add(batch)
    frame = spool.lazy()
    extras = EXTRA_FIELDS in frame.collect_schema().names()

    def chunks() -> Iterator[pl.LazyFrame]:
        for chunk in spool:
            if extras and EXTRA_FIELDS not in chunk.columns:
                chunk = chunk.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA_FIELDS))
            yield chunk.lazy()

    return frame, bad_rows, chunks


def _careful_batches(
    source: Path | str,
    name: str,
    delimiter: str,
    header: list[str],
    has_header: bool,
    on_bad_rows: OnBadRows,
    bad_rows: list[BadRow],
    lines_before: int = 0,
    rows_before: int = 0,
    batch_rows: int | None = None,
) -> Iterator[tuple[pl.DataFrame, int]]:
    """(rows, last row number) for every `batch_rows` records (all in one batch when None);
    bad rows are reported into `bad_rows` as they are met."""
    import polars as pl

    width = len(header)

    def batch(columns: list[list[str | None]], extras: list[str | None], row_numbers: list[int]) -> pl.DataFrame:
        data: dict[str, list] = {ROW: row_numbers}
        data.update({title: values for title, values in zip(header, columns, strict=True)})
        schema = {ROW: pl.Int64, **{title: pl.String for title in header}}
        if any(value is not None for value in extras):
            data[EXTRA_FIELDS] = extras
            schema[EXTRA_FIELDS] = pl.String
        return pl.DataFrame(data, schema=schema)

    columns: list[list[str | None]] = [[] for _ in range(width)]
    extras: list[str | None] = []
    row_numbers: list[int] = []
    row_number, batches = rows_before, 0
    for row_number, line, record, raw in _records(source, name, delimiter, has_header, lines_before, rows_before):
        problem = None
        if not record:
            pass  # a blank line: an empty row, counted and reported by the importer
        elif any("\x00" in cell for cell in record):
            problem = ("nul_byte", "contains a NUL byte (\\0)")
        elif len(record) != width:
            problem = ("ragged_row", f"has {len(record)} fields, the header has {width}")
        if problem:
            reason, detail = problem
            if on_bad_rows == "error":
                raise InputError(
                    f"row {row_number} {detail}",
                    source=name,
                    line=line,
                    hint="fix the file, or pass --on-bad-rows skip (quarantine it) or keep (repair it)",
                )
            action = "skipped" if on_bad_rows == "skip" else "kept"
            bad_rows.append(BadRow(row_number, line, reason, detail, raw, action))
            if on_bad_rows == "skip":
                continue
            record = [cell.replace("\x00", "") for cell in record]
        if len(record) > width:
            extras.append(delimiter.join(record[width:]))
        else:
            extras.append(None)
        record = (record + [""] * width)[:width]  # pad short rows (only reached with keep)
        for index, cell in enumerate(record):
            columns[index].append(cell if cell != "" else None)
        row_numbers.append(row_number)
        if batch_rows is not None and len(row_numbers) >= batch_rows:
            yield batch(columns, extras, row_numbers), row_number
            columns, extras, row_numbers = [[] for _ in range(width)], [], []
            batches += 1
    if row_numbers or not batches:  # at least one batch, if empty (every row skipped)
        yield batch(columns, extras, row_numbers), row_number


def _records(
    source: Path | str, name: str, delimiter: str, has_header: bool, lines_before: int = 0, rows_before: int = 0
) -> Iterator[tuple[int, int, list[str], str]]:
    """(data row number, first line, fields, raw text) for every record after the header."""
    import io

    with open(source, encoding="utf-8", newline="") if isinstance(source, Path) else io.StringIO(source, newline="") as handle:
        raw_lines: list[str] = []

        def lines() -> Iterator[str]:
            for text in handle:
                raw_lines.append(text)
                yield text

        reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', strict=False)
        line_before = lines_before
        row_number = rows_before
        first = True
        while True:
            raw_lines.clear()
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. "unexpected end of data": an unclosed quote
                raise InputError(
                    f"unclosed quote in the row starting here ({exc})",
                    source=name,
                    line=line_before + 1,
                    hint='close the quote, or double a literal " inside a quoted field',
                ) from None
            start = line_before + 1
            line_before = lines_before + reader.line_num
            if first and has_header:
                first = False
                continue
            first = False
            if not record and "".join(raw_lines).strip("\r\n") == "":
                row_number += 1  # a blank line: Polars yields an empty row, so we count it too
                yield row_number, start, [], ""
                continue
            row_number += 1
            if line_before > start and "".join(raw_lines).count('"') % 2 == 1:
                # The non-strict csv module lets a quote that never closes swallow the rest
                # of the file; a record spanning lines with an odd number of quotes is that.
                raise InputError(
                    "unclosed quote: the quoted field starting here runs to the end of the file",
                    source=name,
                    line=start,
                    hint='close the quote, or double a literal " inside a quoted field',
                )
            yield row_number, start, record, "".join(raw_lines).rstrip("\r\n")


# --------------------------------------------------------------------------- binary and JSON formats


def _stringify(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Every column as text (see ``text.as_text``); the reader's row number stays an integer."""
    import polars as pl

    from listclean.text import as_text

    return frame.select(
        pl.col(title).cast(pl.Int64) if title == ROW else as_text(pl.col(title), dtype).alias(title)
        for title, dtype in frame.collect_schema().items()
    )


def _with_row_numbers(frame: pl.LazyFrame, first_row: int = 1) -> tuple[pl.LazyFrame, bool]:
    """Add the reader's row numbers (from `first_row`: a later chunk numbers on); say whether
    the file carries listclean's provenance."""
    import polars as pl

    columns = frame.collect_schema().names()
    frame = frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))
    return frame, all(name in columns for name in PROVENANCE_COLUMNS)


def _read_parquet(local: Path, name: str) -> Source:
    import polars as pl

    try:
        frame = pl.scan_parquet(local)
        frame.collect_schema()
    except Exception as exc:  # noqa: BLE001 - Polars raises several types for corrupt files
        raise InputError(f"not a readable Parquet file ({_first_line(exc)})", source=name) from None
    frame, provenance = _with_row_numbers(frame)
    canonical = provenance and _marked_canonical(local, frame)
    if not canonical:
        frame = _stringify(frame)
    header = [c for c in frame.collect_schema().names() if c != ROW]
    rows, size = pl.scan_parquet(local).select(pl.len()).collect().item(), chunk_rows()
    split = None
    if rows > size:
        def split() -> Iterator[pl.LazyFrame]:
            for offset in range(0, rows, size):
                yield frame.slice(offset, size)

    return Source(name, "parquet", frame, header, has_provenance=provenance, canonical=canonical, split=split)


def is_listclean_parquet(path: str) -> bool:
    """Whether the input is a Parquet file listclean wrote from standard contacts, with its
    provenance: reading it again is only a read (nothing is re-standardised)."""
    import polars as pl

    from listclean import schema

    local = Path(path)
    if path == STDIN or not local.is_file():
        return False
    with open(local, "rb") as handle:
        if handle.read(4) != b"PAR1":
            return False
    try:
        columns = pl.read_parquet_schema(local)
    except Exception:  # noqa: BLE001 - Polars raises several types for corrupt files
        return False
    return all(name in columns for name in PROVENANCE_COLUMNS) and _marked_canonical(local, pl.LazyFrame(schema=columns))


def _marked_canonical(local: Path, frame: pl.LazyFrame) -> bool:
    """A Parquet file listclean wrote from standard, typed contacts (and nobody re-typed since)."""
    import polars as pl

    from listclean import schema

    try:
        metadata = pl.read_parquet_metadata(local)
    except Exception:  # noqa: BLE001 - no metadata: read it like any file
        return False
    return schema.CANONICAL_MARK in metadata and schema.is_canonical_schema(frame.collect_schema())


def _read_json(local: Path, name: str, fmt: str) -> Source:
    import polars as pl

    if fmt == "ndjson":
        return _read_ndjson(local, name)
    try:
        frame = pl.read_json(local, infer_schema_length=None).lazy()
    except Exception as exc:  # noqa: BLE001
        raise _json_error(local, name, fmt, exc) from None
    return _json_source(name, fmt, frame)


def _read_ndjson(local: Path, name: str) -> Source:
    """NDJSON, read a chunk of lines at a time when the file is large (a record never spans lines).

    The column types are Polars' inference over the whole file, and every chunk is read with
    them, so a chunk's rows read exactly as the same rows of the whole file do (a field that is
    a number in early lines and text later is text in every chunk).
    """
    import io

    import polars as pl

    ranges = _line_ranges(local, chunk_rows())
    try:
        whole = pl.read_ndjson(local, infer_schema_length=None) if len(ranges) == 1 else None
        types = whole.schema if whole is not None else pl.scan_ndjson(local, infer_schema_length=None).collect_schema()
    except Exception as exc:  # noqa: BLE001 - Polars raises several types for bad JSON
        raise _json_error(local, name, "ndjson", exc) from None
    if whole is not None:
        return _json_source(name, "ndjson", whole.lazy())

    def split() -> Iterator[pl.LazyFrame]:
        rows_before = 0
        with open(local, "rb") as handle:
            for start, end in ranges:
                handle.seek(start)
                data = handle.read(end - start)
                if not data.strip():
                    continue  # blank lines only: no record (a whole read skips them too)
                try:
                    chunk = pl.read_ndjson(io.BytesIO(data), schema=types)
                except Exception as exc:  # noqa: BLE001
                    raise _json_error(local, name, "ndjson", exc) from None
                numbered, _ = _with_row_numbers(chunk.lazy(), first_row=rows_before + 1)
                rows_before += chunk.height
                yield _stringify(numbered)

    # The whole file, lazily, for the decisions that need every row (the date order).
    return _json_source(name, "ndjson", pl.scan_ndjson(local, schema=types), split)


def _json_source(name: str, fmt: str, frame: pl.LazyFrame, split: Callable[[], Iterator[pl.LazyFrame]] | None = None) -> Source:
    frame, provenance = _with_row_numbers(frame)
    frame = _stringify(frame)
    header = [c for c in frame.collect_schema().names() if c != ROW]
    if not header:
        raise InputError("holds no fields", source=name)
    return Source(name, fmt, frame, header, encoding="utf-8", has_provenance=provenance, split=split)


def _json_error(local: Path, name: str, fmt: str, exc: Exception) -> InputError:
    line, detail = _diagnose_json(local, fmt)
    return InputError(
        detail or f"not readable as {fmt.upper()} ({_first_line(exc)})",
        source=name,
        line=line,
        hint="each line must be one JSON object" if fmt == "ndjson" else "expected an array of objects",
    )


def _line_ranges(path: Path, rows: int) -> list[tuple[int, int]]:
    """Byte ranges of about `rows` lines each (judged from the first lines' length), each ending
    at a newline."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        sample = handle.read(sniff.SAMPLE_BYTES)
        target = max(64, int(len(sample) / max(sample.count(b"\n"), 1) * rows))
        ranges: list[tuple[int, int]] = []
        start = 0
        while start < size:
            end = start + target
            if end >= size:
                ranges.append((start, size))
                break
            handle.seek(end)
            while True:  # on to the end of the line the target falls in
                block = handle.read(1 << 16)
                newline = block.find(b"\n")
                if newline >= 0 or not block:
                    end = end + newline + 1 if newline >= 0 else size
                    break
                end += len(block)
            ranges.append((start, end))
            start = end
    return ranges


def _diagnose_json(local: Path, fmt: str) -> tuple[int | None, str | None]:
    import json

    if fmt != "ndjson":
        return None, None
    with open(local, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                return number, f"invalid JSON at column {exc.colno}: {exc.msg}"
            if not isinstance(value, dict):
                return number, f"expected a JSON object, found {type(value).__name__}"
    return None, None


def _read_excel(local: Path, name: str, options: ReadOptions) -> Source:
    import fastexcel
    import polars as pl

    try:
        workbook = fastexcel.read_excel(str(local))
    except Exception as exc:  # noqa: BLE001 - calamine errors are not one type
        raise InputError(f"not a readable Excel file ({_first_line(exc)})", source=name) from None
    sheets = workbook.sheet_names
    notices: list[str] = []
    if options.sheet is not None:
        if options.sheet not in sheets:
            raise InputError(f"no sheet named {options.sheet!r}", source=name, hint=f"sheets: {', '.join(sheets)}")
        sheet = options.sheet
    else:
        sheet = sheets[0]
        if len(sheets) > 1:
            notices.append(f"read sheet {sheet!r}, the first of {len(sheets)} (pass --sheet to choose another)")
    try:
        table = workbook.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"sheet {sheet!r} cannot be read ({_first_line(exc)})", source=name) from None
    if table.height == 0:
        raise InputError(f"sheet {sheet!r} is empty", source=name, hint="pass --sheet to choose another")
    first = [value if value is not None else "" for value in table.row(0)]
    has_header = options.header if options.header is not None else not sniff.looks_like_data_row(first)
    if has_header:
        header = _clean_header(first, f"{name} sheet {sheet!r}", notices)
        table = table.slice(1)
    else:
        header = [f"column_{i + 1}" for i in range(len(first))]
    table.columns = header
    frame = table.lazy().with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return Source(name, "xlsx", frame, header, sheet=sheet, notices=notices)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
