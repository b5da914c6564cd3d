"""dedupe --against on Spark: new rows matched to the clusters of a master Spark frame, as
linkage/against.py matches them to a master streamed from disk — by the same functions.

One machine holds the new rows in memory and streams the master once; here the driver holds the
new rows (a night's rows: what one machine holds too) and the master stays a Spark frame:

1. every master partition says what it shares with the new rows — `against.sharing`, sent the
   new rows' key values and identities once (a broadcast): the cluster ids always in play, how
   many of its rows share each key value, and for the values shared by few rows those rows'
   cluster ids. Spark sums the counts per value; what reaches the driver is bounded by the new
   rows' own key values (each value once, and at most max_block cluster ids a value in a part);
2. on the driver, `against.blocks_in_play` decides the clusters in play and the blocks too large
   in the whole master, and `against.match_in_part` matches the new rows to the master rows of
   those clusters (gathered by a broadcast join on the cluster id and collected: the part of the
   master the new rows reach), adds a cluster whose id a new cluster takes, and counts the report;
3. the updated master is the master's rows of every untouched cluster (a Spark anti-join on the
   touched cluster ids), unchanged, and the re-merged and new golden records.

The weights (fuzzy, without --model) are learned on the driver from the master's and the new
rows' training rows, in provenance order, as one machine learns them (`training.
against_training_rows`). The part of the master in play is taken in provenance order (one
machine: the master file's order), and the new rows too: the engine breaks ties by that order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.linkage.against import Part
    from listclean.linkage.engine import DedupeOptions, MasterMatch
    from listclean.linkage.model import LinkageModel

PROVENANCE = ["_source_file", "_source_row"]
_KIND = "__listclean_kind"  # always | count | value: which of sharing's answers a row is


@dataclass
class SparkAgainst:
    golden: SparkFrame  # the updated master: untouched master rows, re-merged and new golden records
    match: MasterMatch  # on the driver: clusters, explained pairs, review, report of the rows in play
    master_rows: int


def dedupe_against(frame: SparkFrame, master: SparkFrame, options: DedupeOptions, source: str = "the master") -> SparkAgainst:
    """The new rows of `frame` matched to `master` (a dedupe output: it has `cluster_id`), as
    `listclean dedupe --against` matches them; see the module's docstring."""
    from listclean.errors import InputError
    from listclean.linkage.against import blocks_in_play, match_in_part, new_keys
    from listclean.spark.arrow import polars_schema, to_polars

    if "cluster_id" not in master.columns:
        raise InputError("has no cluster_id column", source=source, hint="--against takes a file written by listclean dedupe")
    new = to_polars(frame, polars_schema(frame.schema))
    new = new.sort(PROVENANCE) if all(name in new.columns for name in PROVENANCE) else new
    master_rows = master.count()
    wanted, identities = new_keys(new, options.match)
    if options.match == "fuzzy" and options.model is None:
        options = replace(options, model=_learned(master, new, master_rows, options))
    always, counts, by_value = _shared(master, wanted, identities, options)
    in_part, too_large = blocks_in_play(wanted, always, counts, by_value, options.max_block)
    match = match_in_part(new, in_part, too_large, lambda ids: _part(master, ids, master_rows), master_rows, options)
    return SparkAgainst(golden=_updated(master, match), match=match, master_rows=master_rows)


def _learned(master: SparkFrame, new: pl.DataFrame, master_rows: int, options: DedupeOptions) -> LinkageModel:
    """The weights one machine learns against this master: from the master's training rows (in
    provenance order) and the new rows'."""
    import polars as pl

    from listclean.linkage.engine import learn_model
    from listclean.linkage.training import against_training_rows, training_mask
    from listclean.spark.arrow import map_chunks, polars_schema, to_polars

    schema = polars_schema(master.schema)
    total = master_rows + new.height
    picked = training_mask(pl.DataFrame(schema=schema), total)
    sample = master if picked.meta.eq(pl.lit(True)) else map_chunks(master, lambda chunk: chunk.filter(picked))
    return learn_model(against_training_rows([to_polars(sample, schema)], new, total), options)


