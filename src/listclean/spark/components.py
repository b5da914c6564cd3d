"""Connected components of a graph held as a Spark DataFrame of edges.

A graph of up to `LOCAL_EDGES` edges (16 bytes each: 32 MB) is brought to the driver and solved
there by the single machine's vectorised `linkage.cluster.components` — seconds, where each
distributed round costs a few Spark jobs. A larger one is solved with Spark's own joins: each
vertex takes the smallest label among itself and its neighbours, then the label of its label
(pointer jumping: a chain of n vertices settles in about log n rounds instead of n), round after
round, until no label changes. At that fixed point every vertex holds the smallest vertex of its
component: labels only ever fall, never below the component's smallest vertex, and a
neighbour's smaller label would still have to spread. Both ways the label is the component's
smallest vertex, so the answer does not depend on the way taken.

Each distributed round's result is checkpointed (kept on the executors, lineage cut) and made a
fresh leaf of the plan (`_settled`), so a long run of rounds neither replans from the start nor
compounds size estimates: Spark estimates a join's size as the product of its sides', a
checkpoint keeps its plan's estimate, and round after round the estimate's digits multiplied
until the driver ran out of memory computing it (a 60-row chain, ten rounds).

On a contact list the graph is the keys rows share (an address and a phone in one row join them),
so most components are one or two vertices and the rounds are few.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

LOCAL_EDGES = 2_000_000  # graphs up to this many edges are solved on the driver
MAX_ROUNDS = 64  # far past any real list (pointer jumping halves the distance a round); a guard, not a limit met


def components(edges: SparkFrame, left: str = "left", right: str = "right", local_edges: int = LOCAL_EDGES) -> SparkFrame:
    """(vertex, label) for every vertex named by an edge: label is the smallest vertex of its
    component. Vertices are 64-bit integers; edges need not be distinct or symmetric.
    `local_edges`: the largest graph solved on the driver (0: always in Spark)."""
    from pyspark.sql import functions as F

    pairs = edges.select(F.col(left).alias("v"), F.col(right).alias("w")).where(F.col("v") != F.col("w"))
    if local_edges > 0 and pairs.limit(local_edges + 1).count() <= local_edges:
        return _on_driver(pairs)
    return _in_rounds(pairs)


def _on_driver(pairs: SparkFrame) -> SparkFrame:
    import polars as pl

    from listclean.linkage.cluster import components as solve

    edges = pl.from_arrow(pairs.toArrow())
    assert isinstance(edges, pl.DataFrame)
    vertices = pl.concat([edges["v"], edges["w"]]).unique().sort().rename("vertex")
    index = vertices.to_frame().with_row_index("at")
    numbered = edges.join(index.rename({"vertex": "v", "at": "left"}), on="v").join(index.rename({"vertex": "w", "at": "right"}), on="w")
    labels = solve(numbered.select("left", "right"), vertices.len())
    # The smallest index of a component is its smallest vertex (the vertices are numbered in order).
    answer = pl.DataFrame({"vertex": vertices, "label": vertices.gather(labels)})
    return pairs.sparkSession.createDataFrame(answer.to_arrow(), "vertex long, label long")


def _in_rounds(pairs: SparkFrame) -> SparkFrame:
    from pyspark.sql import functions as F

    links = _settled(pairs.union(pairs.select(F.col("w").alias("v"), F.col("v").alias("w"))).distinct())
    labels = _settled(links.groupBy("v").agg(F.least(F.min("w"), F.first("v")).alias("label")))
    for _ in range(MAX_ROUNDS):
        offered = links.join(labels.withColumnRenamed("v", "w"), "w").groupBy("v").agg(F.min("label").alias("offered"))
        lowered = labels.join(offered, "v").select("v", F.col("label").alias("before"), F.least("label", "offered").alias("label"))
        target = lowered.select(F.col("v").alias("label"), F.col("label").alias("jumped"))
        jumped = lowered.join(target, "label", "left").select("v", "before", F.least("label", F.coalesce("jumped", "label")).alias("label"))
        settled = _settled(jumped)
        labels = settled.select("v", "label")
        if not settled.where(F.col("label") != F.col("before")).limit(1).count():
            return labels.withColumnRenamed("v", "vertex")
    raise RuntimeError(f"connected components did not settle in {MAX_ROUNDS} rounds")


def _settled(frame: SparkFrame) -> SparkFrame:
    """The frame computed once (a local checkpoint on the executors) and given back as a new leaf
    of the plan: no lineage, and no size estimate carried from the plan that made it."""
    from pyspark.sql.classic.dataframe import DataFrame

    checked = frame.localCheckpoint()
    spark = checked.sparkSession
    return DataFrame(spark._jsparkSession.createDataFrame(checked._jdf.rdd(), checked._jdf.schema()), spark)
