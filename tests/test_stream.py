"""listclean.stream: spools under one explicit memory budget, sinks that track their columns, the ledger."""

from __future__ import annotations

import polars as pl
import pytest

from listclean.stream.budget import MemoryBudget
from listclean.stream.ledger import Ledger, rows_as_rejects
from listclean.stream.sink import FrameSink
from listclean.stream.spool import Spool


def _paths(tmp_path):
    names = iter(range(1000))
    return lambda suffix: tmp_path / f"{next(names)}{suffix}"


def test_a_spool_holds_small_lists_in_memory_and_spills_large_ones_in_order(tmp_path):
    spool_path = _paths(tmp_path)
    chunks = [pl.DataFrame({"n": list(range(start, start + 1000))}) for start in range(0, 5000, 1000)]

    small = Spool(spool_path, MemoryBudget())
    for chunk in chunks:
        small.add(chunk)
    assert not small.spilled and not list(tmp_path.iterdir())  # a few kilobytes never touch the disk

    large = Spool(spool_path, MemoryBudget(chunks[0].estimated_size() * 2))
    for chunk in chunks:
        large.add(chunk)
    assert large.spilled and large.rows == 5000
    assert pl.concat(list(large))["n"].to_list() == list(range(5000))  # held frames were spilled first
    assert large.lazy().collect()["n"].to_list() == list(range(5000))


def test_an_indexed_spool_reads_a_range_of_its_index_without_the_rest(tmp_path):
    import random

    from listclean.stream.spool import INDEXED_ROW_GROUP

    spool_path = _paths(tmp_path)
    values = list(range(4 * INDEXED_ROW_GROUP))
    random.Random(3).shuffle(values)
    spool = Spool(spool_path, MemoryBudget(1), index="key")
    for start in range(0, len(values), INDEXED_ROW_GROUP):
        spool.add(pl.DataFrame({"key": values[start : start + INDEXED_ROW_GROUP], "payload": ["x"] * INDEXED_ROW_GROUP}))
    assert spool.spilled
    in_range = spool.lazy().filter(pl.col("key").is_between(100, 199))
    assert sorted(in_range.collect()["key"].to_list()) == list(range(100, 200))
    # Each file written sorted by the index (in row groups with statistics, which a range skips by).
    assert all(pl.read_parquet(part)["key"].is_sorted() for part in spool._parts)


def test_spools_share_one_memory_budget(tmp_path):
    spool_path = _paths(tmp_path)
    chunk = pl.DataFrame({"n": list(range(1000))})
    budget = MemoryBudget(chunk.estimated_size() * 3)
    first, second = Spool(spool_path, budget), Spool(spool_path, budget)
    for _ in range(2):
        first.add(chunk)
    second.add(chunk)  # a spool's first frame is always held
    second.add(chunk)  # four chunks would be over the budget of three
    assert not first.spilled and second.spilled
    first.release()  # its frames are let go, and the budget with them
    third = Spool(spool_path, budget)
    for _ in range(3):
        third.add(chunk)
    assert not third.spilled


def test_draining_a_spool_hands_out_every_frame_in_order_and_lets_each_go(tmp_path):
    spool_path = _paths(tmp_path)
    chunks = [pl.DataFrame({"n": list(range(start, start + 100))}) for start in range(0, 500, 100)]
    budget = MemoryBudget()
    held = Spool(spool_path, budget)
    for chunk in chunks[:2]:
        held.add(chunk)
    assert budget.held > 0
    assert pl.concat(list(held.drain()))["n"].to_list() == list(range(200))
    assert budget.held == 0 and list(held) == []  # its memory is free for the next spool

    spilled = Spool(spool_path, MemoryBudget(1))
    for chunk in chunks:
        spilled.add(chunk)
    assert spilled.spilled
    assert pl.concat(list(spilled.drain()))["n"].to_list() == list(range(500))
    assert not list(tmp_path.glob("*.parquet"))  # each part removed once read


def test_budgets_of_two_runs_are_independent(tmp_path):
    """No class-global counter: one run's held frames never make another run spill."""
    chunk = pl.DataFrame({"n": list(range(1000))})
    busy = Spool(_paths(tmp_path), MemoryBudget(chunk.estimated_size() * 2))
    busy.add(chunk)
    busy.add(chunk)
    other = Spool(_paths(tmp_path / "x"), MemoryBudget(chunk.estimated_size() * 2))
    (tmp_path / "x").mkdir()
    other.add(chunk)
    other.add(chunk)
    assert not busy.spilled and not other.spilled


def test_a_frame_sink_tracks_the_columns_of_every_chunk_and_keeps_their_order():
    sink = FrameSink()
    sink.add(pl.DataFrame({"email": ["a@x.com"], "b": ["1"]}))
    sink.add(pl.DataFrame({"email": ["c@x.com"], "c": ["2"]}))
    assert sink.seen == ["email", "b", "c"] and sink.rows == 2
    sink.finish(lambda seen: [column for column in seen if column != "b"])
    assert sink.frame.columns == ["email", "c"] and sink.frame["c"].to_list() == [None, "2"]


class _Source:
    rows_in, rejected = 5, 1

    def rejects(self):
        return rows_as_rejects(pl.DataFrame({"_source_file": ["a.csv"], "_source_row": [5], "email": [""]}), pl.lit("empty_row"), pl.lit("empty"))


