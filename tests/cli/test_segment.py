"""`listclean segment`: labels, counts, split files, and clear errors for bad rules."""

from __future__ import annotations

import json

import polars as pl
import pytest

CONTACTS = """email,country,company,signup_at,last_click_at,last_purchase_at,purchase_count,total_spend,tags,consent_status
us-new@firma.com,US,,2026-10-01,,,,,newsletter,subscribed
pl-b2b@firma.pl,PL,Firma,2025-01-01,2026-11-20,2026-11-01,4,400,b2b,subscribed
pl-quiet@firma.pl,PL,Firma,2025-01-01,2025-03-01,2025-03-01,1,20,b2b,subscribed
gone@firma.com,US,,2026-10-01,,,,,,unsubscribed
"""
RULES = """
[[segment]]
name = "US, signed up in the last 6 months"
all = [ { field = "country", equals = "US" }, { field = "signup_at", within_days = 182 } ]

[[segment]]
name = "Engaged B2B in Poland"
where = "country = 'PL' AND company IS NOT NULL"
any = [ { field = "last_click_at", within_days = 90 }, { field = "last_purchase_at", within_days = 90 } ]
"""


@pytest.fixture
def files(tmp_path):
    contacts, rules = tmp_path / "contacts.csv", tmp_path / "segments.toml"
    contacts.write_text(CONTACTS)
    rules.write_text(RULES)
    return contacts, rules


def test_rules_label_rows_count_them_and_split_them_into_files(cli, files, tmp_path):
    contacts, rules = files
    out, split = tmp_path / "segmented.csv", tmp_path / "split"
    split.mkdir()
    result = cli(["segment", contacts, "--rules", rules, "--as-of", "2026-11-24", "-o", out, "--split-dir", split, "--rfm", "--lifecycle", "--json"])
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(out)
    assert dict(frame.select("email", "segment").iter_rows()) == {
        "us-new@firma.com": "US, signed up in the last 6 months",
        "pl-b2b@firma.pl": "Engaged B2B in Poland",
        "pl-quiet@firma.pl": None,
        "gone@firma.com": None,  # unsubscribed: never in a mailable segment
    }
    summary = json.loads(result.stdout)
    assert summary["counts"]["segment counts"] == {"US, signed up in the last 6 months": 1, "Engaged B2B in Poland": 1, "(no segment)": 2}
    assert summary["rows_in"] == summary["rows_out"] == 4
    assert sorted(p.name for p in split.iterdir()) == ["engaged-b2b-in-poland.csv", "us-signed-up-in-the-last-6-months.csv"]
    assert pl.read_csv(split / "engaged-b2b-in-poland.csv")["email"].to_list() == ["pl-b2b@firma.pl"]
    assert set(frame["lifecycle_stage"]) <= {"new", "active", "at_risk", "dormant", "lost"}
    assert frame.filter(pl.col("email") == "pl-b2b@firma.pl")["rfm_segment"][0] == "Champions"


def test_where_alone_makes_one_named_segment(cli, files, tmp_path):
    contacts, _ = files
    out = tmp_path / "out.csv"
    result = cli(["segment", contacts, "--where", "country = 'PL'", "--name", "Poland", "-o", out])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["segment"].to_list() == [None, "Poland", "Poland", None]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('[[segment]]\nname = "x"\nall = [ { field = "nope", equals = "US" } ]\n', "segment 'x', all condition #1: unknown column 'nope'"),
        ('[[segment]]\nname = "x"\nwhere = "country ==="\n', "segment 'x', where"),
        ("[[segment]\n", "cannot be read as TOML"),
    ],
)
def test_bad_rules_are_one_line_errors_with_exit_2(cli, files, tmp_path, rules, message):
    contacts, path = files
    path.write_text(rules)
    out = tmp_path / "out.csv"
    result = cli(["segment", contacts, "--rules", path, "-o", out])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_nothing_to_do_is_a_usage_error(cli, files, tmp_path):
    contacts, _ = files
    result = cli(["segment", contacts, "-o", tmp_path / "out.csv"])
    assert result.exit_code == 2 and "--rules" in result.stderr


def test_split_files_are_checked_before_any_work(cli, files, tmp_path):
    contacts, rules = files
    split = tmp_path / "split"
    split.mkdir()
    (split / "engaged-b2b-in-poland.csv").write_text("old\n")
    out = tmp_path / "out.csv"
    result = cli(["segment", contacts, "--rules", rules, "-o", out, "--split-dir", split])
    assert result.exit_code == 3 and "already exists" in result.stderr
    assert not out.exists()
