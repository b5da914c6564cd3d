"""export's opt-out files on Spark (--suppressions, --exclusion): the people who must not be mailed,
in the file each platform imports to stop mailing them, as one machine writes them (opt_outs.py).

1. per partition: opt_outs' own `chunk_opt_outs` (the store and lists broadcast): the partition's
   opted-out rows (address, key, reason, date), the (key, address) of its rows that are not
   erased, the keys of its erased people, and its counts (the chunk's OptOutReport, pickled).
2. what needs the whole list only ever needs the rows of one suppression key (an address has one
   key): every other spelling of an opted-out address, the strongest reason of an address, an
   erased person's other spellings. So the spellings and the erasures are first cut down by
   joins on the key (only the keys that have an opted-out row, a store or a list entry), and the
   rows are then spread over buckets of whole keys (a hash of the key) and each bucket runs
   opt_outs' own `combined_opt_outs` (`groupBy(bucket).applyInArrow`), the input's rows in the
   single machine's input order (provenance: `_source_file`, `_source_row`; else the frame's order).
3. the addresses sorted (a range shuffle of the opt-outs only) and each file's rows made by
   `opt_out_files` on every partition; `write` writes each file where one machine writes it, as
   a folder of CSV parts, each with the header.

The store's and the lists' entries are made on the driver (they are read there anyway). Collected
to the driver: each chunk's counts, and the written addresses counted by (origin, reason). Erased
people are never written (the same code as one machine); the written files are read back and
removed if one of the input's erased people got in (a join on the key, or on the hash an
audience would hold): one machine's guarantee, checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.opt_outs import OptOutReport
    from listclean.spark.arrow import Reported
    from listclean.steps.export import ExportReport, ExportStepOptions

_KIND = "__listclean_kind"  # input (an opted-out row), spelling, erased, store, list
_BUCKET = "__listclean_bucket"
_ORDER = "__listclean_order"  # the frame's order, where there is no provenance
TABLE = {"address": "string", "key": "string", "reason": "string", "date": "timestamp", "origin": "string"}


@dataclass
class SparkOptOuts:
    """An opt-out export on Spark: `files` (each file's rows by the suffix of its path, "" the output
    itself), `table` (the opted-out addresses: address, reason, date, sorted by address), `rejects`
    (none: a dataset has no unreadable rows). Lazy frames; `report()`, `write()` run Spark jobs."""

    files: dict[str, SparkFrame]
    table: SparkFrame
    rejects: SparkFrame
    options: ExportStepOptions
    _reported: Reported
    _keyed: SparkFrame  # the opted-out addresses with key and origin (persisted)
    _erased: SparkFrame  # the input's erased keys
    _driver: OptOutReport  # what the driver counted: the store's and the lists' hashes
    _sources: Any  # a broadcast of (store, lists)
    _written: list[str] = field(default_factory=list)
    _format: str | None = None

    def report(self) -> ExportReport:
        """The single machine's report of this opt-out export (ExportReport with its opt_outs)."""
        import polars as pl

        from listclean.opt_outs import OptOutReport, tally_opt_outs
        from listclean.spark.arrow import to_polars
        from listclean.steps.export import opt_out_export_report

        report = OptOutReport(hashed_not_written=self._driver.hashed_not_written)
        for part in self._reported.reports():
            for name in ("rows_in", "opted_out_rows", "mailable_rows", "erased_rows", "before_since", "undated"):
                setattr(report, name, getattr(report, name) + getattr(part, name))
        counted = self._keyed.groupBy("origin", "reason").count().withColumnRenamed("count", "n")
        tally_opt_outs(to_polars(counted, pl.Schema({"origin": pl.String, "reason": pl.String, "n": pl.Int64})), report)
        report.files = list(self._written)
        columns = next(iter(self.files.values())).columns
        store = self._sources.value[0]
        return opt_out_export_report(self.options, report, store, list(self._written), columns, self._format)

    def write(self, path: str, *, format: str | None = None, force: bool = False) -> list[str]:  # noqa: A002 - the flag's name
        """Each file as a folder of CSV parts at the path one machine writes it to (the output, or
        the output with the file's suffix: Mailchimp's cleaned addresses); the files written. They
        are read back: an erased person in any removes them all and fails (OutputError)."""
        from listclean.errors import UsageError

        if (format or "csv") != "csv":
            raise UsageError(f"an opt-out file is CSV, not {format}")
        folders = _write(self, path, force)
        _check_written(self, folders)
        self._format = "csv"
        return list(self._written)

    def release(self) -> None:
        """Free what this export persisted."""
        self._reported.release()
        self._keyed.unpersist()
        self._sources.unpersist()


