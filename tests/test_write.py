"""Writers: atomic, never over an input, every format round-trips through the reader."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from conftest import load
from listclean.errors import OutputError
from listclean.export_rules import separate_suppressed
from listclean.io.write import excel_safe
from listclean.io.write import prepare_target, write_frame


def contacts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "email": ["ann@example.com", "bob@example.com"],
            "phone": ["+48600100200", None],
            "postal_code": ["00123", "02134"],
            "signup_at": [dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.timezone.utc), None],
            "tags": [["vip", "b2b"], None],
            "total_spend": [1234.5, None],
            "consent_status": ["subscribed", "unsubscribed"],
        },
        schema_overrides={"signup_at": pl.Datetime("us", "UTC")},
    )


@pytest.mark.parametrize("suffix", ["csv", "tsv", "ndjson", "parquet", "xlsx"])
def test_every_format_round_trips_values_and_types(tmp_path, suffix):
    path = tmp_path / f"out.{suffix}"
    write_frame(contacts(), prepare_target(str(path), fmt=None, force=False, inputs=[]))
    back = load(path).frame
    assert back["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert back["postal_code"].to_list() == ["00123", "02134"]
    assert back["phone"].to_list() == ["+48600100200", None]
    assert back["signup_at"].to_list() == [dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.timezone.utc), None]
    assert back["tags"].to_list() == [["vip", "b2b"], None]
    assert back["total_spend"].to_list() == [1234.5, None]


def test_existing_output_needs_force_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(OutputError, match="already exists"):
        prepare_target(str(path), fmt=None, force=False, inputs=[])
    write_frame(contacts(), prepare_target(str(path), fmt=None, force=True, inputs=[]))
    assert path.read_text().startswith("email,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_an_input_is_never_an_output(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("email\nann@example.com\n")
    with pytest.raises(OutputError, match="refusing to overwrite an input"):
        prepare_target(str(path), fmt=None, force=True, inputs=[str(path)])
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    with pytest.raises(OutputError, match="refusing"):
        prepare_target(str(link), fmt=None, force=True, inputs=[str(path)])


def test_missing_directory_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        prepare_target(str(tmp_path / "nope" / "out.csv"), fmt=None, force=False, inputs=[])


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("precious")
    import listclean.io.write as write

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "serialise", explode)
    with pytest.raises(KeyboardInterrupt):
        write_frame(contacts(), prepare_target(str(path), fmt=None, force=True, inputs=[]))
    assert path.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_bom_is_written_on_request(tmp_path):
    path = tmp_path / "out.csv"
    write_frame(contacts(), prepare_target(str(path), fmt=None, force=False, inputs=[], bom=True))
    assert path.read_bytes().startswith(b"\xef\xbb\xbfemail,")


def test_excel_safe_escapes_formulas_but_not_numbers_or_phones():
    frame = pl.DataFrame({"v": ["=SUM(A1)", "+48600100200", "-12.5", "@cmd", "-2+3+cmd|' /C calc'!A0", "plain", "+1 415 555 2671"]})
    assert excel_safe(frame)["v"].to_list() == ["'=SUM(A1)", "+48600100200", "-12.5", "'@cmd", "'-2+3+cmd|' /C calc'!A0", "plain", "+1 415 555 2671"]


def test_suppressed_contacts_are_split_out_with_a_reason():
    frame = contacts().with_columns(pl.Series("_source_file", ["a.csv", "a.csv"]), pl.Series("_source_row", [1, 2]))
    kept, rejects, blocked = separate_suppressed(frame)
    assert kept["email"].to_list() == ["ann@example.com"]
    assert blocked == {frame["email"][1].lower()}
    assert rejects.select("_source_row", "reason", "detail").row(0) == (2, "suppressed", "consent_status is unsubscribed")
