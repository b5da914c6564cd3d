"""Dedupe of lists larger than memory: the same result, a part at a time.

Two rows are only ever compared when they share a blocking key (blocking.py), so the rows
fall into groups that no comparison, cluster or golden record ever crosses. Under
``--match exact`` and ``canonical`` every key always links (the canonical address; the
phone): the groups are the connected components of "shares a key". Under ``--match fuzzy``
those components chain a large list into one (a row shares a small name block with one
person, a postcode block with a second…), so the groups are made of what must stay
together: the rows sharing an identity, the rows a person labelled one (``--labels``), and
the pairs the engine keeps — scored once, block by block, with the model learned from the
whole list (match_groups.py). Either way a block too large to compare is noted, and each
part is told to skip it. Under ``fuzzy`` the weights are learned once, from the whole list
(training.py), and given to every part. Keys are kept as 64-bit hashes: a collision only
puts two groups in one part, it never merges anyone. Each part, a few hundred thousand
rows, is then deduped in memory by the ordinary engine, and the parts' golden records are
merged back into the input's order. The output — golden records, clusters, explained and
uncertain pairs, report — is the one ``dedupe`` makes of the whole list in memory. The
rows, the parts and the windows of output put back in order are spools
(``listclean.stream.spool``) under the run's memory budget: held while they fit, on disk beyond.

An identity key also decides a row's cluster id where it is the row's first (see
``engine.row_identity``: a row without an address by its phone), so a level that does not
block on it (``--match exact``: the phone) still groups those rows by it: two clusters that
could share an id always meet in one part.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from listclean.linkage import blocking
from listclean.linkage.blocking import KEY_HASH_SEED, MATCH_LEVELS, count_skipped, hashed_key, keys_for
from listclean.linkage.engine import EXPLAIN_COLUMNS, DedupeOptions, DedupeReport, dedupe, fold_signature, learn_model
from listclean.linkage.features import SLIM_FEATURES, prepare, slim_features
from listclean.linkage.match_groups import MatchGroups, key_groups, labelled_group, match_groups
from listclean.linkage.training import training_rows

if TYPE_CHECKING:
    import polars as pl

    from listclean.runtime import Progress

    from listclean.stream.spool import Spool

SpoolMaker = Callable[..., "Spool"]  # a run's maker of empty spools sharing its memory budget (Runtime.spool)

PARTITIONED_MATCHES = MATCH_LEVELS
POSITION = "__listclean_position"  # a row's place in the whole input
_PART = "__listclean_part"


@dataclass
class PartitionedResult:
    golden: Iterator[pl.DataFrame]  # golden records in the input's order, a window at a time
    clusters: Iterator[pl.DataFrame]  # _source_file, _source_row -> cluster_id, is_survivor, in input order
    pairs: pl.DataFrame  # the explained pairs of every part
    report: DedupeReport
    parts: int
    review: pl.DataFrame | None = None  # options.review: the uncertain pairs of every part


def linking_expressions(match: str) -> dict[str, pl.Expr]:
    """Per key that can bring two rows together under `match`, its value (null: none), in
    registry order: every key the level blocks on, and every identity key it does not block on
    where it is the row's identity (no earlier identity key has a value): it still decides the
    row's cluster id then, so two clusters that could share an id always meet in one part."""
    import polars as pl

    blocked = {key.name for key in keys_for(match)}
    linking: dict[str, pl.Expr] = {}
    earlier: list[pl.Expr] = []
    for key in blocking.BLOCKING_KEYS:
        expression = key.expression()
        if key.name in blocked:
            linking[key.name] = expression
        elif key.identity:
            linking[key.name] = pl.when(pl.all_horizontal([e.is_null() for e in earlier])).then(expression) if earlier else expression
        if key.identity:
            earlier.append(expression)
    return linking


