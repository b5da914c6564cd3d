"""Deduplicating against a master larger than memory: streamed, the result is the in-memory one."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import listclean.linkage.against as against
from helpers import contacts, person
from listclean.linkage import DedupeOptions, dedupe
from listclean.linkage.against import dedupe_against
from listclean.runtime import Runtime

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from people import generate_people  # noqa: E402


@pytest.fixture(autouse=True)
def _spill_early(monkeypatch):
    monkeypatch.setattr("listclean.stream.budget.DEFAULT_SPOOL_BYTES", 2_000)  # the master's chunks go to disk, as a large one's do


def _streamed(new, master, options, chunk=97):
    with Runtime() as runtime:
        result = dedupe_against(new, [master.slice(i, chunk) for i in range(0, master.height, chunk)], options, runtime.spool)
        out = pl.concat(list(result.golden), how="diagonal_relaxed").select(result.columns)
        assert runtime.budget.held == 0  # the master's spool given back once read
    return result, out


@pytest.mark.parametrize("match", ["exact", "canonical", "fuzzy"])
def test_a_streamed_master_gives_the_in_memory_result_from_a_small_part_of_it(monkeypatch, match):
    people = generate_people(3000, seed=5).drop("person_id")
    options = DedupeOptions(match=match)
    master = dedupe(people.head(2750), options).frame
    new = people.tail(250)  # a nightly run: a few new rows against a large master
    whole = dedupe(new, options, master)

    matched_against = []
    original = against.match_to_master
    monkeypatch.setattr(against, "match_to_master", lambda new, part, *rest: matched_against.append(part.height) or original(new, part, *rest))
    result, out = _streamed(new, master, options)

    assert out.equals(whole.frame)
    assert result.clusters.equals(whole.clusters)
    assert result.pairs.equals(whole.pairs)
    strip = lambda report: {k: v for k, v in report.as_dict().items() if k != "blocks_too_large"}  # noqa: E731
    assert strip(result.report) == strip(whole.report)
    assert result.report.matched_existing > 0 and result.master_rows == master.height
    assert matched_against and max(matched_against) < master.height / 2  # only the master rows that can matter


def test_a_new_cluster_whose_id_an_unrelated_master_cluster_has_is_merged_as_in_memory():
    # The id of a new cluster comes from its address; a master cluster that once held that
    # address (merged away since) carries the same id without sharing any key with the new row.
    new = contacts({"email": "old.address@firma.pl", "first_name": "Zofia", "last_name": "Lis"}, source="new.csv")
    options = DedupeOptions(match="exact")
    fresh_id = dedupe(new, options).frame["cluster_id"][0]
    rows = [{"email": f"p{i}@firma.pl", "first_name": f"P{i}", "last_name": "Kowal"} for i in range(30)]
    master = dedupe(contacts(*rows, source="crm.csv"), options).frame
    master = master.with_columns(pl.when(pl.col("email") == "p17@firma.pl").then(pl.lit(fresh_id)).otherwise(pl.col("cluster_id")).alias("cluster_id"))
    whole = dedupe(new, options, master)
    result, out = _streamed(new, master, options, chunk=4)
    assert out.equals(whole.frame)
    assert out.height == 30 and out.filter(pl.col("cluster_id") == fresh_id)["merged_rows"].to_list() == [2]
    assert result.report.matched_existing == whole.report.matched_existing == 1


def test_a_block_too_large_in_the_whole_master_stays_skipped_in_the_part():
    # Four Nowaks with an A. in the master and one new: a block of five, too large at
    # max_block 3, so Apolonia is never compared with Anna, though Anna is in the part (she shares
    # a phone with another new row) and the part holds only two of the five.
    options = DedupeOptions(match="fuzzy", max_block=3)
    names = [("m1@firma.pl", "Anna", "+48600000001"), ("m2@other.pl", "Adam", None), ("m3@other.pl", "Agata", None), ("m4@other.pl", "Alicja", None)]
    master = dedupe(contacts(*({"email": e, "first_name": f, "last_name": "Nowak", "phone": ph} for e, f, ph in names), source="crm.csv"), options).frame
    new = contacts(
        {"email": "apolonia.nowak@gmail.com", "first_name": "Apolonia", "last_name": "Nowak"},
        {"email": "piotr@zielinski.pl", "first_name": "Piotr", "last_name": "Zielinski", "phone": "+48600000001"},
        source="new.csv",
    )
    whole = dedupe(new, options, master)
    result, out = _streamed(new, master, options, chunk=2)
    assert out.equals(whole.frame)
    assert result.pairs.equals(whole.pairs)
    assert result.report.pairs_compared == whole.report.pairs_compared
    assert result.report.as_dict()["blocks_too_large"] == {"sound_initial": 1}


def test_a_master_without_cluster_ids_is_refused():
    with pytest.raises(ValueError, match="cluster_id"):
        _streamed(contacts({"email": "a@firma.pl"}), contacts({"email": "b@firma.pl"}), DedupeOptions())


@st.composite
def _nights(draw):
    master = [person(draw) for _ in range(draw(st.integers(1, 30)))]
    new = [person(draw) for _ in range(draw(st.integers(1, 12)))]
    return master, new, draw(st.sampled_from(["exact", "canonical", "fuzzy"])), draw(st.integers(2, 6)), draw(st.integers(1, 9))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_nights())
def test_any_small_master_streamed_gives_the_in_memory_result(case):
    master_rows, new_rows, match, max_block, chunk = case
    options = DedupeOptions(match=match, max_block=max_block)
    master = dedupe(contacts(*master_rows, source="crm.csv"), options).frame
    new = contacts(*new_rows, source="new.csv")
    whole = dedupe(new, options, master)
    result, out = _streamed(new, master, options, chunk=chunk)
    assert out.equals(whole.frame)
    assert result.clusters.equals(whole.clusters)
    strip = lambda report: {k: v for k, v in report.as_dict().items() if k != "blocks_too_large"}  # noqa: E731
    assert strip(result.report) == strip(whole.report)
