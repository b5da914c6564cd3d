"""segment on Spark: rule segments, RFM scores and lifecycle stages, as `listclean segment` labels them.

Rules and lifecycle stages are each row's own: every partition is labelled by segmentation's own
expressions (`arrow.map_chunks`). RFM scores rank the whole list, so they are found in steps,
none of which moves the list's rows to one place:

1. Per partition, segmentation's `rfm_values` gives each row what its three scores rank (minus
   the days since the last purchase, the purchase count, the spend and its currency; null where
   the row is not ranked), and each chunk is tallied into rows per distinct (score, group, value).
2. Spark adds the tallies up (`groupBy`: a shuffle of distinct values only) and, per score and
   group, counts the rows below each value (a window partitioned by score and group over the
   *distinct values*: a few thousand days and counts, as many spends as the list has different
   amounts in a currency).
3. Each distinct value's score is segmentation's `quintile` of its average rank (rows below it
   plus the mean of its own ranks 1..n: what Polars' rank("average") gives every one of them),
   run on the distinct values through `map_chunks`.
4. The scores are joined back to the rows by value (recency and frequency broadcast: they have a
   few thousand distinct values at most; monetary broadcast when adaptive execution finds it small,
   else a shuffle of the rows by spend), and rfm_segment by a broadcast of the 150-cell grid
   segmentation's `rfm_segment_expr` labels on the driver.

Equal values share a score whichever partitions they are in: the values are exact (whole days,
counts, the spend's own float), and Spark groups and joins -0.0 with 0.0 and NaN with NaN as
Polars ranks them. `segment_notes` gives the report's notes (a pass over the few columns they read).

`segment_splits` gives each segment's split file (--split-dir): its rows that may be mailed,
kept out by the single machine's own guard (steps.segment._SplitGuard) told by Spark what needs
the whole list, with export's pass 0 (spark.export.suppression_keys, suppressed_elsewhere): each
partition's suppression keys and the rows that suppress theirs everywhere (the guard's rule),
then a join on the key for the rows another row suppresses (another spelling, another
partition) and a join by cell for the cells of several addresses that also hold a blocked one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from listclean.segmentation import RFM_CURRENCY, RFM_FREQUENCY, RFM_MONETARY, RFM_RECENCY
from listclean.spark.arrow import with_listclean_types

if TYPE_CHECKING:
    import polars as pl
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.steps.segment import SegmentCounts, SegmentStepOptions

# The scores: (dimension in the tally, the column it becomes, the row's value, its group or None)
_SCORES = (
    ("recency", "rfm_recency", RFM_RECENCY, None),
    ("frequency", "rfm_frequency", RFM_FREQUENCY, None),
    ("monetary", "rfm_monetary", RFM_MONETARY, RFM_CURRENCY),
)


def segment(frame: SparkFrame, options: SegmentStepOptions) -> SparkFrame:
    """Every row labelled (`segment`, RFM scores, `lifecycle_stage`) as `listclean segment` labels it.

    `options` as the step takes them (rules file or `where`, `rfm`, `lifecycle` and its day
    thresholds, `include_unmailable`); the report date is fixed here (the options' as_of, else
    now to the second) and sent to every executor. The answer is lazy; with `rfm`, running it
    runs two passes over the list (the RFM inputs, tallied; then the rows, labelled and joined
    to their scores). Split files: `segment_splits` of the answer."""
    from listclean import segmentation as seg
    from listclean.errors import UsageError
    from listclean.spark.arrow import map_chunks

    frame = with_listclean_types(frame)  # all-null columns Polars wrote: their own types, not Spark's integers
    definitions = options.definitions()  # a rules file is read (and checked) here, on the driver
    when = _report_date(options)
    settings = options.settings()
    origin = options.rules or "--where"
    already = [name for name in seg.RFM_COLUMNS if name in frame.columns] if options.rfm else []
    if already:  # the single machine cannot add them either (two columns of one name)
        raise UsageError(f"the input already has {', '.join(already)}", hint="drop the old RFM columns before scoring again")

    def labelled(rows: pl.DataFrame) -> pl.DataFrame:
        if definitions:
            rows = seg.apply_rules(rows, definitions, when, options.include_unmailable, origin=origin)
        if options.rfm:
            rows = rows.with_columns(_float_values(rows.schema, when, options.include_unmailable))
        if options.lifecycle:
            rows = rows.with_columns(seg.lifecycle(rows, when, settings))
        return rows

    rows = map_chunks(frame, labelled)  # with rfm, the schema found here raises rfm's own error without last_purchase_at
    if not options.rfm:
        return rows
    ruled = [*frame.columns, *(["segment"] if definitions and "segment" not in frame.columns else [])]
    staged = ["lifecycle_stage"] if options.lifecycle and "lifecycle_stage" not in ruled else []
    scored = _rfm_segment(_with_scores(rows, _ranked_values(frame, when, options.include_unmailable)), "total_spend" in frame.columns)
    return scored.select(*ruled, *seg.RFM_COLUMNS, *staged)  # the step's order: rules, RFM scores, lifecycle


def segment_notes(frame: SparkFrame, options: SegmentStepOptions) -> list[str]:
    """The notes `listclean segment`'s report gives (`SegmentReport.notes`): what the RFM scores
    leave out (dates after the report date, buyers who may not be mailed, buyers without a
    purchase count) and the rows no rule segment takes because they may not be mailed, each with
    its count. One Spark job over the few columns they read (each chunk counted by segmentation's
    own code, the counts summed). Give `options.as_of` when calling this beside `segment`: without
    it each call takes its own "now"."""
    import polars as pl
    from pyspark.sql import functions as F

    from listclean import segmentation as seg
    from listclean.spark.arrow import map_chunks, polars_schema

    frame = with_listclean_types(frame)  # all-null columns Polars wrote: their own types, not Spark's integers
    when = _report_date(options)
    unsegmented = bool(options.definitions()) and not options.include_unmailable
    if options.rfm:
        seg.rfm_values(dict(polars_schema(frame.schema)), when)  # rfm's own error without last_purchase_at
    if not (options.rfm or unsegmented):
        return []

    def counted(rows: pl.DataFrame) -> pl.DataFrame:
        counts = seg.rfm_note_counts(rows, when) if options.rfm else {}
        if unsegmented:
            counts["unsegmented"] = int(rows.select((~seg.mailable(dict(rows.schema))).sum()).item())
        return pl.DataFrame({name: [count] for name, count in counts.items()}, schema=dict.fromkeys(counts, pl.Int64))

    inputs = frame.select(*(name for name in seg.RFM_INPUTS if name in frame.columns))
    per_chunk = map_chunks(inputs, counted)
    totals = per_chunk.agg(*(F.coalesce(F.sum(name), F.lit(0)).alias(name) for name in per_chunk.columns)).first().asDict()  # one row
    notes = seg.rfm_notes_of(totals, options.include_unmailable) if options.rfm else []
    if totals.get("unsegmented"):
        notes.append(seg.unsegmented_note(totals["unsegmented"]))
    return notes


def _report_date(options: SegmentStepOptions) -> datetime:
    """The date every relative measure is taken against, as the step fixes it (to the second)."""
    from datetime import timezone

    return (options.as_of or datetime.now(timezone.utc)).replace(microsecond=0)


def _float_values(schema: pl.Schema, when: datetime, include_unmailable: bool) -> list[pl.Expr]:
    """segmentation's `rfm_values` of a chunk, the ranked ones as floats: the tally's values and the
    rows' join keys are then one type (whole days and counts are exact as floats)."""
    import polars as pl

    from listclean import segmentation as seg

    values = seg.rfm_values(dict(schema), when, include_unmailable)
    return [value.cast(pl.Float64) if name != RFM_CURRENCY else value for name, value in values.items()]