def opt_outs(frame: SparkFrame, options: ExportStepOptions, sources: Any) -> SparkOptOuts:  # noqa: ANN401 - a broadcast
    """The opt-out export (options.suppressions or options.exclusion) of a Spark DataFrame of
    listclean's canonical columns; `sources`: a broadcast of the store and the --suppress lists."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from listclean.opt_outs import OptOutReport, _from_lists, _from_store
    from listclean.spark.arrow import spark_schema
    from listclean.stream.ledger import empty_rejects

    spark = frame.sparkSession
    order = ["_source_file", "_source_row"] if {"_source_file", "_source_row"} <= set(frame.columns) else [_ORDER]
    if order == [_ORDER]:
        frame = frame.withColumn(_ORDER, F.monotonically_increasing_id())
    reported = _chunks(frame, options, sources, order)
    rows = reported.rows
    store, listed = sources.value
    driver = OptOutReport()
    entries = [_from_store(store, options.since, driver), _from_lists(listed, driver)]
    entries = [part.with_columns(_kind(origin)) for part, origin in zip(entries, ("store", "list")) if part.height]
    keyed = _combined(rows, entries, order, spark).persist(StorageLevel.MEMORY_AND_DISK)
    table = keyed.orderBy("address").select("address", "reason", "date")
    files = _files(table, options)
    rejects = spark.createDataFrame([], spark_schema(empty_rejects().schema))
    erased = rows.filter(F.col(_KIND) == "erased").select("key").distinct()
    return SparkOptOuts(files, table, rejects, options, reported, keyed, erased, driver, sources)


def _kind(kind: str) -> Any:  # noqa: ANN401 - a Polars expression
    """The column saying what a row of steps 1-2 is."""
    import polars as pl

    return pl.lit(kind).alias(_KIND)


def _chunks(frame: SparkFrame, options: ExportStepOptions, sources: Any, order: list[str]) -> Reported:  # noqa: ANN401
    """Step 1: every partition's opted-out rows, spellings and erased keys (one frame, by kind),
    with each chunk's OptOutReport."""
    from listclean.spark.arrow import map_chunks_reported

    since = options.since

    def parts(rows: pl.DataFrame) -> tuple[pl.DataFrame, OptOutReport]:
        import polars as pl

        from listclean.opt_outs import OptOutReport, chunk_opt_outs

        report = OptOutReport()
        store, listed = sources.value
        part = chunk_opt_outs(rows, store, listed, since, report, carry=tuple(order))
        found = part.found.with_columns(pl.col("date").cast(pl.Datetime("us", "UTC")), _kind("input"))
        spellings = part.spellings.with_columns(_kind("spelling"))
        erased = part.erased.to_frame("key").with_columns(_kind("erased"))
        return pl.concat([found, spellings, erased], how="diagonal_relaxed"), report

    return map_chunks_reported(frame, parts)


def _combined(rows: SparkFrame, entries: list[pl.DataFrame], order: list[str], spark: Any) -> SparkFrame:  # noqa: ANN401
    """Steps 2: the opted-out addresses (TABLE's columns), by opt_outs' `combined_opt_outs` on
    buckets of whole keys; the spellings and erasures cut down first to the keys that matter."""
    from pyspark.sql import functions as F

    from listclean.spark.arrow import spark_schema

    found = rows.filter(F.col(_KIND) == "input").select(_KIND, *TABLE, *order)
    columns = found.columns
    listed = [spark.createDataFrame(part.select(_KIND, *TABLE).to_arrow(), spark_schema(part.select(_KIND, *TABLE).schema)) for part in entries]
    wanted = found.select("key")
    for part in listed:
        wanted = wanted.unionByName(part.select("key"))
    spellings = rows.filter(F.col(_KIND) == "spelling").join(found.select("key").distinct(), "key", "left_semi").select(_KIND, "key", "address").distinct()
    erased = rows.filter(F.col(_KIND) == "erased").join(wanted.distinct(), "key", "left_semi").select(_KIND, "key").distinct()
    every = found
    for part in [spellings, erased, *listed]:
        every = every.unionByName(part, allowMissingColumns=True)
    buckets = int(spark.conf.get("spark.sql.shuffle.partitions"))
    every = every.select(*columns).withColumn(_BUCKET, F.pmod(F.xxhash64("key"), F.lit(buckets)))
    return _per_bucket(every, order)


