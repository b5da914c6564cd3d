"""listclean.spark.validate: the single-machine verdicts, row for row, on a list spread over partitions."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from listclean import api
from listclean.email.validate import with_alternates
from listclean.schema import column_order

EXAMPLES = sorted(str(path) for path in (Path(__file__).parents[2] / "examples").iterdir())
HARD_CELLS = [
    "ann@example.org", "Bob@Gmail.com", "info@firma.pl", "noreply@shop.de", "x@mailinator.com", "anna@gmial.com",
    "zoë@bücher.example", "иван@пример.рф", "山田@例え.jp", "a@xn--bcher-kva.example", "ɡmail@ɡmail.com", "no at sign",
    None, "", "  ann.nowak@wp.pl ", "mailto:%20kasia@onet.pl", "Jan Nowak <jan@firma.pl>", "a@b.com; c@d.com",
    "\"quoted\"@example.org", "too..dots@example.org", "h.r@firma.pl", "sales-uk@firma.co.uk", "ann@[192.168.0.1]",
]  # fmt: skip


def _canonical_parquet(tmp_path: Path, frame: pl.DataFrame) -> str:
    """The frame as listclean writes it (marked as its own Parquet, so every step reads it as standard)."""
    from listclean.io.write import parquet_options

    path = tmp_path / "contacts.parquet"
    frame.write_parquet(path, **parquet_options(frame.schema))
    return str(path)


def _by_provenance(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("_source_file", "_source_row")


def _on_spark(spark, path: str, partitions: int, **options) -> pl.DataFrame:
    from listclean.spark import validate

    judged = validate(spark.read.parquet(path).repartition(partitions), **options)
    return pl.from_arrow(judged.toArrow())


def _single(path: str, **options) -> pl.DataFrame:
    # The single machine keeps email_alternates only when some row has alternates; Spark always has
    # the column (its schema is fixed before any partition runs), as empty lists where none.
    frame, _ = api.validate(path, **options)
    frame = with_alternates(frame)
    return frame.select(column_order(frame.columns))


@pytest.mark.parametrize("partitions", [1, 7])
def test_the_bundled_examples_get_the_single_machine_verdicts_on_any_number_of_partitions(spark, tmp_path, partitions):
    contacts, _ = api.read(EXAMPLES)
    path = _canonical_parquet(tmp_path, contacts)
    single = _single(path)
    spread = _on_spark(spark, path, partitions)
    assert spread.columns == single.columns
    assert _by_provenance(spread).equals(_by_provenance(single))


def test_hard_cells_in_many_partitions_with_typo_fixing(spark, tmp_path):
    rows = HARD_CELLS * 40  # 920 rows over 9 partitions: multi-address cells land in some partitions only
    statuses = ["subscribed", "unsubscribed", None, "pending", "cleaned"]
    contacts, _ = api.read(pl.DataFrame({"email": rows, "consent_status": [statuses[i % 5] for i in range(len(rows))]}))
    path = _canonical_parquet(tmp_path, contacts)
    single = _single(path, fix_typos=True)
    spread = _on_spark(spark, path, 9, fix_typos=True)
    assert _by_provenance(spread).equals(_by_provenance(single))
    assert spread["email_alternates"].list.len().max() == 1  # a cell's second address travelled
    assert set(spread["email_status"]) == {"valid", "invalid", "risky", "suppressed"}


def test_timestamps_come_back_as_the_same_instants_in_any_session_time_zone(spark, tmp_path):
    contacts, _ = api.read(pl.DataFrame({"email": ["ann@example.org", "bob@firma.pl"], "signup_date": ["2024-03-05 23:30:00", "2020-01-01 00:00:00"]}))
    path = _canonical_parquet(tmp_path, contacts)
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "Pacific/Auckland")
    try:
        spread = _on_spark(spark, path, 2)
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert _by_provenance(spread)["signup_at"].dt.convert_time_zone("UTC").to_list() == _by_provenance(_single(path))["signup_at"].to_list()


def test_suppression_lists_reach_every_partition(spark, tmp_path):
    import hashlib

    listed = tmp_path / "suppress.csv"
    hashed = hashlib.sha256(b"kasia@onet.pl").hexdigest()
    listed.write_text(f"email\nANN@example.org\n{hashed}\nbob@gmail.com\n", encoding="utf-8")
    contacts, _ = api.read(pl.DataFrame({"email": HARD_CELLS * 5}))
    path = _canonical_parquet(tmp_path, contacts)
    single = _single(path, suppress=[str(listed)])
    spread = _on_spark(spark, path, 4, suppress=[str(listed)])
    assert _by_provenance(spread).equals(_by_provenance(single))
    suppressed = spread.filter(pl.col("email_reasons").list.contains("suppression_list"))["email"].unique().sort().to_list()
    assert suppressed == ["Bob@Gmail.com", "ann@example.org", "mailto:%20kasia@onet.pl"]  # any spelling, and by hash


def test_dns_checks_are_refused_on_spark(spark):
    from listclean.email.dns import DnsChecker
    from listclean.email.validate import ValidateOptions
    from listclean.errors import UsageError
    from listclean.spark import validate

    frame = spark.createDataFrame([("ann@example.org",)], "email string")
    with pytest.raises(UsageError, match="DNS checks are not available on Spark"):
        validate(frame, options=ValidateOptions(dns=DnsChecker()))


def test_a_partition_is_worked_on_in_chunks_of_gathered_batches(spark):
    """Spark sends 10,000-row Arrow batches; map_chunks gathers them into chunks of at most
    chunk_rows and answers every row once."""
    from listclean.spark.arrow import map_chunks

    frame = spark.range(0, 60_000, numPartitions=2).selectExpr("id", "cast(id as string) as text")  # 3 batches a partition

    def tagged(rows: pl.DataFrame) -> pl.DataFrame:
        return rows.with_columns(pl.lit(rows.height, dtype=pl.Int64).alias("chunk"), (pl.col("id") * 2).alias("double"))

    answered = pl.from_arrow(map_chunks(frame, tagged, chunk_rows=20_000).toArrow()).sort("id")
    assert answered["id"].to_list() == list(range(60_000))
    assert answered["double"].to_list() == [2 * i for i in range(60_000)]
    assert sorted(answered["chunk"].unique().to_list()) == [10_000, 20_000]  # two batches gathered, then the third alone


def test_the_spark_submit_job_writes_the_dataset_and_says_what_it_wrote(spark, tmp_path, capsys):
    import json

    from listclean.spark.job import main

    contacts, _ = api.read(EXAMPLES)
    path = _canonical_parquet(tmp_path, contacts)
    out = tmp_path / "validated"
    assert main(["validate", path, str(out), "--partitions", "3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    single = _single(path)
    assert summary["rows_out"] == single.height
    assert summary["by_status"] == {status: single.filter(pl.col("email_status") == status).height for status in summary["by_status"]}
    assert _by_provenance(pl.read_parquet(out / "*.parquet").select(single.columns)).equals(_by_provenance(single))
