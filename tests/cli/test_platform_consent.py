"""Consent that platforms understand (issue #18): each platform's file from a messy export (golden),
consent held back, opt-out files, ad audiences that match, limits and formats per platform."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import polars as pl
import pytest

from listclean.platforms import AUDIENCES, EMAIL_PLATFORMS, PROFILES

GOLDEN = Path(__file__).parent.parent / "golden" / "platforms"

# A messy export: statuses in many spellings (and one nobody understands), national phones,
# a landline and a mobile, a non-ASCII mailbox, tags, consent dates in two formats, a Gmail
# address with dots and its googlemail spelling unsubscribed elsewhere.
MESSY = (
    "E-Mail,Vorname,Nachname,Telefon,consent_status,consent_at,Tags,Land,PLZ,Ort,Geburtsdatum\n"
    "anna.nowak@firma.pl,Anna,Nowak,600 100 200,subscribed,2024-03-05 10:12:00,\"vip, b2b\",Polska,00-950,Warszawa,1980-02-03\n"
    "bob@firma.pl,Bob,Smith,+1 212 555 0101,pending,,,USA,10001-1234,New York,\n"
    "carl@firma.pl,Carl,Jones,,unsubscribed,2026-10-01,,Polska,,,\n"
    "CARL@firma.pl,Carl,Jones,,subscribed,,,Polska,,,\n"
    "dee@firma.pl,Dee,Lee,22 123 45 67,,,,Polska,,,\n"
    "eva@firma.pl,Eva,Kowalska,22 123 45 68,subscribed,05.01.2025,newsletter,Polska,31-001,Kraków,\n"
    "jürgen.müller@web.de,Jürgen,Müller,030 1234567,subscribed,2023-06-01,,Deutschland,10115,Berlin,\n"
    "Jane.Doe@gmail.com,Jane,Doe,+44 7911 123456,subscribed,2025-02-02 08:00:00,,United Kingdom,SW1A 1AA,London,1975-05-05\n"
    "janedoe@googlemail.com,Jane,Doe,,complained,2026-11-01,,United Kingdom,,,\n"
    "zed@firma.pl,Zed,Zielinski,,maybe,,,Polska,,,\n"
    "ola@firma.pl,Ola,Nowak,,bounced,2025-07-07,,Polska,,,\n"
)


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "crm_export.csv"
    path.write_text(MESSY, encoding="utf-8")
    return path


def export(cli, source, out, *args):
    result = cli(["export", source, "-o", out, "--default-country", "PL", "--as-of", "2026-11-30", "--json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def check_golden(name: str, path: Path) -> None:
    golden = GOLDEN / name
    text = path.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept a deliberate change)"


@pytest.mark.parametrize("platform", list(PROFILES))
def test_each_platform_file_from_a_messy_export_matches_its_golden_file(cli, messy, tmp_path, platform):
    out = tmp_path / f"{platform}.csv"
    summary, _ = export(cli, messy, out, "--to", platform)
    check_golden(f"{platform}.csv", out)
    # Only subscribed people, never a suppressed spelling: Anna, Eva, Jane (and Jürgen where the platform takes his address).
    assert summary["held_back"] == {"pending": 1, "unknown": 2}  # bob pending; dee no status, zed "maybe"
    assert summary["rows_out"] == (2 if platform == "mailchimp" else 3)  # Jane's googlemail spelling complained: she is out too


@pytest.mark.parametrize("platform", EMAIL_PLATFORMS)
def test_each_platforms_opt_out_file_matches_its_golden_file(cli, messy, tmp_path, platform):
    out = tmp_path / f"{platform}-optouts.csv"
    summary, _ = export(cli, messy, out, "--to", platform, "--suppressions")
    for written in summary["files"]:
        check_golden(f"{platform}-optouts{Path(written).name.removeprefix(f'{platform}-optouts')}", Path(written))
    everything = pl.concat([pl.read_csv(f, infer_schema=False) for f in summary["files"]])
    addresses = set(everything[PROFILES[platform].opt_out.email_header])
    # Every spelling the platform may hold of an opted-out person, and nobody mailable.
    assert addresses == {"carl@firma.pl", "jane.doe@gmail.com", "janedoe@googlemail.com", "ola@firma.pl"}
    assert summary["opt_outs"]["by_reason"] == {"bounced": 1, "complained": 2, "unsubscribed": 1}


def test_mailchimp_takes_one_status_per_import_so_unsubscribes_and_cleaned_are_two_files(cli, messy, tmp_path):
    summary, _ = export(cli, messy, tmp_path / "mc.csv", "--to", "mailchimp", "--suppressions")
    assert [Path(f).name for f in summary["files"]] == ["mc.csv", "mc-cleaned.csv"]
    assert pl.read_csv(tmp_path / "mc-cleaned.csv")["Email Address"].to_list() == ["ola@firma.pl"]


def test_pending_and_unknown_consent_are_held_back_and_listed_unless_the_policy_lets_them_through(cli, messy, tmp_path):
    rejects = tmp_path / "rejects.csv"
    summary, stderr = export(cli, messy, tmp_path / "k.csv", "--to", "klaviyo", "--rejects", rejects)
    reasons = dict(pl.read_csv(rejects).select("raw", "reason").iter_rows())
    assert reasons["bob@firma.pl"] == "consent_pending" and reasons["dee@firma.pl"] == reasons["zed@firma.pl"] == "consent_unknown"
    assert "1 contact(s) held back: consent pending" in stderr and "2 contact(s) held back: consent unknown" in stderr
    assert summary["consent_policy"] == "subscribed"
    summary, _ = export(cli, messy, tmp_path / "k2.csv", "--to", "klaviyo", "--consent-policy", "subscribed+pending")
    klaviyo = pl.read_csv(tmp_path / "k2.csv", infer_schema=False)
    words = dict(klaviyo.select("Email", "Email Marketing Consent").iter_rows())
    assert words["bob@firma.pl"] == "NEVER_SUBSCRIBED" and words["anna.nowak@firma.pl"] == "SUBSCRIBED"
    assert summary["held_back"] == {"pending": 0, "unknown": 2} and summary["consent_policy"] == "subscribed+pending"
    # The older --unknown-consent include still means +unknown.
    summary, _ = export(cli, messy, tmp_path / "k3.csv", "--to", "klaviyo", "--unknown-consent", "include")
    assert summary["held_back"] == {"pending": 1, "unknown": 0}
    # A plain CSV is not mailed: it keeps them.
    summary, _ = export(cli, messy, tmp_path / "plain.csv")
    assert summary["rows_out"] == 6 and summary["held_back"] == {}  # 11 less Carl's, Jane's two spellings and Ola's bounce


def test_a_policy_that_is_not_one_is_refused(cli, messy, tmp_path):
    for policy in ("pending", "subscribed+maybe"):
        result = cli(["export", messy, "--to", "mailchimp", "-o", tmp_path / "x.csv", "--consent-policy", policy])
        assert result.exit_code == 2 and "--consent-policy" in result.stderr


def test_consent_timestamps_go_where_each_platform_reads_them(cli, messy, tmp_path):
    export(cli, messy, tmp_path / "mc.csv", "--to", "mailchimp")
    export(cli, messy, tmp_path / "kl.csv", "--to", "klaviyo")
    mailchimp = dict(pl.read_csv(tmp_path / "mc.csv", infer_schema=False).select("Email Address", "OPTIN_TIME").iter_rows())
    assert mailchimp["anna.nowak@firma.pl"] == "2024-03-05 10:12:00" and mailchimp["eva@firma.pl"] == "2025-01-05 00:00:00"
    klaviyo = dict(pl.read_csv(tmp_path / "kl.csv", infer_schema=False).select("Email", "Email Marketing Consent Timestamp").iter_rows())
    assert klaviyo["anna.nowak@firma.pl"] == "2024-03-05 10:12:00+00:00"


def test_mailchimp_refuses_a_non_ascii_mailbox_so_it_is_listed_not_sent(cli, messy, tmp_path):
    rejects = tmp_path / "rejects.csv"
    summary, stderr = export(cli, messy, tmp_path / "mc.csv", "--to", "mailchimp", "--rejects", rejects)
    assert summary["refused_address"] == 1 and "mailchimp refuses their address" in stderr
    refused = pl.read_csv(rejects).filter(pl.col("reason") == "platform_refuses_address")
    assert refused["raw"].to_list() == ["jürgen.müller@web.de"]
    summary, _ = export(cli, messy, tmp_path / "sg.csv", "--to", "sendgrid")
    assert "jürgen.müller@web.de" in pl.read_csv(tmp_path / "sg.csv")["email"].to_list()  # others take it


def test_phone_columns_get_only_the_numbers_the_platform_takes(cli, messy, tmp_path):
    summary, _ = export(cli, messy, tmp_path / "brevo.csv", "--to", "brevo")
    sms = dict(pl.read_csv(tmp_path / "brevo.csv", infer_schema=False).select("EMAIL", "SMS").iter_rows())
    # A Polish mobile takes texts; two landlines (Poland's 22 …, Berlin's 030 …) do not.
    assert sms["anna.nowak@firma.pl"] == "+48600100200"
    assert sms["eva@firma.pl"] is None and sms["jürgen.müller@web.de"] is None
    assert summary["phones_left_out"] == 2
    source = tmp_path / "raw.csv"
    source.write_text("email,phone,consent_status\nann@firma.pl,555-0100,subscribed\nbo@firma.pl,+48221234567,subscribed\n")
    summary, _ = export(cli, source, tmp_path / "sg.csv", "--to", "sendgrid")
    phones = pl.read_csv(tmp_path / "sg.csv", infer_schema=False)["phone_number"].to_list()
    assert phones == [None, "+48221234567"] and summary["phones_left_out"] == 1  # 555-0100 is not E.164


def test_files_are_split_at_each_platforms_documented_limit(cli, tmp_path, monkeypatch):
    from listclean.platforms import rows_per_part

    assert (PROFILES["klaviyo"].max_mb, PROFILES["hubspot"].max_rows, PROFILES["hubspot"].max_mb, PROFILES["brevo"].max_mb) == (50, 1_048_576, 512, 250)
    assert (PROFILES["sendgrid"].max_rows, PROFILES["sendgrid"].max_mb) == (1_000_000, 5_000)
    small = pl.DataFrame({"Email": ["a@b.pl"] * 10})
    assert rows_per_part(small, 3_000_000, PROFILES["hubspot"].max_rows, PROFILES["hubspot"].max_mb) == 1_048_576
    # Past a limit: the same rule with the limit scaled down, on a file generated past it.
    monkeypatch.setitem(PROFILES, "klaviyo", dataclasses.replace(PROFILES["klaviyo"], max_mb=1))
    source = tmp_path / "big.csv"
    rows = 30_000
    pl.DataFrame({"email": [f"person{i}@firma.pl" for i in range(rows)], "first_name": ["Aleksandra-Magdalena"] * rows, "consent_status": ["subscribed"] * rows}).write_csv(source)
    summary, _ = export(cli, source, tmp_path / "klaviyo.csv", "--to", "klaviyo")
    assert len(summary["files"]) >= 2
    assert all(os.path.getsize(f) <= 1_000_000 for f in summary["files"])
    assert sum(pl.read_csv(f).height for f in summary["files"]) == rows


def test_opt_outs_come_from_the_input_the_store_and_the_lists_and_since_keeps_what_changed(cli, messy, tmp_path):
    store = tmp_path / "suppression.tsv"
    assert cli(["export", messy, "-o", tmp_path / "feed.csv", "--store", store]).exit_code == 0  # the store learns this run's opt-outs
    listed = tmp_path / "dnm.txt"
    listed.write_text("legal-hold@firma.pl\n" + hashlib.sha256(b"hidden@firma.pl").hexdigest() + "\n")
    fresh = tmp_path / "today.csv"
    fresh.write_text("email,consent_status,consent_at\nnew.unsub@firma.pl,unsubscribed,2026-11-29\nold.unsub@firma.pl,unsubscribed,2025-01-01\nundated@firma.pl,cleaned,\n")
    summary, _ = export(cli, fresh, tmp_path / "sg.csv", "--to", "sendgrid", "--suppressions", "--store", store, "--suppress", listed, "--since", "2026-11-01")
    written = set(pl.read_csv(tmp_path / "sg.csv")["email"])
    assert {"new.unsub@firma.pl", "undated@firma.pl", "legal-hold@firma.pl"} <= written
    assert "old.unsub@firma.pl" not in written  # changed before --since
    assert "carl@firma.pl" in written  # added to the store today
    counts = summary["opt_outs"]
    assert (counts["before_since"], counts["undated"], counts["from_lists"], counts["hashed_not_written"]) == (1, 1, 1, 1)
    assert counts["from_store"] == 3  # carl, janedoe@googlemail.com, ola


def test_erased_people_are_never_written_to_an_opt_out_file(cli, tmp_path):
    source = tmp_path / "erased.csv"
    source.write_text("email,consent_status\ngone@firma.pl,erased\nout@firma.pl,unsubscribed\n")
    summary, stderr = export(cli, source, tmp_path / "optouts.csv", "--to", "klaviyo", "--suppressions")
    assert pl.read_csv(tmp_path / "optouts.csv")["Email"].to_list() == ["out@firma.pl"]
    assert summary["opt_outs"]["erased_rows"] == 1 and "erased people not written" in stderr


def test_ad_audiences_carry_each_platforms_identifiers_normalised_and_hashed(cli, messy, tmp_path):
    sha = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    export(cli, messy, tmp_path / "google.csv", "--to", "google-customer-match")
    google = pl.read_csv(tmp_path / "google.csv", infer_schema=False)
    assert google.columns == ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
    row = google.filter(pl.col("Email") == sha("anna.nowak@firma.pl")).row(0, named=True)
    assert row["Phone"] == sha("+48600100200") and row["First Name"] == sha("anna") and (row["Country"], row["Zip"]) == ("PL", "00-950")
    export(cli, messy, tmp_path / "meta.csv", "--to", "meta-audience")
    meta = pl.read_csv(tmp_path / "meta.csv", infer_schema=False)
    row = meta.filter(pl.col("email") == sha("anna.nowak@firma.pl")).row(0, named=True)
    assert row["phone"] == sha("48600100200") and row["ct"] == sha("warszawa") and row["zip"] == sha("00950")
    assert row["country"] == sha("pl") and row["doby"] == sha("1980")
    # Google: a Gmail mailbox is hashed without its dots.
    source = tmp_path / "gmail.csv"
    source.write_text("email,consent_status\nJane.Doe@gmail.com,subscribed\n")
    export(cli, source, tmp_path / "g2.csv", "--to", "google-customer-match")
    assert pl.read_csv(tmp_path / "g2.csv")["Email"].to_list() == [sha("janedoe@gmail.com")]


def test_an_exclusion_audience_holds_the_opted_out_people_hashed(cli, messy, tmp_path):
    sha = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    summary, _ = export(cli, messy, tmp_path / "exclude.csv", "--to", "google-customer-match", "--exclusion")
    hashes = set(pl.read_csv(tmp_path / "exclude.csv")["Email"])
    assert hashes == {sha("carl@firma.pl"), sha("janedoe@gmail.com"), sha("janedoe@googlemail.com"), sha("ola@firma.pl")}
    result = cli(["export", messy, "--to", "mailchimp", "--exclusion", "-o", tmp_path / "x.csv"])
    assert result.exit_code == 2 and "ad platform" in result.stderr
    result = cli(["export", messy, "--to", "google-customer-match", "--suppressions", "-o", tmp_path / "x.csv"])
    assert result.exit_code == 2 and "--exclusion" in result.stderr


def test_the_read_back_check_knows_how_an_audience_normalises_addresses(tmp_path):
    from listclean.errors import OutputError
    from listclean.export_rules import verify_no_leak
    from listclean.platforms import audience_email_forms

    leaked = tmp_path / "audience.csv"
    leaked.write_text("Email\n" + hashlib.sha256(b"janedoe@googlemail.com").hexdigest() + "\n")
    forms = audience_email_forms(PROFILES["google-customer-match"], ["jane.doe@googlemail.com"])
    with pytest.raises(OutputError):
        verify_no_leak([str(leaked)], "csv", "Email", forms, hashed=True)


def test_every_platform_names_its_documentation():
    from listclean.platforms import DOCS

    assert set(DOCS) == set(PROFILES) and set(AUDIENCES) == {"google-customer-match", "meta-audience"}
    assert all(page.startswith("https://") for pages in DOCS.values() for page in pages)


def test_the_python_api_takes_the_same_consent_policy_and_opt_out_options(messy):
    import listclean

    frame, report = listclean.export(messy, to="klaviyo", consent_policy="subscribed+pending", default_country="PL")
    assert "bob@firma.pl" in frame["Email"].to_list() and report.held_back == {"pending": 0, "unknown": 2}
    frame, report = listclean.export(messy, to="mailchimp", suppressions=True)
    # Mailchimp's two files as one frame, each address with the file it belongs in.
    assert dict(frame.select("Email Address", "file").iter_rows())["ola@firma.pl"] == "cleaned"
    assert report.opt_outs.addresses == 4


def test_an_opt_out_export_counts_a_bought_lists_unsubscribes_and_lists_the_rows_it_could_not_read(cli, tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text("email,consent_status,source\nout@firma.pl,unsubscribed,form\nbought@firma.pl,unsubscribed,bought list\nragged@firma.pl\n")
    rejects = tmp_path / "rejects.csv"
    summary, _ = export(cli, source, tmp_path / "optouts.csv", "--to", "sendgrid", "--suppressions", "--rejects", rejects, "--on-bad-rows", "skip")
    # An opt-out file is never mailed: the platform may hold the bought address, so its unsubscribe goes too.
    assert set(pl.read_csv(tmp_path / "optouts.csv")["email"]) == {"out@firma.pl", "bought@firma.pl"} and summary["quarantined"] == 0
    assert pl.read_csv(rejects)["_source_row"].to_list() == [3]


def test_review_findings_stay_fixed(cli, tmp_path):
    """A header-only file, an erased person's other spelling, a Status column of billing words with
    an unsubscribe in it, a Mailchimp export whose header merely has UNSUB_TIME."""
    empty = tmp_path / "empty.csv"
    empty.write_text("email,name\n")
    for args in (["--to", "mailchimp", "--suppressions"], ["--to", "meta-audience", "--exclusion"]):
        assert cli(["export", empty, "-o", tmp_path / "o.csv", "--force", *args]).exit_code == 0
    erased = tmp_path / "erased.csv"
    erased.write_text("email,consent_status\nzed@x.com,erased\nZED@x.com,unsubscribed\nq@x.com,unsubscribed\n")
    summary, _ = export(cli, erased, tmp_path / "e.csv", "--to", "klaviyo", "--suppressions")
    assert pl.read_csv(tmp_path / "e.csv")["Email"].to_list() == ["q@x.com"]
    billing = tmp_path / "billing.csv"
    billing.write_text("Email,Name,Status\na1@x.com,A,Active\na2@x.com,A,Active\nu1@x.com,U,Unsubscribed\nb1@x.com,B,Bounced\n")
    summary, _ = export(cli, billing, tmp_path / "b.csv", "--to", "sendgrid", "--suppressions")
    assert set(pl.read_csv(tmp_path / "b.csv")["email"]) == {"u1@x.com", "b1@x.com"}
    members = tmp_path / "mc_export.csv"
    members.write_text('"Email Address",MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME,LEID\nm1@x.com,2,2020-01-01 10:00:00,2020-01-01 10:05:00,2025-06-01 00:00:00,1\nm2@x.com,2,2020-01-01 10:00:00,2020-01-01 10:05:00,,2\n')
    summary, _ = export(cli, members, tmp_path / "m.csv", "--to", "mailchimp", "--suppressions")
    assert pl.read_csv(tmp_path / "m.csv")["Email Address"].to_list() == ["m1@x.com"]


def test_a_nightly_run_file_takes_the_consent_policy_and_opt_out_options(cli, messy, tmp_path):
    (tmp_path / "outbox").mkdir()
    run_file = tmp_path / "nightly.toml"
    run_file.write_text(
        f'[run]\ninputs = ["{messy.name}"]\nworkdir = "clean"\nas_of = "2026-11-30"\n\n[run.import]\ndefault_country = "PL"\n\n'
        '[[run.export]]\nto = "klaviyo"\noutput = "outbox/klaviyo.csv"\nconsent_policy = "subscribed+pending"\n\n'
        '[[run.export]]\nto = "mailchimp"\noutput = "outbox/optouts.csv"\nsuppressions = true\nsince = "2026-01-01"\n'
    )
    result = cli(["run", run_file])
    assert result.exit_code == 0, result.stderr
    assert "bob@firma.pl" in pl.read_csv(tmp_path / "outbox" / "klaviyo.csv")["Email"].to_list()
    written = set(pl.read_csv(tmp_path / "outbox" / "optouts.csv")["Email Address"]) | set(pl.read_csv(tmp_path / "outbox" / "optouts-cleaned.csv")["Email Address"])
    assert "ola@firma.pl" not in written  # bounced 2025-07-07: before --since
    assert {"carl@firma.pl", "jane.doe@gmail.com"} <= written  # the golden record's address (dedupe merged her two spellings)
