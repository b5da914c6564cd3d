"""dedupe on Spark: the groups no comparison crosses found with Spark's joins, each part of them
deduplicated by listclean's own engine (`linkage.engine.dedupe`) in a Python worker.

As `dedupe` in parts on one machine (linkage/partitioned.py): two rows are only compared when
they share a blocking key, and under ``--match exact`` and ``canonical`` every key links (the
canonical address; the phone, which also decides a row's cluster id where it has no address), so
the rows fall into the connected components of "shares a key", which no comparison, cluster or
golden record crosses. Here:

1. every partition computes each row's keys with the engine's own expressions
   (`partitioned.linking_expressions`), reading only the columns they need, as 64-bit hashes
   tagged with the key's name (a collision can only put two groups in one part, never merge
   anyone: each part's engine compares the real values);
2. the keys that meet in one row are the edges of a graph whose components Spark finds
   (`components.py`); every row gets its component's label (a join on its first key), or none
   (a row with no key is its own group);
3. the groups are spread over parts of about `part_rows` rows by a hash of the label, and each
   part is deduplicated by the engine (`groupBy(part).applyInArrow`), its rows in provenance
   order. The engine breaks ties by input order; here that order is provenance's
   (`_source_file`, then `_source_row`), which is the single machine's input order for a list
   imported from one file (or files named in sorted order).

One Python call per part answers the golden records, the row -> cluster map, the explained pairs
and the part's report together, in one frame tagged by kind, which is kept (persisted) and read
once per output: the engine runs once. The parts' reports are summed on the driver as the single
machine sums its parts' (so the report equals the whole list's).

Under ``--match fuzzy`` the fuzzy keys would chain a large list into one group, so the groups
are those of the pairs the engine keeps, scored once with the weights learned from the whole
list (or given by --model), as match_groups.py finds them on one machine: fuzzy.py. Each part is
then deduplicated with those weights and told which blocks are too large in the whole list, and
the report counts those blocks once and the fuzzy keys' pairs over the whole list
(partitioned._count_pairs), as the single machine's parts do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from listclean.spark.arrow import with_listclean_types

if TYPE_CHECKING:
    import polars as pl
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.linkage.engine import DedupeOptions, DedupeReport
    from listclean.steps.dedupe import DedupeStepOptions, DedupeStepReport

PART_ROWS = 200_000  # rows a part holds (about): the engine needs about three times a part's size in memory
PROVENANCE = ["_source_file", "_source_row"]
_KEY = "__listclean_key"  # the row's first key (its group, once the components are known)
_GROUP = "__listclean_group"
_PART = "__listclean_part"
_KIND = "__listclean_kind"  # golden | cluster | pair | report
_REPORT = "__listclean_report"  # a part's DedupeReport (pickled)
_CLUSTER = "__cluster__"  # prefix of the cluster map's columns in the tagged frame
_PAIR = "__pair__"  # prefix of the explained pairs' columns
_REVIEW = "__review__"  # prefix of the uncertain pairs' columns (--review)
REVIEW_ORDER = ["left_file", "left_row", "right_file", "right_row"]  # partitioned._sorted_review's


@dataclass
class SparkDedupe:
    golden: SparkFrame  # golden records (unordered: sort by provenance for the single machine's rows)
    clusters: SparkFrame  # _source_file, _source_row -> cluster_id, is_survivor for every input row
    pairs: SparkFrame  # explained pairs (with explain; else empty), as --explain writes them
    report: DedupeReport  # the whole list's, as the single machine's dedupe report
    parts: int
    review: SparkFrame | None = None  # the uncertain pairs (review=True), as --review writes them (see review_rows)
    master_rows: int = 0  # rows read from the master (--against: `golden` is the updated master)
    review_pairs: int = 0
    labelled_pairs: int = 0  # pairs read from --labels
    labels_unmatched: int = 0  # of those, pairs naming a row the frame does not have

    _tagged: SparkFrame | None = field(default=None, repr=False)

    def review_rows(self) -> pl.DataFrame | None:
        """The uncertain pairs on the driver, in the single machine's order, for the review file
        (`steps.dedupe.write_review`): a file a person labels, so as large as a person can read;
        None without review."""
        import polars as pl

        if self.review is None:
            return None
        collected = pl.from_arrow(self.review.orderBy(*REVIEW_ORDER).toArrow())  # text, whole numbers and probabilities: no type to restore
        assert isinstance(collected, pl.DataFrame)
        return collected

    def release(self) -> None:
        """Free the kept (persisted) result once its frames are written."""
        if self._tagged is not None:
            self._tagged.unpersist()

    def step_report(self, rows_out: int, save_model_to: str | None = None) -> DedupeStepReport:
        """The dedupe step's report (its summary is `listclean dedupe --json`'s): rows in = rows
        out + merged, checked; the weights written to `save_model_to` (--save-model) when given."""
        from listclean.steps.dedupe import DedupeStepReport

        merged = self.report.merged_rows
        rows_in = self.report.rows_in + self.master_rows  # the report counts the new rows; the step, the master's too
        if rows_in != rows_out + merged:  # every row is in a golden record or merged into one
            raise AssertionError(f"row accounting broken: {rows_in} in != {rows_out} out + {merged} merged")
        counts = {"rows_in": rows_in, "rows_out": rows_out, "rejected": 0, "merged": merged, "quarantined": 0}
        saved = save_model(save_model_to, self.report.model)
        return DedupeStepReport(
            counts=counts, dedupe=self.report, parts=self.parts, saved_model=saved, master_rows=self.master_rows, against=self.master_rows > 0,
            review_pairs=self.review_pairs, labelled_pairs=self.labelled_pairs, labels_unmatched=self.labels_unmatched,
        )  # fmt: skip


def dedupe(
    frame: SparkFrame,
    options: DedupeStepOptions | None = None,
    *,
    explain: bool = False,
    review: bool = False,
    master: SparkFrame | None = None,
    part_rows: int = PART_ROWS,
) -> SparkDedupe:
    """`listclean dedupe --match exact|canonical|fuzzy` on a Spark DataFrame of listclean's
    canonical columns: golden records, the cluster map, explained pairs (`explain`), the uncertain
    pairs (`review`, fuzzy: --review) and the report. Against a master (`master`, a frame of an
    earlier dedupe output, or the Parquet `options.against` names: --against) the new rows are
    matched into its clusters and `golden` is the updated master (spark/against.py).

    The frame needs its provenance (`_source_file`, `_source_row`: the tie-break order, see the
    module's docstring; fuzzy numbers rows by it, so it must name each row once). Refused (a
    UsageError): --explain-all with fuzzy. `options.model` (--model) and
    `options.labels` (--labels: a reviewed file, read on the driver) are read and used as one
    machine uses them; --save-model is the caller's to write (`report.model`)."""
    from pyspark.sql import functions as F

    from listclean.steps.dedupe import DedupeStepOptions

    frame = with_listclean_types(frame)  # all-null columns Polars wrote: their own types, not Spark's integers
    options = options or DedupeStepOptions(match="canonical")
    _check(frame, options, review)
    engine = _engine(options, review)
    if master is not None or options.against:
        master = with_listclean_types(master if master is not None else frame.sparkSession.read.parquet(options.against))
        return _against(frame, master, options.against or "the master", engine, explain)
    rows = frame.count()
    parts = max(1, math.ceil(rows / max(1, part_rows)))
    fuzzy = None
    if options.match == "fuzzy":
        from listclean.spark.fuzzy import fuzzy_groups

        fuzzy = fuzzy_groups(frame, engine, rows, part_rows, keep_near_misses=explain or review, group=_GROUP)
        engine, grouped = fuzzy.options, fuzzy.grouped
    else:
        grouped = _key_groups(frame, options.match)
    spread = grouped.withColumn(_PART, F.pmod(F.xxhash64(_GROUP), F.lit(parts))).drop(_GROUP)
    tagged = _deduped_parts(spread, frame, engine, explain, fuzzy.too_large if fuzzy else None).persist()
    report, review_pairs = _summed_report(tagged, options.match)
    if fuzzy is not None:  # as partitioned._in_parts: blocks too large once, the fuzzy keys' pairs over the whole list
        from listclean.linkage.blocking import count_skipped
        from listclean.linkage.partitioned import _count_pairs

        count_skipped(report.blocking, fuzzy.too_large)
        _count_pairs(report, fuzzy.counted)
        report.model = engine.model  # every part's (and the list's, were there no part: an empty list)
    return SparkDedupe(
        golden=tagged.where(F.col(_KIND) == "golden").select(*_golden_columns(tagged)),
        clusters=_unprefixed(tagged.where(F.col(_KIND) == "cluster"), _CLUSTER),
        pairs=_unprefixed(tagged.where(F.col(_KIND) == "pair"), _PAIR),
        report=report,
        parts=parts,
        review=_unprefixed(tagged.where(F.col(_KIND) == "review"), _REVIEW) if review else None,
        review_pairs=review_pairs,
        labelled_pairs=engine.labels.height if engine.labels is not None else 0,
        labels_unmatched=_labels_unmatched(engine.labels, frame),
        _tagged=tagged,
    )


