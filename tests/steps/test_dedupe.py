"""The dedupe step as a library call: golden records, every row accounted for (the master's too),
the same result in one piece, in parts and against a master given either way."""

from __future__ import annotations

import math

import polars as pl
import pytest

from conftest import FIXTURES
from listclean.api import source_of
from listclean.linkage.engine import CLUSTER_COLUMNS, EXPLAIN_COLUMNS
from listclean.errors import InputError, UsageError
from listclean.importer import reading_options
from listclean.io.write import prepare_target
from listclean.runtime import Runtime
from listclean.steps.dedupe import DedupeStepOptions, dedupe_step, options_from
from listclean.stream.budget import MemoryBudget
from listclean.stream.sink import FrameSink, NullSink

PEOPLE = FIXTURES / "dedupe_people.csv"  # 10 rows, 7 people
SUMMARY_KEYS = [
    "command", "output", "dry_run", "rejects", "rows_in", "rows_out", "rejected", "merged", "quarantined", "master_rows",
    "clusters_merged", "largest_cluster", "matches_by_rule", "shared_addresses_kept_apart", "pairs_compared",
    "chain_guard_rows", "blocks_too_large", "matched_existing", "new_clusters", "clusters", "explain", "review", "review_pairs", "labelled_pairs", "labels_unmatched", "saved_model", "model",
]  # fmt: skip
INCOMING = "Email,First Name,Last Name,Status\nanna.nowak+x@gmail.com,Anna,Nowak,subscribed\nnew.person@firma.pl,Nowa,Osoba,subscribed\n"


def run(data, options: DedupeStepOptions | None = None, *, runtime: Runtime | None = None, sink=None, master=None, **outputs):
    """The step over `data` (a path or paths), its output in a FrameSink unless another is given."""
    sink = FrameSink() if sink is None else sink
    with runtime or Runtime() as made:
        source = source_of(data, reading_options(), made)
        report = dedupe_step(source, options or DedupeStepOptions(), sink, made, master=master(made) if master else None, **outputs)
    return report, sink


def write_master(tmp_path, name="master.parquet"):
    """An earlier dedupe output, written as the command writes it."""
    path = tmp_path / name
    with Runtime() as runtime:
        sink = runtime.file_sink(prepare_target(str(path), fmt=None, force=False, inputs=[]))
        dedupe_step(source_of(str(PEOPLE), reading_options(), runtime), DedupeStepOptions(), sink, runtime)
    return path


def test_duplicates_merge_into_golden_records_and_every_row_is_accounted_for():
    clusters, explain = FrameSink(), FrameSink()
    report, sink = run(str(PEOPLE), clusters=clusters, explain=explain)
    assert report.counts == {"rows_in": 10, "rows_out": 7, "rejected": 0, "merged": 3, "quarantined": 0}
    assert sink.frame.height == 7 and report.dedupe.clusters_merged == 3 and report.parts == 1
    anna = sink.frame.filter(pl.col("first_name") == "Anna").row(0, named=True)
    assert anna["consent_status"] == "unsubscribed" and anna["merged_rows"] == 2  # an unsubscribe anywhere stays
    assert clusters.frame.columns == list(CLUSTER_COLUMNS) and sorted(clusters.frame["_source_row"]) == list(range(1, 11))
    assert explain.frame.columns == list(EXPLAIN_COLUMNS) and explain.frame.filter(pl.col("matched")).height >= 3


def test_the_summary_is_the_commands_json():
    report, _ = run(str(PEOPLE))
    summary = report.summary(output="golden.csv", rejects=None, clusters="clusters.csv", explain=None)
    assert list(summary) == SUMMARY_KEYS
    assert (summary["output"], summary["dry_run"], summary["clusters"], summary["master_rows"]) == ("golden.csv", False, "clusters.csv", 0)
    assert (summary["rows_in"], summary["rows_out"], summary["merged"]) == (10, 7, 3)


def test_a_dry_run_into_a_null_sink_counts_the_same_and_still_writes_the_review_files():
    clusters = FrameSink()
    report, sink = run(str(PEOPLE), sink=NullSink(), clusters=clusters)
    assert report.dry_run and report.summary()["dry_run"] is True
    assert report.counts == {"rows_in": 10, "rows_out": 7, "rejected": 0, "merged": 3, "quarantined": 0} and sink.rows == 7
    assert clusters.frame.height == 10