def _per_bucket(every: SparkFrame, order: list[str]) -> SparkFrame:
    """`combined_opt_outs` on each bucket's rows: every key's rows are in one bucket."""
    import polars as pl

    from listclean.spark.arrow import from_spark_arrow, spark_schema, to_spark_arrow

    schema = pl.Schema({"address": pl.String, "key": pl.String, "reason": pl.String, "date": pl.Datetime("us", "UTC"), "origin": pl.String})

    def bucket(table: Any) -> Any:  # noqa: ANN401 - Arrow tables
        from listclean.opt_outs import combined_opt_outs

        rows = from_spark_arrow(table).with_columns(pl.col("date").cast(pl.Datetime("us", "UTC")))
        kind = pl.col(_KIND)
        found = rows.filter(kind == "input").sort(order, nulls_last=True).select(schema.names())
        spellings = rows.filter(kind == "spelling").select("key", "address")
        erased = rows.filter(kind == "erased")["key"]
        stored, listed = (rows.filter(kind == origin).select(schema.names()) for origin in ("store", "list"))
        return to_spark_arrow(combined_opt_outs(found, spellings, erased, stored, listed), schema)

    return every.groupBy(_BUCKET).applyInArrow(bucket, spark_schema(schema))


def _files(table: SparkFrame, options: ExportStepOptions) -> dict[str, SparkFrame]:
    """Each file's rows (opt_outs' `opt_out_files` on every partition), by its path's suffix."""
    import polars as pl

    from listclean.opt_outs import opt_out_files
    from listclean.spark.arrow import map_chunks

    profile, exclusion = options.profile, options.exclusion
    empty = opt_out_files(pl.DataFrame(schema={"address": pl.String, "reason": pl.String, "date": pl.Datetime("us", "UTC")}), profile, exclusion)

    def made(suffix: str) -> SparkFrame:
        return map_chunks(table, lambda rows: opt_out_files(rows, profile, exclusion)[suffix])

    return {suffix: made(suffix) for suffix in empty}


def _write(result: SparkOptOuts, path: str, force: bool) -> list[str]:
    """Each file's folder of CSV parts (one part, its header only, for a file of no one); the folders."""
    from listclean.platforms import suffixed_path
    from listclean.spark.files import CSV_OPTIONS, listed_files

    mode = "overwrite" if force else "errorifexists"
    folders, written = [], []
    for suffix, rows in result.files.items():
        folder = path if not suffix else suffixed_path(path, suffix)
        parts = rows if rows.limit(1).count() else rows.coalesce(1)
        parts.write.mode(mode).options(**CSV_OPTIONS).csv(folder)
        folders.append(folder)
        written += listed_files(rows.sparkSession, folder)
    result._written = written
    return folders


def _check_written(result: SparkOptOuts, folders: list[str]) -> None:
    """Read the files back: an erased person of the input (any spelling; an audience's hash of the
    address as it normalises it) in any of them removes them all and fails."""
    import polars as pl
    from pyspark.sql import functions as F

    from listclean.errors import OutputError
    from listclean.export_rules import blocked_values, written_values
    from listclean.spark.arrow import map_chunks
    from listclean.spark.files import CSV_OPTIONS, remove

    options, spark = result.options, result.table.sparkSession
    profile, hashed = options.profile, options.exclusion
    erased = result._erased.select(F.col("key"))
    if hashed and profile is not None:
        from listclean.platforms import audience_email_forms

        erased = map_chunks(erased, lambda rows: pl.DataFrame({"key": sorted(audience_email_forms(profile, rows["key"].drop_nulls().to_list()))}, schema={"key": pl.String}))
    erased = map_chunks(erased, lambda rows: blocked_values(rows["key"].drop_nulls(), hashed).to_frame("v"))
    leaked = 0
    for folder in folders:
        written = spark.read.options(**CSV_OPTIONS).option("multiLine", "true").csv(folder)
        header = _address_header(options)
        if header not in written.columns:
            continue
        cells = written.select(F.col(f"`{header}`").cast("string").alias("cell"))
        values = map_chunks(cells, lambda rows: rows.select(written_values(pl.col("cell"), hashed).alias("v")))
        leaked += values.join(erased, "v", "left_semi").count()
    if leaked:
        for folder in folders:
            remove(spark, folder)
        result._written = []
        raise OutputError(f"{leaked} erased person(s) found in the written opt-out file; the files were removed", hint="this is a bug in listclean: please report it")


def _address_header(options: ExportStepOptions) -> str:
    """The written file's column of addresses (an audience's: their hashes)."""
    profile = options.profile
    if profile is None:
        return "email"
    if options.exclusion:
        return next(identifier.header for identifier in profile.identifiers if identifier.field == "email")
    assert profile.opt_out is not None
    return profile.opt_out.email_header


__all__ = ["SparkOptOuts", "opt_outs"]