def _against(frame: SparkFrame, master: SparkFrame, name: str, engine: DedupeOptions, explain: bool) -> SparkDedupe:
    """--against: the new rows matched to the master (a dedupe output) with spark/against.py;
    `golden` is the updated master (the uncertain pairs: the engine's, when it collects them)."""
    from listclean.spark.against import dedupe_against
    from listclean.spark.arrow import from_driver

    spark = frame.sparkSession
    found = dedupe_against(frame, master, engine, source=name)
    match = found.match
    return SparkDedupe(
        golden=found.golden,
        clusters=from_driver(spark, match.clusters),
        pairs=from_driver(spark, match.explained if explain else match.explained.head(0)),
        report=match.report,
        parts=1,
        review=from_driver(spark, match.review) if match.review is not None else None,  # the engine's, with review (fuzzy)
        review_pairs=match.review.height if match.review is not None else 0,
        master_rows=found.master_rows,
        labelled_pairs=engine.labels.height if engine.labels is not None else 0,
        labels_unmatched=_labels_unmatched(engine.labels, frame, master),
    )


def _engine(options: DedupeStepOptions, review: bool) -> DedupeOptions:
    """The engine's options, with --model's weights (read: used, not learned) and --labels'
    pairs (read on the driver, sent with the options to every part)."""
    from listclean.io.read import Workspace
    from listclean.linkage.review import load_labels
    from listclean.steps.dedupe import _load_model

    labels = None
    if options.labels:
        with Workspace() as workspace:
            labels = load_labels(options.labels, workspace)
    return options.engine(labels, review=review, model=_load_model(options.model) if options.model else None)


