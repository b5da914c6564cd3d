"""``--match fuzzy`` on Spark: the model, and the groups no kept pair crosses, found as dedupe in
parts finds them on one machine (linkage/partitioned.py, linkage/match_groups.py), with Spark's
own operations where the whole list is needed and the engine's own functions everywhere else.

1. The model is learned once, on the driver, by `engine.learn_model` from the rows
   `training.training_mask` picks (every row of a list up to `model.TRAINING_ROWS`, else a fixed
   share of surnames: at most about that many rows reach the driver), in provenance order — the
   single machine's input order, so the same rows in the same order give the same weights.
   `--model` gives the weights instead.
2. Every row is numbered by its provenance: the rank of its `_source_file` among the list's files
   (a small table, collected) times 2^40, plus its `_source_row`. The numbers order the rows as
   the single machine's list is ordered, which is all the engine's numbering is used for (the
   first row of a block of identical rows stands for them; pairs are (earlier, later)).
3. Every partition files its rows with match_groups' own `filed_features` / `key_entries`: per
   row, what its identity keys (address, phone) link it by; per fuzzy key value, an entry with
   the row's comparison features. The blocks too large to compare are found with Spark
   aggregations (distinct fold signatures per key value: representatives, as the engine counts
   them) and collected — they are few, and the parts and the scoring both need them.
4. The entries are spread over ranges of (key, value hash), whole blocks each, and every range is
   scored by match_groups' own `score_range` (`groupBy(range).applyInArrow`): the same pairs, the
   same skips of pairs an earlier key or an identity already accounts for, the same model, the
   same kept pairs, and the same counts of pairs for the report.
5. The groups are the connected components (components.py) over the kept pairs and the identity
   keys: a row's vertex is its first identity key's value (else its own number), and a row with
   two identity keys joins their vertices. With --labels, the rows labelled one person
   (review.label_groups, as match_groups files them) join their label group's vertex too: they
   meet in one part, where the engine decides their pair as labelled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl
    from pyspark.sql import Column
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.linkage.blocking import BlockingKey
    from listclean.linkage.engine import DedupeOptions
    from listclean.linkage.match_groups import MatchGroups
    from listclean.linkage.model import LinkageModel

PROVENANCE = ["_source_file", "_source_row"]
FILE_ROW_BITS = 40  # a row's number: its file's rank above these bits, its _source_row in them
_ROW = "__global_row"  # match_groups' row number (here: the provenance number)
_KEY_NUMBER = "__listclean_key_number"  # an entry's fuzzy key (null: the row's own link record)
_VALUE = "__listclean_value"  # an entry's key value hash
_VERTEX = "__listclean_vertex"
_RANGE = "__listclean_range"
_LINK = "__listclean_link_"  # + an identity key's name: its value hash
_LABELS = "__labels"  # a row's labels group hash (match_groups.labelled_group), in its link record
_SIGN = -(1 << 63)  # set on a key's vertex: keys are negative, row numbers are not, so they never meet


@dataclass
class FuzzyGroups:
    grouped: SparkFrame  # the frame's columns and the row's group (a 64-bit label)
    options: DedupeOptions  # with the model the parts score with
    too_large: dict[str, pl.DataFrame]  # per fuzzy key, its blocks too large (value hash, len): the parts skip them
    counted: MatchGroups  # the fuzzy keys' pairs over the whole list, for the report (partitioned._count_pairs)


def learned_model(frame: SparkFrame, options: DedupeOptions, rows: int) -> LinkageModel:
    """The weights the single machine learns from this list: its training rows (training_mask,
    which depends on a row and the list's size only) collected in provenance order."""
    import polars as pl

    from listclean.linkage.engine import learn_model
    from listclean.linkage.training import training_mask
    from listclean.spark.arrow import map_chunks, polars_schema, to_polars

    schema = polars_schema(frame.schema)
    picked = training_mask(pl.DataFrame(schema=schema), rows)  # decided here, once: an expression of a row's own columns
    # Every row of a small list (no Python pass to keep them all), else the rows picked.
    sample = frame if picked.meta.eq(pl.lit(True)) else map_chunks(frame, lambda chunk: chunk.filter(picked))
    return learn_model(to_polars(sample, schema).sort(PROVENANCE), options)


def fuzzy_groups(frame: SparkFrame, options: DedupeOptions, rows: int, part_rows: int, keep_near_misses: bool, group: str) -> FuzzyGroups:
    """The frame's rows with their `group` (see the module's docstring). `keep_near_misses`: the
    parts write their unmatched kept pairs (explain), so those pairs join groups too."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from listclean.linkage.blocking import keys_for
    from listclean.linkage.match_groups import _ranges
    from listclean.spark.arrow import map_chunks
    from listclean.spark.components import components

    if options.model is None:
        options = replace(options, model=learned_model(frame, options, rows))
    keys = keys_for(options.match)
    fuzzy, identity = [key for key in keys if not key.always_links], [key for key in keys if key.always_links]
    ranks = _file_ranks(frame)
    filing, unsigned, stored_columns = _filing(options, fuzzy, identity, ranks)
    filed = map_chunks(frame, filing).withColumn(_VERTEX, _vertex(identity)).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        links, entries = filed.where(F.col(_KEY_NUMBER).isNull()), filed.where(F.col(_KEY_NUMBER).isNotNull())
        too_large = _too_large(entries, fuzzy, options.max_block)
        large_identity = _large_identity(links, identity, options.max_block)
        large = [too_large[key.name]["value"] if key.name in too_large else _no_values() for key in fuzzy]
        ranges = _ranges(entries.count(), part_rows)
        ranged = entries.withColumn(_RANGE, F.pmod(F.xxhash64(_KEY_NUMBER, _VALUE), F.lit(ranges)))
        scoring = _RangeScoring(options, fuzzy, keep_near_misses, large, large_identity, unsigned, stored_columns)
        scored = ranged.groupBy(_RANGE).applyInArrow(lambda table: scoring(table), "left long, right long, key long, proposed long, first long, also_identity long")
        scored = scored.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            counted = _counted(scored, fuzzy, too_large, ranges)
            edges = scored.where(F.col("key").isNull()).select("left", "right").union(_identity_edges(links, identity, labelled=_LABELS in links.columns))
            labels = components(edges)  # computed here (on the driver, or checkpointed rounds): the kept frames can go
        finally:
            scored.unpersist()
    finally:
        filed.unpersist()
    numbered = map_chunks(frame, _linking(identity, ranks)).withColumn(_VERTEX, _vertex(identity))
    grouped = numbered.join(labels, numbered[_VERTEX] == labels["vertex"], "left").select(
        *frame.columns, F.coalesce(F.col("label"), F.col(_VERTEX)).alias(group)
    )
    return FuzzyGroups(grouped=grouped, options=options, too_large=too_large, counted=counted)


def _counted(scored: SparkFrame, fuzzy: list[BlockingKey], too_large: dict[str, pl.DataFrame], ranges: int) -> MatchGroups:
    """The ranges' pair counts summed (one row per key on the driver), as match_groups sums them."""
    from pyspark.sql import functions as F

    from listclean.linkage.match_groups import MatchGroups

    counted = MatchGroups(groups=_no_values(), too_large=too_large, by_key=dict.fromkeys((key.name for key in fuzzy), 0), ranges=ranges)
    sums = scored.where(F.col("key").isNotNull()).groupBy("key").agg(F.sum("proposed"), F.sum("first"), F.sum("also_identity"))
    for number, proposed, first, also_identity in sums.collect():
        counted.by_key[fuzzy[number].name] = int(proposed)
        counted.distinct += int(first)
        counted.also_identity += int(also_identity)
    return counted


def _no_values() -> pl.Series:
    import polars as pl

    return pl.Series("value", [], dtype=pl.UInt64)


def _file_ranks(frame: SparkFrame) -> dict[str, int]:
    """Each source file's rank in sorted order (the list's files: a small table on the driver).
    Refused (a UsageError): provenance missing, repeated or past 2^40 rows in a file, which the
    rows' numbers (and the single machine's order) could not tell apart."""
    from pyspark.sql import functions as F

    from listclean.errors import UsageError

    files = frame.groupBy("_source_file").agg(
        F.count(F.lit(1)).alias("rows"), F.countDistinct("_source_row").alias("distinct"), F.min("_source_row").alias("low"), F.max("_source_row").alias("high")
    ).collect()
    for name, count, distinct, low, high in files:
        if name is None or distinct != count or low < 0 or high >= 1 << FILE_ROW_BITS:
            raise UsageError(
                f"--match fuzzy on Spark needs one row per _source_file, _source_row (file {name!r}: {count:,} rows, {distinct:,} distinct row numbers)",
                hint="dedupe a list listclean imported, or on one machine",
            )
    return {name: rank for rank, name in enumerate(sorted(row[0] for row in files))}


def _row_numbers(chunk: pl.DataFrame, ranks: dict[str, int]) -> pl.Series:
    import polars as pl

    rank = chunk["_source_file"].cast(pl.String).replace_strict(ranks, return_dtype=pl.Int64).cast(pl.Int64)  # (an empty mapping answers text)
    return (rank * (1 << FILE_ROW_BITS) + chunk["_source_row"].cast(pl.Int64)).alias(_ROW)


def _signed_bits(frame: pl.DataFrame) -> pl.DataFrame:
    """64-bit hashes as Spark's signed longs (the same bits: reinterpreted, not cast)."""
    import polars as pl

    return frame.with_columns(pl.col(pl.UInt64).reinterpret(signed=True))


def _unsigned_bits(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    import polars as pl

    return frame.with_columns(pl.col(name).reinterpret(signed=False) for name in names if name in frame.columns)


def _filing(options: DedupeOptions, fuzzy: list[BlockingKey], identity: list[BlockingKey], ranks: dict[str, int]):  # type: ignore[no-untyped-def]
    """The chunk function filing a partition's rows (match_groups.filed_features): per row a link
    record (its number, identity key hashes, fold signature, address with given name), and per
    fuzzy key value an entry (_KEY_NUMBER, _VALUE: the filed features). Also: the columns that
    are 64-bit hashes (sent as signed longs), and the filed features' columns in their order."""
    import polars as pl

    from listclean.linkage.match_groups import filed_features, key_entries
    from listclean.linkage.review import label_groups

    labelled = label_groups(options.labels)  # ref -> group: small (what a person labelled), sent with the function

    def filed(chunk: pl.DataFrame) -> pl.DataFrame:
        link, stored = filed_features(chunk, _row_numbers(chunk, ranks), options, fuzzy, identity, labelled)
        linked = link.select(pl.col(key.name).alias(_LINK + key.name) for key in identity)
        stored = stored.with_columns(linked)
        records = pl.concat([stored.select(_ROW), link.rename({key.name: _LINK + key.name for key in identity})], how="horizontal")
        entries = [key_entries(stored, number).with_columns(pl.lit(number, dtype=pl.Int64).alias(_KEY_NUMBER), pl.col(f"__h{number}").alias(_VALUE)) for number in range(len(fuzzy))]
        return pl.concat([records.with_columns(pl.lit(None, dtype=pl.Int64).alias(_KEY_NUMBER)), *entries], how="diagonal_relaxed")

    empty = pl.DataFrame(schema={"_source_file": pl.String, "_source_row": pl.Int64})
    schema = filed(empty).schema
    _, stored = filed_features(empty, pl.Series(_ROW, [], dtype=pl.Int64), options, fuzzy, identity, None)
    unsigned = [name for name, dtype in schema.items() if dtype == pl.UInt64]
    return (lambda chunk: _signed_bits(filed(chunk))), unsigned, key_entries(stored, 0).columns


def _linking(identity: list[BlockingKey], ranks: dict[str, int]):  # type: ignore[no-untyped-def]
    """The chunk function adding a row's number and identity key hashes to its columns, reading
    only the address and phone (features.slim_features: computed as prepare computes them)."""
    import polars as pl

    from listclean.linkage.blocking import hashed_key
    from listclean.linkage.features import SLIM_FEATURES, slim_features

    reads = {name for key in identity for name in key.expression().meta.root_names()}
    assert reads <= set(SLIM_FEATURES), f"identity keys read more than the slim features: {sorted(reads)}"

    def linking(chunk: pl.DataFrame) -> pl.DataFrame:
        features = slim_features(chunk)
        hashes = features.select(hashed_key(key.expression()).alias(_LINK + key.name) for key in identity)
        return _signed_bits(chunk.with_columns(_row_numbers(chunk, ranks), *hashes))

    return linking


def _vertex(identity: list[BlockingKey]) -> Column:
    """A row's vertex: its first identity key's value (tagged with the key's name, sign bit set),
    else its own number."""
    from pyspark.sql import functions as F

    return F.coalesce(*(_key_vertex(key) for key in identity), F.col(_ROW))


def _key_vertex(key: BlockingKey) -> Column:
    from pyspark.sql import functions as F

    value = F.col(_LINK + key.name)
    return F.when(value.isNotNull(), F.xxhash64(F.lit(key.name), value).bitwiseOR(F.lit(_SIGN)))


def _identity_edges(links: SparkFrame, identity: list[BlockingKey], labelled: bool = False) -> SparkFrame:
    """A row's vertex joined to its other identity keys' (an address and a phone in one row), and
    to its labels group's (`labelled`: rows a person labelled one person)."""
    from functools import reduce

    from pyspark.sql import functions as F

    edges = [links.where(_key_vertex(key).isNotNull()).select(F.col(_VERTEX).alias("left"), _key_vertex(key).alias("right")) for key in identity]
    if labelled:
        group = F.xxhash64(F.lit(_LABELS), F.col(_LABELS)).bitwiseOR(F.lit(_SIGN))  # a vertex of its own kind, as a key's
        edges.append(links.where(F.col(_LABELS).isNotNull()).select(F.col(_VERTEX).alias("left"), group.alias("right")))
    return reduce(lambda one, other: one.union(other), edges).where(F.col("left") != F.col("right"))


def _too_large(entries: SparkFrame, fuzzy: list[BlockingKey], max_block: int) -> dict[str, pl.DataFrame]:
    """Per fuzzy key, its blocks of more than max_block representatives (distinct fold
    signatures, as score_range counts them): value hash, len, by value. Collected: few."""
    import polars as pl

    from pyspark.sql import functions as F

    sizes = entries.groupBy(_KEY_NUMBER, _VALUE).agg(F.countDistinct("__signature").alias("len")).where(F.col("len") > max_block)
    found = pl.from_arrow(sizes.toArrow())
    assert isinstance(found, pl.DataFrame)
    blocks = found.select(pl.col(_KEY_NUMBER), pl.col(_VALUE).reinterpret(signed=False).alias("value"), pl.col("len").cast(pl.UInt32))
    too_large = {}
    for number, key in enumerate(fuzzy):
        mine = blocks.filter(pl.col(_KEY_NUMBER) == number).drop(_KEY_NUMBER).sort("value")
        if mine.height:
            too_large[key.name] = mine
    return too_large


def _large_identity(links: SparkFrame, identity: list[BlockingKey], max_block: int) -> dict[BlockingKey, tuple[pl.Series, pl.Series | None]]:
    """match_groups._large_identity_blocks with Spark's aggregations: per identity key, its blocks
    of more than max_block representatives, and for a key that splits by given name, the refined
    blocks still too large."""
    from pyspark.sql import functions as F

    large: dict[BlockingKey, tuple[pl.Series, pl.Series | None]] = {}
    for key in identity:
        value = _LINK + key.name
        present = links.where(F.col(value).isNotNull())
        big = present.groupBy(value).agg(F.countDistinct("__signature").alias("len")).where(F.col("len") > max_block).select(value)
        refined = None
        if key.splits_by_given_name:
            inside = present.join(big, value, "left_semi")
            refined = _hashes(inside.groupBy("__refined").agg(F.countDistinct("__signature").alias("len")).where(F.col("len") > max_block).select("__refined"))
        large[key] = (_hashes(big), refined)
    return large


def _hashes(frame: SparkFrame) -> pl.Series:
    """A one-column Spark frame of hashes (signed longs) on the driver as Polars' UInt64."""
    import polars as pl

    collected = pl.from_arrow(frame.toArrow())
    assert isinstance(collected, pl.DataFrame)
    return collected.to_series().reinterpret(signed=False).alias("value")


@dataclass
class _RangeScoring:
    """What a Python worker scores a range of blocks with (match_groups.score_range): the
    model, the blocks too large, and how the filed columns came through Spark."""

    options: DedupeOptions
    fuzzy: list[BlockingKey]
    keep_near_misses: bool
    large: list[pl.Series]
    large_identity: dict[BlockingKey, tuple[pl.Series, pl.Series | None]]
    unsigned: list[str]
    stored_columns: list[str]

    def __call__(self, table):  # type: ignore[no-untyped-def]
        import polars as pl

        from listclean.linkage.match_groups import score_range
        from listclean.spark.arrow import from_spark_arrow

        entries = _unsigned_bits(from_spark_arrow(table), self.unsigned)
        vertices = entries.select(_ROW, _VERTEX).unique(_ROW)
        answers = []
        for number in sorted(entries[_KEY_NUMBER].unique().to_list()):
            mine = entries.filter(pl.col(_KEY_NUMBER) == number).select(self.stored_columns)
            scored = score_range(mine, number, self.fuzzy, self.options, self.keep_near_misses, self.large, self.large_identity)
            edges = scored.edges.select(pl.col("left", "right").cast(pl.Int64)).join(vertices.rename({_ROW: "left", _VERTEX: "left_vertex"}), on="left").join(vertices.rename({_ROW: "right", _VERTEX: "right_vertex"}), on="right")
            answers.append(edges.select(pl.col("left_vertex").alias("left"), pl.col("right_vertex").alias("right")).filter(pl.col("left") != pl.col("right")))
            answers.append(pl.DataFrame({"key": [number], "proposed": [scored.proposed], "first": [scored.first], "also_identity": [scored.also_identity]}))
        schema = dict.fromkeys(["left", "right", "key", "proposed", "first", "also_identity"], pl.Int64)
        answer = pl.concat([pl.DataFrame(schema=schema), *answers], how="diagonal_relaxed").select(pl.col(name).cast(pl.Int64) for name in schema)
        return answer.to_arrow()
