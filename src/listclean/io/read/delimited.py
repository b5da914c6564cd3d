"""Delimited text (CSV, TSV, any text split by , ; tab or |): decisions, then the fastest safe read.

The decisions come first, from a bounded sample: the encoding (BOM, UTF-8, else a
guessed legacy code page, transcoded to a UTF-8 copy in the workspace), the delimiter,
whether the first row is a header and what its cleaned names are. Then the file is cut
into record ranges and checked (``structure.py``); a file that passes is read by Polars'
CSV reader (the fast scan), range by range when large. Only ranges that fail go through
the careful reader (``careful.py``), or the whole file when a stray quote means no range
boundary can be trusted. Every path numbers rows the same way, so the chunks of a large
file read exactly as the whole file would.
"""

from __future__ import annotations

import codecs
import csv
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from listclean.errors import InputError, UsageError
from listclean.io import sniff
from listclean.io.read.careful import Layout, read_careful, read_careful_spooled
from listclean.io.read.registry import Format, register
from listclean.io.read.source import EXTRA_FIELDS, PROVENANCE_COLUMNS, ROW, BadRow, ReadOptions, Source
from listclean.io.read.structure import NotUtf8, RangeCheck, check_structure, range_data, record_ranges
from listclean.io.read.workspace import Workspace

if TYPE_CHECKING:
    import polars as pl

DAMAGE_MARK = "listclean-damage"
codecs.register_error(DAMAGE_MARK, lambda error: ("\x00", error.end))  # type: ignore[arg-type, return-value]

_ENCODING_ALIASES = {"utf8": "utf-8", "utf-8-sig": "utf-8", "latin1": "latin-1", "shift_jis": "cp932", "sjis": "cp932"}

def read_delimited(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace, *, fmt: str) -> Source:
    try:
        return _read_delimited(local, name, head, options, workspace, fmt, trust_utf8_head=True)
    except NotUtf8:
        # The first look said UTF-8 and a later byte says otherwise: decide again from the whole file.
        return _read_delimited(local, name, head, options, workspace, fmt, trust_utf8_head=False)


def _read_delimited(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace, fmt: str, *, trust_utf8_head: bool) -> Source:
    notices: list[str] = []
    encoding = decide_encoding(local, name, head, options, notices, trust_utf8_head=trust_utf8_head)
    utf8_path = as_utf8(local, encoding, head, workspace)
    sample = _sample(utf8_path)
    if not sample.strip():
        raise InputError("the file holds no rows, only blank space", source=name)
    delimiter = decide_delimiter(sample, fmt, options)
    skipped = lines_before_the_table(sample, delimiter, options, notices)
    if skipped:
        utf8_path = _without_first_lines(utf8_path, skipped, workspace)
        sample = _sample(utf8_path)
        if not sample.strip():
            raise InputError(f"the file holds nothing after the {skipped} line(s) skipped", source=name)
    first = first_record(sample, delimiter)
    has_header = options.header if options.header is not None else not sniff.looks_like_data_row(first)
    if options.header is None and not has_header:
        notices.append("the first row holds an email address, so it is read as data (pass --header if it is a header)")
    header = clean_header(first, name, notices) if has_header else [f"column_{i + 1}" for i in range(len(first))]
    layout = Layout(
        utf8_path,
        name,
        delimiter,
        tuple(header),
        has_header,
        options.on_bad_rows,
        lines_before=skipped,
        chunk_rows=options.chunk_rows,
        damaged_lines=frozenset(encoding.damaged_lines),
    )
    frame, bad_rows, split, bad = _read_rows(layout, sample, workspace)
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
        may_have_bad_rows=bad,
    )


