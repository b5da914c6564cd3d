"""Consent rules as behaviour: bought lists quarantined, expired implied consent not exported."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import polars as pl

from listclean.consent import ConsentRules, implied_expired, implied_expiring, unproven


def test_bought_rented_or_scraped_sources_are_quarantined_on_import(cli, tmp_path):
    data = tmp_path / "mixed.csv"
    data.write_text(
        "email,source\nann@firma.pl,newsletter form\nbob@firma.pl,Purchased list 2024\ncy@firma.pl,web scraping\ndee@firma.pl,rented list\n"
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = cli(["import", data, "-o", out, "--rejects", rejects, "--json"])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["email"].to_list() == ["ann@firma.pl"]
    quarantined = pl.read_csv(rejects)
    assert quarantined["reason"].to_list() == ["quarantined_source"] * 3
    assert set(quarantined["action"]) == {"quarantined"}
    summary = json.loads(result.stdout)
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"]) == (4, 1, 3)
    assert "3 row(s) quarantined" in result.stderr
    # The per-file figures add up to the totals: quarantined rows are not counted as out.
    (per_file,) = summary["inputs"]
    assert (per_file["rows_in"], per_file["rows_out"], per_file["rejected"], per_file["quarantined"]) == (4, 1, 3, 3)


REAL_CUSTOMERS = ["purchase", "post-purchase popup", "Harvest Festival", "scrapbooking", "car rental customers", "Parental consent form", "checkout purchase"]
BOUGHT = ["Purchased list 2024", "bought leads", "Rented-List", "list_broker", "email append", "scraped from LinkedIn", "harvested addresses"]


def test_only_explicit_bought_list_phrases_quarantine_never_a_customers_word():
    from listclean.consent import no_consent_source

    frame = pl.DataFrame({"source": REAL_CUSTOMERS + BOUGHT + [None]})
    flagged = frame.select(no_consent_source(frame)).to_series().to_list()
    assert flagged == [False] * len(REAL_CUSTOMERS) + [True] * len(BOUGHT) + [False]


def test_every_command_counts_and_says_what_it_quarantined_and_the_phrases_are_configurable(cli, tmp_path):
    data = tmp_path / "shop.csv"
    data.write_text("email,source\nann@firma.pl,purchase\nbob@firma.pl,bought list\ncy@firma.pl,Spring trade show\n")
    for command in (["validate"], ["segment", "--lifecycle"], ["dedupe"], ["export"], ["decay-report"]):
        out = [] if command == ["decay-report"] else ["-o", tmp_path / f"{command[0]}.csv", "--force"]
        result = cli([*command, data, *out, "--json"])
        assert result.exit_code == 0, (command, result.stderr)
        summary = json.loads(result.stdout)
        assert summary["quarantined"] == 1, command
        assert "1 input row(s) quarantined" in result.stderr, command
    # decay-report's figures leave them out and its notes say so.
    assert summary["rows"] == 2 and any("quarantined" in note for note in summary["notes"])
    # The user's own phrases replace the built-in ones; "none" switches the check off.
    result = cli(["import", data, "-o", tmp_path / "own.csv", "--quarantine-source", "trade ?show", "--json"])
    assert json.loads(result.stdout)["quarantined"] == 1
    assert pl.read_csv(tmp_path / "own.csv")["email"].to_list() == ["ann@firma.pl", "bob@firma.pl"]
    result = cli(["import", data, "-o", tmp_path / "none.csv", "--quarantine-source", "none", "--json"])
    assert json.loads(result.stdout)["quarantined"] == 0
    result = cli(["import", data, "-o", tmp_path / "bad.csv", "--quarantine-source", "(unclosed"])
    assert result.exit_code == 2 and "--quarantine-source '(unclosed' is not a regular expression" in result.stderr


def test_expired_implied_consent_is_not_exported_and_the_rest_is_flagged(cli, tmp_path):
    now = datetime.now(timezone.utc)
    day = lambda days: (now - timedelta(days=days)).strftime("%Y-%m-%d")  # noqa: E731
    data = tmp_path / "consent.csv"
    data.write_text(
        "email,consent_status,consent_source,consent_at\n"
        f"old-buyer@firma.pl,subscribed,purchase,{day(800)}\n"
        f"soon@firma.pl,subscribed,purchase,{day(700)}\n"
        f"asked@firma.pl,subscribed,web inquiry,{day(200)}\n"
        f"fresh@firma.pl,subscribed,double opt-in form,{day(3)}\n"
        "nodate@firma.pl,subscribed,,\n"
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = cli(["export", data, "-o", out, "--rejects", rejects, "--json"])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["email"].to_list() == ["soon@firma.pl", "fresh@firma.pl", "nodate@firma.pl"]
    summary = json.loads(result.stdout)
    assert (summary["consent_expired"], summary["consent_expiring"], summary["consent_unproven"]) == (2, 1, 1)
    assert set(pl.read_csv(rejects)["reason"]) == {"consent_expired"}


def test_consent_rule_boundaries():
    as_of = datetime(2026, 11, 24, tzinfo=timezone.utc)
    frame = pl.DataFrame(
        {
            "consent_status": ["subscribed"] * 4 + ["unsubscribed"],
            "consent_source": ["customer order", "customer order", "quote request", None, "purchase"],
            "consent_at": [as_of - timedelta(days=730), as_of - timedelta(days=729), as_of - timedelta(days=150), as_of, as_of - timedelta(days=900)],
        }
    )
    rules = ConsentRules()
    assert frame.select(implied_expired(frame, as_of, rules)).to_series().to_list() == [True, False, False, False, False]
    assert frame.select(implied_expiring(frame, as_of, rules)).to_series().to_list() == [False, True, True, False, False]
    assert frame.select(unproven(frame)).to_series().to_list() == [False, False, False, True, False]


def test_export_as_of_is_the_day_implied_consent_expires_against(cli, tmp_path):
    data = tmp_path / "consent.csv"
    data.write_text("email,consent_status,consent_source,consent_at\nbuyer@firma.pl,subscribed,purchase,2024-01-10\nform@firma.pl,subscribed,double opt-in form,2024-01-10\n")
    exported = {}
    for as_of in ("2025-12-31", "2026-01-10"):  # the purchase's two years end on 2026-01-09
        out = tmp_path / f"out-{as_of}.csv"
        result = cli(["export", data, "-o", out, "--as-of", as_of, "--json"])
        assert result.exit_code == 0, result.stderr
        exported[as_of] = (pl.read_csv(out)["email"].to_list(), json.loads(result.stdout)["consent_expired"])
    assert exported == {"2025-12-31": (["buyer@firma.pl", "form@firma.pl"], 0), "2026-01-10": (["form@firma.pl"], 1)}
    result = cli(["export", data, "-o", tmp_path / "x.csv", "--as-of", "31/12/2025"])
    assert result.exit_code == 2 and "--as-of" in result.stderr
