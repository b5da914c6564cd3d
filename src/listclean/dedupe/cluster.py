"""Matched pairs -> clusters: connected components, guarded against chaining.

Components are found by label propagation with pointer jumping, as Polars joins (a few
passes over the edges; no Python loop per row). Transitive matching can chain unrelated
people through a run of near matches (A~B, B~C, ... Y~Z); a component larger than
``max_cluster`` is therefore rebuilt from its strong edges only (same address, or same
phone and similar name), which do not chain by accident, and the event is reported.

Cluster ids are stable: ``c`` + the first 12 hex digits of the SHA-256 of the cluster's
smallest identity key (its canonical address, else its phone, else its source row; with its
first source row added when two clusters share that key), so the same input gives the same
ids whatever the row order, and a cluster keeps its id when rows are added that do not
bring a smaller key.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def components(edges: pl.DataFrame, nodes: int) -> pl.Series:
    """Component label (the smallest row id in it) for every row id 0..nodes-1."""
    import polars as pl

    labels = pl.DataFrame({"id": pl.int_range(nodes, dtype=pl.UInt32, eager=True)}).with_columns(label=pl.col("id"))
    if edges.height == 0:
        return labels["label"]
    both = pl.concat(
        [edges.select(pl.col("left").alias("a"), pl.col("right").alias("b")), edges.select(pl.col("right").alias("a"), pl.col("left").alias("b"))]
    )
    while True:
        neighbour = (
            both.join(labels, left_on="b", right_on="id")
            .group_by("a")
            .agg(pl.col("label").min().alias("neighbour"))
        )
        step = labels.join(neighbour, left_on="id", right_on="a", how="left", maintain_order="left").select(
            "id", pl.min_horizontal("label", "neighbour").alias("label")
        )
        # Pointer jumping: take the label of your label, which halves the remaining distance.
        jumped = step.join(step.rename({"id": "label", "label": "further"}), on="label", how="left", maintain_order="left")
        step = jumped.select("id", pl.min_horizontal("label", "further").alias("label"))
        if step["label"].equals(labels["label"]):
            return step["label"]
        labels = step


def guarded_components(scored: pl.DataFrame, nodes: int, max_cluster: int, strong_rules: tuple[str, ...]) -> tuple[pl.Series, int]:
    """Component labels with the chaining guard; also the number of rows whose component was rebuilt."""
    import polars as pl

    matched = scored.filter(pl.col("matched"))
    labels = components(matched, nodes)
    sizes = labels.to_frame("label").group_by("label").len()
    too_big = sizes.filter(pl.col("len") > max_cluster)["label"]
    if too_big.len() == 0:
        return labels, 0
    in_big = labels.is_in(too_big.implode())
    rebuilt = components(matched.filter(pl.col("rule").is_in(list(strong_rules))), nodes)
    return pl.select(pl.when(in_big).then(rebuilt).otherwise(labels)).to_series(), int(in_big.sum())


def cluster_ids(labels: pl.Series, identity: pl.Series, refs: pl.Series) -> pl.Series:
    """Stable cluster id per row from each component's smallest identity key.

    Two components can share their smallest key (a shared inbox kept apart): those are told
    apart by their first source row (``refs``), so ids never collide.
    """
    import polars as pl

    frame = pl.DataFrame({"label": labels, "identity": identity, "ref": refs})
    smallest = frame.group_by("label").agg(pl.col("identity").min(), pl.col("ref").min())
    shared = pl.col("identity").is_duplicated()
    smallest = smallest.with_columns(
        pl.when(shared).then(pl.concat_str(pl.col("identity"), pl.lit("|"), pl.col("ref"))).otherwise(pl.col("identity")).alias("key")
    )
    hashed = [f"c{hashlib.sha256(key.encode()).hexdigest()[:12]}" for key in smallest["key"].to_list()]
    table = smallest.with_columns(pl.Series("cluster_id", hashed, dtype=pl.String))
    return frame.join(table.select("label", "cluster_id"), on="label", how="left", maintain_order="left")["cluster_id"]
