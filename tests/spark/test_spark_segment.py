"""listclean.spark.segment: rule segments, RFM scores and lifecycle stages as the single machine labels them."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from listclean import api
from test_spark_validate import _canonical_parquet

sys.path.insert(0, str(Path(__file__).parents[1] / "decay"))
from listdata import AS_OF, history_list  # noqa: E402

RULES = """
mode = "all"

[[segment]]
name = "Subscribed"
where = "consent_status = 'subscribed'"

[[segment]]
name = "Recent"
any = [{ field = "signup_at", within_days = 365 }, { field = "last_click_at", within_days = 90 }]

[[segment]]
name = "From a purchase"
where = "source = 'purchase'"
"""


@pytest.mark.parametrize("partitions", [1, 5])
def test_rules_and_lifecycle_are_the_single_machines_labels(spark, tmp_path, partitions):
    from listclean.spark import segment
    from listclean.steps.segment import SegmentStepOptions

    rules = tmp_path / "segments.toml"
    rules.write_text(RULES, encoding="utf-8")
    contacts, _ = api.validate(history_list(400))
    path = Path(_canonical_parquet(tmp_path, contacts))
    single, _ = api.segment(str(path), rules=str(rules), lifecycle=True, as_of=AS_OF)
    options = SegmentStepOptions(rules=str(rules), lifecycle=True, as_of=AS_OF)
    spread = pl.from_arrow(segment(spark.read.parquet(str(path)).repartition(partitions), options).toArrow())
    assert spread.columns == single.columns
    assert spread.sort("_source_row").equals(single.sort("_source_row"))
    assert spread["lifecycle_stage"].n_unique() > 2 and spread["segment"].list.len().max() >= 2


def _buyers(rows: int) -> pl.DataFrame:
    """history_list with RFM inputs full of what ranking gets wrong: buyers tied on every score
    (spread over every partition), spends equal only when read exactly (0.1 + 0.2 is not 0.3),
    -0.0 beside 0.0, NaN, two currencies and none (yen amounts a hundred times larger), missing
    counts and spends, purchases after the report date (and later on its day), unmailable buyers."""
    contacts = history_list(rows)
    days = [None if i % 7 == 6 else (i * 37) % 500 - 3 for i in range(rows)]  # -3..-1: after the report date
    spends = [None, 0.0, -0.0, 0.1 + 0.2, 0.3, 25.0, 25.0, 120.5, 99.99, float("nan"), 12_000.0, 3_400.0, 25.0]
    return contacts.with_columns(
        pl.Series("last_purchase_at", [None if d is None else AS_OF - timedelta(days=d, hours=-i % 30) for i, d in enumerate(days)]),
        pl.Series("purchase_count", [None if i % 11 == 4 else (i * 7) % 13 % 5 + 1 for i in range(rows)], dtype=pl.Int64),
        pl.Series("total_spend", [spends[(i * 5) % len(spends)] for i in range(rows)], dtype=pl.Float64) * pl.Series([100 if i % 4 == 1 else 1 for i in range(rows)]),
        pl.Series("currency", [("USD", "JPY", None, "USD")[i % 4] for i in range(rows)]),
    ).with_columns(pl.col("last_purchase_at").dt.cast_time_unit("us"))


def _validated_parquet(tmp_path: Path, contacts: pl.DataFrame) -> Path:
    validated, _ = api.validate(contacts)  # email_status: invalid addresses are unmailable buyers
    return Path(_canonical_parquet(tmp_path, validated))


def _on_spark(spark, path: Path, partitions: int, options) -> pl.DataFrame:
    from listclean.spark import segment

    return pl.from_arrow(segment(spark.read.parquet(str(path)).repartition(partitions), options).toArrow())


@pytest.mark.parametrize(("partitions", "include_unmailable"), [(7, False), (3, True)])
def test_rfm_with_rules_and_lifecycle_is_the_single_machines(spark, tmp_path, partitions, include_unmailable):
    from listclean.steps.segment import SegmentStepOptions

    rules = tmp_path / "segments.toml"
    rules.write_text(RULES, encoding="utf-8")
    path = _validated_parquet(tmp_path, _buyers(600))
    single, _ = api.segment(str(path), rules=str(rules), rfm=True, lifecycle=True, as_of=AS_OF, include_unmailable=include_unmailable)
    options = SegmentStepOptions(rules=str(rules), rfm=True, lifecycle=True, as_of=AS_OF, include_unmailable=include_unmailable)
    spread = _on_spark(spark, path, partitions, options)
    assert spread.columns == single.columns
    assert spread.schema == single.schema
    assert spread.sort("_source_file", "_source_row").equals(single.sort("_source_file", "_source_row"))
    # What makes the comparison bite: every score and many RFM segments, ties spread over partitions.
    scored = spread.filter(pl.col("rfm_segment").is_not_null())
    assert all(scored[name].drop_nulls().n_unique() >= 4 for name in ("rfm_recency", "rfm_frequency", "rfm_monetary"))
    assert scored["rfm_segment"].n_unique() >= 6
    unmailable_buyers = spread.filter(pl.col("last_purchase_at").is_not_null() & pl.col("consent_status").is_in(["unsubscribed", "bounced"]))
    assert unmailable_buyers["rfm_recency"].is_null().all() != include_unmailable


def test_equal_values_share_one_score_in_whichever_partition_they_are(spark, tmp_path):
    from listclean.steps.segment import SegmentStepOptions

    path = _validated_parquet(tmp_path, _buyers(600))
    spread = _on_spark(spark, path, 9, SegmentStepOptions(rfm=True, as_of=AS_OF))
    days = (pl.lit(AS_OF) - pl.col("last_purchase_at")).dt.total_days()
    ranked = {"rfm_recency": [days], "rfm_frequency": [pl.col("purchase_count").fill_null(1)], "rfm_monetary": [pl.col("currency").fill_null(""), "total_spend"]}
    for score, values in ranked.items():
        shares = spread.filter(pl.col(score).is_not_null()).group_by(values).agg(pl.col(score).n_unique().alias("scores"), pl.len())
        assert shares["scores"].max() == 1  # equal values, one score, whatever partitions their rows are in
        assert shares["len"].max() >= (2 if score == "rfm_recency" else 10)


def _raw_on_spark(spark, tmp_path: Path, frame: pl.DataFrame, partitions: int) -> pl.DataFrame:
    """The frame as it is (no import: columns may be missing, spends NaN), scored on Spark."""
    from listclean.steps.segment import SegmentStepOptions

    path = tmp_path / "raw.parquet"
    frame.write_parquet(path)
    return _on_spark(spark, path, partitions, SegmentStepOptions(rfm=True, as_of=AS_OF))


def test_spend_is_ranked_within_its_currency_and_equal_spends_are_one_value(spark, tmp_path):
    from listclean import segmentation as seg

    frame = pl.DataFrame(
        {
            "_source_row": list(range(1, 9)),
            "last_purchase_at": [AS_OF - timedelta(days=3)] * 8,
            "total_spend": [100.0, 200.0, 10_000.0, 20_000.0, 0.0, -0.0, float("nan"), 0.1 + 0.2],
            "currency": ["USD", "USD", "JPY", "JPY", "EUR", "EUR", "EUR", "EUR"],
        }
    )
    spread = _raw_on_spark(spark, tmp_path, frame, 4).sort("_source_row")
    # ¥ and $ each their own quintiles; 0.0 and -0.0 tie (rank 1.5 of 4: 2), NaN is the largest spend.
    assert spread["rfm_monetary"].to_list() == [3, 5, 3, 5, 2, 2, 5, 4]
    assert spread.equals(seg.rfm(frame, AS_OF))


@pytest.mark.parametrize("dropped", [(), ("currency",), ("total_spend", "currency"), ("purchase_count", "consent_status")])
def test_rfm_without_some_inputs_is_the_single_machines(spark, tmp_path, dropped):
    from listclean import segmentation as seg

    frame = _buyers(300).drop(dropped)
    spread = _raw_on_spark(spark, tmp_path, frame, 4)
    assert spread.columns == [*frame.columns, *seg.RFM_COLUMNS]
    assert spread.sort("_source_row").equals(seg.rfm(frame, AS_OF))
    assert spread["rfm_monetary"].is_null().all() == ("total_spend" in dropped)
    assert spread["rfm_segment"].n_unique() >= 5


def test_notes_are_the_single_machine_reports(spark, tmp_path):
    from listclean.spark.segment import segment_notes
    from listclean.steps.segment import SegmentStepOptions

    path = _validated_parquet(tmp_path, _buyers(600))
    frame = spark.read.parquet(str(path)).repartition(5)
    for include_unmailable in (False, True):
        _, report = api.segment(str(path), rfm=True, where="source = 'shop'", as_of=AS_OF, include_unmailable=include_unmailable)
        notes = segment_notes(frame, SegmentStepOptions(rfm=True, where="source = 'shop'", as_of=AS_OF, include_unmailable=include_unmailable))
        assert notes == report.notes
        assert any("after the report date" in note for note in notes) and any("no purchase_count" in note for note in notes)
        assert any("may not be mailed" in note for note in notes) != include_unmailable


def test_rfm_needs_a_purchase_date_and_no_old_scores(spark):
    from listclean.errors import UsageError
    from listclean.segmentation import SegmentError
    from listclean.spark import segment
    from listclean.steps.segment import SegmentStepOptions

    with pytest.raises(SegmentError, match="--rfm needs a last_purchase_at column"):
        segment(spark.createDataFrame([("ann@example.org",)], "email string"), SegmentStepOptions(rfm=True))
    scored = spark.createDataFrame([("ann@example.org", None, 3)], "email string, last_purchase_at timestamp, rfm_recency int")
    with pytest.raises(UsageError, match="already has rfm_recency"):
        segment(scored, SegmentStepOptions(rfm=True))


def test_the_rows_are_never_gathered_in_one_partition_nor_read_for_each_score(spark, tmp_path):
    from listclean.spark import segment
    from listclean.steps.segment import SegmentStepOptions

    path = _validated_parquet(tmp_path, _buyers(100))
    labelled = segment(spark.read.parquet(str(path)), SegmentStepOptions(rfm=True, lifecycle=True, as_of=AS_OF))
    labelled.toArrow()  # the plan adaptive execution settled on
    plan = labelled._jdf.queryExecution().executedPlan().toString()
    assert "SinglePartition" not in plan and "Window" in plan  # windows over distinct values, by score and group
    assert plan.count("ReusedExchange") == 2  # the list's values tallied once for the three scores


def test_spends_too_many_to_broadcast_are_joined_by_a_shuffle_with_the_same_scores(spark, tmp_path):
    from listclean.spark import segment
    from listclean.steps.segment import SegmentStepOptions

    path = _validated_parquet(tmp_path, _buyers(600))
    single, _ = api.segment(str(path), rfm=True, as_of=AS_OF)
    no_broadcast = ("spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.autoBroadcastJoinThreshold")
    saved = {key: spark.conf.get(key, None) for key in no_broadcast}
    try:
        for key in no_broadcast:
            spark.conf.set(key, "-1")  # as a list with millions of different amounts: no broadcast of spends
        labelled = segment(spark.read.parquet(str(path)).repartition(5), SegmentStepOptions(rfm=True, as_of=AS_OF))
        spread = pl.from_arrow(labelled.toArrow())
        plan = labelled._jdf.queryExecution().executedPlan().toString()
    finally:
        for key, value in saved.items():
            spark.conf.unset(key) if value is None else spark.conf.set(key, value)
    assert "SortMergeJoin" in plan
    assert spread.sort("_source_row").equals(single.sort("_source_row"))


SPLIT_RULES = """
mode = "all"

