"""The groups no match crosses, found by scoring the candidate pairs block by block.

Dedupe in parts (partitioned.py) needs groups of rows that no cluster, golden record or
explained pair crosses. Under ``--match fuzzy`` grouping every row that shares *any* small
blocking key chains into one giant group on a large list (10M rows: parts of millions of rows,
16 GB), because a row shares a small name block with one person, a postcode block with a
second, a mailbox block with a third. What must stay together is far less: rows that share an
identity (the address, the phone: they decide cluster ids), rows a person labelled one, and
the pairs the engine would *keep* — its matches (and, when they are written, its near misses
and shared-address pairs). So the candidate pairs are scored here, once, with the model the
whole list was learned with, a block at a time:

1. Each chunk's comparison features are filed, per fuzzy key, under (key, the key value's
   64-bit hash) in a spool sorted by it (``Spool(index=...)``): every block of a key is whole
   in one range of hashes, and a range is read without the rest.
2. Key by key (in registry order), range by range, the blocks give the engine's own candidate
   pairs (the same representatives, the same block sizes: whole here). A pair an earlier key
   proposes was dealt with there (its blocks too large are known by then), and a pair that
   shares an identity is in one group anyway; every other pair is scored, once, by the
   engine's own function. A kept pair is an edge; a block too large is noted (the parts are
   told to skip it).
3. The groups are the components over those edges and the shared identities and labels.

The engine in each part then finds the same pairs, scores and clusters as on the whole list.
It does not see a pair whose rows fall in different parts (no kept pair does), so the fuzzy
keys' pairs are counted here, for the whole list: per key, and distinct (a pair two keys
propose is one comparison), with whether an identity key proposes it too — the parts count
those — so that the report's figures are the whole list's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from listclean.linkage.blocking import BlockingKey, hashed_key, keys_for
from listclean.linkage.cluster import components
from listclean.linkage.engine import DedupeOptions, DedupeReport, fold_representatives, fold_signature, score_probabilistic
from listclean.linkage.features import prepare

if TYPE_CHECKING:
    import polars as pl

    from listclean.runtime import Progress

    from listclean.stream.spool import Spool

RANGE_ENTRIES = 1  # a range of hashes holds about a part's rows of filed features (scoring them costs 1-3 KB an entry)
MIN_RANGE_ENTRIES = 50_000  # but not fewer (each range costs a read of the spool's row-group statistics and a scoring call)
_BLOCK = "__block"  # an entry's key number (top 5 bits) and key value hash (the other 59): what the spool is sorted by
_KEY_BITS = 59
_ROW = "__global_row"


@dataclass
class MatchGroups:
    groups: pl.Series  # per row of the list, its group (the smallest row number in it)
    too_large: dict[str, pl.DataFrame]  # per fuzzy key, its blocks too large to compare (value hash, len)
    by_key: dict[str, int] = field(default_factory=dict)  # per fuzzy key, the pairs it proposes in the whole list
    distinct: int = 0  # the pairs the fuzzy keys propose, each once
    also_identity: int = 0  # of those, the pairs an identity key proposes too (the parts count them)
    ranges: int = 0


def match_groups(
    rows: Spool,
    options: DedupeOptions,
    spools: Callable[..., Spool],
    part_rows: int,
    keep_near_misses: bool,
    say: Progress,
) -> MatchGroups:
    """The groups of `rows` (fuzzy, options.model given) that no kept pair crosses.

    `keep_near_misses`: the parts will write their unmatched kept pairs (--explain, --review),
    so those pairs join groups too; else only matches do.
    """
    import polars as pl

    keys = keys_for(options.match)
    fuzzy = [key for key in keys if not key.always_links]
    if len(fuzzy) >= 2 ** (64 - _KEY_BITS):
        raise ValueError("too many blocking keys to file")
    filed = spools(index=_BLOCK)
    result = MatchGroups(groups=pl.Series(dtype=pl.UInt32), too_large={}, by_key=dict.fromkeys((key.name for key in fuzzy), 0))
    try:
        identities, entries = _file_features(rows, options, fuzzy, filed, keys)
        large_identity = _large_identity_blocks(identities, options.max_block, keys)
        linked = identities.select(pl.exclude("__signature", "__refined"))
        del identities
        ranges = [_ranges(count, part_rows) for count in entries]
        say(f"{rows.rows:,} rows read; scoring the candidate pairs of {filed.rows:,} block entries in {sum(ranges):,} ranges")
        edges: list[pl.DataFrame] = []
        large: list[pl.Series] = []  # per fuzzy key so far, the hashes of its blocks too large
        for number, key in enumerate(fuzzy):
            blocks_too_large: list[pl.DataFrame] = []
            for in_range in _read_ranges(filed, number, ranges[number]) if entries[number] else ():
                say(f"scoring the {key.name} blocks", log=False, done=result.ranges, total=sum(ranges), unit="ranges")
                result.ranges += 1
                scored = score_range(in_range, number, fuzzy, options, keep_near_misses, large, large_identity)
                del in_range
                edges.append(scored.edges)
                blocks_too_large.append(scored.large)
                result.by_key[key.name] += scored.proposed
                result.distinct += scored.first
                result.also_identity += scored.also_identity
            too_large = pl.concat(blocks_too_large) if blocks_too_large else pl.DataFrame(schema={"value": pl.UInt64, "len": pl.UInt32})
            large.append(too_large["value"])
            if too_large.height:
                result.too_large[key.name] = too_large.sort("value")
    finally:
        filed.release()
    result.groups = key_groups(linked, extra_edges=pl.concat(edges) if edges else None)
    return result


def _ranges(entries: int, part_rows: int) -> int:
    return max(1, math.ceil(entries / max(1, RANGE_ENTRIES * part_rows, MIN_RANGE_ENTRIES)))


def _read_ranges(spool: Spool, key_number: int, ranges: int) -> Iterator[pl.DataFrame]:
    """One key's entries, range by range of its value hashes (the spool is indexed by _BLOCK)."""
    import polars as pl

    base, width = key_number << _KEY_BITS, (1 << _KEY_BITS) // ranges
    for number in range(ranges):
        low = base + number * width
        high = base + (1 << _KEY_BITS) if number == ranges - 1 else low + width
        yield spool.lazy().filter((pl.col(_BLOCK) >= low) & (pl.col(_BLOCK) < high)).collect()


