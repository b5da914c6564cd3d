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


@pytest.mark.parametrize(("match", "partitions"), [("canonical", 7), ("exact", 4)])
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
    [
        ({"match": "fuzzy", "explain_all": True}, "--explain-all with --match fuzzy is not available"),
        ({"match": "canonical", "review": True}, "--review needs --match fuzzy"),
    ],
)
def test_what_spark_cannot_do_yet_is_refused(spark, options, message):
    from listclean.errors import UsageError
    from listclean.spark.dedupe import dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    frame = spark.createDataFrame([("ann@example.org", "a.csv", 1)], "email string, _source_file string, _source_row long")
    review = options.pop("review", False)
    with pytest.raises(UsageError, match=message):
        dedupe(frame, DedupeStepOptions(**options), review=review)


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

    # The next night: the same rows against the master each engine wrote (Spark's: a dataset).
    again = cli(["dedupe", path, "-o", tmp_path / "updated.parquet", "--match", "canonical", "--against", tmp_path / "golden.parquet", "--json"])
    assert again.exit_code == 0, again.stderr
    capsys.readouterr()
    assert main(["dedupe", path, str(tmp_path / "spark-updated"), "--match", "canonical", "--against", outputs["golden"]]) == 0
    summary, expected = json.loads(capsys.readouterr().out.strip().splitlines()[-1]), json.loads(again.stdout)
    paths = {"output", "engine", "parts", "listclean"}
    assert {k: v for k, v in summary.items() if k not in paths} == {k: v for k, v in expected.items() if k not in paths}
    assert summary["master_rows"] == summary["rows_out"] > 0
    updated = pl.read_parquet(tmp_path / "spark-updated" / "*.parquet")
    assert _by_provenance(updated).equals(_by_provenance(pl.read_parquet(tmp_path / "updated.parquet")).cast(dict(updated.schema)))
    assert main(["dedupe", path, outputs["golden"], "--match", "canonical", "--against", outputs["golden"] + "/"]) == 2  # never over the master it reads
    assert "is the --against master" in capsys.readouterr().err


def _same_as_one_machine(spark, path: str, partitions: int, part_rows: int = 300, explain: bool = True, **options):
    """Spark's fuzzy dedupe of the file against api.dedupe's: golden records, clusters, explained
    pairs and report (with the model's weights and the pairs counted); Spark's report returned."""
    from listclean.spark.dedupe import dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    golden, report = api.dedupe(path, match="fuzzy", explain=explain, **options)
    result = dedupe(spark.read.parquet(path).repartition(partitions), DedupeStepOptions(match="fuzzy", **options), explain=explain, part_rows=part_rows)
    try:
        spread, clusters, pairs = (_collected(frame) for frame in (result.golden, result.clusters, result.pairs))
    finally:
        result.release()
    assert spread.columns == golden.columns
    assert _by_provenance(spread).equals(_by_provenance(golden))
    assert _by_provenance(clusters).equals(_by_provenance(report.clusters))
    if explain:
        assert pairs.sort(PAIR_ORDER, nulls_last=True).equals(report.pairs.sort(PAIR_ORDER, nulls_last=True))
    else:
        assert report.pairs is None and pairs.height == 0
    assert result.report.model is not None and result.report.model.as_dict() == report.dedupe.model.as_dict()
    assert result.report.as_dict() == report.dedupe.as_dict()
    assert (result.report.blocking.pairs, result.report.blocking.by_key) == (report.dedupe.blocking.pairs, report.dedupe.blocking.by_key)
    return result


@pytest.mark.parametrize(("partitions", "max_block_size", "explain"), [(5, 4, True), (3, 50, False)])
def test_fuzzy_dedupe_is_the_single_machines(spark, tmp_path, monkeypatch, partitions, max_block_size, explain):
    # max_block_size 4: many name and postcode blocks are too large, their rows spread over
    # partitions and parts; ranges of 500 entries: every key's blocks scored in many ranges.
    # Without explain only the matches group rows (no near miss is written).
    monkeypatch.setattr("listclean.linkage.match_groups.MIN_RANGE_ENTRIES", 500)
    people, _ = api.validate(generate_people(1500, seed=21).drop("person_id"))
    path = _canonical_parquet(tmp_path, people)
    result = _same_as_one_machine(spark, path, partitions, explain=explain, max_block_size=max_block_size)
    assert result.parts == 5
    assert result.report.merged_rows > 200 and result.report.by_rule.get("probabilistic", 0) > 0
    assert bool(result.report.blocking.skipped_blocks) == (max_block_size == 4)


