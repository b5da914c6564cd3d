"""Inputs and settings that used to end in a panic, a traceback or exit 70 (issue #16, point 9-12).

Each ends in one error line and a documented exit code now, or is read as the user meant.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from listclean.cli.app import main

FIXTURES = Path(__file__).parent.parent / "fixtures"
ROWS = "email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n"


def _environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_")}
    environment.update(extra)
    return environment


def _shell(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, shell=True, executable="/bin/bash", cwd=cwd, env=_environment(**env), capture_output=True, text=True, timeout=120)


def _one_error_line(stderr: str) -> None:
    assert "Traceback" not in stderr and "panicked" not in stderr
    assert stderr.strip().startswith("listclean: error:") and stderr.strip().count("\n") == 0, stderr


def test_a_sparse_xlsx_claiming_the_whole_sheet_is_refused_before_reading(cli, tmp_path):
    result = cli(["import", FIXTURES / "sparse_bomb.xlsx", "-o", tmp_path / "out.csv"])
    assert result.exit_code == 2
    _one_error_line(result.stderr)
    assert "XFD" not in result.stderr and "16,384 columns by 1,048,576 rows" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_binary_parquet_column_named_like_a_date_is_read_as_text(cli, tmp_path):
    out = tmp_path / "out.csv"
    result = cli(["import", FIXTURES / "binary_date.parquet", "-o", out])
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "0xff00" in text and "2024-01-02" in text  # bytes that are not UTF-8 are shown as hex, never dropped


def test_process_substitution_and_a_fifo_are_read_as_streams(tmp_path):
    (tmp_path / "rows.csv").write_text(ROWS)
    substituted = _shell(f"{sys.executable} -m listclean import <(cat rows.csv) -o out.csv", tmp_path)
    assert substituted.returncode == 0, substituted.stderr
    assert "bob@example.com" in (tmp_path / "out.csv").read_text()

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(ROWS))
    writer.start()
    through_fifo = _shell(f"{sys.executable} -m listclean import pipe.csv -o fifo-out.csv", tmp_path)
    writer.join(10)
    assert through_fifo.returncode == 0, through_fifo.stderr
    assert "bob@example.com" in (tmp_path / "fifo-out.csv").read_text()


@pytest.mark.parametrize("closed", [">&-", "<&-", "2>&-"])
def test_a_closed_standard_stream_is_no_internal_error(tmp_path, closed):
    (tmp_path / "rows.csv").write_text(ROWS)
    command = {
        ">&-": "import rows.csv -o - --format parquet",  # the data to a stdout that is not there: a closed pipe
        "<&-": "import - -o out.csv",  # stdin that is not there reads as empty
        "2>&-": "import rows.csv -o out.csv",  # nowhere to report to: the work is still done
    }[closed]
    run = _shell(f"{sys.executable} -m listclean {command} {closed}" + ("" if closed == "2>&-" else " 2>>err.txt"), tmp_path)
    errors = (tmp_path / "err.txt").read_text() if (tmp_path / "err.txt").exists() else run.stderr
    assert "Traceback" not in errors and "internal error" not in errors
    assert run.returncode == {">&-": 141, "<&-": 2, "2>&-": 0}[closed], errors


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("command", [["decay-report", "--no-validate"], ["segment", "--lifecycle", "-o", "out.csv"], ["export", "-o", "out.csv"]])
def test_an_as_of_date_out_of_range_is_a_usage_error(cli, tmp_path, day, command):
    (tmp_path / "rows.csv").write_text(ROWS)
    args = [command[0], tmp_path / "rows.csv", "--as-of", day, *[tmp_path / a if a == "out.csv" else a for a in command[1:]]]
    result = cli(args)
    assert result.exit_code == 2
    _one_error_line(result.stderr)
    assert "out of range" in result.stderr and day in result.stderr


@pytest.mark.parametrize(
    ("run_table", "expected_code", "words"),
    [
        ('workdir = "a-file"', 3, "is a file"),
        ('workdir = "a-file/below"', 3, "cannot be created"),
        ("export = 5", 2, "[run] export must be"),
        ("workdir = 5", 2, "[run] workdir must be"),
        ("store = 5", 2, "[run] store must be"),
        ("suppress = 5", 2, "[run] suppress must be"),
        ('[run.import]\nbogus = 1', 2, "no such option bogus"),
        ('[run.decay-report]\nbogus = 1', 2, "no such option bogus"),
    ],
)
def test_a_bad_run_file_is_one_error_naming_the_key(cli, tmp_path, run_table, expected_code, words):
    (tmp_path / "rows.csv").write_text(ROWS)
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "run.toml").write_text(f'[run]\ninputs = ["rows.csv"]\n{run_table}\n')
    result = cli(["run", tmp_path / "run.toml"])
    assert result.exit_code == expected_code, result.stderr
    _one_error_line(result.stderr)
    assert words in result.stderr


def test_import_keep_output_with_extra_fields_reads_back_in_every_command(cli, tmp_path):
    kept = tmp_path / "kept.csv"
    assert cli(["import", FIXTURES / "ragged.csv", "--on-bad-rows", "keep", "-o", kept]).exit_code == 0
    assert "_extra_fields" in kept.read_text().splitlines()[0]
    for command in (["import"], ["validate"], ["dedupe"], ["export"], ["segment", "--lifecycle", "--as-of", "2026-01-01"]):
        result = cli([command[0], kept, *command[1:], "-o", tmp_path / f"{command[0]}.csv"])
        assert result.exit_code == 0, (command, result.stderr)
    again = cli(["import", FIXTURES / "kept_extra_fields.csv", "-o", tmp_path / "again.csv"])
    assert again.exit_code == 0, again.stderr
    assert ",extra," in (tmp_path / "again.csv").read_text()


# --------------------------------------------------------------------------- configuration


def _main(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ended:
        main(argv)
    return int(ended.value.code or 0), capsys.readouterr().err


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("LISTCLEAN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.csv").write_text(ROWS)
    return tmp_path


def test_a_listclean_toml_that_is_not_utf8_is_one_error_and_version_still_works(in_tmp, capsys):
    (in_tmp / "listclean.toml").write_bytes(b'[import]\nsource_name = "\xff"\n')
    code, stderr = _main(["--version"], capsys)
    assert code == 0
    code, stderr = _main(["import", "rows.csv", "-o", "out.csv"], capsys)
    assert code == 2
    _one_error_line(stderr)
    assert "listclean.toml" in stderr and "UTF-8" in stderr


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[import]\nbogus = 1\n", "listclean.toml: [import] bogus: unknown key"),
        ("[imprt]\nformat = 'csv'\n", "listclean.toml: unknown table [imprt]"),
        ("[import]\nformat = 5\n", "listclean.toml: [import] format: must be text"),
        ("[import]\nforce = 'maybe'\n", "listclean.toml: [import] force: must be true or false"),
        ("[import]\non_bad_rows = 'ignore'\n", "listclean.toml: [import] on_bad_rows: must be one of error, skip, keep"),
        ("[dedupe]\nthreshold = [1]\n", "listclean.toml: [dedupe] threshold"),
    ],
)
def test_config_errors_name_the_file_and_key(in_tmp, capsys, toml, words):
    (in_tmp / "listclean.toml").write_text(toml)
    code, stderr = _main(["import", "rows.csv", "-o", "out.csv"], capsys)
    assert code == 2
    _one_error_line(stderr)
    assert words in stderr
    assert not (in_tmp / "out.csv").exists()


def test_an_unknown_listclean_variable_is_reported_by_name(in_tmp, capsys, monkeypatch):
    monkeypatch.setenv("LISTCLEAN_IMPORT_DEFAULT_CUNTRY", "PL")
    code, stderr = _main(["import", "rows.csv", "-o", "out.csv"], capsys)
    assert code == 2
    _one_error_line(stderr)
    assert "LISTCLEAN_IMPORT_DEFAULT_CUNTRY" in stderr


def test_listclean_import_map_maps_columns_with_spaces(in_tmp, capsys, monkeypatch):
    (in_tmp / "odd.csv").write_text("Contact Mail,Given Name\nann@example.com,Ann\n")
    monkeypatch.setenv("LISTCLEAN_IMPORT_MAP", "Contact Mail=email; Given Name=last_name")
    code, stderr = _main(["import", "odd.csv", "-o", "out.csv"], capsys)
    assert code == 0, stderr
    header, row = (in_tmp / "out.csv").read_text().splitlines()[:2]
    assert row.split(",")[header.split(",").index("last_name")] == "Ann"


def test_a_toml_key_may_be_named_like_the_flag(in_tmp, capsys):
    (in_tmp / "listclean.toml").write_text('[import]\nmap = ["Contact Mail=email"]\n')
    (in_tmp / "odd.csv").write_text("Contact Mail,Given Name\nann@example.com,Ann\n")
    code, stderr = _main(["import", "odd.csv", "-o", "out.csv"], capsys)
    assert code == 0, stderr
    assert "ann@example.com" in (in_tmp / "out.csv").read_text()


# --------------------------------------------------------------------------- reading as the peers' corpora expect


def test_a_byte_order_mark_at_a_chunk_start_reads_as_in_the_whole_file(cli, tmp_path):
    whole, chunked = tmp_path / "whole.csv", tmp_path / "chunked.csv"
    assert cli(["import", FIXTURES / "bom_at_chunk_start.csv", "-o", whole]).exit_code == 0
    result = cli(["import", FIXTURES / "bom_at_chunk_start.csv", "-o", chunked], env={"LISTCLEAN_CHUNK_ROWS": "1"})
    assert result.exit_code == 0, result.stderr
    assert chunked.read_bytes() == whole.read_bytes()


def test_skip_lines_skips_a_preamble_and_is_checked(cli, tmp_path):
    out = tmp_path / "out.csv"
    result = cli(["import", FIXTURES / "linkedin_connections.csv", "--skip-lines", "3", "-o", out])
    assert result.exit_code == 0, result.stderr
    assert "ann@example.com" in out.read_text()
    refused = cli(["import", FIXTURES / "linkedin_connections.csv", "--skip-lines", "-1", "-o", tmp_path / "x.csv"])
    assert refused.exit_code == 2


@pytest.mark.parametrize("name", ["backslash_quote.csv", "truncated_quote.csv", "quote_in_quoted_field.csv"])
def test_interpreted_quotes_go_to_the_rejects_with_skip(cli, tmp_path, name):
    rejects = tmp_path / "rejects.csv"
    result = cli(["import", FIXTURES / name, "--on-bad-rows", "skip", "--rejects", rejects, "-o", tmp_path / "out.csv"])
    assert result.exit_code == 0, result.stderr
    assert ("stray_quote" if name != "truncated_quote.csv" else "unclosed_quote") in rejects.read_text()


def test_a_full_disk_while_writing_parquet_is_an_output_error(cli, tmp_path, monkeypatch):
    import polars as pl

    def full(*args, **kwargs):
        raise pl.exceptions.ComputeError("parquet: File out of specification: underlying IO error: No space left on device (os error 28)")

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", full)
    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    (tmp_path / "rows.csv").write_text(ROWS)
    result = cli(["import", tmp_path / "rows.csv", "-o", tmp_path / "out.parquet"])
    assert result.exit_code == 3
    _one_error_line(result.stderr)
    assert "No space left on device" in result.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_xlsx_output_cuts_a_cell_longer_than_excel_holds_and_says_so(cli, tmp_path):
    import fastexcel

    (tmp_path / "long.csv").write_text("email,notes\nann@example.com," + "y" * 40_000 + "\n")
    result = cli(["import", tmp_path / "long.csv", "-o", tmp_path / "out.xlsx"])
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "column 'notes'" in warning[0] and "32,767" in warning[0]  # through the reporter, never silent
    notes = fastexcel.read_excel(tmp_path / "out.xlsx").load_sheet(0).to_polars()["notes"]
    assert len(notes[0]) == 32_767
    quiet = cli(["-q", "import", tmp_path / "long.csv", "-o", tmp_path / "out2.xlsx"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_parquet_and_xlsx_to_a_closed_pipe_exit_141(tmp_path, fmt):
    rows = "email,first_name\n" + "".join(f"user{i}@firma{i % 7}.pl,Name{i}\n" for i in range(20_000))
    (tmp_path / "big.csv").write_text(rows)
    run = _shell(f"{sys.executable} -m listclean import big.csv -o - --format {fmt} | true; exit ${{PIPESTATUS[0]}}", tmp_path)
    assert run.returncode == 141, run.stderr
    assert "Traceback" not in run.stderr and "error" not in run.stderr


def test_a_bad_value_from_the_configuration_names_where_it_was_set(in_tmp, capsys, monkeypatch):
    (in_tmp / "listclean.toml").write_text('[import]\ndefault_country = "XX"\n')
    code, stderr = _main(["import", "rows.csv", "-o", "out.csv"], capsys)
    assert code == 2
    _one_error_line(stderr)
    assert "[set by listclean.toml [import] default_country]" in stderr
    (in_tmp / "listclean.toml").unlink()
    monkeypatch.setenv("LISTCLEAN_IMPORT_DEFAULT_COUNTRY", "XX")
    code, stderr = _main(["import", "rows.csv", "-o", "out.csv"], capsys)
    assert code == 2 and "[set by LISTCLEAN_IMPORT_DEFAULT_COUNTRY]" in stderr


def test_a_run_file_takes_skip_lines_for_import(cli, tmp_path):
    (tmp_path / "li.csv").write_bytes((FIXTURES / "linkedin_connections.csv").read_bytes())
    (tmp_path / "run.toml").write_text('[run]\ninputs = ["li.csv"]\nworkdir = "w"\n[run.import]\nskip_lines = 3\n')
    result = cli(["run", tmp_path / "run.toml"])
    assert result.exit_code == 0, result.stderr
    (tmp_path / "bad.toml").write_text('[run]\ninputs = ["li.csv"]\nworkdir = "w2"\n[run.import]\nskip_lines = "x"\n')
    refused = cli(["run", tmp_path / "bad.toml"])
    assert refused.exit_code == 2 and "skip_lines" in refused.stderr
