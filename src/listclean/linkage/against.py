"""New rows deduplicated against a master larger than memory: the same result, the master streamed.

A new row is only ever compared with master rows that share a blocking key value with it
(see blocking.py), master clusters are never merged with each other, and a master row whose
cluster no new row joins is written as it was. So only a small part of the master matters:

1. the master is read a chunk at a time into a spool (in memory up to the run's memory
   budget, then on disk; see ``listclean.stream.spool``), keeping the cluster ids of the rows
   that share a key value, or an identity (what a new cluster's id is made from), with a new row;
2. every master row of those clusters is gathered, in the master's order, and the engine
   matches the new rows to that part exactly as it would to the whole master — the blocks
   that hold a new row are whole, so the same pairs are compared (a new cluster whose id a
   master cluster outside the part already has is added and the part matched again);
3. the master rows of untouched clusters are written unchanged and in order, then the
   re-merged and new golden records: what ``dedupe(new, options, master)`` returns.

Only the report's ``blocks_too_large`` differs: it counts the blocks that hold a new row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from listclean import schema
from listclean.linkage.blocking import count_skipped, keys_for
from listclean.linkage.engine import DedupeOptions, DedupeReport, MasterMatch, count_against, learn_model, match_to_master, row_identity
from listclean.linkage.features import prepare
from listclean.linkage.training import against_training_rows

if TYPE_CHECKING:
    import polars as pl

    from listclean.stream.spool import Spool


@dataclass
class AgainstResult:
    golden: Iterator[pl.DataFrame]  # the updated master, a chunk at a time (untouched rows, then golden records)
    clusters: pl.DataFrame  # rows in play -> cluster_id, is_survivor
    pairs: pl.DataFrame  # every scored pair that holds a new row
    report: DedupeReport
    master_rows: int
    columns: list[str]  # the updated master's columns: the master's and those new rows brought
    master_columns: list[str]
    review: pl.DataFrame | None = None  # options.review: the uncertain pairs that hold a new row


def dedupe_against(
    new: pl.DataFrame,
    master: Iterable[pl.DataFrame],
    options: DedupeOptions,
    spools: Callable[[], Spool],
    master_columns: Callable[[list[str]], list[str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> AgainstResult:
    """Match `new` rows to the clusters of a master that arrives in chunks (each with `cluster_id`).

    `spools` makes the spool the master is kept in for the later passes (a run's `Runtime.spool`,
    under its memory budget); it is drained as the updated master is read, and released if that
    stops early or anything fails. `master_columns`, given a master chunk's columns once every
    chunk is read, says which are the master's (an importer's stream knows only at its end which
    `_raw` columns no row needed). `progress` hears what is being done.
    """
    say = progress or (lambda message: None)
    say(f"reading the master for what {new.height:,} new rows share with it")

    rows = spools()
    try:
        return _against(new, master, options, rows, master_columns, say)
    except BaseException:
        rows.release()
        raise


def _against(
    new: pl.DataFrame,
    master: Iterable[pl.DataFrame],
    options: DedupeOptions,
    rows: Spool,
    master_columns: Callable[[list[str]], list[str]] | None,
    say: Callable[[str], None],
) -> AgainstResult:
    import polars as pl

    wanted, identities = new_keys(new, options.match)
    always: list[pl.Series] = []
    counts: list[pl.DataFrame] = []
    by_value: list[pl.DataFrame] = []
    first_columns: list[str] | None = None
    for chunk in master:
        if "cluster_id" not in chunk.columns:
            raise ValueError("the master has no cluster_id column")
        first_columns = first_columns or chunk.columns
        rows.add(chunk)
        shared, counted, values = sharing(chunk, wanted, identities, options)
        always.append(shared)
        counts.append(counted)
        by_value.append(values)
        del chunk  # once spilled, the spool's file is its only copy
    if first_columns is None:
        raise ValueError("the master came without a single chunk")
    columns = master_columns(first_columns) if master_columns else first_columns
    if options.match == "fuzzy" and options.model is None:
        # The weights are learned from the master and the new rows together (a fixed sample past
        # TRAINING_ROWS), as dedupe(new, options, master) learns them in memory.
        say(f"learning the match weights from the master's {rows.rows:,} and {new.height:,} new rows")
        sample = against_training_rows((chunk.select(columns) for chunk in rows), new, rows.rows + new.height)
        options = replace(options, model=learn_model(sample, options))
    in_part, too_large = blocks_in_play(wanted, pl.concat(always), pl.concat(counts), pl.concat(by_value), options.max_block)
    say(f"matching the new rows to the {in_part.len():,} master clusters (of {rows.rows:,} records) they share a key with")
    match = match_in_part(new, in_part, too_large, lambda ids: _master_part(rows, columns, ids), rows.rows, options)
    return AgainstResult(
        golden=_updated_master(rows, columns, match),
        clusters=match.clusters,
        pairs=match.explained,
        report=match.report,
        master_rows=rows.rows,
        columns=schema.column_order([*columns, *(c for c in match.golden.columns if c not in columns)]),
        master_columns=columns,
        review=match.review,
    )


def blocks_in_play(
    wanted: pl.DataFrame, always: pl.Series, counts: pl.DataFrame, by_value: pl.DataFrame, max_block: int
) -> tuple[pl.Series, dict[str, pl.DataFrame]]:
    """From what the master's chunks share with the new rows (`sharing`'s answers, concatenated):
    the master clusters in play, and per key its blocks too large in the whole master.

    A block of more than max_block rows is skipped by the engine: its master rows matter only
    when they share something else with a new row. Told which blocks those are, the engine
    skips them in the part as it would in the whole master."""
    import polars as pl

    blocks = pl.concat([counts, wanted]).group_by("key", "value").agg(pl.col("len").sum())
    small = blocks.filter(pl.col("len") <= max_block)
    large_blocks = blocks.filter(pl.col("len") > max_block).partition_by("key", as_dict=True, include_key=False)
    too_large = {name: values for (name,), values in large_blocks.items()}
    return pl.concat([always, by_value.join(small, on=["key", "value"], how="semi")["cluster_id"]]).unique(), too_large


def match_in_part(
    new: pl.DataFrame, in_part: pl.Series, too_large: dict[str, pl.DataFrame], part_of: Callable[[pl.Series], Part], master_rows: int, options: DedupeOptions
) -> MasterMatch:
    """The new rows matched to the part of the master in play (`part_of(ids)`: the master rows of
    those clusters, with counts of the rest), as to the whole master, and the report counted:
    a new cluster whose id a master cluster outside the part already has is added and the part
    matched again."""
    import polars as pl

    part = part_of(in_part)
    match = match_to_master(new, part.rows, options, too_large)
    outside = match.touched.filter(~match.touched.is_in(part.ids.implode()))
    if outside.len():  # a new cluster's id is a master cluster's that shares nothing with it: that one is touched too
        extra = part_of(outside).ids
        if extra.len():
            part = part_of(pl.concat([in_part, extra]).unique())
            match = match_to_master(new, part.rows, options, too_large)
    count_skipped(match.report.blocking, too_large)  # too large in the whole master: counted once, here
    untouched = part.rows.filter(~pl.col("cluster_id").cast(pl.String).is_in(match.touched.implode()))
    largest = _largest(part.largest_elsewhere, _largest_in(untouched), _largest_in(match.golden))
    count_against(match, new.height + master_rows, part.rows_elsewhere + untouched.height + match.golden.height, largest)
    return match


def new_keys(new: pl.DataFrame, match: str) -> tuple[pl.DataFrame, pl.Series]:
    """The new rows' blocking key values with their counts (key, value, len), and their identities."""
    import polars as pl

    features = prepare(new, match)
    values = [
        features.select(key.expression().alias("value")).drop_nulls().group_by("value").len().select(pl.lit(key.name).alias("key"), "value", pl.col("len").cast(pl.UInt32))
        for key in keys_for(match)
    ]
    return pl.concat(values), row_identity(features).drop_nulls().unique()


