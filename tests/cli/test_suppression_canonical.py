"""One canonical form wherever suppression is decided (issue #16 point 2): repaired forms, case and
the provider rules; erase, --suppress lists, the store, validate --store and export agree."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest

from listclean.suppression import key_of, keys_of, normalised_of

VARIANTS = [
    "jane.doe@gmail.com",
    "Jane.Doe+news@googlemail.com",
    "MAILTO:Jane.Doe@gmail.com",
    "mailto:janedoe@gmail.com?subject=hi",
    "Jane Doe <JANE.DOE@GMAIL.COM>",
    "jane.doe@gmail.com.",
    "jane.doe＠gmail.com",
    "jane.\u200bdoe@gmail.com",
    "  j.a.n.e.d.o.e@gmail.com  ",
]


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_has_one_key(variant):
    assert key_of(variant) == "janedoe@gmail.com"


def test_keys_keep_what_providers_keep():
    # +tags only where the provider delivers them; dots only at Gmail; NFD is NFC.
    assert keys_of(["bob+x@company.com", "b.o.b@outlook.com", "bob+x@outlook.com", "Jose\u0301@x.com"]) == [
        "bob+x@company.com", "b.o.b@outlook.com", "bob@outlook.com", "jos\u00e9@x.com",
    ]  # fmt: skip
    assert normalised_of(["MAILTO:Jane.Doe+news@GoogleMail.com"]) == ["jane.doe+news@googlemail.com"]


@pytest.mark.parametrize("to", ["csv", "mailchimp", "hash"])
def test_a_listed_address_suppresses_every_variant(cli, tmp_path, to):
    rows = "\n".join(f'"{v}",subscribed' for v in VARIANTS)
    data = write(tmp_path / "in.csv", f"email,consent_status\n{rows}\nkeep@x.com,subscribed\n")
    listed = write(tmp_path / "dnm.txt", "jane.doe@gmail.com\n")
    out = tmp_path / "out.csv"
    target = ["--hash", "sha256"] if to == "hash" else ["--to", to]
    result = cli(["export", data, "-o", out, "--suppress", listed, "--json", *target])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_out"] == 1
    assert len(pl.read_csv(out)) == 1


def test_a_row_suppresses_its_variants_in_other_rows(cli, tmp_path):
    data = write(tmp_path / "in.csv", "email,consent_status\njane.doe@gmail.com,unsubscribed\nJane.Doe+news@googlemail.com,subscribed\nkeep@x.com,subscribed\n")
    out = tmp_path / "out.csv"
    result = cli(["export", data, "-o", out, "--to", "mailchimp", "--json"])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["Email Address"].to_list() == ["keep@x.com"]


def test_erase_reads_a_mailto_address_and_erases_every_variant(cli, tmp_path):
    store = tmp_path / "store.tsv"
    result = cli(["erase", "mailto:Jane.Doe@gmail.com", "--store", store])
    assert result.exit_code == 0, result.stderr
    assert "jane" not in store.read_text()
    data = write(tmp_path / "in.csv", "email,consent_status\n" + "\n".join(f'"{v}",subscribed' for v in VARIANTS) + "\nkeep@x.com,subscribed\n")
    out = tmp_path / "out.csv"
    result = cli(["export", data, "-o", out, "--store", store, "--json"])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["email"].to_list() == ["keep@x.com"]


def test_an_old_plain_store_entry_matches_by_key(cli, tmp_path):
    store = write(tmp_path / "store.tsv", "jane.doe@gmail.com\tunsubscribed\t2024-01-01\n")
    data = write(tmp_path / "in.csv", "email\nJaneDoe+x@googlemail.com\nkeep@x.com\n")
    out = tmp_path / "validated.csv"
    result = cli(["validate", data, "-o", out, "--store", store])
    assert result.exit_code == 0, result.stderr
    statuses = pl.read_csv(out)["email_status"].to_list()
    assert statuses[0] == "suppressed" and statuses[1] != "suppressed"


def test_validate_store_honours_hashed_entries(cli, tmp_path):
    digest = hashlib.sha256(b"jane@firma.pl").hexdigest()
    store = write(tmp_path / "store.tsv", f"{digest}\tsuppression_list\t2024-01-01\n")
    data = write(tmp_path / "in.csv", "email\nJane@Firma.pl\n")
    out = tmp_path / "validated.csv"
    assert cli(["validate", data, "-o", out, "--store", store]).exit_code == 0
    assert pl.read_csv(out)["email_status"][0] == "suppressed"


def test_a_suppression_entry_that_is_neither_is_an_error_naming_file_and_line(cli, tmp_path):
    listed = write(tmp_path / "dnm.txt", "ann@x.com\nnot an address\n")
    data = write(tmp_path / "in.csv", "email\nann@x.com\n")
    result = cli(["export", data, "-o", tmp_path / "out.csv", "--suppress", listed])
    assert result.exit_code == 2
    assert "dnm.txt" in result.stderr and "2" in result.stderr and "Traceback" not in result.stderr


def test_hash_hashes_the_normalised_address(cli, tmp_path):
    data = write(tmp_path / "in.csv", 'email,consent_status\n"MAILTO:Ann@Firma.PL.",subscribed\n')
    out = tmp_path / "out.csv"
    result = cli(["export", data, "-o", out, "--hash", "sha256"])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["email_sha256"].to_list() == [hashlib.sha256(b"ann@firma.pl").hexdigest()]