def partition_keys(rows: Iterable[pl.DataFrame], options: DedupeOptions) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Per row, the hashed keys that can bring two rows together (null: none), and the blocks
    too large to compare (per key that does not always link: value, len).

    The engine compares rows that share any blocking key (blocking.py), but skips a block of
    more than max_block representatives (rows folded when every compared field is equal). A
    key that always links (BlockingKey.always_links: the address, whose large blocks are split
    by given name rather than skipped, and the identities) keeps every row that has it; any
    other keeps a row only where that block is small: it is then whole in one part, and the
    part compares it as the whole list would. A larger block ends up spread over parts, so
    each part is told to skip it. Representatives are counted as distinct (value, 64-bit
    signature) pairs: a collision can only count too few, which keeps a block whole (a larger
    part), never skips a small one. When every key always links and reads only the address and
    phone, the pass reads only those (features.slim_features), not every compared field.
    """
    import polars as pl

    from listclean.linkage.review import label_groups

    linking = linking_expressions(options.match)
    labelled = label_groups(options.labels) if options.match == "fuzzy" else None
    sized = [key.name for key in keys_for(options.match) if not key.always_links]
    slim = not sized and all(set(expr.meta.root_names()) <= set(SLIM_FEATURES) for expr in linking.values())
    hashed: list[pl.DataFrame] = []
    seen: dict[str, list[pl.DataFrame]] = {name: [] for name in sized}
    offset = 0
    for chunk in rows:
        if slim:
            features = slim_features(chunk)
        else:
            # __id numbered across the whole list: a row with nothing to compare is its own representative.
            features = prepare(chunk, options.match).with_columns(pl.int_range(offset, offset + chunk.height, dtype=pl.UInt64).alias("__id"))
        offset += chunk.height
        keyed = features.select(hashed_key(expr).alias(name) for name, expr in linking.items())
        group = labelled_group(chunk, labelled)
        hashed.append(keyed.with_columns(group) if group is not None else keyed)
        if sized:
            signature = fold_signature(features, options.match)
            for name in sized:
                seen[name].append(features.select(linking[name].alias("value"), signature.alias("signature")).drop_nulls("value").unique())
        del features
    keys = pl.concat(hashed)
    too_large: dict[str, pl.DataFrame] = {}
    small: list[pl.Expr] = []
    for name in sized:
        sizes = pl.concat(seen.pop(name)).unique().group_by("value").len()
        large = sizes.filter(pl.col("len") > options.max_block).sort("value")
        if large.height:
            too_large[name] = large
        small_hashes = sizes.filter(pl.col("len") <= options.max_block).select(pl.col("value").hash(seed=KEY_HASH_SEED))["value"]
        small.append(pl.when(pl.col(name).is_in(small_hashes.implode())).then(pl.col(name)).alias(name))
    return keys.with_columns(small), too_large


def dedupe_in_parts(
    chunks: Iterable[pl.DataFrame],
    options: DedupeOptions,
    spools: SpoolMaker,
    part_rows: int,
    keep_pairs: bool = True,
    columns: Callable[[list[str]], list[str]] | None = None,
    progress: Progress | None = None,
) -> PartitionedResult:
    """Dedupe rows arriving in chunks with memory for about `part_rows` rows at a time.

    `spools` makes the spools the rows, the parts and the output's windows are kept in (a
    run's `Runtime.spool`: they share its memory budget). A list small enough for its spool
    to hold in memory is deduped in one piece, which is faster; a larger one in parts.
    `keep_pairs=False` drops the explained pairs as each part is done (only --explain reads
    them). `columns`, given the chunks' columns once all are read, says which to dedupe (an
    importer's stream knows only at its end which `_raw` columns no row needed). `progress`
    hears what is being done.
    """
    from listclean.runtime import no_progress

    say = progress or no_progress

    if options.match not in PARTITIONED_MATCHES:
        raise ValueError(f"unknown match level {options.match!r}")
    rows = spools()
    try:
        for chunk in chunks:
            rows.add(chunk)
            del chunk  # once spilled, the spool's file is its only copy
        if not rows.spilled:
            say(f"matching {rows.rows:,} rows in one piece")
            return _in_one_piece(rows, options, keep_pairs, columns)
        return _in_parts(rows, options, spools, part_rows, keep_pairs, columns, say)
    finally:
        rows.release()  # drained by then, unless something failed


def _in_parts(
    rows: Spool,
    options: DedupeOptions,
    spools: SpoolMaker,
    part_rows: int,
    keep_pairs: bool,
    columns: Callable[[list[str]], list[str]] | None,
    say: Progress,
) -> PartitionedResult:
    import polars as pl

    # The weights are learned once, from the whole list (or its fixed sample), and every part is
    # scored with them: the parts get the one-piece result.
    if options.match == "fuzzy" and options.model is None:
        say(f"{rows.rows:,} rows read; learning the match weights from the list")
        options = replace(options, model=learn_model(_training_rows(rows, columns), options))
    # Pass 1: the groups no kept pair crosses, with only the rows' keys in memory.
    say(f"{rows.rows:,} rows read; finding the groups that no match crosses")
    scored_groups = None
    if any(not key.always_links for key in keys_for(options.match)) and not options.keep_all_pairs:
        # Fuzzy keys chain a large list into one group: group by the pairs kept instead.
        scored_groups = match_groups(rows, options, spools, part_rows, keep_pairs or options.review, say)
        groups, too_large = scored_groups.groups, scored_groups.too_large
    else:
        keys, too_large = partition_keys(rows, options)
        groups = key_groups(keys)
        del keys
    parts = max(1, math.ceil(rows.rows / part_rows))
    part_of = groups.hash(seed=11) % parts if parts > 1 else pl.Series([0] * rows.rows, dtype=pl.UInt64)
    del groups

    # Pass 2: each chunk's rows to its part's spool (in input order within a part).
    total_rows = rows.rows
    inputs = [spools(pieces=True) for _ in range(parts)]  # partition_by pieces of the chunks
    # Pass 3 files each part's output by window of input positions, so putting the input's
    # order back reads one window's spool at a time.
    window = max(part_rows, 1)
    windows = max(1, math.ceil(total_rows / window))
    golden_windows = [spools(pieces=True) for _ in range(windows)]  # pieces of each part's output
    cluster_windows = [spools(pieces=True) for _ in range(windows)]
    try:
        offset = 0
        for chunk in rows.drain():  # each chunk's memory is free for the parts' spools once it is split
            height = chunk.height
            marked = chunk.with_columns(
                pl.int_range(offset, offset + height, dtype=pl.Int64).alias(POSITION), part_of.slice(offset, height).alias(_PART)
            )
            for (part,), piece in marked.partition_by(_PART, as_dict=True, include_key=False).items():
                inputs[int(part)].add(piece)
            offset += height
            del chunk, marked
        del part_of

        # Pass 3: dedupe part by part; golden records and cluster rows keep their input positions.
        report = DedupeReport()
        pairs = []
        reviews = []
        for number, part_rows_in in enumerate(inputs, start=1):
            if not part_rows_in.rows:
                continue
            say(f"matching part {number:,} of {parts:,}", done=number - 1, total=parts, unit="parts")
            frame = pl.concat(list(part_rows_in.drain()), how="diagonal_relaxed")
            positions = frame[POSITION]
            frame = frame.drop(POSITION)
            result = dedupe(frame.select(columns(frame.columns)) if columns else frame, options, too_large=too_large)
            golden = result.frame.with_columns(positions.gather(result.first_rows).alias(POSITION))
            clusters = result.clusters.with_columns(positions.alias(POSITION))
            for table, kept in ((golden, golden_windows), (clusters, cluster_windows)):
                by_window = table.with_columns((pl.col(POSITION) // window).alias(_PART)).partition_by(_PART, as_dict=True, include_key=False)
                for (number,), piece in by_window.items():
                    kept[int(number)].add(piece)
            if keep_pairs:
                pairs.append(result.pairs)
            if result.review is not None:
                reviews.append(result.review)
            _add(report, result.report)
            del frame, result, golden, clusters
    except BaseException:
        for spool in [*inputs, *golden_windows, *cluster_windows]:
            spool.release()
        raise
    count_skipped(report.blocking, too_large)
    if scored_groups is not None:
        _count_pairs(report, scored_groups)
    explained = pl.concat(pairs, how="vertical_relaxed") if pairs else pl.DataFrame(schema=dict.fromkeys(EXPLAIN_COLUMNS, pl.String))
    return PartitionedResult(
        golden=_in_input_order(golden_windows),
        clusters=_in_input_order(cluster_windows),
        pairs=explained,
        report=report,
        parts=parts,
        review=_sorted_review(reviews) if options.review else None,
    )


def _training_rows(rows: Spool, columns: Callable[[list[str]], list[str]] | None) -> pl.DataFrame:
    """The rows the model is learned from (training.training_rows), read from the spool."""
    frame = training_rows(rows, rows.rows)
    return frame.select(columns(frame.columns)) if columns else frame


def _in_one_piece(rows: Spool, options: DedupeOptions, keep_pairs: bool, columns: Callable[[list[str]], list[str]] | None) -> PartitionedResult:
    import polars as pl

    frames = list(rows.drain())  # the frames are the only copy now
    frame = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    del frames
    result = dedupe(frame.select(columns(frame.columns)) if columns else frame, options)
    pairs = result.pairs if keep_pairs else result.pairs.head(0)
    review = _sorted_review([result.review]) if result.review is not None else None
    return PartitionedResult(golden=iter([result.frame]), clusters=iter([result.clusters]), pairs=pairs, report=result.report, parts=1, review=review)


def _sorted_review(reviews: list[pl.DataFrame]) -> pl.DataFrame | None:
    """The parts' uncertain pairs in one order, whatever the parts: the rows they name."""
    import polars as pl

    if not reviews:
        return None
    return pl.concat(reviews, how="diagonal_relaxed").sort(["left_file", "left_row", "right_file", "right_row"])


