"""import on Spark: many export files read at once, each by listclean's own importer.

Import decides much from a whole file before its first row is written — the encoding, the
delimiter, which column holds the addresses, the platform the header comes from, each date
column's day/month order — and numbers every row of a file (`_source_row`). Those are exactly the
things a Spark reader splitting a CSV into byte ranges cannot know, so here the unit of work is a
file: every Spark task imports whole files with `importer.ImportStream`, a chunk at a time (a
file larger than memory streams through, as on one machine), and what it makes — the rows, the
rejects, the file's report — is the single machine's, by construction. Files are imported in
parallel, one task per file; a single huge file is one task (its import on one machine is already
split in ranges over that machine's cores).

Two passes, because the output's columns are only known once every file is read (unknown columns
pass through, and a `_raw` column is kept only if some file needed it): pass 1 imports each file
into Arrow pieces of up to 10,000 rows kept by Spark (persisted: memory, then the executors'
disks) beside a small description of each (columns, rows) and each file's report and rejects;
the driver reads only the descriptions and reports, and decides the columns as one machine does
(`importer.unused_raw_columns`); pass 2 turns the kept pieces into rows of those columns.

A folder stands for the files in it (a CSV export another Spark job wrote: its part files, in
name order). The files must be readable at the same path from every executor (local mode; a
shared file system or a mounted bucket on a cluster). The suppression store (`store=`) is sent to every executor once and applied to every chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

    from listclean.importer import ImportOptions, SourceReport
    from listclean.steps.importing import ImportReport

PIECE_ROWS = 10_000  # rows per kept Arrow piece (a Spark cell holds one piece: a few MB)
_KEPT = "file int, piece int, kind string, rows long, payload binary"


@dataclass
class SparkImport:
    rows: SparkFrame  # the canonical contacts of every file (sort by provenance for the single machine's order)
    rejects: SparkFrame  # every row kept out or repaired, with its reason (the rejects file's columns)
    report: ImportReport  # as `listclean import` reports it
    _kept: SparkFrame | None = field(default=None, repr=False)

    def release(self) -> None:
        """Free the kept pieces once the rows and rejects are written."""
        if self._kept is not None:
            self._kept.unpersist()


def import_files(
    spark: SparkSession, paths: Sequence[str], options: ImportOptions | None = None, *, store: str | None = None, piece_rows: int = PIECE_ROWS
) -> SparkImport:
    """`listclean import PATHS` on Spark: each file imported by one task (see the module's
    docstring); the rows, their rejects and the import's report, as the single machine's.
    `store`: a suppression store (read on the driver, sent to every executor once), applied to
    every chunk as the import step applies it (erased people's rows removed, with data-less rejects).

    A file import refuses (unreadable, a wrong encoding, ragged rows under on_bad_rows="error")
    raises the single machine's error here, on the driver, naming the file, row and column."""
    from pyspark import StorageLevel

    from listclean.importer import ImportOptions, unused_raw_columns

    options = options or ImportOptions()
    paths = expanded(paths)
    files = spark.createDataFrame(list(enumerate(paths)), "file int, path string")
    held = None
    if store:
        from listclean.store import SuppressionStore

        held = spark.sparkContext.broadcast(SuppressionStore.open(store))
    kept = files.repartition(max(1, len(paths)), "file").mapInArrow(_importer(options, piece_rows, held), _KEPT).persist(StorageLevel.MEMORY_AND_DISK)
    errors = _described(kept, "error")
    if errors:
        kept.unpersist()
        raise errors[min(errors)]  # the first file's (in the order given), as one machine stops at it
    described = {kind: _described(kept, kind) for kind in ("columns", "report")}
    sources: list[SourceReport] = [report for _, (report, _) in sorted(described["report"].items())]
    erased = sum(count for _, count in described["report"].values())
    columns = _output_columns([described["columns"][index] for index in sorted(described["columns"])], unused_raw_columns(sources))
    rows = _pieces(kept, "rows", columns)
    rejects = _pieces(kept, "rejects", _reject_schema())
    return SparkImport(rows=rows, rejects=rejects, report=_report(kept, sources, list(columns), erased), _kept=kept)


def expanded(paths: Sequence[str]) -> list[str]:
    """The paths with each folder given as its files (a CSV export another Spark job wrote is a
    folder of part files): in name order, less Spark's markers (`_SUCCESS`) and hidden files
    (`.part-….crc`). A folder with no file in it is an error naming it."""
    import os

    from listclean.errors import InputError

    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
            continue
        inside = sorted(name for name in os.listdir(path) if not name.startswith(("_", ".")) and os.path.isfile(os.path.join(path, name)))
        if not inside:
            raise InputError("is a folder with no file in it", source=path, hint="name the export files, or the folder that holds them")
        files += [os.path.join(path, name) for name in inside]
    return files


def _importer(options: ImportOptions, piece_rows: int, store: Any) -> Any:  # noqa: ANN401 - a mapInArrow function
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pickle

        from listclean.errors import ListcleanError

        for batch in batches:
            for index, path in zip(batch.column("file").to_pylist(), batch.column("path").to_pylist()):
                try:
                    yield from _import_one(index, path, options, piece_rows, store.value if store is not None else None)
                except ListcleanError as error:  # the user's error, told on the driver as one machine tells it
                    yield _kept_batch(index, -1, "error", 0, pickle.dumps(error))

    return run


def _import_one(index: int, path: str, options: ImportOptions, piece_rows: int, store: Any) -> Iterator[Any]:  # noqa: ANN401 - a SuppressionStore
    """One file imported as the single machine imports it, as Arrow record batches of _KEPT."""
    import pickle

    import polars as pl

    from listclean.importer import ImportStream
    from listclean.io.read import Workspace

    piece = 0
    seen: dict[str, pl.DataType] = {}
    removed: list[pl.DataFrame] = []  # the rows the store's erasures took out (the step's rejects, after the source's)
    with Workspace() as workspace:
        stream = ImportStream([path], options, workspace)
        for chunk in stream:
            if store is not None:
                from listclean.store import apply_store

                chunk, erased, _ = apply_store(chunk, store)
                removed.append(erased)
            for start in range(0, chunk.height, piece_rows):
                part = chunk.slice(start, piece_rows)
                yield _kept_batch(index, piece, "rows", part.height, _ipc(part))
                piece += 1
            seen.update((name, dtype) for name, dtype in chunk.schema.items() if name not in seen)
        rejects = pl.concat([stream.rejects(), *removed], how="vertical_relaxed")
        yield _kept_batch(index, piece, "rejects", rejects.height, _ipc(rejects))
        yield _kept_batch(index, piece + 1, "columns", 0, pickle.dumps(pl.Schema(seen)))
        yield _kept_batch(index, piece + 2, "report", 0, pickle.dumps((stream.sources[0], sum(frame.height for frame in removed))))


def _kept_batch(index: int, piece: int, kind: str, rows: int, payload: bytes) -> Any:  # noqa: ANN401 - a pyarrow RecordBatch
    import pyarrow as pa

    return pa.RecordBatch.from_pydict(
        {"file": [index], "piece": [piece], "kind": [kind], "rows": [rows], "payload": [payload]},
        schema=pa.schema([("file", pa.int32()), ("piece", pa.int32()), ("kind", pa.string()), ("rows", pa.int64()), ("payload", pa.binary())]),
    )


def _ipc(frame: pl.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="lz4")
    return buffer.getvalue()


def _described(kept: SparkFrame, kind: str) -> dict[int, Any]:
    """Per file, its pickled description of `kind` (small: a schema, a report)."""
    import pickle

    from pyspark.sql import functions as F

    return {index: pickle.loads(payload) for index, payload in kept.where(F.col("kind") == kind).select("file", "payload").collect()}


def _output_columns(per_file: list[pl.Schema], unused_raw: set[str]) -> pl.Schema:
    """The output's columns: every file's, in the order they first appear, in listclean's order,
    less the `_raw` ones no file needed; a column two files type differently takes the type both fit."""
    import polars as pl

    from listclean import schema

    union = pl.concat([pl.DataFrame(schema=columns) for columns in per_file], how="diagonal_relaxed").schema
    return pl.Schema({name: union[name] for name in schema.column_order([name for name in union.names() if name not in unused_raw])})


def _reject_schema() -> pl.Schema:
    from listclean.stream.ledger import empty_rejects

    return empty_rejects().schema


def _pieces(kept: SparkFrame, kind: str, columns: pl.Schema) -> SparkFrame:
    """The kept pieces of `kind` as rows of `columns` (a piece without a column: nulls)."""
    from pyspark.sql import functions as F

    from listclean.spark.arrow import spark_schema, to_spark_arrow

    def unpack(batches: Iterator[Any]) -> Iterator[Any]:
        import io

        import polars as pl

        for batch in batches:
            for payload in batch.column("payload").to_pylist():
                piece = pl.read_ipc(io.BytesIO(payload))
                filled = piece.with_columns(pl.lit(None, dtype=dtype).alias(name) for name, dtype in columns.items() if name not in piece.columns)
                yield from to_spark_arrow(filled, columns).to_batches()

    return kept.where(F.col("kind") == kind).select("payload").mapInArrow(unpack, spark_schema(columns))


def _report(kept: SparkFrame, sources: list[SourceReport], columns: list[str], erased: int) -> ImportReport:
    """The import's report: rows in = rows out + rejected, as the single machine's ledger counts them."""
    from pyspark.sql import functions as F

    from listclean.steps.importing import ImportReport

    rows_out = kept.where(F.col("kind") == "rows").agg(F.sum("rows")).first()[0] or 0
    rows_in = sum(source.rows_in for source in sources)
    source_rejected = sum(source.rejected for source in sources)
    rejected = source_rejected + erased
    quarantined = sum(source.quarantined for source in sources)
    if rows_in != rows_out + rejected:  # pragma: no cover - guarded by tests
        raise AssertionError(f"row accounting broken: {rows_in} in != {rows_out} out + {rejected} rejected")
    counts = {"rows_in": rows_in, "rows_out": rows_out, "rejected": rejected, "merged": 0, "quarantined": quarantined}
    return ImportReport(counts=counts, columns=columns, sources=sources, erased=erased, quarantined=quarantined, source_rejected=source_rejected)