def _shared(master: SparkFrame, wanted: pl.DataFrame, identities: pl.Series, options: DedupeOptions) -> tuple[pl.Series, pl.DataFrame, pl.DataFrame]:
    """`against.sharing` on every partition, its answers folded by Spark: the cluster ids always in
    play, the rows sharing each key value (counted over the whole master), and the (key, value,
    cluster_id) of values shared by at most max_block rows of a partition."""
    import polars as pl

    from pyspark.sql import functions as F

    from listclean.spark.arrow import map_chunks, to_polars

    sent = master.sparkSession.sparkContext.broadcast((wanted, identities))

    def shared(chunk: pl.DataFrame) -> pl.DataFrame:
        from listclean.linkage.against import sharing

        keys, ids = sent.value
        always, counts, values = sharing(chunk, keys, ids, options)
        return pl.concat(
            [
                pl.DataFrame({"cluster_id": always}).with_columns(pl.lit("always").alias(_KIND)),
                counts.with_columns(pl.col("len").cast(pl.Int64), pl.lit("count").alias(_KIND)),
                values.with_columns(pl.lit("value").alias(_KIND)),
            ],
            how="diagonal_relaxed",
        ).select(_KIND, pl.col("key").cast(pl.String), pl.col("value").cast(pl.String), pl.col("cluster_id").cast(pl.String), pl.col("len").cast(pl.Int64))

    answers = map_chunks(master, shared).persist()
    try:
        text = {"key": pl.String, "value": pl.String, "cluster_id": pl.String}
        always = to_polars(answers.where(F.col(_KIND) == "always").select("cluster_id").distinct(), pl.Schema({"cluster_id": pl.String})).to_series()
        summed = answers.where(F.col(_KIND) == "count").groupBy("key", "value").agg(F.sum("len").alias("len"))
        counts = to_polars(summed, pl.Schema({"key": pl.String, "value": pl.String, "len": pl.Int64})).with_columns(pl.col("len").cast(pl.UInt32))
        by_value = to_polars(answers.where(F.col(_KIND) == "value").select("key", "value", "cluster_id"), pl.Schema(text))
    finally:
        answers.unpersist()
    return always, counts, by_value


def _part(master: SparkFrame, ids: pl.Series, master_rows: int) -> Part:
    """`against.Part` from Spark: the master rows of clusters `ids` on the driver (provenance
    order), the rows outside counted and their largest golden record found by Spark."""
    import polars as pl

    from pyspark.sql import functions as F

    from listclean.linkage.against import Part
    from listclean.spark.arrow import from_driver, polars_schema, to_polars

    chosen = from_driver(master.sparkSession, pl.DataFrame({"__listclean_id": ids.cast(pl.String).unique()}))
    key = F.col("cluster_id").cast("string")
    inside = master.join(F.broadcast(chosen), key == chosen["__listclean_id"], "left_semi")
    rows = to_polars(inside, polars_schema(master.schema)).sort(PROVENANCE)
    largest = None
    if "merged_rows" in master.columns:
        outside = master.join(F.broadcast(chosen), key == chosen["__listclean_id"], "left_anti")
        largest = outside.agg(F.max("merged_rows")).first()[0]
    return Part(rows, rows["cluster_id"].cast(pl.String).unique(), master_rows - rows.height, largest)


def _updated(master: SparkFrame, match: MasterMatch) -> SparkFrame:
    """The updated master: every master row of an untouched cluster as it was, then the re-merged
    and new golden records (in the master's columns, then those the new rows brought)."""
    import polars as pl

    from pyspark.sql import functions as F

    from listclean import schema
    from listclean.spark.arrow import from_driver

    spark = master.sparkSession
    touched = from_driver(spark, pl.DataFrame({"__listclean_id": match.touched.cast(pl.String)}))
    kept = master.join(F.broadcast(touched), F.col("cluster_id").cast("string") == touched["__listclean_id"], "left_anti")
    golden = from_driver(spark, match.golden)
    # The golden records in the master's types where both have a column (Spark's Parquet reading
    # and Polars' answer can name one type two ways: an unsigned count read as a long, say).
    golden = golden.select(*[F.col(name).cast(master.schema[name].dataType) if name in master.columns else F.col(name) for name in golden.columns])
    columns = schema.column_order([*master.columns, *(name for name in golden.columns if name not in master.columns)])
    return kept.unionByName(golden, allowMissingColumns=True).select(*columns)
