"""Connected components of a graph held as a Spark DataFrame of edges, with Spark's own joins.

Each vertex takes the smallest label among itself and its neighbours, then the label of its
label (pointer jumping: a chain of n vertices settles in about log n rounds instead of n), round
after round, until no label changes. At that fixed point every vertex holds the smallest vertex
of its component: labels only ever fall, never below the component's smallest vertex, and a
neighbour's smaller label would still have to spread. Each round is a few shuffles of the
vertices that have edges; its result is checkpointed (kept on the executors, lineage cut) so a
long run of rounds does not replan from the start.

On a contact list the graph is the keys rows share (an address and a phone in one row join
them), so most components are one or two vertices and the rounds are few.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

MAX_ROUNDS = 64  # far past any real list (pointer jumping halves the distance a round); a guard, not a limit met


def components(edges: SparkFrame, left: str = "left", right: str = "right") -> SparkFrame:
    """(vertex, label) for every vertex named by an edge: label is the smallest vertex of its
    component. Vertices are integers (64-bit); edges need not be distinct or symmetric."""
    from pyspark.sql import functions as F

    both = edges.select(F.col(left).alias("v"), F.col(right).alias("w"))
    links = both.union(both.select(F.col("w").alias("v"), F.col("v").alias("w"))).where(F.col("v") != F.col("w")).distinct().localCheckpoint()
    labels = links.groupBy("v").agg(F.least(F.min("w"), F.first("v")).alias("label")).localCheckpoint()
    for _ in range(MAX_ROUNDS):
        spread = links.join(labels.withColumnRenamed("v", "w"), "w").groupBy("v").agg(F.min("label").alias("offered"))
        lowered = labels.join(spread, "v").select("v", F.least("label", "offered").alias("label"))
        target = lowered.select(F.col("v").alias("label"), F.col("label").alias("jumped"))
        jumped = lowered.join(target, "label", "left").select("v", F.coalesce(F.least("label", "jumped"), F.col("label")).alias("label")).localCheckpoint()
        changed = jumped.join(labels.withColumnRenamed("label", "before"), "v").where(F.col("label") != F.col("before")).limit(1).count()
        labels = jumped
        if not changed:
            return labels.withColumnRenamed("v", "vertex")
    raise RuntimeError(f"connected components did not settle in {MAX_ROUNDS} rounds")
