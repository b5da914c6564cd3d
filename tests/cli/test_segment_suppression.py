"""segment --split-dir (and run's segment files) never write an address suppressed anywhere:
by another row, another input, the store or a --suppress list (issue #16 point 3)."""

from __future__ import annotations

import json

import polars as pl
import pytest

WHERE = ["--where", "country = 'PL'", "--name", "poland"]


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def split(tmp_path):
    folder = tmp_path / "split"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("unmailable", [[], ["--include-unmailable"]])
def test_a_split_file_never_holds_an_address_another_input_suppresses(cli, tmp_path, split, unmailable):
    first = write(tmp_path / "a.csv", "email,country,consent_status\njane.doe@gmail.com,PL,unsubscribed\n")
    second = write(tmp_path / "b.csv", "email,country,consent_status\nJane.Doe+news@googlemail.com,PL,subscribed\nann@firma.pl,PL,subscribed\n")
    out = tmp_path / "out.csv"
    result = cli(["segment", first, second, *WHERE, "-o", out, "--split-dir", split, "--json", *unmailable])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(split / "poland.csv")["email"].to_list() == ["ann@firma.pl"]
    assert len(pl.read_csv(out)) == 3  # every row is still labelled in the main output
    # Kept out of the file: Jane's other spelling (and, labelled too with --include-unmailable, her unsubscribed row)
    assert json.loads(result.stdout)["split_suppressed"] == (2 if unmailable else 1)


def test_the_store_and_suppress_lists_keep_people_out_of_split_files(cli, tmp_path, split):
    store = write(tmp_path / "store.tsv", "bob@firma.pl\tunsubscribed\t2024-01-01\n")
    listed = write(tmp_path / "dnm.txt", "mailto:Cy@Firma.pl\n")
    data = write(tmp_path / "in.csv", "email,country\nBOB@firma.pl,PL\ncy@firma.pl.,PL\nann@firma.pl,PL\n")
    result = cli(["segment", data, *WHERE, "-o", tmp_path / "out.csv", "--split-dir", split, "--store", store, "--suppress", listed])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(split / "poland.csv")["email"].to_list() == ["ann@firma.pl"]
    assert "bob" in store.read_text() and len(store.read_text().splitlines()) == 1  # read, never changed


def test_runs_segment_files_honour_the_runs_store_and_lists(cli, tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "split").mkdir()
    write(tmp_path / "exports" / "a.csv", "email,country,consent_status\nann@firma.pl,PL,subscribed\nJane.Doe@gmail.com,PL,subscribed\nbob@firma.pl,PL,subscribed\n")
    write(tmp_path / "dnm.txt", "janedoe+x@googlemail.com\n")
    write(tmp_path / "store.tsv", "bob@firma.pl\tunsubscribed\t2024-01-01\n")
    config = write(
        tmp_path / "nightly.toml",
        '[run]\ninputs = ["exports/*"]\nworkdir = "clean"\nstore = "store.tsv"\nsuppress = ["dnm.txt"]\nas_of = "2026-11-24"\n\n'
        '[run.segment]\nwhere = "country = \'PL\'"\nname = "poland"\nsplit_dir = "split"\n',
    )
    result = cli(["run", config])
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(tmp_path / "split" / "poland.csv")["email"].to_list() == ["ann@firma.pl"]