def _ranked_values(frame: SparkFrame, when: datetime, include_unmailable: bool) -> SparkFrame:
    """(dimension, group, value, rows, below, ranked): every distinct ranked value, the rows that
    hold it, the rows below it and all the rows ranked with it (steps 1-2 above)."""
    import polars as pl
    from pyspark.sql import Window, functions as F

    from listclean import segmentation as seg
    from listclean.spark.arrow import map_chunks

    def tallied(rows: pl.DataFrame) -> pl.DataFrame:
        """A chunk's ranked values as rows per distinct (dimension, group, value)."""
        keyed = rows.select(_float_values(rows.schema, when, include_unmailable))
        parts = [
            keyed.select(
                pl.lit(dimension).alias("dimension"),
                (pl.col(group) if group in keyed.columns else pl.lit("")).alias("group"),
                pl.col(value).alias("value"),
            )
            for dimension, _, value, group in _SCORES
            if value in keyed.columns
        ]
        values = pl.concat(parts).drop_nulls("value")
        return values.group_by("dimension", "group", "value").agg(pl.len().cast(pl.Int64).alias("rows"))

    inputs = frame.select(*(name for name in seg.RFM_INPUTS if name in frame.columns))
    counted = map_chunks(inputs, tallied).groupBy("dimension", "group", "value").agg(F.sum("rows").alias("rows"))
    group = Window.partitionBy("dimension", "group")
    below = F.sum("rows").over(group.orderBy("value").rowsBetween(Window.unboundedPreceding, -1))
    return counted.select("*", F.coalesce(below, F.lit(0)).alias("below"), F.sum("rows").over(group).alias("ranked"))


