""".xlsx outputs that open well: typed cells, a frozen bold header, an autofilter, column widths,
lists joined, text cut at Excel's cell limit only with a warning and a note, never a formula,
the same bytes for the same frame. Read back from the sheet's XML and through calamine."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from conftest import EXAMPLES, load
from listclean.errors import OutputError
from listclean.io.write import EXCEL_MAX_COLUMNS, OutputTarget, OutputWarning, excel_safe, prepare_target, serialise, write_frame
from listclean.io.write_xlsx import EXCEL_MAX_CELL_CHARS, WIDTH_RANGE

UTC = dt.timezone.utc


def contacts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "email": ["ann@example.com", "bob@example.com", "=SUM(A1)"],
            "phone": ["+48 600 100 200", "0048600100200", None],
            "postal_code": ["00501", "02134", None],
            "signup_at": [dt.datetime(2024, 3, 5, 10, 0, 7, tzinfo=UTC), None, dt.datetime(2023, 12, 31, 23, 30, tzinfo=UTC)],
            "local_at": [dt.datetime(2024, 7, 1, 12, 0, tzinfo=UTC), None, None],  # 14:00 in Warsaw (summer time)
            "birthday": [dt.date(1990, 2, 28), dt.date(2000, 2, 29), None],
            "tags": [["vip", "b2b"], None, []],
            "total_spend": [1234.5, None, 0.1],
            "purchase_count": [3, 0, None],
            "is_survivor": [True, False, None],
            "notes": ["short", "a much longer note that should widen its column a little", None],
        },
        schema_overrides={"signup_at": pl.Datetime("us", "UTC"), "local_at": pl.Datetime("us", "Europe/Warsaw")},
    )


def write(frame: pl.DataFrame, path: Path) -> OutputTarget:
    target = prepare_target(str(path), fmt=None, force=True, inputs=[])
    write_frame(frame, target)
    return target


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def cells(path: Path) -> dict[str, tuple[str | None, str | None, str]]:
    """Each cell by reference: (type attribute, style index, value or inline text)."""
    found = {}
    for ref, attributes, body in re.findall(r'<c r="([A-Z]+[0-9]+)"([^>]*)>(.*?)</c>', sheet_xml(path)):
        kind = re.search(r'\bt="([^"]+)"', attributes)
        style = re.search(r'\bs="([0-9]+)"', attributes)
        value = re.search(r"<(?:v|t)(?: [^>]*)?>(.*?)</(?:v|t)>", body, re.S)
        found[ref] = (kind.group(1) if kind else None, style.group(1) if style else None, value.group(1) if value else "")
    return found


def number_formats(path: Path) -> list[str | None]:
    """The number format of each cell style (index = the `s` of a cell)."""
    with zipfile.ZipFile(path) as book:
        styles = book.read("xl/styles.xml").decode()
    custom = dict(re.findall(r'<numFmt numFmtId="([0-9]+)" formatCode="([^"]*)"', styles))
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    return [custom.get(found) for found in re.findall(r'<xf numFmtId="([0-9]+)"', xfs)]


def typed(path: Path) -> pl.DataFrame:
    return fastexcel.read_excel(str(path)).load_sheet(0).to_polars()


def test_dates_are_excel_dates_numbers_are_numbers_and_text_stays_text(tmp_path):
    path = tmp_path / "out.xlsx"
    write(contacts(), path)
    found, formats = cells(path), number_formats(path)
    # D: signup_at, E: local_at, F: birthday — numbers styled as dates, not ISO text
    for ref, wanted in (("D2", "yyyy-mm-dd hh:mm:ss"), ("E2", "yyyy-mm-dd hh:mm:ss"), ("F2", "yyyy-mm-dd"), ("F3", "yyyy-mm-dd")):
        kind, style, value = found[ref]
        assert kind is None and float(value) > 0, (ref, found[ref])
        assert formats[int(style)] == wanted, ref
    back = typed(path)
    assert back["signup_at"].to_list()[0] == dt.datetime(2024, 3, 5, 10, 0, 7)
    assert back["local_at"].to_list()[0] == dt.datetime(2024, 7, 1, 12, 0)  # a zoned datetime: its UTC wall time
    assert back["birthday"].to_list()[:2] == [dt.datetime(1990, 2, 28), dt.datetime(2000, 2, 29)]
    with zipfile.ZipFile(path) as book:
        notes = book.read("xl/comments1.xml").decode()
    assert re.findall(r'<comment ref="([A-Z]+[0-9]+)"', notes) == ["D1", "E1"] and notes.count("times in UTC") == 2  # the zoned columns say so
    # numbers are numbers, booleans TRUE/FALSE
    assert found["H2"][0] is None and float(found["H2"][2]) == 1234.5
    assert found["I2"][0] is None and found["I2"][2] == "3"
    assert back["total_spend"].dtype == pl.Float64 and back["total_spend"].to_list() == [1234.5, None, 0.1]
    assert found["J2"] == ("b", None, "1") and found["J3"] == ("b", None, "0")
    assert back["is_survivor"].to_list() == [True, False, None]
    # a phone with + or 0 and a postcode with a leading zero stay text, exactly as typed
    assert found["B2"] == ("inlineStr", None, "+48 600 100 200")
    assert found["B3"] == ("inlineStr", None, "0048600100200")
    assert found["C2"] == ("inlineStr", None, "00501")
    assert back["postal_code"].to_list() == ["00501", "02134", None]


def test_header_bold_frozen_autofiltered_and_columns_sized(tmp_path):
    path = tmp_path / "out.xlsx"
    write(contacts(), path)
    xml = sheet_xml(path)
    assert re.search(r'<pane [^>]*ySplit="1"[^>]*state="frozen"', xml)
    assert '<autoFilter ref="A1:K4"/>' in xml
    with zipfile.ZipFile(path) as book:
        styles = book.read("xl/styles.xml").decode()
    fonts = re.findall(r"<font>(.*?)</font>", re.search(r"<fonts[^>]*>(.*?)</fonts>", styles, re.S).group(1), re.S)
    font_of_style = [int(found) for found in re.findall(r'<xf numFmtId="[0-9]+" fontId="([0-9]+)"', re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1))]
    header = cells(path)
    for ref in ("A1", "D1", "K1"):
        assert "<b/>" in fonts[font_of_style[int(header[ref][1])]], ref
    widths = {
        column: float(width)
        for first, last, width in re.findall(r'<col min="([0-9]+)" max="([0-9]+)" width="([0-9.]+)"', xml)
        for column in range(int(first), int(last) + 1)
    }
    assert sorted(widths) == list(range(1, 12))
    low, high = WIDTH_RANGE
    assert all(low <= width <= high + 1 for width in widths.values())
    assert widths[4] >= len("2024-03-05 10:00:07")  # a datetime is shown whole, not as ####
    assert widths[11] > widths[2] > low  # the long note's column is wider than the phone's, which is wider than the minimum


def test_list_columns_joined_readably(tmp_path):
    path = tmp_path / "out.xlsx"
    write(contacts().with_columns(merged_from=pl.Series([[3, 7], None, None], dtype=pl.List(pl.Int64))), path)
    found = cells(path)
    assert found["G2"] == ("inlineStr", None, "vip, b2b")
    assert found["L2"] == ("inlineStr", None, "3, 7")
    assert "G4" not in found  # an empty list is an empty cell
    assert load(path).frame["tags"].to_list()[0] == ["vip", "b2b"]  # and reads back as a list


def test_a_cell_over_excels_limit_is_cut_with_a_warning_and_a_note(tmp_path):
    path = tmp_path / "out.xlsx"
    frame = pl.DataFrame({"email": ["ann@example.com", "bob@example.com", "cy@example.com"], "notes": ["y" * 40_000, "fine", "😀" * 20_000]})
    with pytest.warns(OutputWarning, match=r"column 'notes': 2 cell\(s\) longer than 32,767 characters.*sheet rows 2, 4") as caught:
        target = write(frame, path)
    assert len(caught) == 1 and str(path) in str(caught[0].message)
    assert target.notices == [str(caught[0].message)]
    back = typed(path)["notes"].to_list()
    assert back[0] == "y" * EXCEL_MAX_CELL_CHARS and back[1] == "fine"
    assert len(back[2].encode("utf-16-le")) // 2 <= EXCEL_MAX_CELL_CHARS and back[2] == "😀" * (EXCEL_MAX_CELL_CHARS // 2)  # no half emoji
    with zipfile.ZipFile(path) as book:
        notes = book.read("xl/comments1.xml").decode()
        properties = book.read("docProps/core.xml").decode()
    assert notes.count("40,000 characters") == 1 and "an Excel cell holds 32,767" in notes
    assert re.findall(r'<comment ref="([A-Z]+[0-9]+)"', notes) == ["B2", "B4"]
    assert "column 'notes': 2 cell(s)" in properties


def test_no_cut_no_warning(tmp_path, recwarn):
    write(contacts(), tmp_path / "out.xlsx")
    assert not [w for w in recwarn if issubclass(w.category, OutputWarning)]


def test_never_a_formula_and_the_excel_safe_guard_still_holds(tmp_path):
    frame = pl.DataFrame({"email": ["=cmd|' /C calc'!A0", "+48600100200"], "amount": [-12.5, 3.0], "tags": [["@x", "ok"], None]})
    plain, guarded = tmp_path / "plain.xlsx", tmp_path / "guarded.xlsx"
    write(frame, plain)
    write(excel_safe(frame), guarded)
    for path in (plain, guarded):
        assert "<f>" not in sheet_xml(path) and "<f " not in sheet_xml(path)
    assert cells(plain)["A2"] == ("inlineStr", None, "=cmd|' /C calc'!A0")  # a string cell: shown, never run
    assert cells(guarded)["A2"] == ("inlineStr", None, "'=cmd|' /C calc'!A0")
    assert cells(guarded)["A3"] == ("inlineStr", None, "+48600100200")  # a phone is not "guarded"
    assert cells(guarded)["B2"] == (None, None, "-12.5")  # a negative number stays a number
    assert cells(guarded)["C2"] == ("inlineStr", None, "'@x, ok")


def test_values_excel_cannot_hold_as_such_are_written_as_text(tmp_path):
    path = tmp_path / "out.xlsx"
    frame = pl.DataFrame(
        {
            "when": [dt.datetime(1850, 1, 1, 12, 0), dt.datetime(2024, 1, 1)],
            "score": [float("nan"), float("inf")],
            "id": [12_345_678_901_234_567, 5],
            "extra": [{"a": 1}, None],
        }
    )
    write(frame, path)
    found = cells(path)
    assert found["A2"] == ("inlineStr", None, "1850-01-01 12:00:00")
    assert found["A3"][0] is None
    assert found["B2"] == ("inlineStr", None, "NaN") and found["B3"] == ("inlineStr", None, "inf")
    assert found["C2"] == ("inlineStr", None, "12345678901234567") and found["C3"] == (None, None, "5")
    assert found["D2"] == ("inlineStr", None, '{"a":1}')


def test_the_same_frame_gives_the_same_bytes_and_the_creation_date_is_pinned(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write(contacts(), first)
    write(contacts(), second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as book:
        assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">1980-01-01T00:00:00Z" in book.read("docProps/core.xml").decode()


def test_a_stream_gets_a_whole_workbook_and_an_empty_frame_a_header(tmp_path):
    buffer = io.BytesIO()
    serialise(contacts(), OutputTarget("-", "xlsx"), buffer)
    (tmp_path / "streamed.xlsx").write_bytes(buffer.getvalue())
    assert typed(tmp_path / "streamed.xlsx")["email"].to_list()[0] == "ann@example.com"
    empty = tmp_path / "empty.xlsx"
    write(contacts().clear(), empty)
    assert '<autoFilter ref="A1:K1"/>' in sheet_xml(empty) and cells(empty)["A1"][2] == "email"


def test_more_columns_than_a_sheet_holds_are_refused(tmp_path):
    frame = pl.DataFrame({f"c{i}": ["x"] for i in range(EXCEL_MAX_COLUMNS + 1)})
    with pytest.raises(OutputError, match="16,385 columns do not fit"):
        write(frame, tmp_path / "wide.xlsx")
    assert not (tmp_path / "wide.xlsx").exists()


def test_import_examples_to_xlsx_end_to_end(cli, tmp_path):
    out = tmp_path / "contacts.xlsx"
    inputs = [EXAMPLES / "hubspot_contacts.csv", EXAMPLES / "mailchimp_subscribed_members_export_2026.csv"]
    result = cli(["import", *inputs, "-o", out])
    assert result.exit_code == 0, result.stderr
    back = typed(out)
    assert back["signup_at"].dtype == pl.Datetime("ms")  # Excel dates, not ISO text
    assert back["_source_row"].dtype == pl.Float64  # numbers (Excel has no integers)
    assert back["tags"].drop_nulls().str.contains(", ").any()  # "vip, newsletter"
    phones = back["phone"].drop_nulls()
    assert phones.dtype == pl.String and "+48600123456" in phones.to_list() and "555-0100" in phones.to_list()
    xml = sheet_xml(out)
    assert 'ySplit="1"' in xml and "<autoFilter " in xml
    again = load(out).frame  # and listclean reads its own workbook back, typed
    assert again.schema["signup_at"] == pl.Datetime("us", "UTC") and again.schema["tags"] == pl.List(pl.String)


def test_the_cli_warns_on_stderr_when_a_cell_is_cut(tmp_path):
    (tmp_path / "long.csv").write_text("email,notes,postal_code\nann@example.com," + "y" * 40_000 + ",00501\nbob@example.com,short,02134\n")
    run = subprocess.run(
        [sys.executable, "-m", "listclean", "import", "long.csv", "-o", "out.xlsx"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "out.xlsx: column 'notes': 1 cell(s) longer than 32,767 characters" in run.stderr
    assert "sheet row 2" in run.stderr and "Traceback" not in run.stderr
    back = typed(tmp_path / "out.xlsx")
    assert len(back["notes"][0]) == EXCEL_MAX_CELL_CHARS and back["postal_code"].to_list() == ["00501", "02134"]
