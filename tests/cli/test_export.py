"""`listclean export`: formats, columns, and no suppressed contact ever written."""

from __future__ import annotations

import json

import polars as pl

from conftest import EXAMPLES, FIXTURES

EXAMPLE_FILES = sorted(str(p) for p in EXAMPLES.iterdir() if p.is_file())


def imported(cli, tmp_path):
    path = tmp_path / "contacts.parquet"
    assert cli(["import", *EXAMPLE_FILES, "-o", path]).exit_code == 0
    return path


def test_export_never_writes_suppressed_contacts(cli, tmp_path):
    source = imported(cli, tmp_path)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = cli(["export", source, "-o", out, "--rejects", rejects, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    exported = pl.read_csv(out, infer_schema=False)
    assert "unsubscribed" not in set(exported["consent_status"].drop_nulls())
    assert "peter.jones@outlook.com" not in set(exported["email"])
    skipped = pl.read_csv(rejects)
    assert set(skipped["reason"]) == {"suppressed"}
    assert summary["rows_in"] == summary["rows_out"] + summary["rejected"]
    assert summary["suppressed"] == skipped.height > 0


def test_columns_choose_and_order_the_output(cli, tmp_path):
    source = imported(cli, tmp_path)
    result = cli(["export", source, "-o", "-", "--columns", "email,country"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "email,country"
    result = cli(["export", source, "-o", "-", "--columns", "email,nope"])
    assert result.exit_code == 2 and "'nope'" in result.stderr


def test_excel_output_with_formula_guard(cli, tmp_path):
    source = imported(cli, tmp_path)
    out = tmp_path / "people.xlsx"
    result = cli(["export", source, "-o", out, "--excel-safe"])
    assert result.exit_code == 0, result.stderr
    sheet = pl.read_excel(out, engine="calamine", infer_schema_length=0)
    titles = sheet.filter(pl.col("email") == "jane.doe@yahoo.com")["job_title"].to_list()
    assert titles == ["'=HYPERLINK(\"http://x\")"]
    phones = sheet["phone"].drop_nulls()
    assert phones.str.starts_with("+").sum() >= 5 and not phones.str.starts_with("'").any()  # E.164 untouched


def test_pipeline_import_to_export_through_stdin(cli, tmp_path):
    first = cli(["import", FIXTURES / "utf16le_bom.csv", "-o", "-"])
    assert first.exit_code == 0
    second = cli(["export", "-", "-o", "-", "--format", "tsv", "--bom"], input=first.stdout_bytes)
    assert second.exit_code == 0, second.stderr
    assert second.stdout_bytes.startswith(b"\xef\xbb\xbfemail\t")
    assert "Kraków" in second.stdout
    # provenance survives the round trip: it still names the original file
    assert str(FIXTURES / "utf16le_bom.csv") in second.stdout


def test_export_leaves_out_addresses_validate_suppressed(cli, tmp_path):
    validated = tmp_path / "validated.parquet"
    listed = tmp_path / "suppress.txt"
    listed.write_text("Anna.Nowak@gmail.com\n")
    examples = sorted(str(p) for p in EXAMPLES.iterdir() if p.is_file())
    assert cli(["validate", *examples, "-o", validated, "--suppress", listed]).exit_code == 0
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = cli(["export", validated, "-o", out, "--rejects", rejects])
    assert result.exit_code == 0, result.stderr
    exported = pl.read_csv(out, infer_schema=False)
    assert "anna.nowak@gmail.com" not in {e.lower() for e in exported["email"].drop_nulls()}
    skipped = pl.read_csv(rejects, infer_schema=False)
    assert any("suppression_list" in (detail or "") for detail in skipped["detail"])
