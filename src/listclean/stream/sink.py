"""Where a step's rows go: a file written atomically at the end, or frames kept for the caller.

A step adds its output a chunk at a time and calls `finish` once. A sink tracks the columns
of every chunk it was given (in the order they first appeared), so a step need not: `finish`
takes the output's columns as a list, or as a function of the columns seen (an input stream's
`output_columns`, which drops `_raw` columns no chunk used).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, Union

from listclean.schema import RAW_SUFFIX
from listclean.stream.budget import MemoryBudget
from listclean.stream.parquet_stream import ParquetStream
from listclean.stream.spool import PathMaker, Spool

if TYPE_CHECKING:
    import polars as pl

    from listclean.io.write import OutputSet, OutputTarget

SPREADSHEET_FORMATS = ("csv", "tsv", "xlsx")  # the formats a person opens in a spreadsheet
Columns = Union[Sequence[str], Callable[[list[str]], list[str]], None]


class Sink(Protocol):
    rows: int
    seen: list[str]

    def add(self, frame: pl.DataFrame) -> None: ...

    def finish(self, columns: Columns = None, empty: pl.DataFrame | None = None) -> None: ...


def _note_columns(seen: list[str], frame: pl.DataFrame) -> None:
    seen += [column for column in frame.columns if column not in seen]


def _empty_optional_columns(frame: pl.DataFrame) -> dict[str, str]:
    """The columns a step leaves out of its output when no chunk fills them (`_raw` columns, see
    ImportStream.columns; validate's email_alternates) that hold nothing in this chunk, and what
    they hold: "null" in every row, or "[]" (empty lists, what with_alternates writes)."""
    import polars as pl

    empty: dict[str, str] = {}
    for name, dtype in frame.schema.items():
        if not (name.endswith(RAW_SUFFIX) or name == "email_alternates"):
            continue
        column = frame[name]
        if column.null_count() == column.len():
            empty[name] = "null"
        elif isinstance(dtype, pl.List) and column.null_count() == 0 and column.list.len().max() == 0:
            empty[name] = "[]"
    return empty


def _restored(name: str, held: str, dtype: pl.DataType) -> pl.Expr:
    import polars as pl

    return (pl.lit([], dtype=dtype) if held == "[]" else pl.lit(None, dtype=dtype)).alias(name)


def _resolve(columns: Columns, seen: list[str]) -> list[str] | None:
    if columns is None:
        return None
    return list(columns(seen)) if callable(columns) else list(columns)


class FileSink(Spool):
    """One output written from frames that arrive one chunk at a time, in bounded memory.

    Chunks are spooled (see Spool); `finish` writes them out atomically, in order, in the
    target's format: text formats a chunk at a time, Parquet through a streaming sink. A chunk
    may lack columns others have; the output has the columns `finish` names (default: every
    chunk's, as one frame of them all would have). With `outputs` (the runtime's OutputSet),
    the finished file waits in its temporary sibling until the set is committed.

    `excel_safe` guards cells and header cells a spreadsheet would run as formulas (--excel-safe);
    `for_people` does so whenever the file is one a spreadsheet opens (csv, tsv, xlsx): the
    rejects, --explain, --clusters and --sunset-out files, always. `safe_header` guards only the
    header cells (export guards the cells itself, leaving a platform file's addresses alone).
    """

    def __init__(
        self, target: OutputTarget, paths: PathMaker, budget: MemoryBudget, *, excel_safe: bool = False,
        for_people: bool = False, safe_header: bool = False, outputs: OutputSet | None = None,
    ) -> None:  # fmt: skip
        super().__init__(paths, budget)
        self.target = target
        self.excel_safe = excel_safe or (for_people and target.format in SPREADSHEET_FORMATS)
        self.safe_header = (self.excel_safe or safe_header) and target.format in SPREADSHEET_FORMATS  # a header a spreadsheet shows
        self.outputs = outputs
        self.seen: list[str] = []
        # Parquet: chunks are written as they come, in a second thread (see ParquetStream), while
        # they share the first chunk's columns and types; a chunk that differs, and every later
        # one, is spooled and `finish` writes the file again from both (rare: columns a late
        # chunk alone has).
        self._stream: ParquetStream | None = None
        self._left_out: dict[str, tuple[str, pl.DataType]] = {}  # columns the streamed chunks leave out: what they held, their type
        self._stream_ended = target.format != "parquet"

    def add(self, frame: pl.DataFrame) -> None:
        _note_columns(self.seen, frame)
        if self.excel_safe:
            from listclean.io.write import excel_safe

            frame = excel_safe(frame)
        if not self._stream_ended:
            # Streamed without the optional columns the chunk leaves empty: the first chunk then
            # has the output's columns (a later chunk that fills one costs a second write).
            left_out = _empty_optional_columns(frame)
            streamed = frame.drop(list(left_out))
            if self._stream is None:
                from listclean.io.write import parquet_options

                self._stream = ParquetStream(self._paths(".stream.parquet"), streamed.schema, parquet_options(streamed.schema))
                self._left_out = {name: (held, frame.schema[name]) for name, held in left_out.items()}
            if streamed.schema == self._stream.schema and left_out == {name: held for name, (held, _) in self._left_out.items()}:
                from listclean.io.write import output_errors

                with output_errors(self.target):  # the writer's error (a full disk) surfaces here
                    self._stream.put(streamed)
                self.rows += frame.height
                return
            self._stream_ended = True
        super().add(frame)

    def finish(self, columns: Columns = None, empty: pl.DataFrame | None = None) -> None:
        """Write the output. `empty` gives the columns and types when no chunk came at all."""
        import polars as pl

        from listclean.io.write import guard_header, serialise, sink_parquet, write_frame, writing

        names = _resolve(columns, self.seen)
        if self._stream is not None:
            self._finish_stream(names)
            return
        if not self.spilled or self.target.format == "xlsx":  # one chunk, or a sheet (a million rows at most)
            frames = list(self)
            frame = pl.concat(frames, how="diagonal_relaxed") if frames else empty
            if frame is None:
                raise ValueError("no chunk and no empty frame to write")
            frame = frame.select(names) if names is not None else frame
            write_frame(guard_header(frame) if self.safe_header else frame, self.target, self.outputs)
            self.release()
            return
        lazy = self.lazy()
        output_schema = lazy.collect_schema()
        names = names if names is not None else output_schema.names()
        with writing(self.target, self.outputs) as handle:
            if self.target.format == "parquet":
                sink_parquet(lazy.select(names), self.target, handle, self._paths)
            else:
                for number, chunk in enumerate(self):
                    chunk = chunk.select(
                        pl.col(name).cast(output_schema[name]) if name in chunk.columns else pl.lit(None, dtype=output_schema[name]).alias(name)
                        for name in names
                    )
                    serialise(chunk, self.target, handle, header=number == 0, safe_header=self.safe_header)
        self.release()

    def _finish_stream(self, names: list[str] | None) -> None:
        """The Parquet output from its stream: the streamed file itself when it holds every row in
        the output's columns (`names`, else every chunk's), else written again from it and the
        chunks spooled after it."""
        import shutil

        import polars as pl

        from listclean.io.write import output_errors, sink_parquet, writing

        stream = self._stream
        assert stream is not None
        with output_errors(self.target):
            stream.close()
        names = names if names is not None else list(self.seen)  # every chunk's columns, in the order they came
        whole = not self._held and not self._parts and names == stream.schema.names()
        with writing(self.target, self.outputs) as handle:
            if whole:
                with open(stream.path, "rb") as written:
                    shutil.copyfileobj(written, handle, 1 << 20)
            else:
                written = pl.scan_parquet(stream.path, glob=False).with_columns(
                    _restored(name, held, dtype) for name, (held, dtype) in self._left_out.items() if name in names
                )
                parts = [written, *([self.lazy()] if self._held or self._parts else [])]
                lazy = pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]
                sink_parquet(lazy.select(names), self.target, handle, self._paths)
        self.release()

    def release(self) -> None:
        if self._stream is not None:
            self._stream.abort()  # nothing if it was closed: its file is removed either way
            self._stream = None
        super().release()


class FrameSink:
    """The output kept in memory as one frame (`frame`, after `finish`): the Python API's sink."""

    def __init__(self) -> None:
        self.frames: list[pl.DataFrame] = []
        self.seen: list[str] = []
        self.rows = 0
        self.frame: pl.DataFrame | None = None

    def add(self, frame: pl.DataFrame) -> None:
        _note_columns(self.seen, frame)
        self.frames.append(frame)
        self.rows += frame.height

    def finish(self, columns: Columns = None, empty: pl.DataFrame | None = None) -> None:
        import polars as pl

        names = _resolve(columns, self.seen)
        frame = pl.concat(self.frames, how="diagonal_relaxed") if self.frames else empty
        if frame is None:
            frame = pl.DataFrame(schema={name: pl.String for name in names or []})
        self.frame = frame.select(names) if names is not None else frame
        self.frames = []

    def __iter__(self) -> Iterator[pl.DataFrame]:
        if self.frame is not None:
            yield self.frame
        else:
            yield from self.frames


class NullSink:
    """A sink that counts rows and keeps none (a dry run)."""

    def __init__(self) -> None:
        self.rows = 0
        self.seen: list[str] = []

    def add(self, frame: pl.DataFrame) -> None:
        _note_columns(self.seen, frame)
        self.rows += frame.height

    def finish(self, columns: Columns = None, empty: pl.DataFrame | None = None) -> None:
        return None