def _file_features(
    rows: Spool, options: DedupeOptions, fuzzy: list[BlockingKey], filed: Spool, keys: tuple[BlockingKey, ...]
) -> tuple[pl.DataFrame, list[int]]:
    """Pass 1: every chunk's features, with every fuzzy key's value hashed (`__h<n>`), filed once
    per fuzzy key the row has a value of, under _BLOCK. Returned: per row, what the identity keys
    link it by (hashed), its labels group, and what the identity keys' block sizes are counted
    from (its fold signature, its address with given name); and per fuzzy key, its entries."""
    import polars as pl

    from listclean.linkage.review import label_groups

    labelled = label_groups(options.labels)
    identity = [key for key in keys if key.always_links]
    linked: list[pl.DataFrame] = []
    entries = [0] * len(fuzzy)
    offset = 0
    for chunk in rows:
        link, stored = filed_features(chunk, pl.int_range(offset, offset + chunk.height, dtype=pl.UInt32, eager=True), options, fuzzy, identity, labelled)
        linked.append(link)
        offset += chunk.height
        for number in range(len(fuzzy)):
            filed_rows = key_entries(stored, number)
            if filed_rows.height:
                entries[number] += filed_rows.height
                filed.add(filed_rows)
        del stored
    return pl.concat(linked), entries


