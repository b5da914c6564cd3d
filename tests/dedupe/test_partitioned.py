"""Dedupe in parts (lists larger than memory): the parts' result is the whole list's."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import contacts, person
from listclean.linkage import DedupeOptions, dedupe
from listclean.linkage.partitioned import dedupe_in_parts
from listclean.runtime import Runtime

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from people import generate_people  # noqa: E402


@pytest.fixture(autouse=True)
def _spill_early(monkeypatch):
    monkeypatch.setattr("listclean.stream.budget.DEFAULT_SPOOL_BYTES", 2_000)  # the rows go to disk, as a large list's do


def _in_parts(frame, options, chunk=211, part_rows=150):
    with Runtime() as runtime:
        result = dedupe_in_parts([frame.slice(i, chunk) for i in range(0, frame.height, chunk)], options, runtime.spool, part_rows)
        golden, clusters = pl.concat(list(result.golden), how="diagonal_relaxed"), pl.concat(list(result.clusters), how="diagonal_relaxed")
        assert runtime.budget.held == 0  # every spool given back once read
    return result, golden, clusters


@pytest.mark.parametrize("max_block", [50, 4])
def test_fuzzy_dedupe_in_parts_gives_the_whole_lists_result(max_block, monkeypatch):
    # max_block 4: many name and postcode blocks are too large, and spread over several parts.
    # Ranges of 500 entries: every key's blocks are scored in many ranges of hashes.
    monkeypatch.setattr("listclean.linkage.match_groups.MIN_RANGE_ENTRIES", 500)
    people = generate_people(1500, seed=21).drop("person_id")
    options = DedupeOptions(match="fuzzy", max_block=max_block)
    whole = dedupe(people, options)
    result, golden, clusters = _in_parts(people, options)
    assert result.parts > 5
    assert golden.equals(whole.frame)
    assert clusters.equals(whole.clusters)
    sort = ["cluster_id", "left_file", "left_row", "right_file", "right_row"]
    assert result.pairs.sort(sort, nulls_last=True).equals(whole.pairs.sort(sort, nulls_last=True))
    assert result.report.as_dict() == whole.report.as_dict()
    assert whole.report.blocking.skipped_blocks or max_block == 50


def test_identical_rows_spread_over_chunks_fold_as_in_one_piece():
    # Twelve copies of one Kowalski (one representative) and two others: a block of three
    # representatives, compared at max_block 3 though it holds fourteen rows.
    row = {"email": "jan@kowalski.pl", "first_name": "Jan", "last_name": "Kowalski", "postal_code": "30-001"}
    others = [{"email": f"{name.lower()}@other.pl", "first_name": name, "last_name": "Kowalski", "postal_code": "30-001"} for name in ("Janek", "Jon")]
    frame = contacts(*[row] * 6, *others, *[row] * 6)
    options = DedupeOptions(match="fuzzy", max_block=3)
    whole = dedupe(frame, options)
    result, golden, _ = _in_parts(frame, options, chunk=3, part_rows=2)
    assert golden.equals(whole.frame)
    assert result.report.as_dict() == whole.report.as_dict()
    assert whole.report.pairs_compared > 0


@st.composite
def _lists(draw):
    rows = [person(draw) for _ in range(draw(st.integers(1, 40)))]
    return rows, draw(st.integers(2, 6)), draw(st.integers(1, 9)), draw(st.integers(1, 5))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_lists())
def test_any_small_list_in_parts_is_deduplicated_as_in_one_piece(case):
    rows, max_block, chunk, part_rows = case
    frame = contacts(*rows)
    for match in ("fuzzy", "canonical"):
        options = DedupeOptions(match=match, max_block=max_block)
        whole = dedupe(frame, options)
        result, golden, clusters = _in_parts(frame, options, chunk=chunk, part_rows=part_rows)
        assert golden.equals(whole.frame), match
        assert clusters.equals(whole.clusters), match
        assert result.report.as_dict() == whole.report.as_dict(), match


def _largest_part_group(frame, options, part_rows=150, chunk=211):
    """The largest group match_groups makes of the frame, and the largest "shares a key" group."""
    from listclean.linkage.engine import learn_model
    from listclean.linkage.match_groups import match_groups
    from listclean.linkage.partitioned import key_groups, partition_keys

    with Runtime() as runtime:
        rows = runtime.spool()
        for start in range(0, frame.height, chunk):
            rows.add(frame.slice(start, chunk))
        options = DedupeOptions(**{**options.__dict__, "model": learn_model(frame, options)})
        scored = match_groups(rows, options, runtime.spool, part_rows, keep_near_misses=False, say=lambda message="", **counts: None)
        keys, _ = partition_keys(rows, options)
        rows.release()
    return scored.groups.value_counts()["count"].max(), key_groups(keys).value_counts()["count"].max()


def test_fuzzy_parts_hold_the_matches_not_everyone_who_shares_a_key():
    # Grouping every row that shares any small fuzzy block chains a list into one giant part
    # (10M rows: parts of millions, 16 GB); the groups of matched pairs are as small as clusters.
    # At 10,000 rows the shared keys already chain 182 people; the matches, at most 4.
    people = generate_people(10_000, seed=5).drop("person_id")
    largest, by_keys = _largest_part_group(people, DedupeOptions(match="fuzzy"), part_rows=2_000, chunk=2_500)
    assert largest <= 6
    assert by_keys > 20 * largest


@pytest.mark.parametrize("variant", ["matches only", "review and labels", "explain every pair"])
def test_fuzzy_parts_give_the_whole_lists_pairs_review_and_labels(variant):
    people = generate_people(1200, seed=8).drop("person_id")
    options = DedupeOptions(match="fuzzy", max_block=6)
    keep_pairs = variant != "matches only"
    if variant == "review and labels":
        uncertain = dedupe(people, DedupeOptions(match="fuzzy", max_block=6, review=True)).review
        assert uncertain is not None and uncertain.height >= 4
        labels = uncertain.head(4).select(
            pl.concat_str("left_file", pl.lit(":"), pl.col("left_row").cast(pl.String)).alias("left_ref"),
            pl.concat_str("right_file", pl.lit(":"), pl.col("right_row").cast(pl.String)).alias("right_ref"),
            pl.Series("label", [True, False, True, False]),
        )
        options = DedupeOptions(match="fuzzy", max_block=6, review=True, labels=labels)
    if variant == "explain every pair":
        options = DedupeOptions(match="fuzzy", max_block=6, keep_all_pairs=True)
    whole = dedupe(people, options)
    with Runtime() as runtime:
        result = dedupe_in_parts([people.slice(i, 200) for i in range(0, people.height, 200)], options, runtime.spool, 150, keep_pairs=keep_pairs)
        golden = pl.concat(list(result.golden), how="diagonal_relaxed")
    assert result.parts > 5
    assert golden.equals(whole.frame)
    assert result.report.as_dict() == whole.report.as_dict()
    if keep_pairs:
        sort = ["left_file", "left_row", "right_file", "right_row"]
        assert result.pairs.sort(sort).equals(whole.pairs.sort(sort))
    if options.review:
        assert result.review.equals(whole.review.sort(["left_file", "left_row", "right_file", "right_row"]))


def test_a_list_with_nothing_for_the_fuzzy_keys_is_deduplicated_in_parts():
    # Short mailboxes, no names: no fuzzy key has a value, so nothing is filed or scored.
    frame = contacts(*[{"email": f"{name}@x.io"} for name in ("ab", "cd", "ab", "ef", "AB", "gh")])
    options = DedupeOptions(match="fuzzy")
    whole = dedupe(frame, options)
    result, golden, _ = _in_parts(frame, options, chunk=2, part_rows=2)
    assert golden.equals(whole.frame) and golden.height == 4
    assert result.report.as_dict() == whole.report.as_dict()
