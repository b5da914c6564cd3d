"""`listclean run`: the nightly pipeline from one file — order, idempotence, stop on failure, lock."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from conftest import EXAMPLES
from listclean.run import locked

RUN = """
[run]
inputs = ["exports/*"]
workdir = "clean"
store = "suppression.tsv"
as_of = "2026-11-24"

[run.validate]
fail_on = ["{threshold}"]

[run.dedupe]
against = true

[run.segment]
rfm = true

[[run.export]]
to = "klaviyo"
output = "outbox/klaviyo.csv"

[run.decay-report]
html = "reports/decay.html"
"""


@pytest.fixture
def project(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "exports")
    for folder in ("outbox", "reports"):
        (tmp_path / folder).mkdir()
    config = tmp_path / "nightly.toml"
    config.write_text(RUN.format(threshold="invalid>90%"))
    return tmp_path, config


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_whole_pipeline_runs_in_order_and_a_rerun_writes_the_same_files(cli, project):
    folder, config = project
    result = cli(["run", config, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] and [step["step"] for step in summary["steps"]] == ["import", "validate", "dedupe", "segment", "export:klaviyo.csv", "decay-report"]
    assert summary["steps"][0]["summary"]["rows_in"] == 24
    exported, report = folder / "outbox" / "klaviyo.csv", folder / "reports" / "decay.html"
    assert exported.exists() and report.exists() and (folder / "clean" / "golden.parquet").exists()
    first = digest(exported)
    again = cli(["run", config, "--json"])
    assert again.exit_code == 0, again.stderr
    dedupe = json.loads(again.stdout)["steps"][2]["summary"]
    assert dedupe["master_rows"] > 0 and dedupe["new_clusters"] == 0  # tonight's rows all joined last night's master
    # The first night learned the weights and saved them; the second scored with them.
    first_dedupe = summary["steps"][2]["summary"]
    assert first_dedupe["saved_model"] == str(folder / "clean" / "model.json") and dedupe["saved_model"] is None
    assert dedupe["model"] == first_dedupe["model"]
    assert digest(exported) == first


def test_a_crossed_threshold_stops_the_run_with_exit_1_before_anything_is_exported(cli, project):
    folder, config = project
    config.write_text(RUN.format(threshold="invalid>0"))
    result = cli(["run", config, "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert [step["step"] for step in summary["steps"]] == ["import", "validate"] and not summary["ok"]
    assert not (folder / "outbox" / "klaviyo.csv").exists()
    assert "step validate ended with exit code 1" in result.stderr


def test_a_second_run_waits_for_nobody_it_exits_75(cli, project):
    folder, config = project
    with locked(folder / "clean"):
        result = cli(["run", config])
    assert result.exit_code == 75
    assert "another listclean run holds the lock" in result.stderr


def test_dry_run_prints_the_plan(cli, project):
    _, config = project
    result = cli(["run", config, "--dry-run"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()  # a `# step` comment, then the line a POSIX shell runs
    assert lines[:2] == ["# the work directory", f"mkdir -p -- {project[0] / 'clean'}"]
    assert lines[2] == "# import" and lines[3].startswith("listclean import ")
    assert lines[lines.index("# export:klaviyo.csv") + 1].startswith("listclean export ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[run]\n", "needs inputs"),
        ('[run]\ninputs = ["nothing/*.csv"]\n', "matches no file"),
        ('[run]\ninputs = ["exports/*"]\nsurprise = 1\n', "unknown key"),
        ('[run]\ninputs = ["exports/*"]\n[[run.export]]\nto = "mailchimp"\n', "needs output"),
        ('[run]\ninputs = ["exports/*"]\n[run.validate]\noutput = "x.csv"\n', "is set by the run itself"),
        ("not toml [", "cannot be read as TOML"),
    ],
)
def test_bad_run_files_are_config_errors(cli, project, text, message):
    _, config = project
    config.write_text(text)
    result = cli(["run", config])
    assert result.exit_code == 2 and message in result.stderr


def _write(config, text: str) -> None:
    config.write_text(text)


BASE = """
[run]
inputs = ["exports/*"]
workdir = "clean"
as_of = "2026-11-24"
{run_extra}

[run.validate]
{validate}

