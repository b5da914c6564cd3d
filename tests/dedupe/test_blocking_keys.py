"""The blocking keys are one registry: the engine, dedupe in parts and --against all read it."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

import listclean.linkage.against as against
import listclean.linkage.blocking as blocking
from helpers import contacts, together
from listclean.linkage import DedupeOptions, dedupe
from listclean.linkage.blocking import BLOCKING_KEYS, MATCH_LEVELS, BlockingKey, keys_for
from listclean.linkage.against import dedupe_against
from listclean.linkage.partitioned import dedupe_in_parts, partition_keys
from listclean.runtime import Runtime

DEFAULT_KEYS = BLOCKING_KEYS


@pytest.fixture(autouse=True)
def _spill_early(monkeypatch):
    monkeypatch.setattr("listclean.stream.budget.DEFAULT_SPOOL_BYTES", 100)  # rows go to disk: dedupe in parts, a streamed master


def _people() -> pl.DataFrame:
    """Two Jan Kowalskis born on one day at one company and city, with nothing else to link them,
    among others: three more at that company, and thirty with an address of their own."""
    jan = {"first_name": "Jan", "last_name": "Kowalski", "city": "Kraków", "company": "Acme", "birth_date": "1980-04-02"}
    others = [{"first_name": first, "last_name": last, "city": "Kraków", "company": "Acme"} for first, last in (("Ewa", "Nowak"), ("Piotr", "Wiśniewski"), ("Anna", "Zielińska"))]
    filler = [{"email": f"person{i}@example{i}.com", "first_name": f"Osoba{i}", "last_name": f"Nazwisko{i}"} for i in range(30)]
    return contacts(jan, *filler[:15], *others, *filler[15:], jan)


def _company(**flags) -> BlockingKey:
    return BlockingKey("company", lambda: pl.col("__company"), ("fuzzy",), **flags)


def _in_parts(frame, options):
    with Runtime() as runtime:
        result = dedupe_in_parts([frame.slice(i, 3) for i in range(0, frame.height, 3)], options, runtime.spool, part_rows=2)
        golden = pl.concat(list(result.golden), how="diagonal_relaxed")
        clusters = pl.concat(list(result.clusters), how="diagonal_relaxed")
    return result, golden, clusters


def _streamed(new, master, options):
    with Runtime() as runtime:
        result = dedupe_against(new, [master.slice(i, 4) for i in range(0, master.height, 4)], options, runtime.spool)
        out = pl.concat(list(result.golden), how="diagonal_relaxed").select(result.columns)
    return result, out


def test_the_registry_is_one_record_per_key_and_its_flags_hold_together():
    names = [key.name for key in BLOCKING_KEYS]
    assert len(names) == len(set(names))
    assert all(key.levels and set(key.levels) <= set(MATCH_LEVELS) for key in BLOCKING_KEYS)
    for key in BLOCKING_KEYS:
        assert isinstance(key.expression(), pl.Expr)
        # A large block compared by given name must be whole in one part; so must an identity.
        assert key.always_links or not (key.splits_by_given_name or key.identity), key.name
    tags = [key.identity for key in BLOCKING_KEYS if key.identity]
    assert len(tags) == len(set(tags)) and "r:" not in tags  # r: is a row without an identity key
    with pytest.raises(dataclasses.FrozenInstanceError):
        BLOCKING_KEYS[0].name = "other"  # type: ignore[misc]
    # The levels are nested: each compares at least what the stricter one does.
    assert {key.name for key in keys_for("exact")} <= {key.name for key in keys_for("canonical")} <= {key.name for key in keys_for("fuzzy")}


@pytest.mark.parametrize("match", MATCH_LEVELS)
def test_engine_parts_and_against_take_their_keys_from_the_same_records(match):
    frame = _people()
    options = DedupeOptions(match=match)
    level = [key.name for key in keys_for(match)]
    # The engine blocks on the level's records, in registry order.
    whole = dedupe(frame, options)
    assert list(whole.report.blocking.by_key) == level
    # Parts link rows by the same records (and by the identities a level does not block on).
    keys, _ = partition_keys([frame.slice(0, 20), frame.slice(20)], options)
    assert keys.columns == [key.name for key in BLOCKING_KEYS if key.name in level or key.identity]
    # --against looks for the new rows' values of the same records.
    wanted, _ = against.new_keys(frame, match)
    assert set(wanted["key"]) <= set(level)


@pytest.mark.parametrize(
    ("flags", "max_block", "merged"),
    [
        ({}, 50, True),  # a small block: compared
        ({}, 3, False),  # five at Acme: too large, skipped (and reported)
        ({"always_links": True, "splits_by_given_name": True}, 3, True),  # too large, so compared within each given name
    ],
)
def test_a_new_record_is_picked_up_by_the_engine_by_parts_and_by_against(monkeypatch, flags, max_block, merged):
    # Only the address, the phone and the new key: the company is the only way the two Jans meet.
    registry = (*(key for key in DEFAULT_KEYS if key.always_links), _company(**flags))
    monkeypatch.setattr(blocking, "BLOCKING_KEYS", registry)
    frame = _people()
    options = DedupeOptions(match="fuzzy", max_block=max_block)

    whole = dedupe(frame, options)
    assert "company" in whole.report.blocking.by_key
    assert together(whole, 1, frame.height) is merged
    assert ("company" in whole.report.blocking.skipped_blocks) is (max_block == 3 and not flags)
    assert set(whole.pairs.filter(pl.col("matched"))["key"]) <= {key.name for key in registry}

    # In parts (the rows spread over many): the same result, so the parts knew the key too.
    keys, too_large = partition_keys([frame.slice(0, 20), frame.slice(20)], options)
    assert "company" in keys.columns
    assert ("company" in too_large) is (max_block == 3 and not flags)
    result, golden, clusters = _in_parts(frame, options)
    assert result.parts > 5
    assert golden.equals(whole.frame)
    assert clusters.equals(whole.clusters)
    assert result.report.as_dict() == whole.report.as_dict()

    # Against a streamed master holding the first Jan: the second one is matched as in memory.
    master = dedupe(frame.head(25), options).frame
    new = frame.tail(frame.height - 25)
    in_memory = dedupe(new, options, master)
    assert in_memory.report.matched_existing == int(merged)
    streamed, out = _streamed(new, master, options)
    assert out.equals(in_memory.frame)
    assert streamed.clusters.equals(in_memory.clusters)
    assert streamed.pairs.equals(in_memory.pairs)
    assert streamed.report.matched_existing == in_memory.report.matched_existing