def _scored(values: pl.DataFrame) -> pl.DataFrame:
    """Each distinct value's score (step 3 above): its rows hold ranks below+1 .. below+rows, the
    average of which every one of them gets (Polars' rank("average")), among `ranked` values."""
    import polars as pl

    from listclean import segmentation as seg

    average = pl.col("below") + (pl.col("rows") + 1) / 2
    return values.select("dimension", "group", "value", seg.quintile(average, pl.col("ranked")).alias("score"))


def _with_scores(rows: SparkFrame, ranked: SparkFrame) -> SparkFrame:
    """rfm_recency, rfm_frequency and rfm_monetary joined to the rows by their values (null where
    a row has none: not ranked); rfm_monetary null throughout without a spend column."""
    from pyspark.sql import functions as F

    from listclean.spark.arrow import map_chunks

    # Scored once for the three joins: Spark runs the tally once for all three (its shuffle is
    # reused), the window and scoring of the distinct values once per join. Filtering a dimension
    # before scoring would be pushed below the tally and run it, over the whole list, three times.
    scores = map_chunks(ranked, _scored)
    for dimension, column, value, group in _SCORES:
        if value not in rows.columns:
            rows = rows.withColumn(column, F.lit(None).cast("byte"))
            continue
        grouped = group in rows.columns
        table = scores.filter(F.col("dimension") == dimension).select(F.col("value").alias(value), *([F.col("group").alias(group)] if grouped else []), F.col("score").alias(column))
        # Days and counts have a few thousand distinct values at most; spends as many as the list
        # has amounts: left to adaptive execution, which broadcasts them when they turn out small.
        rows = rows.join(table if dimension == "monetary" else F.broadcast(table), on=[value, *([group] if grouped else [])], how="left")
    return rows


def _rfm_segment(rows: SparkFrame, monetary: bool) -> SparkFrame:
    """rfm_segment: every cell of the grid labelled on the driver by segmentation's own
    `rfm_segment_expr` (5 x 5 x 6 score combinations), broadcast and joined by the scores."""
    import itertools

    import polars as pl
    from pyspark.sql import functions as F

    from listclean import segmentation as seg

    cells = list(itertools.product(range(1, 6), range(1, 6), [*range(1, 6), None]))
    grid = pl.DataFrame(cells, schema={"rfm_recency": pl.Int8, "rfm_frequency": pl.Int8, "rfm_monetary": pl.Int8}, orient="row")
    named = grid.with_columns(seg.rfm_segment_expr(monetary)).rows()
    table = rows.sparkSession.createDataFrame(named, "__grid_r byte, __grid_f byte, __grid_m byte, rfm_segment string")
    matches = (F.col("rfm_recency") == F.col("__grid_r")) & (F.col("rfm_frequency") == F.col("__grid_f")) & F.col("rfm_monetary").eqNullSafe(F.col("__grid_m"))
    return rows.join(F.broadcast(table), on=matches, how="left")