[[run.export]]
to = "mailchimp"
output = "outbox/mailchimp.csv"
{export}
"""


def _exported(folder) -> str:
    return (folder / "outbox" / "mailchimp.csv").read_text().lower()


def test_a_steps_own_suppression_list_adds_to_the_runs_never_replaces_it(cli, project):
    folder, config = project
    addresses = ["anna.nowak@gmail.com", "chloe.martin@orange.fr"]  # both exported without the lists
    (folder / "run-list.txt").write_text(addresses[0] + "\n")
    (folder / "step-list.txt").write_text(addresses[1] + "\n")
    _write(config, BASE.format(run_extra='suppress = ["run-list.txt"]', validate='suppress = ["step-list.txt"]', export='suppress = ["step-list.txt"]'))
    result = cli(["run", config])
    assert result.exit_code == 0, result.stderr
    exported = _exported(folder)
    assert addresses[0].lower() not in exported and addresses[1].lower() not in exported


@pytest.mark.parametrize(
    ("validate", "export", "message"),
    [
        ('fix_typos = "yes"', "", "fix_typos = 'yes' is not true or false"),
        ('drop = ["invalids"]\nrejects = "r.csv"', "", "'invalids' is not a status"),
        ("", 'keep_invalid = "no"', "keep_invalid = 'no' is not true or false"),
        ("", "max_rows = 2.5", "max_rows = 2.5 is not a whole number"),
        ("", "surprise = 1", "no such option surprise"),
    ],
)
def test_a_bad_value_anywhere_in_the_run_file_stops_the_run_before_anything_is_written(cli, project, validate, export, message):
    folder, config = project
    _write(config, BASE.format(run_extra="", validate=validate, export=export))
    result = cli(["run", config])
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert not (folder / "clean" / "contacts.parquet").exists()  # the import never ran


def test_numbers_written_as_text_are_read_as_numbers(cli, project):
    folder, config = project
    _write(config, BASE.format(run_extra="", validate="", export='max_rows = "2"'))
    result = cli(["run", config])
    assert result.exit_code == 0, result.stderr
    assert (folder / "outbox" / "mailchimp-001.csv").exists()


def test_a_bug_in_a_step_still_gives_the_runs_summary_and_exit_70(cli, project, monkeypatch):
    folder, config = project
    _write(config, BASE.format(run_extra="", validate="", export=""))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("listclean.steps.validate.validate_step", broken)
    result = cli(["run", config, "--json"])
    assert result.exit_code == 70
    summary = json.loads(result.stdout)
    assert [(s["step"], s["exit_code"]) for s in summary["steps"]] == [("import", 0), ("validate", 70)]
    assert "internal error: RuntimeError: boom" in result.stderr and not (folder / "outbox" / "mailchimp.csv").exists()


def test_dry_run_prints_what_the_run_executes(cli, project):
    folder, config = project
    _write(config, BASE.format(run_extra="", validate="", export="").replace('to = "mailchimp"', 'columns = ["email", "first_name"]') + '\n[run.import]\nheader = false\n')
    lines = [line for line in cli(["run", config, "--dry-run"]).stdout.splitlines() if not line.startswith(("#", "mkdir "))]
    assert "--no-header" in lines[0] and "--columns email,first_name" in lines[-1]


def test_paths_in_step_tables_are_relative_to_the_run_file(cli, project, monkeypatch, tmp_path_factory):
    folder, config = project
    _write(config, BASE.format(run_extra="", validate='rejects = "clean/invalid.csv"\ndrop = ["invalid"]', export=""))
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    result = cli(["run", config])
    assert result.exit_code == 0, result.stderr
    assert (folder / "clean" / "invalid.csv").exists()


def test_a_nightly_run_leaves_the_uncertain_pairs_for_review_and_reads_the_labels_back(cli, project):
    folder, config = project
    text = config.read_text().replace('[run.dedupe]\nagainst = true\n', '[run.dedupe]\nreview = "reports/review.csv"\nreview_threshold = 0.001\nthreshold = 0.999\n')
    config.write_text(text)
    result = cli(["run", config, "--json"])
    assert result.exit_code == 0, result.stderr
    dedupe = json.loads(result.stdout)["steps"][2]["summary"]
    review = folder / "reports" / "review.csv"
    assert review.exists() and dedupe["review"] == str(review) and dedupe["model"]["random_pairs"] > 0
    lines = review.read_text().splitlines()
    assert lines[0].startswith("left_file,left_row,right_file,right_row,probability,label") and len(lines) - 1 == dedupe["review_pairs"]
    # Labels given in the run file are read relative to it.
    (folder / "reports" / "labels.csv").write_text("left_file,left_row,right_file,right_row,label\n")
    config.write_text(text.replace('review = "reports/review.csv"', 'labels = "reports/labels.csv"'))
    again = cli(["run", config, "--json"])
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["steps"][2]["summary"]["labelled_pairs"] == 0