def test_a_list_in_parts_gives_exactly_the_one_piece_result(tmp_path):
    rows = [f"p{i}@firma.pl,Person,Number{i},+4860010{i:04d}" for i in range(30)]
    rows += ["P3@Firma.pl,Person,Number3,", "family@home.pl,Anna,Kowalska,", "family@home.pl,Jan,Kowalski,", ",Phone,Only,+48600999999", ",Phone,Only,+48600999999"]
    path = tmp_path / "people.csv"
    path.write_text("email,first_name,last_name,phone\n" + "\n".join(rows) + "\n")
    outputs = {"whole": (FrameSink(), FrameSink(), FrameSink()), "parts": (FrameSink(), FrameSink(), FrameSink())}
    whole, _ = run(str(path), sink=outputs["whole"][0], clusters=outputs["whole"][1], explain=outputs["whole"][2])
    runtime = Runtime(chunk_rows=3, budget=MemoryBudget(2_000))  # chunks and parts of 3 rows; spools spill at once
    parts, _ = run(str(path), runtime=runtime, sink=outputs["parts"][0], clusters=outputs["parts"][1], explain=outputs["parts"][2])
    assert parts.parts == math.ceil(len(rows) / 3) and whole.parts == 1  # the part size is the runtime's chunk
    for mine, theirs in zip(outputs["parts"], outputs["whole"]):
        assert mine.frame.equals(theirs.frame)
    assert parts.counts == whole.counts and parts.dedupe.as_dict() == whole.dedupe.as_dict()
    assert whole.counts["merged"] == 2 and whole.dedupe.shared_addresses == 1
    assert runtime.budget.held == 0  # every spool of the shuffle given back


def test_against_a_master_file_keeps_its_ids_and_counts_its_rows(tmp_path):
    master = write_master(tmp_path)
    incoming = tmp_path / "new.csv"
    incoming.write_text(INCOMING)
    before = pl.read_parquet(master)
    report, sink = run(str(incoming), DedupeStepOptions(against=str(master)))
    assert report.against and report.master_rows == 7
    assert (report.dedupe.matched_existing, report.dedupe.new_clusters) == (1, 1)
    assert report.counts == {"rows_in": 9, "rows_out": 8, "rejected": 0, "merged": report.dedupe.merged_rows, "quarantined": 0}
    assert report.counts["rows_in"] == report.counts["rows_out"] + report.counts["rejected"] + report.counts["merged"]
    assert set(before["cluster_id"]) < set(sink.frame["cluster_id"])
    untouched = before.filter(pl.col("first_name") == "Susan").sort("email")
    assert sink.frame.filter(pl.col("first_name") == "Susan").sort("email").select(untouched.columns).equals(untouched)


def test_a_master_given_as_a_chunk_source_is_the_same_as_its_file(tmp_path):
    master = write_master(tmp_path)
    incoming = tmp_path / "new.csv"
    incoming.write_text(INCOMING)
    by_path, from_path = run(str(incoming), DedupeStepOptions(against=str(master)))
    by_source, from_source = run(str(incoming), master=lambda runtime: source_of(str(master), reading_options(), runtime))
    assert from_source.frame.equals(from_path.frame)
    assert by_source.counts == by_path.counts and by_source.master_rows == 7 and by_source.against


def test_the_new_rows_and_the_masters_unreadable_rows_are_rejected_and_counted(tmp_path):
    master = tmp_path / "master.csv"
    with Runtime() as runtime:
        sink = runtime.file_sink(prepare_target(str(master), fmt=None, force=False, inputs=[]))
        dedupe_step(source_of(str(PEOPLE), reading_options(), runtime), DedupeStepOptions(), sink, runtime)
    with master.open("a") as handle:
        handle.write("," * (pl.read_csv(master).width - 1) + "\n")  # an empty row
    incoming = tmp_path / "new.csv"
    incoming.write_text(INCOMING + ",,,\n")
    rejects = FrameSink()
    report, sink = run(str(incoming), DedupeStepOptions(against=str(master)), rejects=rejects)
    assert rejects.frame.select("_source_file", "reason").rows() == [(str(incoming), "empty_row"), (str(master), "empty_row")]
    assert report.counts["rejected"] == 2 and report.counts["rows_in"] == 2 + 7 + 2
    assert report.counts["rows_in"] == sink.frame.height + 2 + report.counts["merged"]


def test_a_master_without_cluster_ids_is_refused():
    with pytest.raises(InputError, match="has no cluster_id column") as raised:
        run(str(PEOPLE), DedupeStepOptions(against=str(PEOPLE)))
    assert str(PEOPLE) in str(raised.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name_threshold": 1.5}, "--name-threshold must be between 0 and 1"),
        ({"strong_name_threshold": 0}, "--strong-name-threshold must be between 0 and 1"),
        ({"email_threshold": -0.1}, "--email-threshold must be between 0 and 1"),
        ({"max_block_size": 1}, "--max-block-size and --max-cluster-size must be at least 2"),
        ({"max_cluster_size": 1}, "--max-block-size and --max-cluster-size must be at least 2"),
        ({"match": "loose"}, "unknown match level"),
        ({"dry_runs": True}, "dedupe has no option 'dry_runs'"),
    ],
)
def test_options_out_of_range_are_usage_errors_naming_the_flag(values, message):
    with pytest.raises(UsageError, match=message):
        options_from(values)


def test_options_from_a_table_take_the_flags_defaults_for_what_is_missing():
    options = options_from({"match": "canonical", "trust": "crm", "max_block_size": None})
    assert options == DedupeStepOptions(match="canonical", trust=["crm"])
    engine = options.engine()
    assert (engine.match, engine.max_block, engine.survivorship.trusted_sources, engine.settings.name) == ("canonical", 50, ("crm",), 0.88)
