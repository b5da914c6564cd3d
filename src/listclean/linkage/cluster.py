"""Matched pairs -> clusters: connected components, guarded against chaining.

Components are found by label propagation with pointer jumping, as Polars joins (a few
passes over the edges; no Python loop per row). Transitive matching can chain unrelated
people through a run of near matches (A~B, B~C, ... Y~Z); a component larger than
``max_cluster`` is therefore rebuilt from its strong edges only (the same address, the same
phone, the same birth date, or a pair a person marked as one), which do not chain by accident,
and the event is reported.

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
    """Component label (the smallest row id in it) for every row id 0..nodes-1.

    Min-label hooking with pointer jumping, vectorised in numpy: each round every edge whose
    ends have different roots hooks the larger root under the smaller, then every row follows
    its pointers to its root. A few rounds suffice even for long chains (label propagation,
    one hop per round, took minutes on a few million rows linked by many keys).
    """
    import numpy as np
    import polars as pl

    label = np.arange(nodes, dtype=np.int64)
    if edges.height:
        left = edges["left"].to_numpy().astype(np.int64)
        right = edges["right"].to_numpy().astype(np.int64)
        while True:
            a, b = label[left], label[right]
            apart = a != b
            if not apart.any():
                break
            low, high = np.minimum(a[apart], b[apart]), np.maximum(a[apart], b[apart])
            np.minimum.at(label, high, low)  # a root only ever points lower: no cycles
            while True:  # pointer jumping until every row points at its root
                further = label[label]
                if np.array_equal(further, label):
                    break
                label = further
            left, right = left[apart], right[apart]  # joined edges stay joined
    return pl.Series("label", label, dtype=pl.UInt32)


def guarded_components(scored: pl.DataFrame, nodes: int, max_cluster: int) -> tuple[pl.Series, int]:
    """Component labels with the chaining guard (a component too large is rebuilt from the
    pairs marked `strong`); also the number of rows whose component was rebuilt."""
    import polars as pl

    matched = scored.filter(pl.col("matched"))
    labels = components(matched, nodes)
    sizes = labels.to_frame("label").group_by("label").len()
    too_big = sizes.filter(pl.col("len") > max_cluster)["label"]
    if too_big.len() == 0:
        return labels, 0
    in_big = labels.is_in(too_big.implode())
    rebuilt = components(matched.filter(pl.col("strong")), nodes)
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


# Pairs kept apart by a fact — a person's answer, two birth dates: no chain of other matches may
# put them in one cluster either. (A shared inbox is a judgement on two given names: a third record
# that matches both, a nickname or a typo between them, may rightly join them; on generated lists
# holding them apart too cost 0.8 points of recall and no precision.)
APART_RULES = ("labelled_non_match", "different_birth_dates")


def kept_apart(scored: pl.DataFrame, labels: pl.Series, birth_dates: pl.Series | None = None) -> tuple[pl.Series, int]:
    """Component labels in which no cluster holds a pair kept apart (a labelled non-match, two
    different birth dates), and the number of rows regrouped.

    Transitive matching could join such a pair through a third row (Jan born 1960 and Jan born
    1990 each matched to a Jan with no birth date). Only a component that does is rebuilt: its
    matches are added strongest first — labelled matches, then strong evidence (one address,
    phone or birth date), then by probability, ties by row — and a match that would join two
    rows kept apart is left out. Such components are small (the chaining guard bounds them), so
    the rebuild walks their few edges in Python. `birth_dates` (per row, YYYYMMDD; given when two
    different birth dates are two people): any two rows of one component whose full birth dates
    differ by more than a typo are kept apart too, whether or not they were ever compared.
    """
    import numpy as np
    import polars as pl

    apart = scored.filter(pl.col("rule").is_in(APART_RULES)).select("left", "right")
    if birth_dates is not None:
        apart = pl.concat([apart, _birth_date_clashes(labels, birth_dates)]).unique(maintain_order=True)
    if apart.height == 0:
        return labels, 0
    label = labels.to_numpy().copy()
    left, right = apart["left"].to_numpy(), apart["right"].to_numpy()
    clashing = np.unique(label[left][label[left] == label[right]])
    if clashing.size == 0:
        return labels, 0
    in_clash = np.isin(label, clashing)
    matched = scored.filter(pl.col("matched"))
    edges = matched.filter(pl.Series(in_clash[matched["left"].to_numpy()])).sort(
        [pl.col("rule") != "labelled_match", ~pl.col("strong"), pl.col("probability").fill_null(0), "left", "right"],
        descending=[False, False, True, False, False],
    )
    cannot: dict[int, set[int]] = {}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if in_clash[a]:
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)
    nodes = np.flatnonzero(in_clash)
    members = {int(node): {int(node)} for node in nodes}
    root = {int(node): int(node) for node in nodes}
    for a, b in zip(edges["left"].to_list(), edges["right"].to_list(), strict=True):
        ra, rb = root[a], root[b]
        if ra == rb:
            continue
        small, large = (ra, rb) if len(members[ra]) < len(members[rb]) else (rb, ra)
        if any(cannot.get(node, set()) & members[large] for node in members[small]):
            continue  # would put two rows kept apart in one cluster
        for node in members[small]:
            root[node] = large
        members[large] |= members.pop(small)
    for group in members.values():
        label[list(group)] = min(group)
    return pl.Series("label", label, dtype=pl.UInt32), int(nodes.size)


def _birth_date_clashes(labels: pl.Series, birth_dates: pl.Series) -> pl.DataFrame:
    """(left, right) rows of one component whose full birth dates differ by more than a typo (one
    keystroke in the eight digits, or day and month swapped). Only components holding two
    different dates are looked at, pair by pair: they are few and small."""
    import polars as pl
    from rapidfuzz.distance import OSA

    rows = pl.DataFrame({"label": labels, "dob": birth_dates}).with_row_index("row").drop_nulls("dob")
    mixed = rows.group_by("label").agg(pl.col("dob").n_unique().alias("dates")).filter(pl.col("dates") > 1)["label"]
    clashes: list[tuple[int, int]] = []
    for _, group in rows.filter(pl.col("label").is_in(mixed.implode())).group_by("label"):
        members = list(zip(group["row"].to_list(), group["dob"].to_list(), strict=True))
        for i, (a, da) in enumerate(members):
            for b, db in members[i + 1 :]:
                swapped = da[:4] == db[:4] and da[4:6] == db[6:8] and da[6:8] == db[4:6]
                if da != db and OSA.distance(da, db) > 1 and not swapped:
                    clashes.append((min(a, b), max(a, b)))
    return pl.DataFrame(clashes, schema={"left": pl.UInt32, "right": pl.UInt32}, orient="row")
