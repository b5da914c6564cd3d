"""JSON inputs: NDJSON (one object a line, streamed in line ranges when large) and JSON arrays.

Named jsonl, not json, so that inside this package ``import json`` still means the
standard library. Values are typed by Polars' inference over the whole file, then turned
to text (nested objects and lists as JSON text) like every other input; a file Polars
cannot read is read again line by line, to name the first bad line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from listclean.errors import InputError
from listclean.io.read.registry import Format, register
from listclean.io.read.source import ROW, ReadOptions, Source, first_line, stringify, with_row_numbers
from listclean.io.read.structure import line_ranges, range_data
from listclean.io.read.workspace import Workspace

if TYPE_CHECKING:
    import polars as pl


def read_json(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace) -> Source:
    """A JSON array of objects, read whole."""
    import polars as pl

    try:
        frame = pl.read_json(local, infer_schema_length=None).lazy()
    except Exception as exc:  # noqa: BLE001
        raise _json_error(local, name, "json", exc) from None
    return _json_source(name, "json", frame)


def read_ndjson(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace) -> Source:
    """NDJSON, read a chunk of lines at a time when the file is large (a record never spans lines).

    The column types are Polars' inference over the whole file, and every chunk is read with
    them, so a chunk's rows read exactly as the same rows of the whole file do (a field that is
    a number in early lines and text later is text in every chunk).
    """
    import io

    import polars as pl

    ranges = line_ranges(local, options.chunk_rows)
    try:
        whole = pl.read_ndjson(local, infer_schema_length=None) if len(ranges) == 1 else None
        types = whole.schema if whole is not None else pl.scan_ndjson(local, infer_schema_length=None).collect_schema()
    except Exception as exc:  # noqa: BLE001 - Polars raises several types for bad JSON
        raise _json_error(local, name, "ndjson", exc) from None
    if whole is not None:
        return _json_source(name, "ndjson", whole.lazy())

    def split() -> Iterator[pl.LazyFrame]:
        rows_before = 0
        for data in range_data(local, ranges):
            if not data.strip():
                continue  # blank lines only: no record (a whole read skips them too)
            try:
                chunk = pl.read_ndjson(io.BytesIO(data), schema=types)
            except Exception as exc:  # noqa: BLE001
                raise _json_error(local, name, "ndjson", exc) from None
            numbered, _ = with_row_numbers(chunk.lazy(), first_row=rows_before + 1)
            rows_before += chunk.height
            yield stringify(numbered)

    # The whole file, lazily, for the decisions that need every row (the date order).
    return _json_source(name, "ndjson", pl.scan_ndjson(local, schema=types), split)


def _json_source(name: str, fmt: str, frame: pl.LazyFrame, split: Callable[[], Iterator[pl.LazyFrame]] | None = None) -> Source:
    frame, provenance = with_row_numbers(frame)
    frame = stringify(frame)
    header = [c for c in frame.collect_schema().names() if c != ROW]
    if not header:
        raise InputError("holds no fields", source=name)
    return Source(name, fmt, frame, header, encoding="utf-8", has_provenance=provenance, split=split)


def _json_error(local: Path, name: str, fmt: str, exc: Exception) -> InputError:
    line, detail = _diagnose_json(local, fmt)
    return InputError(
        detail or f"not readable as {fmt.upper()} ({first_line(exc)})",
        source=name,
        line=line,
        hint="each line must be one JSON object" if fmt == "ndjson" else "expected an array of objects",
    )


def _diagnose_json(local: Path, fmt: str) -> tuple[int | None, str | None]:
    """The first line of an NDJSON file that is not one JSON object, and why (JSON arrays: nothing)."""
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


def read_ndjson_column(path: str, column: str) -> pl.LazyFrame:
    """A column of an NDJSON file listclean wrote (read whole, then the column taken)."""
    import polars as pl

    return pl.read_ndjson(path).lazy().select(column)


register(Format("ndjson", read_ndjson, read_ndjson_column, opens_with=(b"{",)))
register(Format("json", read_json, opens_with=(b"[",)))
