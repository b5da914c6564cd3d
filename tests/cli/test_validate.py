"""`listclean validate`: every row judged and kept, a summary for people and for cron."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest

from conftest import EXAMPLES, FIXTURES

MIX = FIXTURES / "validate_mix.csv"
GOLDEN = Path(__file__).parent.parent / "golden"


def run(cli, tmp_path, *args, source=MIX):
    out = tmp_path / "out.csv"
    result = cli(["validate", source, "-o", out, *args])
    return result, out


def verdicts(path: Path) -> dict[str, tuple[str, str]]:
    frame = pl.read_csv(path, infer_schema=False)
    return {note: (status, reasons or "") for note, status, reasons in frame.select("Note", "email_status", "email_reasons").iter_rows()}


def test_every_row_is_kept_with_a_verdict_and_its_reasons(cli, tmp_path):
    result, out = run(cli, tmp_path)
    assert result.exit_code == 0, result.stderr
    got = verdicts(out)
    assert len(got) == 18
    assert got["plain"] == ("valid", "free_mail")
    assert got["spaces around"] == ("valid", "repaired_whitespace, free_mail")
    assert got["typo"][0] == "risky" and "domain_typo" in got["typo"][1]
    assert got["disposable"] == ("risky", "disposable")
    assert got["no reply"] == ("invalid", "role_no_reply")
    assert got["unsubscribed"] == ("suppressed", "unsubscribed")
    assert got["garbage"] == ("invalid", "no_at_sign")
    assert got["missing"] == ("invalid", "missing")
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.filter(pl.col("Note") == "typo")["email_suggestion"].item() == "jan@gmail.com"
    assert frame.filter(pl.col("Note") == "spaces around")["email_normalized"].item() == "John.Smith@outlook.com"


def test_summary_tables_go_to_stderr(cli, tmp_path):
    result, _ = run(cli, tmp_path)
    assert "email status" in result.stderr and "reasons" in result.stderr and "top typos" in result.stderr
    assert "gmial.com" in result.stderr
    assert "18 rows in = 18 out + 0 rejected" in result.stderr


def test_json_summary_matches_golden(cli, tmp_path):
    result, _ = run(cli, tmp_path, "--json", "--suppress", FIXTURES / "suppress.txt")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    summary.pop("output")
    summary.pop("listclean")  # the version
    golden = GOLDEN / "validate_mix.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert summary == json.loads(golden.read_text(encoding="utf-8"))


def test_suppression_list_marks_rows_suppressed(cli, tmp_path):
    result, out = run(cli, tmp_path, "--suppress", FIXTURES / "suppress.txt")
    assert result.exit_code == 0, result.stderr
    assert verdicts(out)["on the suppression list"] == ("suppressed", "suppression_list")


def test_fail_on_exits_1_after_writing_the_output(cli, tmp_path):
    result, out = run(cli, tmp_path, "--fail-on", "invalid>10%")
    assert result.exit_code == 1
    assert out.exists()
    assert "threshold crossed: invalid is 27.78% (invalid>10%)" in result.stderr
    result, _ = run(cli, tmp_path, "--fail-on", "invalid>50%", "--fail-on", "disposable>=3", "--force")
    assert result.exit_code == 0, result.stderr


def test_fail_on_reports_crossed_thresholds_in_json(cli, tmp_path):
    result, _ = run(cli, tmp_path, "--json", "--fail-on", "risky>0")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["thresholds_crossed"] == ["risky is 3 (risky>0)"]


@pytest.mark.parametrize("threshold", ["invalid", "invalid>lots", "bogus>5%"])
def test_bad_threshold_is_a_usage_error_before_any_work(cli, tmp_path, threshold):
    result, out = run(cli, tmp_path, "--fail-on", threshold)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "listclean: error:" in result.stderr
    assert not out.exists()


def test_drop_moves_rows_to_rejects_and_accounts_for_them(cli, tmp_path):
    rejects = tmp_path / "rejects.csv"
    result, out = run(cli, tmp_path, "--drop", "invalid", "--drop", "suppressed", "--rejects", rejects, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    kept = pl.read_csv(out, infer_schema=False)
    dropped = pl.read_csv(rejects, infer_schema=False)
    assert set(kept["email_status"]) <= {"valid", "risky"}
    assert summary["rows_in"] == kept.height + dropped.height == 18
    assert set(dropped["reason"]) == {"email_invalid", "email_suppressed"}
    assert dropped.filter(pl.col("raw") == "not-an-email")["detail"].item() == "no_at_sign"


def test_drop_without_rejects_is_refused(cli, tmp_path):
    result, _ = run(cli, tmp_path, "--drop", "invalid")
    assert result.exit_code == 2 and "--rejects" in result.stderr


def test_fix_typos_changes_the_normalised_address_only(cli, tmp_path):
    result, out = run(cli, tmp_path, "--fix-typos")
    assert result.exit_code == 0
    row = pl.read_csv(out, infer_schema=False).filter(pl.col("Note") == "typo").row(0, named=True)
    # Judged at the corrected domain: gmail.com, no longer the disposable typo-catcher gmial.com.
    assert (row["email"], row["email_normalized"], row["email_status"]) == ("jan@gmial.com", "jan@gmail.com", "valid")
    assert row["email_reasons"] == "typo_fixed, free_mail"
    assert "domain typo(s) fixed" in result.stderr


def test_pipeline_from_stdin_to_stdout(cli):
    result = cli(["validate", "-", "-o", "-", "-f", "ndjson"], input=MIX.read_bytes())
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 18
    assert rows[0]["email_reasons"] == ["free_mail"], "lists stay lists in NDJSON"
    assert rows[0]["_source_file"] == "<stdin>"


def test_validate_reads_raw_exports_and_its_own_output(cli, tmp_path):
    examples = sorted(str(p) for p in EXAMPLES.iterdir() if p.is_file())
    first = tmp_path / "first.parquet"
    assert cli(["validate", *examples, "-o", first]).exit_code == 0
    second = tmp_path / "second.parquet"
    result = cli(["validate", first, "-o", second])
    assert result.exit_code == 0, result.stderr
    a, b = pl.read_parquet(first), pl.read_parquet(second)
    assert a.select("email_status", "email_reasons", "email_normalized").equals(b.select("email_status", "email_reasons", "email_normalized"))


def test_dns_flag_uses_the_resolver_once_per_domain(cli, tmp_path, monkeypatch):
    from listclean.email import dns

    calls = []

    def fake(domain, timeout):
        calls.append(domain)
        return dns.NXDOMAIN if domain == "firma.pl" else dns.MX

    monkeypatch.setattr(dns, "dnspython_resolver", fake)
    result, out = run(cli, tmp_path, "--dns", "--dns-cache", tmp_path / "dns.sqlite")
    assert result.exit_code == 0, result.stderr
    assert sorted(calls) == sorted(set(calls)) and "firma.pl" in calls and "example.com" not in calls
    assert verdicts(out)["mailto"] == ("invalid", "repaired_mailto, dns_no_domain")


def test_a_missing_suppression_file_is_an_input_error(cli, tmp_path):
    result, out = run(cli, tmp_path, "--suppress", tmp_path / "nope.txt")
    assert result.exit_code == 2
    assert "nope.txt" in result.stderr
    assert not out.exists()


def test_a_ragged_suppression_file_is_refused_with_a_hint_about_that_file(cli, tmp_path):
    listed = tmp_path / "suppress.csv"
    listed.write_text("email,reason\nann@firma.pl,unsubscribed\nbob@firma.pl,bounced,2024-01-01\n")
    result, out = run(cli, tmp_path, "--suppress", listed)
    assert result.exit_code == 2
    assert "suppress.csv" in result.stderr and "row 2" in result.stderr
    assert "suppression file" in result.stderr and "--on-bad-rows" not in result.stderr
    assert not out.exists()