def test_the_ledger_lists_the_sources_rejects_first_and_refuses_a_broken_balance(tmp_path):
    ledger = Ledger(_paths(tmp_path), MemoryBudget())
    ledger.remove(rows_as_rejects(pl.DataFrame({"_source_file": ["a.csv"], "_source_row": [2], "email": ["x@y.com"]}), pl.lit("suppressed"), pl.lit("")))
    ledger.read(_Source())
    assert ledger.rejects()["_source_row"].to_list() == [5, 2]
    assert ledger.balance(3) == {"rows_in": 5, "rows_out": 3, "rejected": 2, "merged": 0, "quarantined": 0}
    with pytest.raises(AssertionError, match="row accounting broken"):
        ledger.balance(4)
    sink = FrameSink()
    ledger.write(sink)
    assert sink.frame["reason"].to_list() == ["empty_row", "suppressed"]


def test_a_held_piece_is_a_copy_of_its_own_not_a_view_that_keeps_its_parent(tmp_path):
    """A partition_by piece or a filtered chunk held in memory must not pin the whole chunk it
    came from (a 10M-row dedupe in parts grew by a part per part): the spool keeps a copy that
    is equal in every value and type."""
    from datetime import datetime, timezone

    parent = pl.DataFrame(
        {
            "text": [f"a long enough text value {i}" for i in range(20_000)],
            "tags": [[f"t{i % 3}", None] for i in range(20_000)],
            "at": [datetime(2024, 1, 1, tzinfo=timezone.utc)] * 20_000,
            "kind": pl.Series(["x", "y"] * 10_000, dtype=pl.Enum(["x", "y"])),
            "group": [i % 10 for i in range(20_000)],
        }
    )
    piece = parent.partition_by("group", as_dict=True)[(3,)]
    spool = Spool(_paths(tmp_path), MemoryBudget(), pieces=True)
    spool.add(piece)
    held = next(iter(spool))
    assert held.equals(piece) and held.schema == piece.schema
    assert held is not piece


# ------------------------------------------------------------------ Parquet outputs written as chunks come


def _parquet_sink(tmp_path, name="out.parquet"):
    from listclean.io.write import OutputTarget
    from listclean.stream.sink import FileSink

    return FileSink(OutputTarget(str(tmp_path / name), "parquet"), _paths(tmp_path), MemoryBudget(1 << 30))


def _chunk(start, rows, **columns):
    return pl.DataFrame({"email": [f"a{i}@example.com" for i in range(start, start + rows)], **columns})


def test_a_parquet_output_streams_its_chunks_and_equals_the_whole_list(tmp_path):
    sink = _parquet_sink(tmp_path)
    chunks = [_chunk(i * 1000, 1000, phone_raw=pl.Series([None] * 1000, dtype=pl.String)) for i in range(5)]
    for chunk in chunks:
        sink.add(chunk)
    assert sink.rows == 5000 and not sink.spilled  # nothing held: each chunk went to the writer
    sink.finish(["email"])  # the _raw column no chunk filled is left out, as import leaves it out
    written = pl.read_parquet(tmp_path / "out.parquet")
    assert written.equals(pl.concat(chunks).select("email"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]  # the stream's own file is gone


def test_a_late_chunk_with_a_column_the_first_left_empty_is_written_in_full(tmp_path):
    """The first chunk streams without its empty optional columns; a later chunk that fills one
    sends the rest to the spool and the file is written again: nulls (or, for email_alternates,
    the empty lists the early rows held) where the early chunks had nothing."""
    sink = _parquet_sink(tmp_path)
    empty_lists = pl.Series([[]] * 2, dtype=pl.List(pl.String))
    first = _chunk(0, 2, phone_raw=pl.Series([None, None], dtype=pl.String), email_alternates=empty_lists)
    late = _chunk(2, 2, phone_raw=["+48 12", None], email_alternates=pl.Series([["b@example.com"], []], dtype=pl.List(pl.String)))
    sink.add(first)
    sink.add(late)
    sink.finish(["email", "phone_raw", "email_alternates"])
    written = pl.read_parquet(tmp_path / "out.parquet")
    assert written.equals(pl.concat([first, late]))
    assert written["email_alternates"].to_list() == [[], [], ["b@example.com"], []]  # never null


def test_a_writer_that_fails_mid_list_is_an_output_error_and_leaves_no_file(tmp_path, monkeypatch):
    from listclean.errors import OutputError

    def full(*args, **kwargs):
        raise pl.exceptions.ComputeError("parquet: underlying IO error: No space left on device (os error 28)")

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", full)
    sink = _parquet_sink(tmp_path)
    with pytest.raises(OutputError, match="No space left on device"):
        for i in range(10):  # the writer's failure surfaces at a later add or at finish, never a hang
            sink.add(_chunk(i * 10, 10))
        sink.finish()
    sink.release()
    assert not (tmp_path / "out.parquet").exists()


def test_a_step_that_fails_mid_list_stops_the_writer_and_leaves_nothing(tmp_path):
    import threading

    sink = _parquet_sink(tmp_path)
    sink.add(_chunk(0, 10))
    sink.release()  # what the runtime does when a step fails before finish
    assert not any(thread.name.startswith("listclean-parquet") for thread in threading.enumerate())
    assert list(tmp_path.iterdir()) == []


def test_a_streamed_output_without_named_columns_keeps_every_chunks_columns_in_order(tmp_path):
    sink = _parquet_sink(tmp_path)
    chunk = _chunk(0, 3, email_raw=pl.Series([None] * 3, dtype=pl.String), city=["a", "b", "c"])
    sink.add(chunk)
    sink.finish()  # no columns named: the chunks' own, the empty email_raw in its place
    assert pl.read_parquet(tmp_path / "out.parquet").equals(chunk)