def filed_features(
    chunk: pl.DataFrame, rows: pl.Series, options: DedupeOptions, fuzzy: list[BlockingKey], identity: list[BlockingKey], labelled: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One chunk as match_groups files it (`rows`: its rows' numbers in the whole list, in the
    list's order; their type is _ROW's): per row, what the identity keys link it by (hashed), its
    labels group, its fold signature and its address with given name; and its comparison
    features with _ROW, its signature and every fuzzy key's value hashed (`__h<n>`). Dedupe on
    Spark files a partition's rows with it too (numbered by provenance)."""
    import polars as pl

    features = prepare(chunk, options.match).with_columns(rows.cast(pl.UInt64).alias("__id"))
    features = features.with_columns(fold_signature(features, options.match).alias("__signature"), rows.alias(_ROW))
    link = features.select(
        *(hashed_key(key.expression()).alias(key.name) for key in identity),
        pl.col("__signature"),
        *(hashed_key(_refined(key)).alias("__refined") for key in identity if key.splits_by_given_name),
    )
    labels = labelled_group(chunk, labelled)
    stored = features.drop("__ref").with_columns(hashed_key(key.expression()).alias(f"__h{number}") for number, key in enumerate(fuzzy))
    return (link.with_columns(labels) if labels is not None else link), stored


def key_entries(stored: pl.DataFrame, number: int) -> pl.DataFrame:
    """The filed rows (filed_features' second frame) that have a value of fuzzy key `number`,
    with their _BLOCK: the key's number in the top bits, the value's hash in the others."""
    import polars as pl

    value = pl.col(f"__h{number}")
    return stored.filter(value.is_not_null()).with_columns(
        (value // pl.lit(1 << (64 - _KEY_BITS), dtype=pl.UInt64) + pl.lit(number << _KEY_BITS, dtype=pl.UInt64)).alias(_BLOCK)
    )


def _refined(key: BlockingKey) -> pl.Expr:
    """A block of a key that splits by given name, as candidate_pairs refines a large one."""
    import polars as pl

    return pl.concat_str(key.expression(), pl.lit("|"), pl.col("__first_key").fill_null(""))


def _large_identity_blocks(identities: pl.DataFrame, max_block: int, keys: tuple[BlockingKey, ...]) -> dict[BlockingKey, tuple[pl.Series, pl.Series | None]]:
    """Per identity key, the hashes of its blocks of more than max_block representatives, and
    for a key that splits by given name, the refined blocks of those still too large.
    Representatives are distinct fold signatures (engine.fold_representatives)."""
    import polars as pl

    large: dict[BlockingKey, tuple[pl.Series, pl.Series | None]] = {}
    for key in keys:
        if not key.always_links:
            continue
        present = identities.select(pl.col(key.name).alias("value"), "__signature", *(["__refined"] if key.splits_by_given_name else [])).drop_nulls("value")
        big = present.group_by("value").agg(pl.col("__signature").n_unique().alias("len")).filter(pl.col("len") > max_block)
        refined = None
        if key.splits_by_given_name:
            inside = present.join(big, on="value", how="semi")
            refined = inside.group_by("__refined").agg(pl.col("__signature").n_unique().alias("len")).filter(pl.col("len") > max_block)["__refined"]
        large[key] = (big["value"], refined)
    return large


@dataclass
class ScoredRange:
    edges: pl.DataFrame  # kept pairs (left, right: rows of the list)
    large: pl.DataFrame  # the key's blocks too large to compare (value hash, len)
    proposed: int  # pairs the key proposes
    first: int  # of those, the pairs no earlier key proposes
    also_identity: int  # of those, the pairs an identity key proposes too


def score_range(
    entries: pl.DataFrame,
    number: int,
    fuzzy: list[BlockingKey],
    options: DedupeOptions,
    keep_near_misses: bool,
    large: list[pl.Series],
    large_identity: dict[BlockingKey, tuple[pl.Series, pl.Series | None]],
) -> ScoredRange:
    """Every block of a range of one key's hashes (whole: a block's entries share its hash) as
    the engine blocks a list: blocks of representatives (the first row of each fold group: every
    row of one is here, as they share every feature), sizes counted in representatives, a block
    of 2 to max_block compared. The pairs no earlier key proposes (`large`: per earlier key, its
    blocks too large) and no identity links are scored, by the engine's own function. The kept
    pairs are named by _ROW, which need only order the rows as the list does (dedupe on Spark
    scores its ranges with this function, its rows numbered by provenance)."""
    import numpy as np
    import polars as pl

    entries = entries.sort(_ROW)  # in the list's order, as the engine numbers its rows
    hashes = [f"__h{n}" for n in range(len(fuzzy))]
    features = entries.drop(_BLOCK, _ROW, "__signature", *hashes).with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__id"))
    representatives, _ = fold_representatives(features, options.match, entries["__signature"])
    picked = entries.select(_ROW, *hashes)[representatives["__row"]]
    value = picked[f"__h{number}"]
    sizes = value.value_counts(name="len")
    too_large = sizes.filter(pl.col("len") > options.max_block).select(pl.col(f"__h{number}").alias("value"), pl.col("len").cast(pl.UInt32))
    compared = sizes.filter(pl.col("len").is_between(2, options.max_block))[f"__h{number}"]
    blocks = pl.DataFrame({"value": value, "rep": pl.int_range(value.len(), dtype=pl.UInt32, eager=True)}).filter(pl.col("value").is_in(compared.implode()))
    pairs = blocks.join(blocks, on="value", suffix="_r").filter(pl.col("rep") < pl.col("rep_r")).select(pl.col("rep").alias("left"), pl.col("rep_r").alias("right"))
    proposed = pairs.height
    for earlier in range(number):  # a pair an earlier key proposes was counted and scored there
        left, right = picked[f"__h{earlier}"].gather(pairs["left"]), picked[f"__h{earlier}"].gather(pairs["right"])
        pairs = pairs.filter(~((left == right) & ~left.is_in(large[earlier].implode())).fill_null(False))
    # Only the rows of these pairs are looked at from here on (a comparison codes every row it is given).
    involved = pl.concat([pairs["left"], pairs["right"]]).unique().sort()
    lookup = np.zeros(max(representatives.height, 1), dtype=np.uint32)
    lookup[involved.to_numpy()] = np.arange(involved.len(), dtype=np.uint32)
    pairs = pl.DataFrame({"left": lookup[pairs["left"].to_numpy()], "right": lookup[pairs["right"].to_numpy()]}, schema={"left": pl.UInt32, "right": pl.UInt32})
    representatives, rows = representatives[involved], picked[_ROW].gather(involved)
    linked, also_identity = _identity(representatives, pairs, large_identity)
    to_score = pairs.filter(~linked).with_columns(pl.lit(fuzzy[number].name).alias("key"))
    edges = pl.DataFrame(schema={"left": pl.UInt32, "right": pl.UInt32})
    if to_score.height:
        scored = score_probabilistic(representatives, to_score, replace(options, keep_all_pairs=False), DedupeReport(), None)
        kept = scored if keep_near_misses else scored.filter(pl.col("matched"))
        edges = kept.select(rows.gather(kept["left"]).alias("left"), rows.gather(kept["right"]).alias("right"))
    return ScoredRange(edges, too_large, proposed, pairs.height, also_identity)


def _identity(
    representatives: pl.DataFrame, pairs: pl.DataFrame, large: dict[BlockingKey, tuple[pl.Series, pl.Series | None]]
) -> tuple[pl.Series, int]:
    """Per pair, whether an identity key links its rows (one value: one group, whatever the
    block's size), and how many pairs an identity key proposes too (a shared value whose block
    is compared: 2 to max_block representatives, else, for a key that splits by given name, the
    refined block with the given name)."""
    import polars as pl

    linked = proposes = pl.repeat(False, pairs.height, dtype=pl.Boolean, eager=True)
    for key, (big, refined_big) in large.items():
        value = representatives.select(hashed_key(key.expression())).to_series()
        left = value.gather(pairs["left"])
        same = (left == value.gather(pairs["right"])).fill_null(False)
        linked = linked | same
        compared = same & ~left.is_in(big.implode())
        if refined_big is not None:
            given = representatives.select(hashed_key(_refined(key))).to_series()
            refined = given.gather(pairs["left"])
            compared = compared | (same & (refined == given.gather(pairs["right"])) & ~refined.is_in(refined_big.implode())).fill_null(False)
        proposes = proposes | compared
    return linked, int(proposes.sum())


def labelled_group(chunk: pl.DataFrame, labelled: pl.DataFrame | None) -> pl.Series | None:
    """Per row of the chunk, the hash of its group in `labelled` (review.label_groups: rows a
    person labelled as one must meet in one part; null: none), as `__labels`; None without."""
    import polars as pl

    if labelled is None:
        return None
    refs = pl.concat_str(chunk["_source_file"].cast(pl.String).fill_null("?"), pl.lit(":"), chunk["_source_row"].cast(pl.String).fill_null("?"))
    group = pl.select(refs.alias("ref")).join(labelled, on="ref", how="left", maintain_order="left")["group"]
    return pl.select(hashed_key(group)).to_series().alias("__labels")


def key_groups(keys: pl.DataFrame, extra_edges: pl.DataFrame | None = None) -> pl.Series:
    """The component of every row in the "shares a key" graph (its smallest row number), with
    `extra_edges` (left, right row numbers) joining rows too."""
    import polars as pl

    indexed = keys.with_row_index("__row")
    single = extra_edges is None or not extra_edges.height
    if single and indexed.select((pl.sum_horizontal(pl.col(keys.columns).is_not_null()) >= 2).any()).item() is False:
        # No row holds two keys (--match exact): the groups are simply the rows sharing one.
        key = pl.coalesce(keys.columns)
        first = pl.when(key.is_not_null()).then(pl.col("__row").min().over(key)).otherwise(pl.col("__row"))
        return indexed.select(first.alias("label"))["label"]
    edges = []
    for name in keys.columns:
        present = indexed.select("__row", name).drop_nulls(name)
        first = present.group_by(name).agg(pl.col("__row").min().alias("__first"))
        linked = present.join(first, on=name).filter(pl.col("__row") != pl.col("__first"))
        edges.append(linked.select(pl.col("__first").alias("left"), pl.col("__row").alias("right")))
    if not single:
        edges.append(extra_edges.select(pl.col("left").cast(pl.UInt32), pl.col("right").cast(pl.UInt32)))
    return components(pl.concat(edges), keys.height)