def _in_input_order(windows: list[Spool]) -> Iterator[pl.DataFrame]:
    """The parts' rows back in input order, a window of input positions at a time (each window's
    spool drained as it is read; every one released when the reader is done or stops early)."""
    import polars as pl

    try:
        for spool in windows:
            if spool.rows:
                yield pl.concat(list(spool.drain()), how="diagonal_relaxed").sort(POSITION).drop(POSITION)
    finally:
        for spool in windows:
            spool.release()


def _count_pairs(report: DedupeReport, counted: MatchGroups) -> None:
    """The fuzzy keys' pairs over the whole list (match_groups counts them: a part sees only the
    pairs whose rows it holds) in place of the parts' sums; the identity keys' pairs are whole
    in the parts (rows sharing one are always in one part)."""
    blocking = report.blocking
    identity_pairs = sum(count for name, count in blocking.first_by_key.items() if name not in counted.by_key)
    pairs = identity_pairs + counted.distinct - counted.also_identity
    report.pairs_compared += pairs - blocking.pairs  # (the parts' labelled pairs no key proposed stay)
    blocking.pairs = pairs
    blocking.by_key.update(counted.by_key)


def _add(total: DedupeReport, part: DedupeReport) -> None:
    """Sum a part's report into the total (the largest cluster is the largest of any part)."""
    total.rows_in += part.rows_in
    total.rows_out += part.rows_out
    total.merged_rows += part.merged_rows
    total.clusters_merged += part.clusters_merged
    total.largest_cluster = max(total.largest_cluster, part.largest_cluster)
    total.shared_addresses += part.shared_addresses
    total.pairs_compared += part.pairs_compared
    total.guarded_rows += part.guarded_rows
    total.model = part.model or total.model  # every part is scored with the one model
    for rule, count in part.by_rule.items():
        total.by_rule[rule] = total.by_rule.get(rule, 0) + count
    total.by_rule = dict(sorted(total.by_rule.items(), key=lambda item: (-item[1], item[0])))
    summed = total.blocking
    summed.pairs += part.blocking.pairs
    for mine, theirs in ((summed.by_key, part.blocking.by_key), (summed.first_by_key, part.blocking.first_by_key), (summed.skipped_blocks, part.blocking.skipped_blocks), (summed.skipped_rows, part.blocking.skipped_rows)):
        for key, count in theirs.items():
            mine[key] = mine.get(key, 0) + count