[[segment]]
name = "Subscribed"
where = "consent_status = 'subscribed'"

[[segment]]
name = "Firma"
where = "email LIKE '%firma%'"
"""


def test_split_files_are_the_single_machines_and_no_suppressed_person_gets_in(spark, cli, tmp_path):
    """Each segment's split file, row for row, over partitions of consecutive rows: Jane unsubscribed
    at the top of the list and subscribed in another spelling at its end (another partition), an
    unsubscribe in the store, an erasure, a --suppress list, a cell whose second address is
    unsubscribed elsewhere — none of them in any split, and the same count kept out."""
    import json

    from listclean.spark.segment import segment, segment_splits
    from listclean.steps.segment import SegmentStepOptions
    from test_spark_export import _contacts, suppression_files

    listed, store = suppression_files(tmp_path)
    rules = tmp_path / "segments.toml"
    rules.write_text(SPLIT_RULES, encoding="utf-8")
    path = _canonical_parquet(tmp_path, _contacts(40))
    folder = tmp_path / "splits"
    folder.mkdir()
    args = ["--rules", rules, "--store", store, "--suppress", listed, "--as-of", "2026-11-30", "--split-dir", folder, "--format", "parquet", "--json"]
    single = cli(["segment", path, "-o", tmp_path / "single.parquet", *args])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    options = SegmentStepOptions(rules=str(rules), store=str(store), suppress=[str(listed)], as_of=AS_OF)
    labelled = segment(spark.read.parquet(path).repartitionByRange(4, "_source_row"), options)
    splits = segment_splits(labelled, options)
    try:
        for name, file in expected["split_files"].items():
            spread = pl.from_arrow(splits.files[name].toArrow())
            one = pl.read_parquet(file)
            assert spread.columns == one.columns, name
            assert spread.sort("_source_file", "_source_row").equals(one.sort("_source_file", "_source_row")), name
        kept_out = splits.kept_out()
    finally:
        splits.release()
    assert kept_out == expected["split_suppressed"] > 0
    written = pl.concat([pl.read_parquet(file) for file in expected["split_files"].values()])["email"].str.to_lowercase()
    labels = pl.read_parquet(tmp_path / "single.parquet").filter(pl.col("segment").list.len() > 0)["email"].str.to_lowercase()
    for person in ("jane", "listed@", "kept@store", "gone@", "bad@firma"):  # labelled with a split's segment, never in its file
        assert labels.str.contains(person).any() and not written.str.contains(person).any(), person
    assert written.len() > 20
