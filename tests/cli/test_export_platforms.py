"""`listclean export --to PLATFORM` and `--hash`: platform columns and values, parts, and no leaks."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest

from listclean.errors import OutputError
from listclean.export_rules import verify_no_leak

CONTACTS = """email,first_name,last_name,phone,consent_status,tags
ann@firma.pl,Ann,Nowak,+48600100200,subscribed,"vip, b2b"
bob@firma.pl,Bob,Smith,+12125550101,pending,
carl@firma.pl,Carl,Jones,,unsubscribed,
Carl@Firma.pl,Carl,Jones,,subscribed,
=cmd|' /C calc'!A0@evil.com,Eve,,,subscribed,
"""


@pytest.fixture
def contacts(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS)
    return path


def test_each_platform_gets_its_headers_and_values_and_suppressed_addresses_stay_out(cli, contacts, tmp_path):
    expected_headers = {
        "mailchimp": ["Email Address", "First Name", "Last Name", "Phone Number", "Tags"],
        "klaviyo": ["Email", "First Name", "Last Name", "Phone Number", "Tags", "Email Marketing Consent"],
        "sendgrid": ["email", "first_name", "last_name", "phone_number"],
        "brevo": ["EMAIL", "FIRSTNAME", "LASTNAME", "SMS"],
        "hubspot": ["Email", "First Name", "Last Name", "Phone Number"],  # no billing "Marketing contact status"
    }
    for platform, headers in expected_headers.items():
        out = tmp_path / f"{platform}.csv"
        result = cli(["export", contacts, "--to", platform, "-o", out, "--excel-safe"])
        assert result.exit_code == 0, result.stderr
        frame = pl.read_csv(out, infer_schema=False)
        assert frame.columns == headers
        emails = [value.lower() for value in frame[headers[0]]]
        assert "carl@firma.pl" not in emails  # unsubscribed in one row: the other row is suppressed too
        assert "bob@firma.pl" not in emails  # pending consent is held back: the platform would mail him
        assert frame.height == 2
        phones = frame[headers[3]].to_list()
        assert "+48600100200" in phones  # E.164 survives --excel-safe
    klaviyo = pl.read_csv(tmp_path / "klaviyo.csv", infer_schema=False)
    assert klaviyo["Email Marketing Consent"].to_list() == ["SUBSCRIBED", "SUBSCRIBED"]
    assert klaviyo["Tags"][0] == '["vip","b2b"]'  # a Klaviyo list property is a JSON array
    assert pl.read_csv(tmp_path / "mailchimp.csv", infer_schema=False)["Tags"][0] == "vip,b2b"
    # An address in a platform file is never altered, not even by --excel-safe (issue #16 point 13):
    # the platform must get the address itself; the cells people read (names, tags) are guarded.
    assert pl.read_csv(tmp_path / "mailchimp.csv", infer_schema=False)["Email Address"][1].startswith("=cmd|")


def test_large_exports_are_split_into_numbered_parts(cli, contacts, tmp_path):
    out = tmp_path / "sendgrid.csv"
    result = cli(["export", contacts, "--to", "sendgrid", "-o", out, "--max-rows", "2", "--consent-policy", "subscribed+pending", "--json"])
    assert result.exit_code == 0, result.stderr
    files = json.loads(result.stdout)["files"]
    assert [f.rsplit("/", 1)[1] for f in files] == ["sendgrid-001.csv", "sendgrid-002.csv"]
    assert sum(pl.read_csv(f).height for f in files) == 3 and not out.exists()


def test_splitting_to_stdout_is_refused(cli, contacts):
    result = cli(["export", contacts, "--to", "sendgrid", "-o", "-", "--max-rows", "1"])
    assert result.exit_code == 2 and "stdout" in result.stderr


def test_hashed_audience_is_sha256_of_the_trimmed_lower_cased_address(cli, contacts, tmp_path):
    out = tmp_path / "audience.csv"
    result = cli(["export", contacts, "--hash", "sha256", "-o", out])
    assert result.exit_code == 0, result.stderr
    hashes = pl.read_csv(out)["email_sha256"].to_list()
    assert hashes[0] == hashlib.sha256(b"ann@firma.pl").hexdigest()
    assert hashlib.sha256(b"carl@firma.pl").hexdigest() not in hashes
    assert pl.read_csv(out).columns == ["email_sha256"]


def test_columns_and_platform_profiles_do_not_mix(cli, contacts, tmp_path):
    result = cli(["export", contacts, "--to", "mailchimp", "--columns", "email", "-o", tmp_path / "x.csv"])
    assert result.exit_code == 2 and "--columns" in result.stderr


def test_the_read_back_check_removes_files_that_contain_a_suppressed_address(tmp_path):
    good, bad = tmp_path / "part-001.csv", tmp_path / "part-002.csv"
    good.write_text("email\nann@firma.pl\n")
    bad.write_text("email\n Carl@Firma.pl\n")
    with pytest.raises(OutputError, match="1 suppressed address"):
        verify_no_leak([str(good), str(bad)], "csv", "email", {"carl@firma.pl"})
    assert not good.exists() and not bad.exists()
    hashed = tmp_path / "audience.csv"
    hashed.write_text(f"email_sha256\n{hashlib.sha256(b'carl@firma.pl').hexdigest()}\n")
    with pytest.raises(OutputError):
        verify_no_leak([str(hashed)], "csv", "email_sha256", {"carl@firma.pl"}, hashed=True)


def test_a_platform_gets_only_usable_addresses_and_the_others_are_listed(cli, tmp_path):
    source = tmp_path / "contacts.csv"
    source.write_text("email,first_name,consent_status\nAnn@FIRMA.PL,Ann,subscribed\n,NoMail,subscribed\nbob@@firma.pl,Bob,subscribed\ncarl@firma.pl,Carl,subscribed\n")
    validated = tmp_path / "validated.parquet"
    assert cli(["validate", source, "-o", validated]).exit_code == 0
    result = cli(["export", validated, "--to", "mailchimp", "-o", tmp_path / "mc.csv", "--rejects", tmp_path / "rejects.csv", "--json"])
    assert result.exit_code == 0, result.stderr
    written = pl.read_csv(tmp_path / "mc.csv")
    assert written["Email Address"].to_list() == ["Ann@firma.pl", "carl@firma.pl"]  # validate's normalised form: domain lower-cased
    rejects = pl.read_csv(tmp_path / "rejects.csv")
    assert rejects.select("_source_row", "reason").rows() == [(2, "no_address"), (3, "email_invalid")]
    summary = json.loads(result.stdout)
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"], summary["unusable_address"]) == (4, 2, 2, 2)

    kept = cli(["export", validated, "--to", "mailchimp", "-o", tmp_path / "all.csv", "--keep-invalid"])
    assert kept.exit_code == 0
    assert pl.read_csv(tmp_path / "all.csv")["Email Address"].to_list() == ["Ann@firma.pl", "bob@@firma.pl", "carl@firma.pl"]
    # A hashed audience: the row without an address is listed, not silently left out.
    hashed = cli(["export", validated, "--hash", "sha256", "-o", tmp_path / "ads.csv", "--keep-invalid", "--json"])
    assert json.loads(hashed.stdout)["rows_out"] == pl.read_csv(tmp_path / "ads.csv").height == 3


def test_the_to_choices_are_csv_and_every_platform_profile():
    import typer

    from listclean.cli.app import app
    from listclean.platforms import PROFILES

    export = typer.main.get_command(app).commands["export"]
    (to,) = [parameter for parameter in export.params if parameter.name == "to"]
    assert [choice.value for choice in to.type_descriptor.choices] == ["csv", *PROFILES]


def test_street_lines_go_to_the_platforms_that_document_them(cli, tmp_path):
    source = tmp_path / "streets.csv"
    source.write_text(
        "email,first_name,Street Address,Address 2,City,consent_status,Birthday\n"
        "ann@firma.pl,Ann,  1  Main St ,Apt 4,Boston,subscribed,1956-09-09\n"
        "bob@firma.pl,Bob,,,,subscribed,\n"
    )
    headers = {}
    for platform in ("sendgrid", "hubspot", "mailchimp", "klaviyo", "brevo"):
        out = tmp_path / f"{platform}.csv"
        result = cli(["export", source, "--to", platform, "-o", out])
        assert result.exit_code == 0, result.stderr
        headers[platform] = pl.read_csv(out, infer_schema=False)
    sendgrid, hubspot = headers["sendgrid"], headers["hubspot"]
    assert sendgrid.columns == ["email", "first_name", "address_line_1", "address_line_2", "city"]
    assert sendgrid["address_line_1"].to_list() == ["1 Main St", None]
    assert sendgrid["address_line_2"].to_list() == ["Apt 4", None]
    assert hubspot.columns == ["Email", "First Name", "Street Address", "City"]
    # no documented column for them: these profiles are unchanged
    assert headers["mailchimp"].columns == ["Email Address", "First Name", "City"]
    assert headers["klaviyo"].columns == ["Email", "First Name", "City", "Email Marketing Consent"]
    assert headers["brevo"].columns == ["EMAIL", "FIRSTNAME"]
