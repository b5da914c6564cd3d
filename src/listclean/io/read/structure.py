"""Where a large text input can be cut into chunks, and whether Polars' reader can be trusted with it.

Cutting: a file is cut into byte ranges of about a chunk of records, each ending where a
record ends, by one loop (`cut_ranges`) with a rule for where a range may end: for
delimited text the last newline with balanced quotes before the target size, for NDJSON
(a record never spans lines) the first newline after it.

Checking: before the fast path reads delimited text, a vectorised pass over every line
(Polars string work, two ranges at a time in two threads) proves each record has the
header's width, no NUL byte and only well-placed quotes. A range that fails goes to the
careful reader (``careful.py``); one stray quote anywhere means no range boundary can be
trusted. This is the hot path of every import: its code is tuned, change it with a
benchmark at hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from listclean.io import sniff

if TYPE_CHECKING:
    import polars as pl

# end_of_range(file, start, size) -> where the range from `start` ends (None: at the end of the file)
RangeEnd = Callable[[IO[bytes], int, int], "int | None"]


# --------------------------------------------------------------------------- cutting


def cut_ranges(handle: IO[bytes], start: int, size: int, end_of_range: RangeEnd) -> list[tuple[int, int]]:
    """Byte ranges from `start` to the end of the file, each ending where `end_of_range` says."""
    ranges: list[tuple[int, int]] = []
    while start < size:
        end = end_of_range(handle, start, size)
        if end is None or end >= size:
            ranges.append((start, size))
            break
        ranges.append((start, end))
        start = end
    return ranges


def range_data(path: Path, ranges: Iterable[tuple[int, int]]) -> Iterator[bytes]:
    """The bytes of each range in turn, from one open file."""
    with open(path, "rb") as handle:
        for start, end in ranges:
            handle.seek(start)
            yield handle.read(end - start)


def record_ranges(path: Path, sample: str, has_header: bool, rows: int, *, at_line_ends: bool = False) -> list[tuple[int, int]]:
    """Byte ranges of the data, each about `rows` records long and ending at a record's end.

    A newline ends a record when the quotes before it are balanced. The structure check
    proves every quote opens or closes a field before the ranges are trusted, so this
    simple parity rule agrees with the CSV reader.

    `at_line_ends`: cut at the first line end past each target instead, without reading the
    ranges (finding balanced newlines reads every byte). Right whenever no quoted field spans a
    range's end; the structure check finds out (quote trouble in a range), and the caller then
    cuts again where records end.
    """
    size = path.stat().st_size
    lines = max(sample.count("\n"), 1)
    target = max(64, int(len(sample.encode("utf-8")) / lines * rows))
    if size <= target:
        return [(0, size)]
    with open(path, "rb") as handle:
        if has_header:
            head = handle.read(min(size, 1 << 20))
            if head[:1] in (b"\n", b"\r"):
                return [(0, size)]  # blank lines before the header: read whole, as Polars skips them
            end = balanced_newline(head)
            if end is None:
                return [(0, size)]
            first = (0, end + 1)  # the header (and nothing else)
        else:
            first = (0, 0)  # no header: the first range (read as the header's) is empty
        end_of_range = _next_line_end(target) if at_line_ends else _last_record_end(target)
        return [first, *cut_ranges(handle, first[1], size, end_of_range)]


def line_ranges(path: Path, rows: int) -> list[tuple[int, int]]:
    """Byte ranges of about `rows` lines each (judged from the first lines' length), each ending
    at a newline."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        sample = handle.read(sniff.SAMPLE_BYTES)
        target = max(64, int(len(sample) / max(sample.count(b"\n"), 1) * rows))
        return cut_ranges(handle, 0, size, _next_line_end(target))


def _last_record_end(target: int) -> RangeEnd:
    """A range ends after the last record that starts within `target` bytes (see record_end)."""

    def end_of_range(handle: IO[bytes], start: int, size: int) -> int | None:
        handle.seek(start)
        block = handle.read(target)
        if start + len(block) >= size:
            return None
        end = record_end(block)
        return None if end is None else start + end + 1  # None: one line longer than a chunk, take the rest whole

    return end_of_range


def _next_line_end(target: int) -> RangeEnd:
    """A range ends at the end of the line that byte `target` of it falls in."""

    def end_of_range(handle: IO[bytes], start: int, size: int) -> int | None:
        end = start + target
        if end >= size:
            return None
        handle.seek(end)
        while True:  # on to the end of the line the target falls in
            block = handle.read(1 << 16)
            newline = block.find(b"\n")
            if newline >= 0 or not block:
                return end + newline + 1 if newline >= 0 else size
            end += len(block)

    return end_of_range


def record_end(block: bytes, tries: int = 10_000) -> int | None:
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


def balanced_newline(block: bytes) -> int | None:
    """The first newline in the block with an even number of quotes before it (the header's end)."""
    end, quotes = block.find(b"\n"), 0
    previous = 0
    while end >= 0:
        quotes += block.count(b'"', previous, end)
        if quotes % 2 == 0:
            return end
        previous, end = end, block.find(b"\n", end + 1)
    return None


# --------------------------------------------------------------------------- checking


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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


class NotUtf8(Exception):
    """A range holds bytes that are not UTF-8 (the encoding was decided from the file's head)."""


@dataclass
class RangeCheck:
    start: int  # byte range of the file
    end: int
    lines_before: int  # physical lines before the range
    bad: bool  # some record is ragged, holds a NUL byte or a stray/unclosed quote
    quotes: bool  # a stray or unclosed quote: where records end is uncertain
    extra_fields: bool  # some record has more fields than the header


def check_structure(path: Path, delimiter: str, width: int, ranges: list[tuple[int, int]]) -> list[RangeCheck]:
    """check_range over the file, range by range (lines numbered across the whole file).

    Two ranges are checked at a time, in two threads: the check is Polars work (it runs
    without the GIL), and it reads the whole file before the first chunk can start.
    """
    from concurrent.futures import ThreadPoolExecutor

    def check(byte_range: tuple[int, int]) -> tuple[tuple[bool, bool, bool], int]:
        start, end = byte_range
        with open(path, "rb") as handle:
            handle.seek(start)
            data = handle.read(end - start)
        verdict = check_range(data, delimiter, width) if data else (False, False, False)
        return verdict, data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)

    checks = []
    lines_before = 0
    with ThreadPoolExecutor(2, thread_name_prefix="listclean-check") as pool:
        for (start, end), (verdict, lines) in zip(ranges, pool.map(check, ranges)):
            checks.append(RangeCheck(start, end, lines_before, *verdict))
            lines_before += lines
    return checks


