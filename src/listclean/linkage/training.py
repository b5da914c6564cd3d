"""Learning the model (model.py) from the list itself: which rows, which pairs, which seed.

``learn(rows, compared, labels, settings)`` estimates u from random pairs of `rows`, m and the
prior by expectation-maximisation over the compared candidate pairs, and the value frequencies
of `rows`. Everything is deterministic: random pairs come from a fixed seed, so the same list
gives the same weights and the same clusters on every run.

A list larger than ``model.TRAINING_ROWS`` is learned from a fixed sample (``training_mask``):
the rows whose surname (else address) hashes into a fixed share, so the duplicates of a sampled
person are mostly sampled with them and the sample still holds matches to learn from. Whether a
row is in the sample depends only on that row and the list's size, so a list deduplicated in
parts learns from the same rows as in one piece.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from listclean.linkage.blocking import BLOCKING_KEYS
from listclean.linkage.comparisons import LEVEL_COLUMNS
from listclean.linkage.model import RANDOM_PAIRS, TRAINING_ROWS, LinkageModel, estimate_m, estimate_u, match_probabilities, term_frequencies

if TYPE_CHECKING:
    from collections.abc import Iterable

    import polars as pl

    from listclean.linkage.compare import MatchSettings

SEED = 20_261_130


def random_pairs(rows: int, limit: int = RANDOM_PAIRS) -> pl.DataFrame:
    """(left, right) pairs of row numbers, left < right: every pair of a small list, else `limit`
    pairs drawn with a fixed seed."""
    import numpy as np
    import polars as pl

    total = rows * (rows - 1) // 2
    if total <= limit:
        left, right = np.triu_indices(rows, k=1)
    else:
        generator = np.random.default_rng(SEED)
        left = generator.integers(0, rows, size=limit)
        right = generator.integers(0, rows - 1, size=limit)
        right = right + (right >= left)  # never a row with itself
        left, right = np.minimum(left, right), np.maximum(left, right)
    return pl.DataFrame({"left": left.astype(np.uint32), "right": right.astype(np.uint32), "key": pl.Series([None] * len(left), dtype=pl.String)})


def sessions(compared: pl.DataFrame, features: pl.DataFrame, labels: pl.Series | None) -> tuple[pl.DataFrame, pl.Series | None]:
    """The candidate pairs as the estimation sees them: once per blocking key they share (its
    `key`), as Splink trains one session per blocking rule. A pair is counted under every key it
    agrees on, not only the first that proposed it: the pairs only a later key proposed are
    those that disagree on the earlier keys' fields, and learning from them alone would teach
    the model that one person's given names mostly differ. Pairs no key proposed (labelled
    pairs) keep their key. Returns the rows and their labels."""
    import polars as pl

    keys = [key for key in BLOCKING_KEYS if key.agrees_on]
    # Each row's key values as 64-bit hashes: the pairs' sides are compared as integers.
    values = features.select(pl.when(key.expression().is_not_null()).then(key.expression().hash(seed=5)).alias(key.name) for key in keys)
    left, right = values[compared["left"]], values[compared["right"]]
    shares = pl.DataFrame({key.name: (left[key.name] == right[key.name]).fill_null(False) for key in keys})
    shared = shares.sum_horizontal()
    narrow = compared.select("key", *LEVEL_COLUMNS).with_columns(
        (labels if labels is not None else pl.lit(None, dtype=pl.Float64)).alias("__label"),
        (1 / shared.cast(pl.Float64)).alias("__share"),
    )
    sessions = [narrow.filter(shares[key.name]).with_columns(pl.lit(key.name).alias("key")) for key in keys]
    # Pairs no key proposed (a labelled pair) keep their key, and count whole.
    unshared = narrow.filter(shared == 0).with_columns(pl.lit(1.0).alias("__share"))
    exploded = pl.concat([*sessions, unshared])
    return exploded, (exploded["__label"] if labels is not None else None)


def learn(features: pl.DataFrame, compared: pl.DataFrame, labels: pl.Series | None, settings: MatchSettings) -> LinkageModel:
    """The model of a list (`features`, features.prepare's columns) from its `compared` candidate
    pairs, whose left and right index `features`."""
    from listclean.linkage.comparisons import compare

    rows = features
    drawn = random_pairs(rows.height)
    sampled = compare(drawn, rows, settings) if drawn.height else compared.head(0)
    masks = {key.name: key.agrees_on for key in BLOCKING_KEYS}
    pairs_trained = compared.height
    compared, labels = sessions(compared, features, labels)
    population = math.comb(rows.height, 2)
    # u first from every random pair as two people, then again with each weighed by how likely it
    # is two people under the model that gave: a small list's "random" pairs are all its pairs,
    # its duplicates among them.
    u = estimate_u(sampled)
    m, prior, rounds, _ = estimate_m(compared, u, masks, labels, population)
    u = estimate_u(sampled, 1 - match_probabilities(sampled, m, u, prior))
    m, prior, rounds, evidence = estimate_m(compared, u, masks, labels, population)
    return LinkageModel(m=m, u=u, prior=prior, frequencies=term_frequencies(rows, u), pairs_trained=pairs_trained, random_pairs=drawn.height, rounds=rounds, evidence=evidence)


def training_rows(chunks: Iterable[pl.DataFrame], total_rows: int) -> pl.DataFrame:
    """The rows of a list of `total_rows`, arriving in chunks, that its model is learned from (each
    chunk filtered by training_mask): the same rows whether the list is held, in parts or spooled."""
    import polars as pl

    return pl.concat([chunk.filter(training_mask(chunk, total_rows)) for chunk in chunks], how="diagonal_relaxed")


def against_training_rows(master: Iterable[pl.DataFrame], new: pl.DataFrame, total_rows: int) -> pl.DataFrame:
    """The rows the weights are learned from when new rows are matched to a master (--against):
    training_rows of both, in provenance order (`_source_file`, `_source_row`; ties in the order
    given: the master's, then the new rows'). The master file's row order changes from night to
    night (untouched clusters, then the re-merged ones) while its people do not, and neither
    should the weights; Spark, which has no file order, learns from the same rows in the same order."""
    sample = training_rows([*master, new], total_rows)
    if all(name in sample.columns for name in ("_source_file", "_source_row")):
        sample = sample.sort("_source_file", "_source_row", maintain_order=True, nulls_last=True)
    return sample


def training_mask(frame: pl.DataFrame, total_rows: int) -> pl.Expr:
    """Which rows of a list of `total_rows` the model is learned from: all of a list up to
    TRAINING_ROWS, else those whose surname (lower-cased; else address) hashes into the share."""
    import polars as pl

    if total_rows <= TRAINING_ROWS:
        return pl.lit(True)
    share = math.ceil(total_rows / TRAINING_ROWS)
    text = [pl.col(name).cast(pl.String).str.to_lowercase().str.strip_chars() for name in ("last_name", "email") if name in frame.columns]
    key = pl.coalesce(text) if text else pl.lit(None, dtype=pl.String)
    return (key.hash(seed=3) % share == 0).fill_null(False)