def sharing(chunk: pl.DataFrame, wanted: pl.DataFrame, identities: pl.Series, options: DedupeOptions) -> tuple[pl.Series, pl.DataFrame, pl.DataFrame]:
    """What the chunk's rows share with the new rows: the cluster ids of those that share an
    identity, or a key that splits by given name (the address), with one, or that --labels names
    (always in the part);
    for the other keys, how many rows share each value (key, value, len) and, for values shared
    by at most max_block rows of the chunk, those rows (key, value, cluster_id): in the part
    unless the whole master's block is too large. A value shared by more rows of one chunk is
    too large anyway, so its rows are not kept."""
    import polars as pl

    features = prepare(chunk, options.match).with_columns(chunk["cluster_id"].cast(pl.String).alias("cluster_id"))
    always = [row_identity(features).is_in(identities.implode()).fill_null(False)]
    if options.labels is not None and options.match == "fuzzy":  # a master row a person labelled is in play whatever it shares
        named = pl.concat([options.labels["left_ref"], options.labels["right_ref"]]).unique()
        always.append(features["__ref"].is_in(named.implode()))
    counts, rows = [], []
    for key in keys_for(options.match):
        name, expr = key.name, key.expression()
        shared = expr.is_in(wanted.filter(pl.col("key") == name)["value"].implode()).fill_null(False)
        if key.splits_by_given_name:  # a large block is split by given name, not skipped: take it whole
            always.append(features.select(shared).to_series())
            continue
        found = features.filter(shared).select(pl.lit(name).alias("key"), expr.alias("value"), "cluster_id")
        counted = found.group_by("key", "value").len()
        counts.append(counted)
        rows.append(found.join(counted.filter(pl.col("len") <= options.max_block), on=["key", "value"], how="semi"))
    sharing = features.filter(pl.any_horizontal(always))["cluster_id"].unique()
    if not counts:  # every key splits by given name (--match exact: the address is the only key)
        counts = [wanted.head(0)]
        rows = [pl.DataFrame(schema={"key": pl.String, "value": pl.String, "cluster_id": pl.String})]
    return sharing, pl.concat(counts), pl.concat(rows)


