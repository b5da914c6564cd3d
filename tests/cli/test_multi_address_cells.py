"""A cell holding several addresses is judged by its first, but none of them may be suppressed for
the row to reach an export or a split file (the second address is written too, as typed)."""

from __future__ import annotations

import pytest

ROWS = (
    "email,first_name,consent_status\n"
    '"ok@firma.pl; Bad@Firma.pl",Ok,subscribed\n'  # the second address is unsubscribed in another row
    "bad@firma.pl,Bad,unsubscribed\n"
    "ann@firma.pl,Ann,subscribed\n"
    '"ann2@firma.pl, listed@firma.pl",A2,subscribed\n'  # the second address is on a --suppress list
    '"kim@firma.pl; stored@firma.pl",Kim,subscribed\n'  # the second address is in the store
)


@pytest.fixture
def inputs(tmp_path, cli):
    (tmp_path / "in.csv").write_text(ROWS)
    (tmp_path / "list.txt").write_text("listed@firma.pl\n")
    assert cli(["erase", "stored@firma.pl", "--store", tmp_path / "store.tsv"]).exit_code == 0
    return tmp_path


def test_export_keeps_out_a_row_whose_cell_also_holds_a_suppressed_address(cli, inputs):
    out, rejects = inputs / "out.csv", inputs / "rejects.csv"
    args = ["export", inputs / "in.csv", "-o", out, "--rejects", rejects, "--suppress", inputs / "list.txt", "--store", inputs / "store.tsv"]
    result = cli(args)
    assert result.exit_code == 0, result.stderr
    written = out.read_text().lower()
    assert "ann@firma.pl" in written and not any(a in written for a in ("bad@", "listed@", "stored@", "ok@", "kim@"))
    assert rejects.read_text().count("the cell also holds an address that is suppressed") == 3


def test_segment_split_files_keep_out_the_same_rows(cli, inputs):
    folder = inputs / "split"
    folder.mkdir()
    args = ["segment", inputs / "in.csv", "--where", "first_name IS NOT NULL", "--name", "all", "--split-dir", folder, "-o", inputs / "seg.csv"]
    result = cli([*args, "--include-unmailable", "--suppress", inputs / "list.txt", "--store", inputs / "store.tsv"])
    assert result.exit_code == 0, result.stderr
    written = (folder / "all.csv").read_text().lower()
    assert "ann@firma.pl" in written and not any(a in written for a in ("bad@", "listed@", "stored@"))