def test_a_list_past_the_training_rows_learns_from_the_same_sample(spark, tmp_path, monkeypatch):
    # Past TRAINING_ROWS the weights come from a fixed share of surnames: the same rows, in the
    # same order, picked on every partition, give the same model.
    for module in ("engine", "training"):
        monkeypatch.setattr(f"listclean.linkage.{module}.TRAINING_ROWS", 400)
    people, _ = api.validate(generate_people(1200, seed=4).drop("person_id"))
    path = _canonical_parquet(tmp_path, people)
    result = _same_as_one_machine(spark, path, 4)
    monkeypatch.undo()
    every_row = api.dedupe(path, match="fuzzy")[1].dedupe.model
    assert result.report.model.pairs_trained < every_row.pairs_trained  # learned from the sample, not the whole list


def test_identical_rows_across_partitions_fold_as_on_one_machine(spark, tmp_path):
    # Twelve copies of one Kowalski (one representative) and two others: a block of three
    # representatives, compared at max_block 3 though it holds fourteen rows.
    row = {"email": "jan@kowalski.pl", "first_name": "Jan", "last_name": "Kowalski", "postal_code": "30-001"}
    others = [{"email": f"{name.lower()}@other.pl", "first_name": name, "last_name": "Kowalski", "postal_code": "30-001"} for name in ("Janek", "Jon")]
    path = _canonical_parquet(tmp_path, api.validate(contacts(*[row] * 6, *others, *[row] * 6))[0])
    result = _same_as_one_machine(spark, path, 4, part_rows=2, max_block_size=3)
    assert result.report.pairs_compared > 0 and result.report.rows_out < 14


def test_a_list_with_nothing_for_the_fuzzy_keys(spark, tmp_path):
    # Short mailboxes, no names: no fuzzy key has a value, nothing is scored; the addresses still group.
    path = _canonical_parquet(tmp_path, api.validate(contacts(*[{"email": f"{name}@x.io"} for name in ("ab", "cd", "ab", "ef", "AB", "gh")]))[0])
    result = _same_as_one_machine(spark, path, 3, part_rows=2)
    assert result.report.rows_out == 4


def test_fuzzy_with_saved_weights_uses_them(spark, tmp_path):
    # --model: weights another list taught (--save-model), used on Spark as on one machine.
    other, _ = api.validate(generate_people(300, seed=9).drop("person_id"))
    saved = tmp_path / "model.json"
    api.dedupe(other, match="fuzzy", save_model=str(saved))
    people, _ = api.validate(generate_people(400, seed=3).drop("person_id"))
    path = _canonical_parquet(tmp_path, people)
    result = _same_as_one_machine(spark, path, 3, part_rows=100, model=str(saved))
    own = api.dedupe(path, match="fuzzy")[1].dedupe.model
    assert result.report.model.pairs_trained != own.pairs_trained  # the saved weights, not the list's own


def test_a_pair_in_a_block_too_large_is_still_scored_by_a_later_key(spark, tmp_path):
    # Six Jan Kowalskis: their name block is too large (max 3), so the pairs it would propose are
    # left to later keys — two of them share a postcode block (and nothing before the name),
    # which compares them; spread over three partitions and parts of a row.
    rows = [{"email": f"jan.kowalski{n}@firma{n}.pl", "first_name": "Jan", "last_name": "Kowalski", "postal_code": f"{n}0-001"} for n in range(1, 5)]
    rows += [
        {"email": "jan.kowalski@gmail.com", "first_name": "Jan", "last_name": "Kowalski", "postal_code": "99-123"},
        {"email": "jan.kowalsky@gmial.com", "first_name": "Jan", "last_name": "Kowalski", "postal_code": "99-123"},
    ]
    path = _canonical_parquet(tmp_path, api.validate(contacts(*rows))[0])
    result = _same_as_one_machine(spark, path, 3, part_rows=1, max_block_size=3)
    assert result.report.blocking.skipped_blocks.get("name") == 1
    assert result.report.blocking.by_key["surname_postal"] == 1 and result.report.blocking.pairs == 1


