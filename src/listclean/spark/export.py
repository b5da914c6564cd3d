"""export on Spark: the rows that may be mailed, in a platform's form; suppressed people never leave.

The single machine's three passes, each row judged by the step's own code (steps.export.ChunkScreen,
export_rules, platforms), with what needs the whole list done by Spark:

0. per partition: each row's suppression key, whether the row suppresses its address everywhere
   (its own status, the store, a --suppress list: `suppressing_rows`), and the keys of every
   address of a cell that holds several. Spark then finds the blocked keys (distinct keys of the
   suppressing rows) and, by a join on the key, every row another row suppresses — in another
   partition, in another spelling — and by a second join the cells that also hold a blocked address.
1. per partition: the step's screening, told which rows are suppressed elsewhere, so each row is
   judged exactly as it is when the whole list is one chunk (suppressed first, then consent, then
   what a platform can take; a cell's other addresses last). Kept rows and rejects (with the
   single machine's reasons) leave as one frame, with each chunk's counters beside them.
2. per partition: the file's form (a platform's columns and values, a hashed audience, the chosen
   columns); the columns no row fills are found by Spark first (each partition's, intersected).

Pass 0 is shared with segment's split files (spark/segment.py: `suppression_keys` told the split
guard's rule, then `suppressed_elsewhere`). Opt-out files (--suppressions, --exclusion) are
spark/opt_outs.py's: `export` hands them over.

Every input row ends in `contacts` (exported) or `rejects`. The store and the lists are read on the
driver and sent to each executor once (broadcast). `write` writes the files, reads them back and
removes them if a blocked address got in, then records this run's unsubscribes in the store.

Collected to the driver: each chunk's counters, the columns a platform leaves out (one small row a
chunk), the first 10,000 rows to size the parts, and — with a store — the distinct addresses the
store learns. Pass 0's and pass 1's frames are persisted (memory and disk): `release()` frees them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from listclean.spark.arrow import with_listclean_types
from listclean.spark.files import CSV_OPTIONS, text_cells
from listclean.spark.files import listed_files as _listed_files
from listclean.spark.files import remove as _remove

if TYPE_CHECKING:
    from datetime import datetime

    import polars as pl
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.spark.opt_outs import SparkOptOuts
    from listclean.steps.export import ChunkScreen, ExportReport, ExportStepOptions
    from listclean.steps.segment import SegmentStepOptions
    from listclean.store import SuppressionStore
    from listclean.suppression import SuppressionList

BLOCKS = "__listclean_blocks"  # the row suppresses its address in every row (pass 0)
_CELL_KEYS = "__listclean_cell_keys"  # the keys of every address of a cell that holds several (pass 0)
_BLOCKED_KEY = "__listclean_blocked_key"
_CELL = "__listclean_cell"
_REJECT = "__listclean_reject_"  # a reject column in pass 1's frame: _REJECT + its name
_CHUNK = "__listclean_chunk"
_COUNTER = "__listclean_count__"
COUNTERS = ("suppressed", "lapsed", "unusable", "expiring", "unproven", "unknown", "unknown_excluded", "refused", "held_pending", "held_unknown")


@dataclass
class _Run:
    """What every partition is told: the options, the report date, the store and lists (broadcast)."""

    options: ExportStepOptions
    now: datetime
    sources: Any  # a broadcast of (store, listed)

    def screen(self, removed: list[pl.DataFrame] | None = None) -> ChunkScreen:
        from listclean.steps.export import ChunkScreen

        store, listed = self.sources.value
        sink = removed.append if removed is not None else (lambda rejects: None)
        return ChunkScreen(self.options, self.now, store, listed, sink, feed_store=False)


@dataclass
class SparkExport:
    """An export on Spark: `exported` (the rows as the file holds them), `rejects` (every row kept
    out, with its reason: the rejects table's columns), `contacts` (the exported rows before the
    file's form, with provenance). Lazy Spark frames; `report()`, `write()` run Spark jobs."""

    exported: SparkFrame
    rejects: SparkFrame
    contacts: SparkFrame
    options: ExportStepOptions
    _run: _Run
    _source: SparkFrame
    _flagged: SparkFrame
    _screened: SparkFrame
    _persisted: list[SparkFrame] = field(default_factory=list)
    _files: list[str] = field(default_factory=list)
    _format: str | None = None  # the written files' format (None until written)

    def report(self) -> ExportReport:
        """The single machine's report of this export (counts, reasons, consent), from Spark's counts."""
        return _report(self)

    def write(self, path: str, *, format: str | None = None, force: bool = False) -> list[str]:  # noqa: A002 - the flag's name
        """Write the export as a folder of files at `path` (any path Spark writes); the files written.

        CSV (a platform's or a hashed audience's always): the file's header in every part, parts
        within the platform's rows and megabytes (or max_rows/max_mb); Parquet for a plain export
        if asked. The files are read back: a blocked address in any removes the folder and fails
        (OutputError). Then the store (options.store) learns this run's unsubscribes and lists."""
        written = _write(self, path, format, force)
        _check_written(self, path, written)
        self._format = written
        save_store(self)
        return list(self._files)

    def release(self) -> None:
        """Free what this export persisted (pass 0's and pass 1's rows)."""
        for frame in self._persisted:
            frame.unpersist()
        self._persisted.clear()
        self._run.sources.unpersist()  # sent again if a later job needs it


def export(frame: SparkFrame, options: ExportStepOptions | None = None) -> SparkExport | SparkOptOuts:
    """`listclean export` on a Spark DataFrame of listclean's canonical columns (validated or not).

    `options` as the step takes them (platform, hash, columns, consent policy, store, --suppress
    lists, as_of: the report date is fixed here, else now to the second). Opt-out files
    (--suppressions, --exclusion, since) are spark.opt_outs' SparkOptOuts: the same calls
    (write, report, rejects, release)."""
    from pyspark import StorageLevel

    from listclean.steps.export import ExportStepOptions

    frame = with_listclean_types(frame)  # all-null columns Polars wrote: their own types, not Spark's integers
    options = options or ExportStepOptions()
    sources = frame.sparkSession.sparkContext.broadcast(suppression_sources(options))
    if options.opt_outs:
        from listclean.spark.opt_outs import opt_outs

        return opt_outs(frame, options, sources)
    run = _Run(options, _report_date(options), sources)
    keyed = suppression_keys(frame, _export_suppressing(run)).persist(StorageLevel.MEMORY_AND_DISK)
    flagged = suppressed_elsewhere(keyed)
    screened = _screen(flagged, run).persist(StorageLevel.MEMORY_AND_DISK)
    contacts = _kept(screened, run)
    rejects = screened.filter(screened[_REJECT + "reason"].isNotNull()).select(
        *(screened[_REJECT + name].alias(name) for name in _reject_columns())
    )  # fmt: skip
    exported = _form(contacts, run)
    return SparkExport(exported, rejects, contacts, options, run, frame, flagged, screened, [keyed, screened])


def _report_date(options: ExportStepOptions) -> datetime:
    from datetime import datetime, timezone

    return (options.as_of or datetime.now(timezone.utc)).replace(microsecond=0)


def suppression_sources(options: ExportStepOptions | SegmentStepOptions) -> tuple[SuppressionStore | None, SuppressionList | None]:
    """The store and the --suppress lists, read once on the driver (as the steps read them)."""
    store = listed = None
    if options.store:
        from listclean.store import SuppressionStore

        store = SuppressionStore.open(options.store)
    if options.suppress:
        from listclean.io.read import Workspace
        from listclean.suppression import load_suppression

        with Workspace() as workspace:
            listed = load_suppression(list(options.suppress), workspace)
    return store, listed


def _reject_columns() -> tuple[str, ...]:
    from listclean.stream.ledger import REJECT_COLUMNS

    return REJECT_COLUMNS


# ---- pass 0: keys, and which rows suppress their address everywhere (shared with segment's split files)


def suppression_keys(frame: SparkFrame, suppressing: Callable[[pl.DataFrame], pl.Series]) -> SparkFrame:
    """Every row with its suppression key (export_rules.KEY_COLUMN), whether it suppresses that
    key everywhere (BLOCKS: `suppressing`, the caller's rule, on a chunk with its keys; only rows
    with a key block one) and the keys of every address of its cell when the cell holds several."""
    from listclean.spark.arrow import map_chunks

    def keyed(rows: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        from listclean.export_rules import KEY_COLUMN, cell_addresses, with_key

        chunk = with_key(rows)
        blocks = (suppressing(chunk) & chunk[KEY_COLUMN].is_not_null()).alias(BLOCKS)
        index = pl.int_range(pl.len(), dtype=pl.Int64)
        cells = cell_addresses(chunk).group_by("__row").agg(pl.col("k").drop_nulls().alias(_CELL_KEYS))
        chunk = chunk.with_columns(index.alias("__row")).join(cells, on="__row", how="left", maintain_order="left")
        return chunk.with_columns(blocks, pl.col(_CELL_KEYS).fill_null(pl.lit([], dtype=pl.List(pl.String)))).drop("__row")

    return map_chunks(frame, keyed)


def _export_suppressing(run: _Run) -> Callable[[pl.DataFrame], pl.Series]:
    """Export's rule for the rows that suppress their address everywhere (the screen's: the store's
    erased rows go first, then a row's own status, the store, a --suppress list)."""

    def suppressing(chunk: pl.DataFrame) -> pl.Series:
        import polars as pl

        from listclean.export_rules import suppressing_rows

        index = pl.int_range(pl.len(), dtype=pl.Int64)
        left, _, listed = run.screen().stored_and_listed(chunk.with_columns(index.alias("__listclean_row")))  # the erased rows go
        blocking = left.filter(suppressing_rows(left, listed))["__listclean_row"]
        return chunk.select(index.is_in(blocking.implode())).to_series()

    return suppressing


def _blocked(keyed: SparkFrame) -> SparkFrame:
    """The blocked keys: every key a row suppresses (distinct; a shuffle by key)."""
    from listclean.export_rules import KEY_COLUMN

    return keyed.filter(keyed[BLOCKS]).select(keyed[KEY_COLUMN].alias(_BLOCKED_KEY)).distinct()


def suppressed_elsewhere(keyed: SparkFrame) -> SparkFrame:
    """Every row of `suppression_keys` told whether a row suppresses its address (ELSEWHERE_COLUMN:
    a join on the key) and whether its cell also holds a blocked address (CELL_BLOCKED_COLUMN: the
    few cells of several addresses, joined by the cell)."""
    from pyspark.sql import functions as F

    from listclean.export_rules import ELSEWHERE_COLUMN, KEY_COLUMN
    from listclean.steps.export import CELL_BLOCKED_COLUMN

    blocked = _blocked(keyed)
    flagged = keyed.join(blocked, keyed[KEY_COLUMN] == blocked[_BLOCKED_KEY], "left")
    flagged = flagged.withColumn(ELSEWHERE_COLUMN, F.col(_BLOCKED_KEY).isNotNull()).drop(_BLOCKED_KEY)
    if "email" in keyed.columns:
        cells = keyed.filter(F.size(_CELL_KEYS) > 0).select(F.col("email").alias(_CELL), F.explode(_CELL_KEYS).alias(_BLOCKED_KEY))
        hit = cells.join(blocked, _BLOCKED_KEY, "left_semi").select(_CELL).distinct().withColumn(CELL_BLOCKED_COLUMN, F.lit(True))
        flagged = flagged.join(hit, flagged["email"] == hit[_CELL], "left").drop(_CELL)
        flagged = flagged.withColumn(CELL_BLOCKED_COLUMN, F.coalesce(F.col(CELL_BLOCKED_COLUMN), F.lit(False)))
    return flagged.drop(_CELL_KEYS)


# ---- pass 1: each row judged, as in one chunk


def _screen(flagged: SparkFrame, run: _Run) -> SparkFrame:
    """Kept rows and rejects (their columns prefixed with _REJECT) as one frame, with each chunk's
    counters as constant columns tagged with the chunk."""
    from listclean.spark.arrow import map_chunks

    def screened(rows: pl.DataFrame) -> pl.DataFrame:
        import uuid

        import polars as pl

        from listclean.export_rules import KEY_COLUMN
        from listclean.stream.ledger import empty_rejects

        removed: list[pl.DataFrame] = []
        screen = run.screen(removed)
        kept = screen.cell_suppressed(screen.screen_chunk(rows.drop(BLOCKS, strict=False)), pl.Series("key", [], dtype=pl.String))
        kept = kept.select(_kept_columns(kept.columns, run.options, KEY_COLUMN))
        rejects = pl.concat([empty_rejects(), *removed], how="vertical_relaxed")
        both = pl.concat([kept, rejects.select(pl.all().name.prefix(_REJECT))], how="diagonal_relaxed")
        counters = _counters(screen)
        return both.with_columns(
            pl.lit(str(uuid.uuid4()) if rows.height else "").alias(_CHUNK),
            *(pl.lit(counters[name], dtype=pl.Int64).alias(_COUNTER + name) for name in COUNTERS),
        )

    return map_chunks(flagged, screened)


def _kept_columns(columns: list[str], options: ExportStepOptions, key: str) -> list[str]:
    """The kept rows' columns the file is made from, as the step keeps them between its passes."""
    from listclean.export_rules import ELSEWHERE_COLUMN
    from listclean.steps.export import CELL_BLOCKED_COLUMN, _needed_columns

    needed = _needed_columns(options.profile, options.hash is not None, options.columns)
    internal = {key, ELSEWHERE_COLUMN, CELL_BLOCKED_COLUMN}
    return [name for name in columns if name not in internal and (needed is None or name in needed)]


def _counters(screen: ChunkScreen) -> dict[str, int]:
    return {
        "suppressed": screen.suppressed, "lapsed": screen.lapsed, "unusable": screen.unusable, "expiring": screen.expiring,
        "unproven": screen.unproven, "unknown": screen.unknown, "unknown_excluded": screen.unknown_excluded, "refused": screen.refused,
        "held_pending": screen.held_back["pending"], "held_unknown": screen.held_back["unknown"],
    }  # fmt: skip


def _kept(screened: SparkFrame, run: _Run) -> SparkFrame:
    """The exported rows (pass 1's kept rows), in the columns the step keeps."""
    from listclean.export_rules import KEY_COLUMN

    columns = [name for name in screened.columns if not name.startswith((_REJECT, _COUNTER)) and name != _CHUNK]
    return screened.filter(screened[_REJECT + "reason"].isNull()).select(_kept_columns(columns, run.options, KEY_COLUMN))


# ---- pass 2: the file's form


def _form(contacts: SparkFrame, run: _Run) -> SparkFrame:
    """The rows as the file holds them (steps.export._formatted on each partition)."""
    from listclean.spark.arrow import map_chunks

    options = run.options
    profile, hashed = options.profile, options.hash is not None
    empty = _empty_columns(contacts, run) if profile is not None else None

    def formed(rows: pl.DataFrame) -> pl.DataFrame:
        from listclean.platforms import platform_phones
        from listclean.steps.export import _formatted

        if profile is not None and not profile.audience:
            rows, _ = platform_phones(rows, profile)
        return _formatted(rows, profile, empty, hashed, options.columns, options.excel_safe)

    return map_chunks(contacts, formed)


def _empty_columns(contacts: SparkFrame, run: _Run) -> set[str]:
    """The platform's columns no exported row fills (platforms.empty_columns of each partition's
    rows, intersected: a column is empty in the whole list when it is in every part). A Spark job."""
    import polars as pl

    from listclean.platforms import empty_columns
    from listclean.spark.arrow import map_chunks, polars_schema

    profile = run.options.profile
    assert profile is not None

    def empties(rows: pl.DataFrame) -> pl.DataFrame:
        return pl.DataFrame({"empty": [sorted(empty_columns(rows, profile))]}, schema={"empty": pl.List(pl.String)})

    found = [set(row["empty"] or []) for row in map_chunks(contacts, empties).collect()]
    if not found:
        return empty_columns(pl.DataFrame(schema=polars_schema(contacts.schema)), profile)
    return set.intersection(*found)


# ---- the report


def _report(result: SparkExport) -> ExportReport:
    from pyspark.sql import functions as F

    from listclean.steps.export import ExportReport

    options, screened = result.options, result._screened
    names = [_COUNTER + name for name in COUNTERS]
    per_chunk = screened.groupBy(_CHUNK).agg(*(F.first(name).alias(name) for name in names))
    totals = per_chunk.agg(*(F.coalesce(F.sum(name), F.lit(0)).alias(name) for name in names)).collect()[0]
    count = {name: int(totals[_COUNTER + name]) for name in COUNTERS}
    rows_in, rows_out, rejected = result._source.count(), result.contacts.count(), result.rejects.count()
    if rows_in != rows_out + rejected:  # pragma: no cover - guarded by tests
        raise AssertionError(f"row accounting broken: {rows_in} in != {rows_out} out + {rejected} rejected")
    usable_only = options.profile is not None or options.hash is not None
    store = result._run.sources.value[0]
    return ExportReport(
        counts={"rows_in": rows_in, "rows_out": rows_out, "rejected": rejected, "merged": 0, "quarantined": 0},
        suppressed=count["suppressed"], consent_expired=count["lapsed"], unusable_address=count["unusable"],
        consent_expiring=count["expiring"], consent_unproven=count["unproven"], files=list(result._files),
        columns=result.exported.columns, to=options.to, hash=options.hash, format=result._format, expiring_days=options.rules.warning_days,
        store=options.store, store_added=store.added if store is not None else None, store_entries=len(store) if store is not None else None,
        consent_unknown=count["unknown"], consent_unknown_excluded=count["unknown_excluded"], consent_policy=options.policy,
        held_back={"pending": count["held_pending"], "unknown": count["held_unknown"]} if usable_only else {},
        refused_address=count["refused"], phones_left_out=_phones_left_out(result),
    )  # fmt: skip


def _phones_left_out(result: SparkExport) -> int:
    """Phones the platform's column cannot take (platforms.platform_phones of each partition), summed."""
    import polars as pl

    from listclean.platforms import platform_phones
    from listclean.spark.arrow import map_chunks

    profile = result.options.profile
    if profile is None or profile.audience or profile.phone_rule is None:
        return 0

    def left_out(rows: pl.DataFrame) -> pl.DataFrame:
        return pl.DataFrame({"n": [platform_phones(rows, profile)[1]]}, schema={"n": pl.Int64})

    return int(sum(row["n"] for row in map_chunks(result.contacts, left_out).collect()))


# ---- writing, the read-back check, the store


def _write(result: SparkExport, path: str, fmt: str | None, force: bool) -> str:
    """The exported rows as files at `path`: CSV parts within the limits, or Parquet; the format written."""
    import math

    from listclean.errors import UsageError
    from listclean.platforms import rows_per_part
    from listclean.spark.arrow import polars_schema, to_polars

    options = result.options
    fmt = fmt or options.output_format or "csv"
    if fmt not in ("csv", "parquet") or (options.output_format == "csv" and fmt != "csv"):
        raise UsageError(f"export on Spark writes {'CSV' if options.output_format == 'csv' else 'CSV or Parquet'}, not {fmt}")
    mode = "overwrite" if force else "errorifexists"
    if fmt == "parquet":
        result.exported.write.mode(mode).parquet(path)
    else:
        text = text_cells(result.exported, options.excel_safe).persist()  # counted, sampled and written
        total = text.count()
        sample = to_polars(text.limit(10_000), polars_schema(text.schema))
        profile = options.profile
        limit = rows_per_part(sample, total, options.max_rows or (profile.max_rows if profile else None), options.max_mb or (profile.max_mb if profile else None))
        parts = text.repartition(max(1, math.ceil(total / limit))) if total else text.coalesce(1)
        parts.write.mode(mode).options(**CSV_OPTIONS).option("maxRecordsPerFile", limit).csv(path)
        text.unpersist()
    result._files = _listed_files(result.exported.sparkSession, path)
    return fmt


def _check_written(result: SparkExport, path: str, fmt: str) -> None:
    """Read the written files back: a blocked address (in any spelling; for an audience, its hash)
    in any of them removes them all and fails (export_rules.verify_no_leak's rule, with joins)."""
    import polars as pl
    from pyspark.sql import functions as F

    from listclean.errors import OutputError
    from listclean.export_rules import written_values
    from listclean.spark.arrow import map_chunks
    from listclean.steps.export import written_address_column

    options, spark = result.options, result.exported.sparkSession
    if not _listed_files(spark, path):
        return  # nothing was written (no rows): nothing can have leaked
    written = spark.read.options(**CSV_OPTIONS).option("multiLine", "true").csv(path) if fmt == "csv" else spark.read.parquet(path)
    hashed = options.hash is not None or bool(options.profile and options.profile.audience)
    header = written_address_column(options.profile, options.hash is not None, written.columns)
    if header is None or header not in written.columns:
        return
    cells = written.select(F.col(f"`{header}`").cast("string").alias("cell"))
    values = map_chunks(cells, lambda rows: rows.select(written_values(pl.col("cell"), hashed).alias("v")))
    leaked = values.join(_blocked_values(result, hashed), "v", "left_semi").count()
    if leaked:
        _remove(spark, path)
        result._files = []
        raise OutputError(f"{leaked} suppressed address(es) found in the written export; the files were removed", hint="this is a bug in listclean: please report it")


def _blocked_values(result: SparkExport, hashed: bool) -> SparkFrame:
    """What the written files must not hold (`v`): the blocked keys and the store's, and for a hashed
    file also the suppressed rows' normalised addresses (an audience's own normalisation), hashed."""
    import polars as pl
    from pyspark.sql import functions as F

    from listclean.export_rules import ELSEWHERE_COLUMN, KEY_COLUMN, address_source, blocked_values
    from listclean.spark.arrow import map_chunks
    from listclean.suppression import normalised_address

    profile, spark = result.options.profile, result.exported.sparkSession
    flagged = result._flagged
    keys = flagged.filter(flagged[BLOCKS]).select(F.col(KEY_COLUMN).alias("key"))
    store = result._run.sources.value[0]
    if store is not None and store.plain_keys():
        keys = keys.unionByName(spark.createDataFrame([(key,) for key in sorted(store.plain_keys())], "key string"))
    if hashed:
        suppressed = flagged.filter(flagged[BLOCKS] | flagged[ELSEWHERE_COLUMN])
        forms = map_chunks(suppressed, lambda rows: rows.select(normalised_address(address_source(rows)).alias("key")))
        keys = keys.unionByName(forms)
    keys = keys.filter(F.col("key").isNotNull()).distinct()
    if profile is not None and profile.audience:
        from listclean.platforms import audience_email_forms

        keys = map_chunks(keys, lambda rows: pl.DataFrame({"key": sorted(audience_email_forms(profile, rows["key"].to_list()))}, schema={"key": pl.String}))
    return map_chunks(keys, lambda rows: blocked_values(rows["key"], hashed).to_frame("v")).distinct()


def save_store(result: SparkExport) -> None:
    """The store (options.store) learns what the single machine's run teaches it: the addresses of
    this run's unsubscribed, bounced, cleaned, complained and erased rows, the --suppress lists and
    the addresses they matched; then it is saved under its lock. The distinct addresses it learns
    are collected to the driver (added in order of key, status, address: as one chunk adds them)."""
    import polars as pl

    from listclean.spark.arrow import map_chunks, output_schema, to_polars
    from listclean.store import record_fed

    run = result._run
    store = run.sources.value[0]
    if store is None:
        return

    def learned(rows: pl.DataFrame) -> pl.DataFrame:
        from listclean.store import fed_rows

        screen = run.screen()
        left, _, _ = screen.stored_and_listed(rows)  # the statuses the store raised, as the step feeds them
        listed = pl.DataFrame({"key": sorted(screen.matched_by_list)}, schema={"key": pl.String})
        return pl.concat([fed_rows(left).with_columns(pl.lit(False).alias("listed")), listed.with_columns(pl.lit(True).alias("listed"))], how="diagonal_relaxed")

    found = map_chunks(result._flagged.drop(BLOCKS), learned).distinct()
    rows = to_polars(found, output_schema(result._flagged.drop(BLOCKS).schema, learned))
    record_fed(store, rows.filter(~pl.col("listed")).sort("key", "status", "normalised"))
    recorder = run.screen()
    recorder.matched_by_list = set(rows.filter(pl.col("listed"))["key"].to_list())
    recorder.save_store()


__all__ = ["SparkExport", "export", "save_store", "suppressed_elsewhere", "suppression_keys", "suppression_sources"]