def _read_rows(
    layout: Layout, sample: str, workspace: Workspace
) -> tuple[pl.LazyFrame | None, list[BadRow], Callable[[], Iterator[pl.LazyFrame]] | None, bool]:
    """The whole file as one lazy frame, its bad rows (for a large file, as its chunks are read),
    (for a large file) its chunks, and whether the first look found any bad record."""
    import polars as pl

    path, header, on_bad_rows = cast(Path, layout.source), list(layout.header), layout.on_bad_rows
    ranges = record_ranges(path, sample, layout.has_header, layout.chunk_rows, at_line_ends=True)
    checks = check_structure(path, layout.delimiter, layout.width, ranges)
    if len(ranges) > 1 and any(check.quotes for check in checks):
        # Cut at line ends, a quoted field that spans lines may straddle two ranges (or a quote
        # is out of place): cut again where records end, and check again.
        ranges = record_ranges(path, sample, layout.has_header, layout.chunk_rows)
        checks = check_structure(path, layout.delimiter, layout.width, ranges)
    for check in checks:  # numbered as lines of the file, after any lines skipped before the table
        check.lines_before += layout.lines_before
    split = None
    bad_rows: list[BadRow] = []
    if not any(check.bad for check in checks):
        frame = scan_fast(path, layout.delimiter, header, layout.has_header)
        if len(ranges) > 1:
            split = _range_reader(layout, checks, bad_rows)
    elif len(ranges) > 1 and not any(check.quotes for check in checks):
        # Only some records are ragged or hold NUL bytes, and every quote is where it belongs,
        # so the ranges end where records end: the careful reader takes just the bad ranges.
        # (With --on-bad-rows error, reading the chunks stops at the first bad row, naming it;
        # outputs are written only at the end, so nothing is left behind.)
        split = _range_reader(layout, checks, bad_rows)
        # For decisions over the whole file (the date order) the bad records hardly matter.
        frame = scan_fast(path, layout.delimiter, header, layout.has_header, ragged=True)
        if on_bad_rows == "keep" and any(check.extra_fields for check in checks) and EXTRA_FIELDS not in header:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA_FIELDS))
    elif len(ranges) > 1:
        # A quote out of place somewhere: no range boundary can be trusted, so the careful reader
        # reads the whole file, a chunk of records at a time, into the workspace.
        frame, bad_rows, split = read_careful_spooled(layout, workspace)
    else:
        frame, bad_rows, _ = read_careful(layout)
    return frame, bad_rows, split, any(check.bad for check in checks) or bool(bad_rows)


def _range_reader(layout: Layout, checks: list[RangeCheck], bad_rows: list[BadRow]) -> Callable[[], Iterator[pl.LazyFrame]]:
    """The data ranges read one at a time, numbered on from the rows before them; a range with
    bad records goes through the careful reader, whose findings are added to `bad_rows`."""
    import polars as pl

    path, delimiter, header = cast(Path, layout.source), layout.delimiter, layout.header
    extras = layout.on_bad_rows == "keep" and any(check.extra_fields for check in checks)

    def chunks() -> Iterator[pl.LazyFrame]:
        rows_before = 0
        data_checks = checks[1:]  # the first range is the header
        for check, data in zip(data_checks, range_data(path, ((check.start, check.end) for check in data_checks))):
            # Polars drops a byte-order mark at the start of what it reads: a range whose first
            # cell starts with U+FEFF goes through the careful reader, so it reads as the whole file does.
            if not check.bad and not data.startswith(codecs.BOM_UTF8):
                # In one piece: the reader's parallel pieces made every later column beside them
                # (standardised values, the UDFs' answers) force a copy of all the columns.
                frame = scan_fast(data, delimiter, header, False, first_row=rows_before + 1).collect().rechunk()
                rows_before += frame.height
            else:
                text = data.decode("utf-8")
                in_range = replace(layout, source=text, has_header=False, lines_before=check.lines_before, rows_before=rows_before)
                lazy, found, rows_before = read_careful(in_range)
                bad_rows.extend(found)
                frame = lazy.collect()
            if extras and EXTRA_FIELDS not in frame.columns:  # as the first look at the file promised
                frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(EXTRA_FIELDS))
            yield frame.lazy()

    return chunks


