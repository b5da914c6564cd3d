"""listclean run --engine spark: the same run file, steps and summary as on one machine."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

EXAMPLES = Path(__file__).parents[2] / "examples"
RUN = """
[run]
inputs = {inputs}
workdir = "work"
as_of = "2026-11-30"
store = "store.tsv"

[run.validate]
fail_on = ["invalid>90%"]
drop = ["invalid"]
rejects = "work/invalid.parquet"

[run.dedupe]
match = "fuzzy"
review = "reports/review.csv"
review_threshold = 0.05
labels = "labels.csv"
{dedupe}

[run.segment]
lifecycle = true
rfm = true

[[run.export]]
to = "mailchimp"
output = "outbox/mailchimp.csv"

[run.decay-report]
html = "reports/decay.html"
"""
# Counted per chunk, and Spark's chunks are not one machine's (see the README's Spark section).
PER_CHUNK = {"distinct_addresses", "decided_without_email_validator"}


def _run_file(folder: Path, dedupe: str = "") -> Path:
    folder.mkdir()
    (folder / "outbox").mkdir()
    (folder / "reports").mkdir()
    (folder / "store.tsv").write_text("info@firma.pl\tunsubscribed\t2026-01-01\n", encoding="utf-8")
    # A reviewed pair (two rows of one export labelled one person) and one naming a file not in the run.
    hubspot, shop = (f"{EXAMPLES.as_posix()}/{name}" for name in ("hubspot_contacts.csv", "shop_kunden_cp1252.csv"))  # rows are named by the path given
    labels = f"left_file,left_row,right_file,right_row,label\n{hubspot},1,{shop},3,match\nold.csv,1,old.csv,2,no\n"
    (folder / "labels.csv").write_text(labels, encoding="utf-8")
    path = folder / "nightly.toml"
    # The bundled exports in sorted order: Spark breaks ties (and learns the weights) in provenance
    # order, which is one machine's input order when files are named in sorted order (README).
    inputs = json.dumps([path.as_posix() for path in sorted(EXAMPLES.iterdir())])
    path.write_text(RUN.format(inputs=inputs, dedupe=dedupe), encoding="utf-8")
    return path


def _without_paths(summary: dict, folder: Path) -> dict:
    text = json.dumps({k: v for k, v in summary.items() if k not in PER_CHUNK | {"files", "listclean"}})
    return json.loads(text.replace(folder.as_posix(), "<run>"))


def test_a_run_on_spark_gives_the_single_machines_summary_and_outputs(spark, cli, tmp_path):
    local, spread = _run_file(tmp_path / "local", "against = true"), _run_file(tmp_path / "spark", "against = true")
    one = cli(["run", local, "--json"])
    assert one.exit_code == 0, one.stderr
    many = cli(["run", spread, "--json", "--engine", "spark", "--spark-master", "local[2]"])
    assert many.exit_code == 0, many.stderr
    expected, got = json.loads(one.stdout), json.loads(many.stdout)
    assert [step["step"] for step in got["steps"]] == [step["step"] for step in expected["steps"]]
    for mine, theirs in zip(got["steps"], expected["steps"]):
        assert _without_paths(mine["summary"], tmp_path / "spark") == _without_paths(theirs["summary"], tmp_path / "local"), mine["step"]
    # The outputs: datasets and part files where one machine writes files, with the same rows.
    dropped = pl.read_parquet(tmp_path / "spark/work/invalid.parquet/*.parquet").sort("_source_file", "_source_row")
    assert dropped.equals(pl.read_parquet(tmp_path / "local/work/invalid.parquet").sort("_source_file", "_source_row").cast(dict(dropped.schema)))
    assert got["steps"][1]["summary"]["dropped"] == dropped.height > 0
    golden = pl.read_parquet(tmp_path / "spark/work/golden.parquet/*.parquet").sort("_source_file", "_source_row")
    assert golden.height == got["steps"][2]["summary"]["rows_out"] > 0
    written = pl.concat([pl.read_csv(part, infer_schema=False) for part in sorted((tmp_path / "spark/outbox/mailchimp.csv").glob("part-*.csv"))])
    single = pl.read_csv(tmp_path / "local/outbox/mailchimp.csv", infer_schema=False)
    assert written.sort(written.columns).equals(single.sort(single.columns))
    assert "info@firma.pl" not in written["Email Address"].to_list()  # unsubscribed in the store
    review = (tmp_path / "spark/reports/review.csv").read_text(encoding="utf-8")  # one file for a person, as one machine writes it
    assert review == (tmp_path / "local/reports/review.csv").read_text(encoding="utf-8") and review.startswith("left_file,")
    assert (got["steps"][2]["summary"]["labelled_pairs"], got["steps"][2]["summary"]["labels_unmatched"]) == (2, 1)
    html = (tmp_path / "spark/reports/decay.html").read_text(encoding="utf-8")
    assert html == (tmp_path / "local/reports/decay.html").read_text(encoding="utf-8") and "List decay report" in html

    # The second night: the exports again, matched against last night's master (a folder on
    # Spark, replaced by the updated one), scored with the weights the first night saved.
    one, many = cli(["run", local, "--json"]), cli(["run", spread, "--json", "--engine", "spark", "--spark-master", "local[2]"])
    assert one.exit_code == 0 == many.exit_code, many.stderr
    expected, got = json.loads(one.stdout)["steps"][2]["summary"], json.loads(many.stdout)["steps"][2]["summary"]
    assert _without_paths(got, tmp_path / "spark") == _without_paths(expected, tmp_path / "local")
    assert got["master_rows"] == golden.height and got["rows_out"] == golden.height  # the same people again: no one new
    updated = pl.read_parquet(tmp_path / "spark/work/golden.parquet/*.parquet")
    assert updated.height == golden.height and not (tmp_path / "spark/work/golden-next.parquet").exists()


def test_what_spark_cannot_do_yet_is_refused_before_the_run_starts(cli, tmp_path):
    run_file = _run_file(tmp_path / "fuzzy", dedupe="bom = true")
    result = cli(["run", run_file, "--engine", "spark"])
    assert result.exit_code == 2
    assert "step dedupe: bom is not available with --engine spark yet" in result.stderr
    assert not (tmp_path / "fuzzy/work/contacts.parquet").exists()  # nothing ran


def test_an_unknown_engine_is_a_usage_error(cli, tmp_path):
    result = cli(["run", _run_file(tmp_path / "run"), "--engine", "hadoop"])
    assert result.exit_code == 2 and "unknown engine 'hadoop'" in result.stderr


SMALL_RUN = """
[run]
inputs = ["crm.csv"]
workdir = "work"
as_of = "2026-11-30"
store = "store.tsv"

