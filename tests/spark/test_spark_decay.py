"""listclean.spark.decay_report: the single machine's report and sunset candidates, from any partitioning."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from listclean import api
from test_spark_validate import _canonical_parquet
from listclean.email.validate import with_alternates
from listclean.schema import column_order

sys.path.insert(0, str(Path(__file__).parents[1] / "decay"))
from listdata import AS_OF, history_list  # noqa: E402


@pytest.mark.parametrize("partitions", [1, 6])
def test_the_report_and_the_sunset_candidates_are_the_single_machines(spark, tmp_path, partitions):
    from listclean.decay import DecayOptions
    from listclean.spark import decay_report

    contacts, _ = api.read(history_list(600))
    path = Path(_canonical_parquet(tmp_path, contacts))
    single = api.decay_report(str(path), as_of=AS_OF)
    report, candidates = decay_report(spark.read.parquet(str(path)).repartition(partitions), DecayOptions(as_of=AS_OF))
    assert report.as_dict() == single.measured.as_dict()
    expected = with_alternates(single.sunset_candidates)
    expected = expected.select(column_order(expected.columns)).sort("_source_row")
    found = pl.from_arrow(candidates.toArrow()).sort("_source_row")
    assert found.height == report.sunset["candidates"] > 0
    assert found.select(expected.columns).equals(expected)


def _contacts(rows: int, *, seed: int, domains: int | None = 18, signup_days: int = 3000, engaged: bool = True) -> pl.DataFrame:
    """A list with every hard case of the single-machine tests: all statuses (undated churn, churn
    before signup), dates after the report day, contacts without signup, source or address, ties
    between domains, signups over years (cohort rows by year) — already validated (email_status)."""
    import random

    draw = random.Random(seed)

    def moment(share: float, earliest: int, latest: int = 40) -> datetime | None:
        if draw.random() >= share:
            return None
        return AS_OF + timedelta(days=draw.randint(-earliest, latest), seconds=draw.randint(0, 86_399))

    records = []
    for row in range(rows):
        domain = f"d{row}.example" if domains is None else f"d{draw.randrange(domains):02}.example"
        records.append({
            "email": f"p{row}@{domain}" if draw.random() < 0.95 else None,
            "source": draw.choice(["shop", "form", None, "import", "ads"]),
            "signup_at": moment(0.85, signup_days, 10),
            "consent_status": draw.choice(["subscribed", "subscribed", "unsubscribed", "bounced", "cleaned", "complained", "pending", "erased", None]),
            "consent_at": moment(0.7, 900, 10),
            "consent_source": draw.choice(["purchase", "inquiry", "form", None]),
            "last_click_at": moment(0.4, 800) if engaged else None,
            "last_open_at": moment(0.5, 800) if engaged else None,
            "last_purchase_at": moment(0.2, 800) if engaged else None,
            "last_activity_at": moment(0.2, 800) if engaged else None,
            "email_status": draw.choice(["valid", "valid", "risky", "invalid", "suppressed"]),
        })  # fmt: skip
    dated = {name: pl.Datetime("us", "UTC") for name in ("signup_at", "consent_at", "last_click_at", "last_open_at", "last_purchase_at", "last_activity_at")}
    return pl.DataFrame(records, schema_overrides=dated).with_columns(pl.lit("list.csv").alias("_source_file"), pl.int_range(1, pl.len() + 1).alias("_source_row"))


LISTS = {
    # everything at once; 18 domains over 900 contacts: 15 listed, ties among them broken by name
    "mixed": lambda: _contacts(900, seed=1),
    # 40 domains of exactly 20 contacts each: which 15 are listed is decided by name alone; an even list
    "tied domains": lambda: _contacts(800, seed=2).with_columns((pl.lit("p") + pl.int_range(pl.len()).cast(pl.String) + "@t" + (pl.int_range(pl.len()) % 40).cast(pl.String).str.zfill(2) + ".example").alias("email")),
    # nobody has engaged: every mailable contact signed up long enough ago is a sunset candidate
    "all stale": lambda: _contacts(500, seed=3, engaged=False),
    # no signup dates: no survival, no cohorts, no signups in any month (empty tables)
    "no signups": lambda: _contacts(400, seed=4).drop("signup_at"),
    # fewer contacts than partitions: some partitions are empty
    "three contacts": lambda: _contacts(3, seed=5),
}


@pytest.mark.parametrize("partitions", [7])  # the 1- and 6-partition folds: the test above; 7 leaves the 3-contact list's partitions mostly empty
@pytest.mark.parametrize("case", list(LISTS))
def test_the_report_is_the_single_machines_on_the_hard_lists(spark, tmp_path, case, partitions):
    from listclean.decay import DecayOptions
    from listclean.spark import decay_report

    path = _canonical_parquet(tmp_path, LISTS[case]())
    single = api.decay_report(path, as_of=AS_OF).as_dict()
    report, _ = decay_report(spark.read.parquet(path).repartition(partitions), DecayOptions(as_of=AS_OF))
    assert report.as_dict() == single
    if case == "tied domains":  # the tie-break matters: the first 15 of 40 equal domains, by name
        assert [row["domain"] for row in single["by_domain"]] == [f"t{n:02}.example" for n in range(15)] + ["(other)"]
    if case == "all stale":
        assert single["sunset"]["candidates"] > 0 and any(note.startswith("no engagement dates") for note in single["notes"])
    if case == "mixed":  # the edge cases are in the list
        assert single["decay"]["undated_churn"] and any("after the report day" in note for note in single["notes"])
        assert any(row["period"] == "year" for row in single["cohorts"]) and len(single["by_domain"]) == 16


def _gathering_spy(spark, monkeypatch) -> list:
    """Every Spark frame brought to the driver while the test runs: Arrow tables (toArrow), or
    the name of any other way of collecting (none is expected)."""
    frame_class = type(spark.range(1))
    seen: list = []
    for method in ("toArrow", "collect", "toPandas", "toLocalIterator", "take", "head", "first", "tail"):
        original = getattr(frame_class, method)

        def spy(self, *args, __original=original, __method=method, **kwargs):
            answer = __original(self, *args, **kwargs)
            seen.append(answer if __method == "toArrow" else __method)
            return answer

        monkeypatch.setattr(frame_class, method, spy)
    return seen


def test_the_driver_receives_counts_not_the_lists_rows(spark, tmp_path, monkeypatch):
    """20,000 contacts, each with its own domain, signups over three years: what reaches the driver
    is a table per distinct day, month and source, and the 16 largest domains, never the rows."""
    import pyarrow as pa

    from listclean.decay import DecayOptions
    from listclean.spark import decay_report

    contacts = _contacts(20_000, seed=6, domains=None, signup_days=3 * 365)
    path = _canonical_parquet(tmp_path, contacts)
    single = api.decay_report(path, as_of=AS_OF).as_dict()
    seen = _gathering_spy(spark, monkeypatch)
    report, _ = decay_report(spark.read.parquet(path).repartition(7), DecayOptions(as_of=AS_OF))
    assert report.as_dict() == single
    assert seen and all(isinstance(table, pa.Table) for table in seen), seen
    rows, size = sum(table.num_rows for table in seen), sum(table.nbytes for table in seen)
    domains = sum(table.num_rows - table.column("domain").null_count for table in seen if "domain" in table.column_names)
    assert domains == 16  # of 20,000 distinct domains, the 16 largest (15 listed, and whether there are more)
    assert rows < 2_000, rows  # mostly the survival table: a row per distinct day (3 years and the lapse days)
    assert size < 1_000_000, size  # the list's slim rows alone would be ~3 MB


def test_columns_polars_wrote_without_a_value_are_read_as_their_own_types(spark, tmp_path):
    # A list built in Polars with all-null columns: Parquet's Null type, which Spark reads as an
    # integer; the steps must see a timestamp, a number, text — as one machine does.
    from pyspark.sql.types import DoubleType, StringType, TimestampType

    from listclean.decay import DecayOptions
    from listclean.spark import decay_report, validate

    contacts, _ = api.read(history_list(60))
    blank = contacts.with_columns(pl.lit(None).alias(name) for name in ("last_purchase_at", "last_open_at", "company", "total_spend"))
    path = _canonical_parquet(tmp_path, blank)
    assert pl.read_parquet_schema(path)["last_purchase_at"] == pl.Null
    single = api.decay_report(path, as_of=AS_OF)
    report, _ = decay_report(spark.read.parquet(path).repartition(3), DecayOptions(as_of=AS_OF))
    assert report.as_dict() == single.measured.as_dict()
    judged = validate(spark.read.parquet(path)).schema
    assert (judged["last_purchase_at"].dataType, judged["total_spend"].dataType, judged["company"].dataType) == (TimestampType(), DoubleType(), StringType())
