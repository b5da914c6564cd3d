"""The suppression store: fed by exports, honoured by imports and exports, erasure keeps only a keyed hash."""

from __future__ import annotations

import json
import os
import stat

import polars as pl


def write(path, text):
    path.write_text(text)
    return path


def test_an_unsubscribe_is_remembered_and_wins_over_an_old_export(cli, tmp_path):
    store = tmp_path / "suppression.tsv"
    first = write(tmp_path / "first.csv", "email,consent_status\nann@firma.pl,subscribed\nbob@firma.pl,unsubscribed\n")
    listed = write(tmp_path / "dnm.txt", "Zed@Firma.pl\n")
    result = cli(["export", first, "-o", tmp_path / "out1.csv", "--store", store, "--suppress", listed])
    assert result.exit_code == 0, result.stderr
    entries = [line.split("\t")[:2] for line in store.read_text().splitlines() if not line.startswith("#")]
    assert entries == [["bob@firma.pl", "unsubscribed"], ["zed@firma.pl", "suppression_list"]]
    # An older export still says Bob and Zed are subscribed: neither is exported, Bob comes in unsubscribed.
    old = write(tmp_path / "old.csv", "email,consent_status\nbob@firma.pl,subscribed\nzed@firma.pl,subscribed\ncy@firma.pl,subscribed\n")
    out = tmp_path / "out2.csv"
    result = cli(["export", old, "-o", out, "--store", store, "--json"])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["email"].to_list() == ["cy@firma.pl"]
    imported = tmp_path / "imported.csv"
    assert cli(["import", old, "-o", imported, "--store", store]).exit_code == 0
    assert dict(pl.read_csv(imported).select("email", "consent_status").iter_rows())["bob@firma.pl"] == "unsubscribed"


def test_erasure_keeps_only_a_keyed_hash_and_the_person_never_comes_back(cli, tmp_path):
    store = tmp_path / "suppression.tsv"
    result = cli(["erase", "Eve@Firma.pl", "--store", store, "--json"])
    assert result.exit_code == 0, result.stderr
    text = store.read_text()
    assert "eve@" not in text.lower() and "hmac-sha256:" in text
    key = tmp_path / "suppression.tsv.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    later = write(tmp_path / "later.csv", "email,first_name,consent_status\neve@firma.pl,Eve,subscribed\nann@firma.pl,Ann,subscribed\n")
    imported, rejects = tmp_path / "imported.csv", tmp_path / "rejects.csv"
    result = cli(["import", later, "-o", imported, "--store", store, "--rejects", rejects])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(imported)["email"].to_list() == ["ann@firma.pl"]
    dropped = rejects.read_text()
    assert "erased" in dropped and "eve" not in dropped.lower()  # no data about her, only the row number
    out = tmp_path / "out.csv"
    assert cli(["export", later, "-o", out, "--store", store]).exit_code == 0
    assert pl.read_csv(out)["email"].to_list() == ["ann@firma.pl"]


def test_an_erased_row_in_an_export_turns_its_plain_entry_into_a_hash(cli, tmp_path):
    store = tmp_path / "suppression.tsv"
    write(store, "# store\nmia@firma.pl\tunsubscribed\t2026-01-01\n")
    data = write(tmp_path / "data.csv", "email,consent_status\nmia@firma.pl,erased\n")
    assert cli(["export", data, "-o", tmp_path / "out.csv", "--store", store]).exit_code == 0
    assert "mia@" not in store.read_text()


def test_a_damaged_store_is_an_input_error(cli, tmp_path):
    store = write(tmp_path / "suppression.tsv", "ann@firma.pl only two fields\n")
    data = write(tmp_path / "data.csv", "email\nann@firma.pl\n")
    result = cli(["export", data, "-o", tmp_path / "out.csv", "--store", store])
    assert result.exit_code == 2 and "suppression.tsv:1" in result.stderr


def test_erase_needs_someone_to_erase(cli, tmp_path):
    result = cli(["erase", "--store", tmp_path / "s.tsv"])
    assert result.exit_code == 2 and "no one to erase" in result.stderr
    assert json.dumps  # keep the import used


def test_validate_marks_stored_addresses_suppressed_and_drops_erased_people(cli, tmp_path):
    store = tmp_path / "suppression.tsv"
    write(store, "# store\nzed@firma.pl\tsuppression_list\t2026-01-01\n")
    assert cli(["erase", "eve@firma.pl", "--store", store]).exit_code == 0
    data = write(tmp_path / "data.csv", "email,consent_status\nzed@firma.pl,subscribed\neve@firma.pl,subscribed\nann@firma.pl,subscribed\n")
    out = tmp_path / "validated.csv"
    result = cli(["validate", data, "-o", out, "--store", store, "--json"])
    assert result.exit_code == 0, result.stderr
    statuses = dict(pl.read_csv(out).select("email", "email_status").iter_rows())
    assert statuses == {"zed@firma.pl": "suppressed", "ann@firma.pl": "valid"}
    summary = json.loads(result.stdout)
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"]) == (3, 2, 1)
