"""The input formats listclean reads, one record each, and the one door every input goes through.

A format module describes itself with a `Format` (its name, the bytes or file name that
sniff to it, how to read it, how to read one column of a written file back) and calls
`register`; `read_source` sniffs, looks the format up and hands the file over. Nothing
else keeps a list of formats: the names in an error, the sniffing order and the export's
read-back check all come from here, so adding a format is adding one module (and its
import in ``__init__``).
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from listclean.errors import InputError, UsageError
from listclean.io import sniff
from listclean.io.read.source import STDIN, STDIN_NAME, ReadOptions, Source, display_name

if TYPE_CHECKING:
    import polars as pl

    from listclean.io.read.workspace import Workspace

# read(local file, name to show, its first bytes, options, workspace) -> its rows as text
Reader = Callable[[Path, str, bytes, ReadOptions, "Workspace"], Source]
# read_column(path, column) -> that column of a file listclean wrote, as written
ColumnReader = Callable[[str, str], "pl.LazyFrame"]


@dataclass(frozen=True)
class Format:
    """One input format. Sniffing tries every format's `magic` first, then `opens_with`, then
    `extensions`, and settles on the `fallback`, so the order formats register in does not
    decide between them; it is only the order their names are listed in."""

    name: str
    read: Reader
    read_column: ColumnReader | None = None  # None: listclean never writes the format
    magic: tuple[bytes, ...] = ()  # the file's first bytes
    opens_with: tuple[bytes, ...] = ()  # how its text opens, after a byte-order mark and blank space
    extensions: tuple[str, ...] = ()  # lower-case name endings, when the content says nothing
    fallback: bool = False  # what a file is when nothing else matched (one format only)
    detect: Callable[[bytes], bool] | None = None  # a test of the first bytes where no fixed prefix says it
    wraps: bool = False  # a container of another input (compressed text): sniffed before --format applies
    listed: bool = True  # one --format can name (compressed and refused formats are only sniffed)


_FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    if fmt.name in _FORMATS:
        raise ValueError(f"input format {fmt.name!r} is registered twice")
    if fmt.fallback and any(other.fallback for other in _FORMATS.values()):
        raise ValueError(f"input format {fmt.name!r}: only one format can be the fallback")
    _FORMATS[fmt.name] = fmt
    return fmt


def format_names() -> tuple[str, ...]:
    """Every format --format can name, in the order they registered."""
    return tuple(name for name, fmt in _FORMATS.items() if fmt.listed)


def lookup(name: str) -> Format:
    try:
        return _FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown input format {name!r}", hint=f"use one of {', '.join(format_names())}") from None


def sniff_format(head: bytes, name: str = "") -> str:
    """The format of a file from its first bytes (and, as a tie-breaker, its name)."""
    formats = _FORMATS.values()
    for fmt in formats:
        if (fmt.magic and head.startswith(fmt.magic)) or (fmt.detect is not None and fmt.detect(head)):
            return fmt.name
    text = sniff.strip_bom(head).lstrip(b" \t\r\n")
    for fmt in formats:
        if text.startswith(fmt.opens_with):
            return fmt.name
    lowered = name.lower()
    for fmt in formats:
        if lowered.endswith(fmt.extensions):
            return fmt.name
    return next(fmt.name for fmt in formats if fmt.fallback)


def read_source(path: str, options: ReadOptions, workspace: Workspace) -> Source:
    """Open one input (a path or "-") and return its rows as text."""
    name = display_name(path)
    return read_local(_local_copy(path, workspace), name, options, workspace)


def read_local(local: Path, name: str, options: ReadOptions, workspace: Workspace, sniff_as: str | None = None) -> Source:
    """Read a local, seekable file (`sniff_as`: the name whose ending hints at the format, when not `name`)."""
    with open(local, "rb") as handle:
        head = handle.read(sniff.SAMPLE_BYTES)
    if not head:
        raise InputError("the file is empty (0 bytes)", source=name, hint="nothing to import; check the export step")
    sniffed = sniff_format(head, sniff_as if sniff_as is not None else name)
    fmt = lookup(sniffed if _FORMATS[sniffed].wraps or not options.format else options.format)
    return fmt.read(local, name, head, options, workspace)


def read_column(fmt: str, path: str, column: str) -> pl.LazyFrame:
    """One column of a file listclean wrote in format `fmt`, read as it is on disk (lazily
    where the format allows), for the check that no suppressed address was written."""
    reader = _FORMATS[fmt].read_column if fmt in _FORMATS else None
    if reader is None:
        raise ValueError(f"listclean does not write {fmt!r} files, so it cannot read one back")
    return reader(path, column)


def _local_copy(path: str, workspace: Workspace) -> Path:
    """A seekable file for the input: stdin, pipes and FIFOs (`<(…)`, mkfifo) are read once,
    as a stream, into the workspace; the readers then look at the copy as often as they need."""
    if path == STDIN:
        if sys.stdin is None:  # started with stdin closed (<&-)
            raise InputError("stdin is closed", source=STDIN_NAME, hint="pipe the file in, or name it")
        return _spool(sys.stdin.buffer, STDIN_NAME, workspace)
    local = Path(path)
    if not local.exists():
        raise InputError("no such file", source=path, hint="check the path")
    if local.is_dir():
        raise InputError("is a directory, not a file", source=path)
    if not os.access(local, os.R_OK):
        raise InputError("permission denied", source=path)
    if not local.is_file():  # a pipe, FIFO or device: it can be read once only
        try:
            with open(local, "rb") as stream:
                return _spool(stream, path, workspace)
        except OSError as error:
            raise InputError(f"cannot be read ({error.strerror or error})", source=path) from None
    return local


def _spool(stream: BinaryIO, name: str, workspace: Workspace) -> Path:
    spool = workspace.path(".stream")
    try:
        with open(spool, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise InputError("no space left to hold the stream in the temporary directory", source=name, hint="free space, or set TMPDIR") from None
        raise InputError(f"cannot be read ({error.strerror or error})", source=name) from None
    return spool


def estimated_rows(path: str) -> int | None:
    """About how many rows an input holds, cheaply, for a progress display (None: no idea).

    listclean's own Parquet (and any Parquet) says exactly, in its footer; a text file is
    estimated from its size and the mean length of its first lines; stdin, pipes, compressed
    files and spreadsheets are not estimated (reading them to count would cost a read).
    """
    if path == STDIN or not os.path.isfile(path):
        return None
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            head = handle.read(1 << 18)
    except OSError:
        return None
    if not head:
        return 0
    if head[:4] == b"PAR1":
        import polars as pl

        try:
            return int(pl.scan_parquet(path, glob=False).select(pl.len()).collect().item())
        except Exception:  # noqa: BLE001 - a damaged file is reported when it is read
            return None
    if sniff_format(head, path) not in ("csv", "tsv", "ndjson", "json"):
        return None
    lines = head.count(b"\n")
    if lines < 2:
        return 1 if size <= len(head) else None
    if size <= len(head):
        return max(0, lines - 1)
    return max(1, int(size / (len(head) / lines)) - 1)