def _labels_unmatched(labels: pl.DataFrame | None, *frames: SparkFrame) -> int:
    """Labelled pairs one of whose rows the frames (the new rows; the master's, --against) do not
    have (another file, the same file under another path), as the single machine reports them:
    the refs found by a join in Spark."""
    import polars as pl

    from pyspark.sql import functions as F

    from listclean.spark.arrow import from_driver
    from listclean.steps.dedupe import _NamedRows

    if labels is None:
        return 0
    named = _NamedRows(labels)
    wanted = from_driver(frames[0].sparkSession, pl.DataFrame({"ref": sorted(named.wanted)}, schema={"ref": pl.String}))
    for frame in frames:
        refs = frame.select(F.concat_ws(":", F.col("_source_file").cast("string"), F.col("_source_row").cast("string")).alias("ref"))
        named.seen |= {row[0] for row in refs.join(F.broadcast(wanted), "ref", "left_semi").distinct().collect()}
    return named.unmatched()


def _key_groups(frame: SparkFrame, match: str) -> SparkFrame:
    """The frame's rows with their group under exact or canonical: the component of the keys they share."""
    from pyspark.sql import functions as F

    keys = _keys_per_row(match)
    key_names = [f"{_KEY}{index}" for index in range(len(keys))]
    labels = _labels(frame, keys, key_names)
    keyed = _with_keys(frame, keys, key_names).select(*frame.columns, F.coalesce(*key_names).alias(_KEY))
    return keyed.join(labels, keyed[_KEY] == labels["vertex"], "left").select(
        *frame.columns,
        # a row whose key links nothing else is its key's group; a row without one, its own
        F.coalesce(F.col("label"), F.col(_KEY), F.xxhash64(*PROVENANCE)).alias(_GROUP),
    )


