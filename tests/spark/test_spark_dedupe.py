"""listclean.spark.dedupe: exact and canonical dedupe on Spark, equal to the single machine's."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from listclean import api
from test_spark_validate import _by_provenance, _canonical_parquet

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
sys.path.insert(0, str(Path(__file__).parents[1] / "dedupe"))
from helpers import contacts  # noqa: E402
from people import generate_people  # noqa: E402

pytestmark = pytest.mark.xdist_group("spark")

PAIR_ORDER = ["cluster_id", "left_file", "left_row", "right_file", "right_row"]


def _collected(frame) -> pl.DataFrame:
    return pl.from_arrow(frame.toArrow())


def _on_spark(spark, path: str, partitions: int, match: str, **options):
    from listclean.spark.dedupe import dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    result = dedupe(spark.read.parquet(path).repartition(partitions), DedupeStepOptions(match=match, **options), explain=True, part_rows=300)
    try:
        return result, _collected(result.golden), _collected(result.clusters), _collected(result.pairs)
    finally:
        result.release()


@pytest.mark.parametrize(("match", "partitions"), [("canonical", 1), ("canonical", 7), ("exact", 4)])
def test_golden_records_clusters_pairs_and_report_are_the_single_machines(spark, tmp_path, match, partitions):
    people, _ = api.validate(generate_people(1500, seed=21).drop("person_id"))  # a validated list: survivors by email_status too
    path = _canonical_parquet(tmp_path, people)
    golden, report = api.dedupe(path, match=match, explain=True)
    result, spread, clusters, pairs = _on_spark(spark, path, partitions, match)
    assert result.parts == 5  # 1,500 rows in parts of about 300: groups spread over parts, as a large list's
    assert spread.columns == golden.columns
    assert _by_provenance(spread).equals(_by_provenance(golden))
    assert _by_provenance(clusters).equals(_by_provenance(report.clusters))
    assert pairs.sort(PAIR_ORDER, nulls_last=True).equals(report.pairs.sort(PAIR_ORDER, nulls_last=True))
    assert result.report.as_dict() == report.dedupe.as_dict()
    assert report.dedupe.merged_rows > 200  # the list has duplicates to find


def test_a_chain_of_addresses_and_phones_across_partitions_is_one_group(spark, tmp_path):
    # Row i shares its address with row i-1 and its phone with row i+1: one component of 60 rows
    # whose ends share nothing, spread over many partitions; the engine must see all of it at once.
    rows = []
    for i in range(60):
        address = f"person{i // 2}@example.org"
        phone = f"+4420794600{(i + 1) // 2:02d}"
        rows.append({"email": address, "phone": phone, "first_name": "Ann" if i % 3 else "Anne", "last_name": "Lee"})
    rows.append({"first_name": "Nobody", "last_name": "Keyless"})  # no address, no phone: its own group
    frame, _ = api.validate(contacts(*rows))  # in provenance order, as an import writes it (repartition scatters it)
    path = _canonical_parquet(tmp_path, frame)
    golden, report = api.dedupe(path, match="canonical", explain=True)
    result, spread, clusters, _ = _on_spark(spark, path, 9, "canonical")
    assert _by_provenance(spread).equals(_by_provenance(golden))
    assert _by_provenance(clusters).equals(_by_provenance(report.clusters))
    assert result.report.as_dict() == report.dedupe.as_dict()
    assert golden.height < 10 and "Keyless" in golden["last_name"].to_list()


def test_trusted_sources_decide_survivors_as_on_one_machine(spark, tmp_path):
    rows = [
        {"email": "ann@example.org", "first_name": "Ann", "last_name": "Lee", "company": "Old Co", "source": "form"},
        {"email": "ANN@example.org", "first_name": "Ann", "last_name": "Lee", "company": "New Co", "source": "crm"},
    ] * 3
    path = _canonical_parquet(tmp_path, api.validate(contacts(*rows))[0])
    golden, _ = api.dedupe(path, match="exact", trust="crm")
    _, spread, _, _ = _on_spark(spark, path, 3, "exact", trust=["crm"])
    assert _by_provenance(spread).equals(_by_provenance(golden))
    assert spread["company"].to_list() == ["New Co"]


@pytest.mark.parametrize("local_edges", [0, 1_000], ids=["in-spark-rounds", "on-the-driver"])
def test_components_settle_on_the_smallest_vertex_of_long_chains(spark, local_edges):
    from listclean.spark.components import components

    chain = [(i, i + 1) for i in range(40, 0, -1)]  # 1-2-...-41, given backwards: rounds of pointer jumping
    other = [(-5, 1001), (1001, -5), (1002, 1001), (7_000_000_000_000, 1002)]  # negative and 64-bit vertices
    found = dict(components(spark.createDataFrame(chain + other, "left long, right long"), local_edges=local_edges).collect())
    assert found == {**dict.fromkeys(range(1, 42), 1), **dict.fromkeys((-5, 1001, 1002, 7_000_000_000_000), -5)}


@pytest.mark.parametrize(
    ("options", "message"),
    [({"match": "fuzzy"}, "--match fuzzy is not available on Spark"), ({"match": "exact", "against": "master.parquet"}, "--against is not available")],
)
def test_what_spark_cannot_do_yet_is_refused(spark, options, message):
    from listclean.errors import UsageError
    from listclean.spark.dedupe import dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    frame = spark.createDataFrame([("ann@example.org", "a.csv", 1)], "email string, _source_file string, _source_row long")
    with pytest.raises(UsageError, match=message):
        dedupe(frame, DedupeStepOptions(**options))


def test_a_frame_without_provenance_is_refused(spark):
    from listclean.errors import UsageError
    from listclean.spark.dedupe import dedupe

    with pytest.raises(UsageError, match="no _source_file column"):
        dedupe(spark.createDataFrame([("ann@example.org",)], "email string"))


def test_the_spark_submit_job_writes_golden_clusters_and_pairs_and_the_commands_summary(spark, cli, tmp_path, capsys):
    import json

    from listclean.spark.job import main

    people, _ = api.validate(generate_people(600, seed=5).drop("person_id"))
    path = _canonical_parquet(tmp_path, people)
    single = cli(["dedupe", path, "-o", tmp_path / "golden.parquet", "--match", "canonical", "--clusters", tmp_path / "clusters.parquet", "--explain", tmp_path / "pairs.parquet", "--json"])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    capsys.readouterr()
    outputs = {name: str(tmp_path / f"spark-{name}") for name in ("golden", "clusters", "pairs")}
    argv = ["dedupe", path, outputs["golden"], "--match", "canonical", "--clusters", outputs["clusters"], "--explain", outputs["pairs"], "--partitions", "4", "--part-rows", "150"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["engine"] == "spark" and summary["parts"] == 4
    paths = {"output", "clusters", "explain", "engine", "parts", "listclean"}
    assert {k: v for k, v in summary.items() if k not in paths} == {k: v for k, v in expected.items() if k not in paths}
    assert summary["rows_in"] == 600 == summary["rows_out"] + summary["merged"]
    for name, single_path in (("golden", "golden.parquet"), ("clusters", "clusters.parquet")):
        written = pl.read_parquet(Path(outputs[name]) / "*.parquet")
        assert _by_provenance(written).equals(_by_provenance(pl.read_parquet(tmp_path / single_path)))
    pairs = pl.read_parquet(Path(outputs["pairs"]) / "*.parquet")
    assert pairs.sort(PAIR_ORDER, nulls_last=True).equals(pl.read_parquet(tmp_path / "pairs.parquet").sort(PAIR_ORDER, nulls_last=True))