def scan_fast(path: Path | bytes, delimiter: str, header: list[str] | tuple[str, ...], has_header: bool, first_row: int = 1, ragged: bool = False) -> pl.LazyFrame:
    import polars as pl

    # An explicit all-text schema (not new_columns): a first line shorter than the header (an
    # empty line before header-less data) must not leave a column typed Null.
    return pl.scan_csv(
        path,
        glob=False,  # a path is a path: a folder named "Kontakte [2026]" is no pattern
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


def decide_encoding(local: Path, name: str, head: bytes, options: ReadOptions, notices: list[str], *, trust_utf8_head: bool = False) -> sniff.Encoding:
    """The file's encoding. With `trust_utf8_head`, a head that is UTF-8 is taken to speak for the
    whole file without decoding it here: the structure check reads every byte anyway (in Polars,
    two ranges at a time) and raises NotUtf8 at the first invalid one, and the caller decides again.
    A Python pass over every byte cost a sixth of a second per 176 MB, on one core, before the
    first chunk could start."""
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
    if trust_utf8_head and sniff.is_utf8_prefix(head):
        return sniff.Encoding("utf-8")
    with open(local, "rb") as handle:
        bad_at = sniff.first_invalid_utf8(handle)
    if bad_at is None:
        return sniff.Encoding("utf-8")
    with open(local, "rb") as handle:
        valid, invalid, damaged = sniff.utf8_damage(handle)
    if valid and valid >= invalid:
        # UTF-8 text with a few bytes that are not (a cut character, one pasted from elsewhere):
        # it stays UTF-8, and the rows holding them are bad rows (--on-bad-rows decides).
        shown = ", ".join(str(line) for line in damaged[:5]) + (" …" if len(damaged) > 5 else "")
        notices.append(f"UTF-8, but {invalid} byte(s) are not valid UTF-8, on line(s) {shown} (pass --encoding if the file is in another encoding)")
        return sniff.Encoding("utf-8", 0, damaged_lines=tuple(damaged))
    with open(local, "rb") as handle:
        before = handle.read(bad_at)
        sample = before[-sniff.SAMPLE_BYTES :] + handle.read(sniff.SAMPLE_BYTES)
    guess = sniff.guess_legacy_encoding(sample)
    line = before.count(b"\n") + 1
    notices.append(f"not UTF-8 (first invalid byte on line {line}); decoded as {guess} (pass --encoding to override)")
    return sniff.Encoding(guess, 0, detected=True)


def as_utf8(local: Path, encoding: sniff.Encoding, head: bytes, workspace: Workspace) -> Path:
    """A UTF-8 copy with \\n line ends when the file is anything else; the file itself otherwise."""
    # Lines ending in a lone CR (classic Mac OS, or mixed with LF): each such CR outside quotes
    # becomes LF, so every reader splits the lines alike.
    old_mac = sniff.lone_cr_line_ends(head, whole=len(head) < sniff.SAMPLE_BYTES)
    if encoding.name == "utf-8" and not encoding.bom_length and not old_mac and not encoding.damaged_lines:
        return local
    quoted = False  # inside a quoted field at the end of the text so far
    held = ""  # a CR at the end of a block: is an LF next?
    target = workspace.path(".utf8.csv")
    # Bytes that are not UTF-8 in a UTF-8 file become NUL: the structure check sends their rows to
    # the careful reader, which reports them (reason bad_utf8, see Layout.damaged_lines).
    decoder = codecs.getincrementaldecoder(encoding.name)(errors=DAMAGE_MARK if encoding.damaged_lines else "strict")
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
                text, held = held + text, ""
                if chunk and text.endswith("\r"):
                    text, held = text[:-1], "\r"
                text, quoted = _lone_crs_as_lfs(text, quoted)
            out.write(text)
            if not chunk:
                break
            offset += len(chunk)
    return target


def _lone_crs_as_lfs(text: str, quoted: bool) -> tuple[str, bool]:
    """Every CR not followed by LF and outside quotes as LF; whether the text ends inside quotes."""
    import re

    parts = text.split('"')
    for index in range(0 if not quoted else 1, len(parts), 2):  # the parts outside quotes
        parts[index] = re.sub(r"\r(?!\n)", "\n", parts[index])
    return '"'.join(parts), quoted != (len(parts) % 2 == 0)


MAX_HEADER_CHARS = 64 << 20  # a first line longer than this is not a header


def _sample(path: Path) -> str:
    """The text's first SAMPLE_BYTES characters, read on to the end of the first line when it is
    longer (a header of thousands of columns must not be cut)."""
    with open(path, encoding="utf-8", newline="") as text:
        sample = text.read(sniff.SAMPLE_BYTES)
        while "\n" not in sample and "\r" not in sample and len(sample) < MAX_HEADER_CHARS:
            more = text.read(sniff.SAMPLE_BYTES * 4)
            if not more:
                break
            sample += more
    return sample


def lines_before_the_table(sample: str, delimiter: str, options: ReadOptions, notices: list[str]) -> int:
    """Lines before the header: --skip-lines when given; else blank lines, and a preamble block
    (LinkedIn's "Notes:" paragraph) ended by a blank line, when the rest of the text is a table
    the preamble does not fit."""
    if options.skip_lines is not None:
        return options.skip_lines
    lines = sniff.physical_lines(sample)
    blank = 0
    while blank < len(lines) and not lines[blank].strip():
        blank += 1
    if options.header is False:
        return blank
    records: list[tuple[int, int]] = []  # (first line, fields; 0 for a blank line)
    reader = csv.reader(iter(lines[blank:]), delimiter=delimiter)
    try:
        before = 0
        for record in reader:
            records.append((blank + before, 0 if not any(cell.strip() for cell in record) else len(record)))
            before = reader.line_num
            if len(records) >= 200:
                break
    except csv.Error:
        return blank
    if not sample.endswith(("\n", "\r")) and len(records) > 1:
        records.pop()  # the sample may cut its last record
    widths = [width for _, width in records if width]
    if len(widths) < 3:
        return blank
    table = max(set(widths[1:]), key=widths[1:].count)
    if widths[0] == table or table < 2:
        return blank
    for index in range(1, len(records)):
        line, width = records[index]
        if width != table or records[index - 1][1] != 0:
            continue
        after = [w for _, w in records[index:] if w]
        if after.count(table) >= 0.9 * len(after) and len(after) >= 2:
            notices.append(
                f"skipped {line} line(s) before the header on line {line + 1} (a preamble; pass --skip-lines N to say how many)"
            )
            return line
        break
    return blank


def _without_first_lines(path: Path, count: int, workspace: Workspace) -> Path:
    """A copy of the text without its first `count` lines (the readers then start at the header)."""
    target = workspace.path(".table.csv")
    with open(path, encoding="utf-8", newline="") as text, open(target, "w", encoding="utf-8", newline="") as out:
        for _ in range(count):
            if not text.readline():
                break
        shutil.copyfileobj(text, out, 1 << 20)
    return target


def decide_delimiter(sample: str, fmt: str, options: ReadOptions) -> str:
    if options.delimiter:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(options.delimiter.lower(), options.delimiter)
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            raise UsageError(f"the delimiter must be one character, not {options.delimiter!r}")
        return delimiter
    if fmt == "tsv":
        return "\t"
    return sniff.sniff_delimiter(sample)


def first_record(sample: str, delimiter: str) -> list[str]:
    lines = iter(sniff.physical_lines(sample))
    # Skip leading blank lines: some exports start with one.
    reader = csv.reader((line for line in lines if line.strip()), delimiter=delimiter)
    try:
        return next(reader)
    except (StopIteration, csv.Error):
        return []


def clean_header(cells: list[str], name: str, notices: list[str]) -> list[str]:
    """Column names as listclean can use them: blank ones numbered, reserved ones and
    duplicates (case-insensitive) renamed, each rename a notice. Excel headers too."""
    header: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        title = cell.replace("\ufeff", "").replace("\x00", "\ufffd").strip() or f"column_{index + 1}"
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


def read_column(path: str, column: str, *, separator: str) -> pl.LazyFrame:
    """A column of a CSV/TSV listclean wrote (its dialect: quotes only where needed), streamed."""
    import polars as pl

    return pl.scan_csv(path, separator=separator, infer_schema=False, glob=False).select(column)


register(Format("csv", partial(read_delimited, fmt="csv"), partial(read_column, separator=","), fallback=True))
register(Format("tsv", partial(read_delimited, fmt="tsv"), partial(read_column, separator="\t"), extensions=(".tsv", ".tab")))