def _check(frame: SparkFrame, options: DedupeStepOptions, review: bool) -> None:
    from listclean.errors import UsageError

    if options.match == "fuzzy" and options.explain_all:
        raise UsageError("--explain-all with --match fuzzy is not available on Spark yet", hint="explain the matches and near misses (--explain), or dedupe on one machine")
    if review and options.match != "fuzzy":
        raise UsageError("--review needs --match fuzzy", hint="only the probabilistic model has uncertain pairs")
    missing = [name for name in PROVENANCE if name not in frame.columns]
    if missing:
        raise UsageError(f"the frame has no {missing[0]} column", hint="dedupe on Spark orders rows by provenance: read a list listclean imported")


def _keys_per_row(match: str) -> dict[str, pl.Expr]:
    """The keys that can bring two rows together under `match`, by name, as the engine's parts
    see them (partitioned.linking_expressions), each over `features.slim_features`' columns."""
    from listclean.linkage.features import SLIM_FEATURES
    from listclean.linkage.partitioned import linking_expressions

    linking = linking_expressions(match)
    reads = {name for expression in linking.values() for name in expression.meta.root_names()}
    assert reads <= set(SLIM_FEATURES), f"keys of {match} read more than the slim features: {sorted(reads)}"
    return linking


def _with_keys(frame: SparkFrame, keys: dict[str, pl.Expr], key_names: list[str]) -> SparkFrame:
    """The frame with one column per key (null where a row has none): the key's value hashed
    with its name, so two keys' values never meet (Int64 in Spark)."""
    from listclean.spark.arrow import map_chunks

    def keyed(rows: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        from listclean.linkage.blocking import hashed_key
        from listclean.linkage.features import slim_features

        features = slim_features(rows)
        return rows.with_columns(
            features.select(
                # the 64-bit hash's bits as Spark's signed long
                hashed_key(pl.concat_str(pl.lit(f"{name}\x1f"), value)).reinterpret(signed=True).alias(column)
                for (name, value), column in zip(keys.items(), key_names)
            )
        )

    return map_chunks(frame, keyed)


def _labels(frame: SparkFrame, keys: dict[str, pl.Expr], key_names: list[str]) -> SparkFrame:
    """(vertex, label): each key that shares a row with another key, and its component's label.
    Read from the columns the keys need only."""
    from functools import reduce

    from pyspark.sql import functions as F

    from listclean.linkage.features import SLIM_INPUTS
    from listclean.spark.components import components

    slim = frame.select(*[name for name in SLIM_INPUTS if name in frame.columns]) if any(name in frame.columns for name in SLIM_INPUTS) else frame.select(*PROVENANCE)
    keyed = _with_keys(slim, keys, key_names).select(*key_names)
    first = F.coalesce(*key_names)
    edges = [keyed.where(F.col(name).isNotNull() & (F.col(name) != first)).select(first.alias("left"), F.col(name).alias("right")) for name in key_names[1:]]
    if not edges:  # one key per row (exact): every group is simply its key's rows
        return keyed.sparkSession.createDataFrame([], "vertex long, label long")
    return components(reduce(lambda one, other: one.union(other), edges))


def _deduped_parts(spread: SparkFrame, frame: SparkFrame, engine: DedupeOptions, explain: bool, too_large: dict[str, pl.DataFrame] | None) -> SparkFrame:
    """Every part deduplicated by the engine: one frame of golden records, cluster rows, explained
    pairs and one report row per part, told apart by _KIND. `too_large`: blocks too large in the
    whole list, which each part skips (fuzzy)."""
    import pickle

    import polars as pl

    from listclean.spark.arrow import from_spark_arrow, polars_schema, spark_schema, to_spark_arrow

    input_schema = polars_schema(frame.schema)

    def tagged(rows: pl.DataFrame) -> pl.DataFrame:
        from listclean.linkage.engine import dedupe as deduplicate

        result = deduplicate(rows.sort(PROVENANCE), engine, too_large=too_large)
        pairs = result.pairs if explain else result.pairs.head(0)
        report = pickle.dumps(result.report) if rows.height else None
        kinds = [result.review.select(pl.all().name.prefix(_REVIEW), pl.lit("review").alias(_KIND))] if result.review is not None else []
        return pl.concat(
            [
                result.frame.with_columns(pl.lit("golden").alias(_KIND)),
                result.clusters.select(pl.all().name.prefix(_CLUSTER), pl.lit("cluster").alias(_KIND)),
                pairs.select(pl.all().name.prefix(_PAIR), pl.lit("pair").alias(_KIND)),
                *kinds,
                pl.DataFrame({_KIND: ["report"] if report else [], _REPORT: [report] if report else []}, schema={_KIND: pl.String, _REPORT: pl.Binary}),
            ],
            how="diagonal_relaxed",
        )

    schema = tagged(pl.DataFrame(schema=input_schema)).schema

    def part(table):  # type: ignore[no-untyped-def]
        return to_spark_arrow(tagged(from_spark_arrow(table).drop(_PART)), schema)

    return spread.groupBy(_PART).applyInArrow(part, spark_schema(schema))


def _golden_columns(tagged: SparkFrame) -> list[str]:
    """The golden records' columns, in the order the single machine writes them: the tagged
    frame's first (the engine's golden frame leads it), less the other kinds' and the tags."""
    return [name for name in tagged.columns if not name.startswith((_CLUSTER, _PAIR, _REVIEW)) and name not in (_KIND, _REPORT)]


def _unprefixed(tagged: SparkFrame, prefix: str) -> SparkFrame:
    from pyspark.sql import functions as F

    return tagged.select(*[F.col(name).alias(name[len(prefix):]) for name in tagged.columns if name.startswith(prefix)])


def _summed_report(tagged: SparkFrame, match: str) -> tuple[DedupeReport, int]:
    """The parts' reports summed as the single machine sums its parts' (partitioned._add),
    every key of the level counted (zero where no part has a pair: an empty list); and the
    uncertain pairs (--review) counted."""
    import pickle

    from pyspark.sql import functions as F

    from listclean.linkage.blocking import keys_for
    from listclean.linkage.engine import DedupeReport
    from listclean.linkage.partitioned import _add

    total = DedupeReport()
    total.blocking.by_key = dict.fromkeys((key.name for key in keys_for(match)), 0)
    for (pickled,) in tagged.where(F.col(_KIND) == "report").select(_REPORT).toLocalIterator():
        _add(total, pickle.loads(pickled))
    return total, tagged.where(F.col(_KIND) == "review").count()


def save_model(path: str | None, model: Any) -> str | None:  # noqa: ANN401 - a LinkageModel
    """--save-model on Spark: the weights the run used, written on the driver (as `dedupe` writes
    them); the path written, or None (no path, or no model: exact and canonical have none)."""
    if not path or model is None:
        return None
    from listclean.io.write import atomic_text
    from listclean.linkage.model import model_json

    atomic_text(path, model_json(model))
    return path
