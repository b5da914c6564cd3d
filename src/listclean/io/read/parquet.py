"""Parquet inputs: anyone's (every column turned to text) and listclean's own (kept as typed).

A Parquet file listclean wrote from standard contacts carries a mark in its metadata and
its provenance columns; such a file is read as it is (``Source.canonical``), so a second
command over a first one's output re-standardises nothing. Large files are sliced into
chunks of ReadOptions.chunk_rows rows, which Parquet reads without touching the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from listclean.errors import InputError
from listclean.io.read.registry import Format, register
from listclean.io.read.source import PROVENANCE_COLUMNS, ROW, STDIN, ReadOptions, Source, first_line, stringify, with_row_numbers
from listclean.io.read.workspace import Workspace

if TYPE_CHECKING:
    import polars as pl


def read_parquet(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace) -> Source:
    import polars as pl

    try:
        frame = pl.scan_parquet(local, glob=False)  # a path, not a pattern (a folder may be named "[2026]")
        frame.collect_schema()
    except Exception as exc:  # noqa: BLE001 - Polars raises several types for corrupt files
        raise InputError(f"not a readable Parquet file ({first_line(exc)})", source=name) from None
    frame, provenance = with_row_numbers(frame)
    canonical = provenance and _marked_canonical(local, frame)
    if not canonical:
        frame = stringify(frame)
    header = [c for c in frame.collect_schema().names() if c != ROW]
    rows, size = pl.scan_parquet(local, glob=False).select(pl.len()).collect().item(), options.chunk_rows
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


def read_column(path: str, column: str) -> pl.LazyFrame:
    """A column of a Parquet file, read alone."""
    import polars as pl

    return pl.scan_parquet(path, glob=False).select(column)


register(Format("parquet", read_parquet, read_column, magic=(b"PAR1",)))
