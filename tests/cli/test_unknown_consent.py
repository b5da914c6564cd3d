"""Unknown consent (a consent_status present but not understood) is counted, warned about on
import, listed, and never sent to a platform or a hashed audience unless the user says so."""

from __future__ import annotations

import json

import polars as pl
import pytest

DATA = "email,consent_status\nann@firma.pl,subscribed\nbob@firma.pl,ask legal first\ncy@firma.pl,Unsubscribed (2024-05-01)\n"


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_import_warns_about_unknown_consent_per_file(cli, tmp_path):
    data = write(tmp_path / "in.csv", DATA)
    result = cli(["import", data, "-o", tmp_path / "out.csv"])
    assert result.exit_code == 0, result.stderr
    assert "in.csv" in result.stderr and "unknown consent" in result.stderr
    out = pl.read_csv(tmp_path / "out.csv")
    assert out["consent_status"].to_list() == ["subscribed", None, "unsubscribed"]
    assert out["consent_status_raw"].to_list()[1] == "ask legal first"


@pytest.mark.parametrize("target", [["--to", "mailchimp"], ["--to", "klaviyo"], ["--hash", "sha256"]])
def test_unknown_consent_never_reaches_a_platform_by_default(cli, tmp_path, target):
    data = write(tmp_path / "in.csv", DATA)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = cli(["export", data, "-o", out, "--rejects", rejects, "--json", *target])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows_out"] == 1 and summary["consent_unknown_excluded"] == 1
    assert "not understood" in result.stderr
    listed = pl.read_csv(rejects)
    assert listed.filter(pl.col("reason") == "consent_unknown")["raw"].to_list() == ["bob@firma.pl"]
    result = cli(["export", data, "-o", out, "--force", "--json", "--unknown-consent", "include", *target])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_out"] == 2


def test_a_plain_export_keeps_unknown_consent_and_says_so(cli, tmp_path):
    data = write(tmp_path / "in.csv", DATA)
    result = cli(["export", data, "-o", tmp_path / "out.csv", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["consent_unknown"] == 1
    assert "not understood" in result.stderr