def test_a_shared_address_too_large_is_compared_within_given_names_as_on_one_machine(spark, tmp_path):
    # Four people at one office address (max 3; Anna's four identical rows fold into one): the
    # address block is too large and compared within each given name only; the surname-postcode
    # blocks propose Anna-Piotr and Ewa-Marek, which the address links (one group) but no
    # identity block compares: they count as the fuzzy keys' pairs.
    people = [("Anna", "00-950"), ("Anna", "00-950"), ("Piotr", "00-950"), ("Ewa", "11-111"), ("Marek", "11-111")]
    rows = [{"email": "info@firma.pl", "first_name": first, "last_name": "Nowak", "postal_code": postcode} for first, postcode in people]
    path = _canonical_parquet(tmp_path, api.validate(contacts(*rows, *rows[:2]))[0])
    result = _same_as_one_machine(spark, path, 3, part_rows=1, max_block_size=3)
    assert result.report.blocking.by_key["surname_postal"] == 2 and result.report.pairs_compared == 2


def test_fuzzy_refuses_rows_its_provenance_cannot_tell_apart(spark):
    # Fuzzy numbers rows by provenance (the single machine's order): two rows with one number are refused, not mixed up.
    from listclean.errors import UsageError
    from listclean.spark.dedupe import dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    frame = spark.createDataFrame([("ann@example.org", "a.csv", 1), ("bob@example.org", "a.csv", 1)], "email string, _source_file string, _source_row long")
    with pytest.raises(UsageError, match="one row per _source_file, _source_row"):
        dedupe(frame, DedupeStepOptions(match="fuzzy"))


def test_an_empty_list_is_deduplicated_as_on_one_machine(spark, tmp_path):
    path = _canonical_parquet(tmp_path, api.validate(contacts({"email": "ann@example.org", "first_name": "Ann"}))[0].head(0))
    result = _same_as_one_machine(spark, path, 2)
    assert result.report.rows_in == 0


