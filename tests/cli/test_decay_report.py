"""`listclean decay-report`: terminal tables, JSON for monitoring (golden), offline HTML, sunset file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "decay"))
from listdata import history_list  # noqa: E402

GOLDEN = Path(__file__).parent.parent / "golden" / "decay_report.json"


@pytest.fixture
def history(tmp_path) -> Path:
    path = tmp_path / "history.csv"
    history_list().write_csv(path)
    return path


def test_json_report_matches_the_golden_file(cli, history, tmp_path):
    result = cli(["decay-report", history, "--as-of", "2026-11-24", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    for volatile in ("listclean", "inputs"):
        report.pop(volatile)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert report == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert "status mix" in result.stderr and "sunset candidates" in result.stderr


def test_html_is_one_offline_file_with_charts_and_the_sunset_file_lists_the_candidates(cli, history, tmp_path):
    html, sunset = tmp_path / "report.html", tmp_path / "sunset.csv"
    result = cli(["decay-report", history, "--as-of", "2026-11-24", "--html", html, "--sunset-out", sunset, "--json"])
    assert result.exit_code == 0, result.stderr
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") >= 4 and "Kaplan" in page and "Cohorts by signup month" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page  # nothing to fetch, nothing to run
    candidates = pl.read_csv(sunset)
    assert candidates.height == json.loads(result.stdout)["sunset"]["candidates"] > 0
    assert candidates["sunset_reason"].str.starts_with("sunset: mailable").all()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no headless Chromium on this machine")
def test_the_html_report_renders_in_a_real_headless_browser(cli, history, tmp_path):
    html = tmp_path / "report.html"
    assert cli(["decay-report", history, "--as-of", "2026-11-24", "--html", html]).exit_code == 0
    rendered = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", html.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr[-500:]
    assert "<title>List decay report — 2026-11-24</title>" in rendered.stdout
    assert rendered.stdout.count("<svg") >= 4 and "<rect" in rendered.stdout and "<path" in rendered.stdout


def test_fail_on_thresholds_exit_1_after_writing(cli, history, tmp_path):
    html = tmp_path / "report.html"
    result = cli(["decay-report", history, "--as-of", "2026-11-24", "--html", html, "--fail-on", "complaint_rate>0.1%", "--fail-on", "sunset>100000"])
    assert result.exit_code == 1
    assert "complaint_rate is" in result.stderr and "sunset" not in result.stderr.split("threshold crossed:")[1]
    assert html.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "24/11/2026"], "--as-of"),
        (["--fail-on", "decay>3%"], "unknown counter"),
        (["--html", "-"], "--html needs a file name"),
        (["--benchmark", "0"], "--benchmark"),
    ],
)
def test_bad_options_are_usage_errors(cli, history, args, message):
    result = cli(["decay-report", history, *args])
    assert result.exit_code == 2
    assert message in result.stderr
