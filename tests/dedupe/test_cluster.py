"""Connected components: every row labelled with the smallest row id of its component."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from listclean.linkage.cluster import components


def _reference(edges: list[tuple[int, int]], nodes: int) -> list[int]:
    parent = list(range(nodes))

    def root(node: int) -> int:
        while parent[node] != node:
            node = parent[node]
        return node

    for left, right in edges:
        a, b = root(left), root(right)
        parent[max(a, b)] = min(a, b)
    return [root(node) for node in range(nodes)]


@given(st.integers(1, 60).flatmap(lambda nodes: st.tuples(st.just(nodes), st.lists(st.tuples(st.integers(0, nodes - 1), st.integers(0, nodes - 1)), max_size=120))))
def test_components_match_a_plain_union_find(case):
    nodes, edges = case
    frame = pl.DataFrame({"left": [a for a, _ in edges], "right": [b for _, b in edges]}, schema={"left": pl.UInt32, "right": pl.UInt32})
    assert components(frame, nodes).to_list() == _reference(edges, nodes)


def test_a_long_chain_is_one_component():
    # 0-1, 1-2, ... in shuffled order: label propagation needed a round per link.
    links = [(i, i + 1) for i in range(0, 20_000)]
    frame = pl.DataFrame({"left": [a for a, _ in links[::-1]], "right": [b for _, b in links[::-1]]}, schema={"left": pl.UInt32, "right": pl.UInt32})
    assert components(frame, 20_001).unique().to_list() == [0]