def test_the_fuzzy_job_saves_the_single_machines_weights_review_file_and_summary(spark, cli, tmp_path, capsys):
    import json

    from listclean.spark.job import main

    people, _ = api.validate(generate_people(500, seed=8).drop("person_id"))
    path = _canonical_parquet(tmp_path, people)
    # Two strangers labelled one person, and a pair from another file: read on the driver, as one machine reads them.
    labels = tmp_path / "labels.csv"
    labels.write_text("left_file,left_row,right_file,right_row,label\npeople.csv,2,people.csv,499,match\nother.csv,1,other.csv,2,no\n")
    reviewing = ["--labels", str(labels), "--threshold", "0.999", "--review-threshold", "0.2"]  # many uncertain pairs
    single = cli(["dedupe", path, "-o", tmp_path / "golden.parquet", "--save-model", tmp_path / "model.json", "--review", tmp_path / "review.csv", *reviewing, "--json"])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    capsys.readouterr()
    spark_files = ["--save-model", str(tmp_path / "spark-model.json"), "--review", str(tmp_path / "spark-review.csv")]
    assert main(["dedupe", path, str(tmp_path / "spark-golden"), *spark_files, *reviewing, "--partitions", "3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    paths = {"output", "saved_model", "review", "engine", "parts", "listclean"}
    assert {k: v for k, v in summary.items() if k not in paths} == {k: v for k, v in expected.items() if k not in paths}
    assert (summary["labelled_pairs"], summary["labels_unmatched"]) == (2, 1) and summary["review_pairs"] > 0
    assert summary["model"] is not None and (tmp_path / "spark-model.json").read_text() == (tmp_path / "model.json").read_text()
    assert (tmp_path / "spark-review.csv").read_bytes() == (tmp_path / "review.csv").read_bytes()
    golden = pl.read_parquet(tmp_path / "spark-golden" / "*.parquet")
    assert _by_provenance(golden).equals(_by_provenance(pl.read_parquet(tmp_path / "golden.parquet")))


def test_review_and_labels_are_the_single_machines(spark, tmp_path):
    # A reviewed file passed back: matches joining rows no key or pair links (spread over
    # partitions and parts, they must meet in one), non-matches splitting a found cluster, a
    # pair naming a row the list does not have; the new uncertain pairs, the golden records,
    # clusters, weights (learned with the labels) and counts as on one machine.
    from listclean.spark.dedupe import dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    people, _ = api.validate(generate_people(600, seed=13).drop("person_id"))
    path = _canonical_parquet(tmp_path, people)
    _, first = api.dedupe(path, match="fuzzy", explain=True)
    refs = ["left_file", "left_row", "right_file", "right_row"]
    near_misses = first.pairs.filter(~pl.col("matched")).sort(refs).head(3).select(refs)
    matches = first.pairs.filter(pl.col("matched") & (pl.col("rule") == "probabilistic")).sort(refs).head(3).select(refs)
    strangers = people.sort("_source_row").gather([3, 590])  # far apart: likely in two parts
    elsewhere = pl.DataFrame({"left_file": ["elsewhere.csv"], "left_row": [1], "right_file": ["elsewhere.csv"], "right_row": [2]})
    pair = pl.DataFrame({"left_file": strangers["_source_file"][:1], "left_row": strangers["_source_row"][:1], "right_file": strangers["_source_file"][1:], "right_row": strangers["_source_row"][1:]})
    labelled = pl.concat([near_misses, matches, pair, elsewhere], how="vertical_relaxed")
    assert (near_misses.height, matches.height) == (3, 3)
    labels = labelled.with_columns(pl.Series("label", ["match", "yes", "same", "no match", "no", "different", "match", "match"]))
    labels.write_csv(tmp_path / "labels.csv")
    golden, report = api.dedupe(path, match="fuzzy", labels=str(tmp_path / "labels.csv"), review=True, explain=True)
    result = dedupe(spark.read.parquet(path).repartition(4), DedupeStepOptions(match="fuzzy", labels=str(tmp_path / "labels.csv")), explain=True, review=True, part_rows=150)
    try:
        spread, clusters, pairs = (_collected(frame) for frame in (result.golden, result.clusters, result.pairs))
        review = result.review_rows()
    finally:
        result.release()
    assert result.parts == 4
    assert _by_provenance(spread).equals(_by_provenance(golden))
    assert _by_provenance(clusters).equals(_by_provenance(report.clusters))
    assert pairs.sort(PAIR_ORDER, nulls_last=True).equals(report.pairs.sort(PAIR_ORDER, nulls_last=True))
    assert review.equals(report.review)
    assert result.report.as_dict() == report.dedupe.as_dict() and result.report.model.as_dict() == report.dedupe.model.as_dict()
    assert (result.review_pairs, result.labelled_pairs, result.labels_unmatched) == (report.review_pairs, report.labelled_pairs, report.labels_unmatched) == (report.review.height, 8, 1)
    assert report.review.height > 0
    assert report.dedupe.by_rule.get("labelled_match", 0) >= 2  # near misses (and the strangers) joined
    assert report.pairs.filter(pl.col("rule") == "labelled_non_match").height == 3  # matches kept apart


@pytest.mark.parametrize("match", ["canonical", "fuzzy"])
def test_against_a_master_is_the_single_machines(spark, cli, tmp_path, match):
    # Last night's master (one machine's dedupe output) spread over partitions, tonight's rows
    # (new people, and people the master has under other spellings) matched into its clusters:
    # the updated master, clusters, pairs and report as one machine's --against.
    from listclean.spark.dedupe import dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    people, _ = api.validate(generate_people(700, seed=31).drop("person_id"))
    old = _canonical_parquet(tmp_path, people.head(560))
    master = tmp_path / "master.parquet"
    made = cli(["dedupe", old, "-o", master, "--match", match])
    assert made.exit_code == 0, made.stderr
    (tmp_path / "tonight").mkdir()
    new = _canonical_parquet(tmp_path / "tonight", people.tail(140))
    golden, report = api.dedupe(new, match=match, against=str(master), explain=True)
    result = dedupe(spark.read.parquet(new).repartition(3), DedupeStepOptions(match=match), explain=True, master=spark.read.parquet(str(master)).repartition(4))
    spread, clusters, pairs = (_collected(frame) for frame in (result.golden, result.clusters, result.pairs))
    assert spread.columns == golden.columns
    assert _by_provenance(spread.cast(dict(golden.schema))).equals(_by_provenance(golden))
    assert _by_provenance(clusters).equals(_by_provenance(report.clusters))
    assert pairs.sort(PAIR_ORDER, nulls_last=True).equals(report.pairs.sort(PAIR_ORDER, nulls_last=True))
    assert result.report.as_dict() == report.dedupe.as_dict()
    assert result.master_rows == report.master_rows > 0 and report.dedupe.merged_rows > 0  # new rows joined master clusters
    step = result.step_report(spread.height)
    assert step.against and step.counts["rows_in"] == 140 + report.master_rows
    assert step.summary() == report.summary()
