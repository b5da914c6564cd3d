"""`listclean import` end to end through the CLI: outputs, summaries, errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl

from conftest import EXAMPLES, FIXTURES

EXAMPLE_FILES = sorted(str(p) for p in EXAMPLES.iterdir() if p.is_file())


def test_examples_import_into_one_canonical_file_with_every_row_accounted_for(cli, tmp_path):
    out, rejects = tmp_path / "contacts.parquet", tmp_path / "rejects.csv"
    result = cli(["import", *EXAMPLE_FILES, "-o", out, "--rejects", rejects, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    frame = pl.read_parquet(out)
    rejected = pl.read_csv(rejects)
    assert summary["rows_in"] == summary["rows_out"] + summary["rejected"] == frame.height + rejected.height
    assert len(summary["inputs"]) == 6
    # every row keeps its provenance, and provenance is unique
    assert frame.select("_source_file", "_source_row").is_unique().all()
    assert frame["_source_file"].null_count() == 0
    assert {"japan_members_utf16.txt", "klaviyo_profiles.xlsx", "signup_form.ndjson"} <= {Path(p).name for p in frame["_source_file"]}
    # the canonical schema, typed
    assert frame.schema["signup_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["tags"] == pl.List(pl.String)
    assert set(frame["country"].drop_nulls()) <= {"PL", "GB", "FR", "US", "JP", "KR", "CN", "ES", "DE", "AT"}
    muller = frame.filter(pl.col("last_name") == "Müller").row(0, named=True)
    assert muller["total_spend"] == 1234.5 and muller["postal_code"] == "01067" and muller["consent_status"] == "subscribed"
    peter = frame.filter(pl.col("email") == "peter.jones@outlook.com")
    assert set(peter["consent_status"]) == {"unsubscribed"}  # HubSpot opt-out flag and Klaviyo status


def test_summary_goes_to_stderr_and_data_to_stdout(cli):
    result = cli(["import", FIXTURES / "utf8.csv"])
    assert result.exit_code == 0
    assert result.stdout.startswith("email,first_name,")
    assert "ann@example.com" in result.stdout
    assert "2 rows in = 2 out + 0 rejected" in result.stderr
    assert "rows in" not in result.stdout


def test_quiet_prints_nothing_on_stderr(cli, tmp_path):
    result = cli(["-q", "import", FIXTURES / "cp1252_semicolon.csv", "-o", tmp_path / "o.csv"])
    assert result.exit_code == 0
    assert result.stderr == ""


def test_stdin_is_read_with_dash(cli):
    data = (FIXTURES / "cp1252_semicolon.csv").read_bytes()
    result = cli(["import", "-", "-o", "-", "--format", "ndjson"], input=data)
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["city"] for row in rows] == ["Besançon", "Zürich"]
    assert rows[0]["_source_file"] == "<stdin>"


def test_map_option_and_source_name(cli):
    result = cli(["import", FIXTURES / "no_header.csv", "--map", "column_2=first_name", "--source-name", "fair-2026", "-f", "ndjson"])
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["first_name"], r["source"]) for r in rows] == [("Ann", "fair-2026"), ("Bob", "fair-2026")]


def test_bad_rows_error_by_default_with_file_and_line(cli, tmp_path):
    result = cli(["import", FIXTURES / "ragged.csv", "-o", tmp_path / "o.csv"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "ragged.csv:3" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_skip_requires_and_fills_a_rejects_file(cli, tmp_path):
    result = cli(["import", FIXTURES / "ragged.csv", "--on-bad-rows", "skip", "-o", tmp_path / "o.csv"])
    assert result.exit_code == 2 and "--rejects" in result.stderr
    result = cli(["import", FIXTURES / "ragged.csv", "--on-bad-rows", "skip", "-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.csv"])
    assert result.exit_code == 0
    rejects = pl.read_csv(tmp_path / "r.csv")
    assert rejects["_source_line"].to_list() == [3, 4]
    assert "4 rows in = 2 out + 2 rejected" in result.stderr


def test_exit_codes_for_input_and_output_errors(cli, tmp_path):
    assert cli(["import", tmp_path / "missing.csv", "-o", tmp_path / "o.csv"]).exit_code == 2
    assert cli(["import", FIXTURES / "empty.csv", "-o", tmp_path / "o.csv"]).exit_code == 2
    existing = tmp_path / "exists.csv"
    existing.write_text("x")
    result = cli(["import", FIXTURES / "utf8.csv", "-o", existing])
    assert result.exit_code == 3 and "--force" in result.stderr
    assert existing.read_text() == "x"
    source = tmp_path / "in.csv"
    source.write_bytes((FIXTURES / "utf8.csv").read_bytes())
    result = cli(["import", source, "-o", source, "--force"])
    assert result.exit_code == 3 and "input" in result.stderr
    assert cli(["import", FIXTURES / "utf8.csv", "-o", tmp_path / "o.csv", "--format", "docx"]).exit_code == 2
    assert cli(["import", FIXTURES / "utf8.csv", "--json"]).exit_code == 2  # data and JSON would share stdout


def test_unknown_option_is_a_usage_error(cli):
    result = cli(["import", "--no-such-option", "x.csv"])
    assert result.exit_code == 2


def test_report_file_holds_the_json_summary(cli, tmp_path):
    report = tmp_path / "run.json"
    result = cli(["import", FIXTURES / "duplicate_headers.csv", "-o", tmp_path / "o.csv", "--report", report])
    assert result.exit_code == 0
    summary = json.loads(report.read_text())
    assert summary["command"] == "import"
    assert summary["inputs"][0]["warnings"][0].startswith("line 1: duplicate column name")


def run_module(args, cwd, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "listclean", *map(str, args)], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


def test_config_file_and_environment_set_defaults_flags_win(tmp_path):
    (tmp_path / "data.csv").write_text("mail;name\nann@example.com;Ann\n")
    (tmp_path / "listclean.toml").write_text('[import]\nformat = "ndjson"\nsource_name = "from-toml"\n')
    result = run_module(["import", "data.csv", "-o", "-"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"] == "from-toml"
    result = run_module(["import", "data.csv", "-o", "-"], tmp_path, env={"LISTCLEAN_IMPORT_SOURCE_NAME": "from-env"})
    assert json.loads(result.stdout)["source"] == "from-env"
    result = run_module(["import", "data.csv", "-o", "-", "--source-name", "from-flag"], tmp_path, env={"LISTCLEAN_IMPORT_SOURCE_NAME": "from-env"})
    assert json.loads(result.stdout)["source"] == "from-flag"


def test_broken_config_is_a_clear_usage_error(tmp_path):
    (tmp_path / "listclean.toml").write_text("[import\n")
    result = run_module(["import", "x.csv"], tmp_path)
    assert result.returncode == 2
    assert "listclean.toml" in result.stderr and "Traceback" not in result.stderr


def test_version_and_help_are_fast_paths(tmp_path):
    result = run_module(["--version"], tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("listclean ")
    result = run_module(["--help"], tmp_path)
    assert result.returncode == 0 and "import" in result.stdout and "export" in result.stdout


def test_no_color_is_honoured(tmp_path):
    result = run_module(["import", "missing.csv", "-o", "o.csv"], tmp_path, env={"NO_COLOR": "1", "TERM": "xterm-256color", "FORCE_COLOR": ""})
    assert result.returncode == 2
    assert "\x1b[" not in result.stderr
    assert result.stderr.startswith("listclean: error: missing.csv: no such file")


def test_a_bug_is_exit_70_without_traceback_and_debug_shows_it(cli, tmp_path, monkeypatch):
    import listclean.importer as importer

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(importer, "read_source", broken)
    result = cli(["import", FIXTURES / "utf8.csv", "-o", tmp_path / "o.csv"])
    assert result.exit_code == 70
    assert "internal error: RuntimeError: boom" in result.stderr and "Traceback" not in result.stderr
    import pytest

    with pytest.raises(RuntimeError):
        cli(["--debug", "import", FIXTURES / "utf8.csv", "-o", tmp_path / "o.csv"])


def test_interrupt_is_exit_130_and_leaves_no_output(cli, tmp_path, monkeypatch):
    import listclean.importer as importer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importer, "read_source", interrupted)
    result = cli(["import", FIXTURES / "utf8.csv", "-o", tmp_path / "o.csv"])
    assert result.exit_code == 130
    assert list(tmp_path.iterdir()) == []


def test_listclean_parquet_is_read_back_without_restandardising(cli, tmp_path):
    examples = sorted(str(p) for p in EXAMPLES.iterdir() if p.is_file())
    first, second, via_csv = tmp_path / "first.parquet", tmp_path / "second.parquet", tmp_path / "first.csv"
    assert cli(["import", *examples, "-o", first]).exit_code == 0
    result = cli(["-v", "import", first, "-o", second, "--json"])
    assert result.exit_code == 0, result.stderr
    assert "were not re-standardised" in result.stderr
    assert pl.read_parquet(first).equals(pl.read_parquet(second))
    # The same file through CSV (re-standardised) agrees with the shortcut.
    assert cli(["import", first, "-o", via_csv]).exit_code == 0
    again = tmp_path / "again.parquet"
    assert cli(["import", via_csv, "-o", again]).exit_code == 0
    assert pl.read_parquet(again).drop("_source_file").equals(pl.read_parquet(second).drop("_source_file"))


def test_a_hand_made_parquet_is_standardised(cli, tmp_path):
    path = tmp_path / "hand.parquet"
    pl.DataFrame({"E-mail": [" a@b.pl "], "Country": ["Polska"]}).write_parquet(path)
    out = tmp_path / "out.parquet"
    assert cli(["import", path, "-o", out]).exit_code == 0
    assert pl.read_parquet(out).select("email", "country").row(0) == ("a@b.pl", "PL")
