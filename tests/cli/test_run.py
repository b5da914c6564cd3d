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
    assert result.stdout.splitlines()[0].startswith("import: listclean import ")
    assert "export:klaviyo.csv: listclean export" in result.stdout


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