def segment_counts(labelled: SparkFrame, options: SegmentStepOptions) -> SegmentCounts:
    """Rows per label (the report's tables) of `segment`'s answer, counted a chunk at a time by the
    step's own SegmentCounts and added up on the driver (only the counts travel)."""
    import polars as pl

    from listclean.spark.arrow import chunk_reports, polars_schema
    from listclean.steps.segment import SegmentCounts

    definitions = options.definitions()

    def counted(rows: pl.DataFrame) -> SegmentCounts:
        return SegmentCounts.of(rows, definitions, options.rfm, options.lifecycle)

    nothing = counted(pl.DataFrame(schema=polars_schema(labelled.schema)))  # every label listed, with 0, even for an empty list
    return SegmentCounts.combined([nothing, *chunk_reports(labelled, counted)])


_MAILABLE = "__listclean_mailable"  # the guard's answer: the row may go to a split file
_KEPT_OUT = "__listclean_kept_out"  # labelled with a split's segment, and kept out of its file


@dataclass
class SparkSplits:
    """Segment's split files on Spark: `files` (each segment's name -> the rows of its file, as
    `segment`'s answer holds them; lazy Spark frames over one persisted, judged list)."""

    files: dict[str, SparkFrame]
    _judged: SparkFrame
    _sources: Any  # a broadcast of (store, lists)

    def kept_out(self) -> int:
        """Rows labelled with a split's segment that the guard keeps out of its file
        (SegmentReport.split_suppressed, counted per partition by the step's own `in_a_split`). A Spark job."""
        from pyspark.sql import functions as F

        return self._judged.filter(F.col(_KEPT_OUT)).count()

    def release(self) -> None:
        """Free the judged list (once the files are written and the count read)."""
        self._judged.unpersist()
        self._sources.unpersist()


def segment_splits(labelled: SparkFrame, options: SegmentStepOptions) -> SparkSplits:
    """Each segment's split file (`listclean segment --split-dir`) of `segment`'s answer: the rows
    labelled with the segment that may be mailed. A row is kept out when its own status, the store
    or a --suppress list (options.store, options.suppress) suppresses it, when any other row of the
    list with the same suppression key is suppressed (in another spelling, in another partition),
    or when its cell holds another address that is (see the module's docstring: two joins on
    the key, no key collected)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from listclean.errors import UsageError
    from listclean.spark.arrow import map_chunks
    from listclean.spark.export import suppressed_elsewhere, suppression_keys, suppression_sources

    definitions = options.definitions()
    if not definitions:
        raise UsageError("--split-dir needs segments", hint="give --rules FILE or --where EXPR")
    sources = labelled.sparkSession.sparkContext.broadcast(suppression_sources(options))
    columns = labelled.columns
    names = [definition.name for definition in definitions.segments]

    def suppressing(chunk: pl.DataFrame) -> pl.Series:
        from listclean.steps.segment import _SplitGuard

        return _SplitGuard(*sources.value).suppressing(chunk)

    def judged(rows: pl.DataFrame) -> pl.DataFrame:
        from listclean.steps.segment import _SplitGuard, in_a_split

        mailable = _SplitGuard(*sources.value).mailable(rows)
        kept_out = rows.select(in_a_split(definitions, names) & ~mailable).to_series()
        return rows.select(columns).with_columns(mailable.alias(_MAILABLE), kept_out.alias(_KEPT_OUT))

    flagged = suppressed_elsewhere(suppression_keys(labelled, suppressing))
    guarded = map_chunks(flagged, judged).persist(StorageLevel.MEMORY_AND_DISK)
    mailable = guarded.filter(F.col(_MAILABLE)).drop(_MAILABLE, _KEPT_OUT)
    label = F.col("segment")

    def member(name: str) -> Any:  # noqa: ANN401 - a Column
        return F.array_contains(label, name) if definitions.mode == "all" else label == name

    files = {definition.name: mailable.filter(member(definition.name)) for definition in definitions.segments}
    return SparkSplits(files, guarded, sources)