@dataclass
class Part:
    rows: pl.DataFrame  # every master row of the chosen clusters, in the master's order
    ids: pl.Series  # their cluster ids
    rows_elsewhere: int  # master rows outside the part
    largest_elsewhere: int | None  # the largest merged_rows outside it


def _master_part(rows: Spool, columns: list[str], ids: pl.Series) -> Part:
    """The master rows whose cluster id is in `ids`, with counts of the rest."""
    import polars as pl

    chosen, elsewhere, largest = [], 0, None
    wanted = ids.implode()
    for chunk in rows:
        inside = chunk["cluster_id"].cast(pl.String).is_in(wanted)
        chosen.append(chunk.filter(inside).select(columns))
        rest = chunk.filter(~inside)
        elsewhere += rest.height
        largest = _largest(largest, _largest_in(rest))
    part = pl.concat(chosen, how="diagonal_relaxed")
    return Part(part, part["cluster_id"].cast(pl.String).unique(), elsewhere, largest)


def _largest_in(frame: pl.DataFrame) -> int | None:
    """The largest merged_rows of the frame's golden records (None: no row, or no such column)."""
    return frame["merged_rows"].max() if "merged_rows" in frame.columns and frame.height else None  # type: ignore[return-value]


def _largest(*values: int | None) -> int | None:
    return max((value for value in values if value is not None), default=None)


def _updated_master(rows: Spool, columns: list[str], match: MasterMatch) -> Iterator[pl.DataFrame]:
    import polars as pl

    touched = match.touched.implode()
    try:
        for chunk in rows.drain():
            kept = chunk.filter(~pl.col("cluster_id").cast(pl.String).is_in(touched))
            if kept.height:
                yield kept.select(columns)
        yield match.golden
    finally:
        rows.release()  # drained by now, unless the reader stopped early