[run.dedupe]
match = "exact"

[run.segment]
rules = "segments.toml"
split_dir = "splits"

[[run.export]]
to = "mailchimp"
output = "outbox/optouts.csv"
suppressions = true
since = "2026-01-01"
"""
SEGMENTS = 'mode = "all"\n\n[[segment]]\nname = "Subscribed"\nwhere = "consent_status = \'subscribed\'"\n\n[[segment]]\nname = "Firma"\nwhere = "email LIKE \'%firma%\'"\n'


def _small_run(folder: Path) -> Path:
    folder.mkdir()
    for name in ("outbox", "splits"):
        (folder / name).mkdir()
    (folder / "store.tsv").write_text("info@firma.pl\tunsubscribed\t2026-01-01\n", encoding="utf-8")
    (folder / "segments.toml").write_text(SEGMENTS, encoding="utf-8")
    rows = ["email,first_name,consent_status,consent_at", "Jane.Doe@GoogleMail.com,Jane,unsubscribed,2026-10-01", "info@firma.pl,Info,subscribed,"]
    rows += [f"p{i}@firma.pl,P{i},{('subscribed', 'cleaned', 'subscribed')[i % 3]},2026-0{i % 9 + 1}-01" for i in range(30)]
    rows += ["janedoe@gmail.com,Jane,subscribed,2026-11-01"]
    (folder / "crm.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = folder / "nightly.toml"
    path.write_text(SMALL_RUN, encoding="utf-8")
    return path


def test_split_files_and_opt_out_files_of_a_run_on_spark_are_the_single_machines(spark, cli, tmp_path):
    local, spread = _small_run(tmp_path / "local"), _small_run(tmp_path / "spark")
    one = cli(["run", local, "--json"])
    assert one.exit_code == 0, one.stderr
    many = cli(["run", spread, "--json", "--engine", "spark", "--spark-master", "local[2]"])
    assert many.exit_code == 0, many.stderr
    expected, got = (json.loads(result.stdout)["steps"] for result in (one, many))
    for step in ("segment", "export:optouts.csv"):
        mine, theirs = (next(s["summary"] for s in steps if s["step"] == step) for steps in (got, expected))
        assert _without_paths(mine, tmp_path / "spark") == _without_paths(theirs, tmp_path / "local"), step
    segment = next(s["summary"] for s in got if s["step"] == "segment")
    # Kept out of a split it is labelled for: Jane's other spelling (the unsubscribed and cleaned rows have no segment)
    assert segment["split_suppressed"] == 1 and set(segment["split_files"]) == {"Subscribed", "Firma"}
    for name in ("splits/subscribed.csv", "splits/firma.csv", "outbox/optouts.csv", "outbox/optouts-cleaned.csv"):
        single = pl.read_csv(tmp_path / "local" / name, infer_schema=False)
        written = pl.concat([pl.read_csv(part, infer_schema=False) for part in sorted((tmp_path / "spark" / name).glob("part-*.csv"))])
        # Spark's validate keeps email_alternates even where it is empty (spark/arrow.py); one machine drops it.
        extra = written.drop(single.columns)
        assert extra.columns in ([], ["email_alternates"]) and extra.select(pl.all().fill_null("") == "").to_series().all() if extra.width else True
        written = written.select(single.columns)
        if "_source_file" in written.columns:  # the rows are named by the path of the run's input
            written = written.with_columns(pl.col("_source_file").str.replace("/spark/", "/local/", literal=True))
        assert written.sort(written.columns).equals(single.sort(single.columns)) and written.height >= 3, name
        assert name.startswith("outbox") or not written["email"].str.contains("(?i)jane|info@").any()  # suppressed in another spelling; in the store


def test_a_dry_run_dedupe_on_spark_writes_no_golden_records_and_the_same_summary(spark, cli, tmp_path):
    runs = {}
    for engine in ("local", "spark"):
        folder = tmp_path / engine
        folder.mkdir()
        (folder / "nightly.toml").write_text(
            f'[run]\ninputs = ["{(EXAMPLES / "hubspot_contacts.csv").as_posix()}"]\nworkdir = "work"\n\n'
            '[run.dedupe]\nmatch = "canonical"\ndry_run = true\nrejects = "work/unread.csv"\n',
            encoding="utf-8",
        )
        args = ["--engine", "spark", "--spark-master", "local[2]"] if engine == "spark" else []
        result = cli(["run", folder / "nightly.toml", "--json", *args])
        assert result.exit_code == 0, result.stderr
        runs[engine] = json.loads(result.stdout)["steps"][2]["summary"]
        assert not (folder / "work/golden.parquet").exists()  # a dry run writes no golden records
    assert runs["spark"]["dry_run"] is True and runs["spark"]["output"] is None
    assert _without_paths(runs["spark"], tmp_path / "spark") == _without_paths(runs["local"], tmp_path / "local")
    header = pl.read_csv(next((tmp_path / "spark/work/unread.csv").glob("part-*.csv")), infer_schema=False)
    assert header.height == 0 and header.columns == pl.read_csv(tmp_path / "local/work/unread.csv").columns  # nothing unreadable in Parquet