def check_range(data: bytes, delimiter: str, width: int) -> tuple[bool, bool, bool]:
    """Vectorised check of a range: (any bad record, any stray or unclosed quote, any record too long).

    Quote parity per line tells which lines continue a quoted field; separators are
    counted outside quoted sections. This accepts exactly the files Polars' reader
    parses as intended; anything else (ragged rows, stray or unclosed quotes, NUL
    bytes) returns the suspicious lines and the file takes the careful path.
    """
    import polars as pl

    try:
        lines = _read_lines(data)
    except pl.exceptions.ComputeError:
        if not _decodes(data):
            raise NotUtf8 from None
        raise
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
        pl.col("line").alias("first"),
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
            pl.col("line").first().alias("first"),
            pl.col("open_after").last().alias("unclosed"),
        )
        .drop("record")
    )
    checked = pl.concat([simple, quoted])
    quotes = pl.col("stray_quote") | pl.col("unclosed")
    # A line of blank space is an empty row (like an empty line), not a record of one field;
    # only the few records of the wrong width need that look.
    checked = checked.filter((pl.col("fields") != width) | pl.col("nul") | quotes)
    blank = pl.col("single_line") & (pl.col("first").str.strip_chars().str.len_bytes() == 0)
    verdict = checked.select(
        (((pl.col("fields") != width) & ~blank) | pl.col("nul") | quotes).any().alias("bad"),
        quotes.any().alias("quotes"),
        (pl.col("fields") > width).any().alias("extra"),
    ).collect()
    return bool(verdict["bad"][0]), bool(verdict["quotes"][0]), bool(verdict["extra"][0])
