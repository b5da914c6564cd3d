"""Spreadsheets: .xlsx, .xlsm, .xls and .ods, read by calamine (fastexcel), one sheet, as text.

A workbook is read whole (calamine has no streaming reader), every cell as text so a
postcode keeps its leading zeros. The first sheet is read unless --sheet names another;
its first row is the header unless it holds an address, like delimited text, and its
names are cleaned the same way.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from zlib import error as zlib_error

from listclean.errors import InputError
from listclean.io import sniff
from listclean.io.read.delimited import clean_header
from listclean.io.read.registry import Format, register
from listclean.io.read.source import ROW, ReadOptions, Source, first_line
from listclean.io.read.workspace import Workspace

if TYPE_CHECKING:
    import polars as pl


def read_excel(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace) -> Source:
    import fastexcel
    import polars as pl

    local = _with_one_date_system(local, workspace)
    try:
        workbook = fastexcel.read_excel(str(local))
    except Exception as exc:  # noqa: BLE001 - calamine errors are not one type
        raise InputError(f"not a readable Excel file ({first_line(exc)})", source=name) from None
    notices: list[str] = []
    sheet = _choose_sheet(workbook.sheet_names, name, options, notices)
    _check_sheet_size(local, name, sheet)
    try:
        table = workbook.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"sheet {sheet!r} cannot be read ({first_line(exc)})", source=name) from None
    if table.height == 0:
        raise InputError(f"sheet {sheet!r} is empty", source=name, hint="pass --sheet to choose another")
    first = [value if value is not None else "" for value in table.row(0)]
    has_header = options.header if options.header is not None else not sniff.looks_like_data_row(first)
    if has_header:
        header = clean_header(first, f"{name} sheet {sheet!r}", notices)
        table = table.slice(1)
    else:
        header = [f"column_{i + 1}" for i in range(len(first))]
    table.columns = header
    frame = table.lazy().with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return Source(name, "xlsx", frame, header, sheet=sheet, notices=notices)


# calamine allocates the sheet's whole extent (its declared dimension, or its farthest cell)
# before reading a cell: a sparse sheet claiming A1:XFD1048576 asks for hundreds of GiB and
# aborts the process. More cells than this is refused before calamine sees the sheet.
MAX_SHEET_CELLS = 50_000_000
_CELL_REF = re.compile(rb'<(?:\w+:)?(?:c|dimension)\b[^>]*?\s(?:r|ref)="(?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([0-9]{1,7})"')


def _check_sheet_size(local: Path, name: str, sheet: str) -> None:
    """Refuse a sheet whose extent (declared or reached by a cell) is too large to hold."""
    part = _sheet_part(local, sheet)
    if part is None:
        return
    rows = columns = 0
    try:
        with zipfile.ZipFile(local) as archive, archive.open(part) as xml:
            tail = b""
            while block := xml.read(1 << 20):
                data = tail + block
                for letters, digits in _CELL_REF.findall(data):
                    rows = max(rows, int(digits))
                    columns = max(columns, _column_number(letters))
                tail = data[-512:]
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, zlib_error):
        return  # calamine says what is wrong with the file
    if rows * columns > MAX_SHEET_CELLS:
        raise InputError(
            f"sheet {sheet!r} spans {columns:,} columns by {rows:,} rows ({rows * columns:,} cells), "
            f"more than the {MAX_SHEET_CELLS:,} cells listclean reads from a workbook",
            source=name,
            hint="delete the empty rows and columns in Excel (or save the sheet as CSV) and try again",
        )


_WORKBOOK_PR = re.compile(rb"<(?:[\w.-]+:)?workbookPr\b[^>]*?(?:/>|>.*?</(?:[\w.-]+:)?workbookPr>)", re.S)
_DATE_1904 = re.compile(rb'\bdate1904\s*=\s*["\'](?:1|true)["\']')


def _with_one_date_system(local: Path, workspace: Workspace) -> Path:
    """The workbook as calamine should read its dates. A workbook in the 1904 date system says so
    on its workbookPr; when it has another (x14:workbookPr, in an extension) calamine reads that
    one last and takes dates as 1900-based, 1,462 days early. Such a workbook is read from a copy
    whose workbook.xml has one workbookPr, saying 1904. Anything else is read as it is."""
    try:
        with zipfile.ZipFile(local) as archive:
            xml = archive.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, zlib_error):
        return local
    found = _WORKBOOK_PR.findall(xml)
    if len(found) < 2 or not any(_DATE_1904.search(element) for element in found):
        return local
    fixed = _WORKBOOK_PR.sub(b"", xml)
    opening = re.search(rb"<(?:[\w.-]+:)?workbook\b[^>]*>", fixed)
    if opening is None:
        return local
    fixed = fixed[: opening.end()] + b'<workbookPr date1904="1"/>' + fixed[opening.end() :]
    target = workspace.path(".xlsx")
    with zipfile.ZipFile(local) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in source.infolist():
            copy.writestr(item, fixed if item.filename == "xl/workbook.xml" else source.read(item.filename))
    return target


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_part(local: Path, sheet: str) -> str | None:
    """The zip member holding the named sheet of an .xlsx/.xlsm (None: not such a workbook)."""
    import posixpath
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(local) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, EOFError, zlib_error):
        return None
    target_of = {rel.get("Id"): rel.get("Target", "") for rel in relations if rel.tag.endswith("Relationship")}
    for element in workbook.iter():
        if element.tag.endswith("}sheet") and element.get("name") == sheet:
            rid = next((value for key, value in element.attrib.items() if key.endswith("}id")), None)
            target = target_of.get(rid)
            if not target:
                return None
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def _choose_sheet(sheets: list[str], name: str, options: ReadOptions, notices: list[str]) -> str:
    if options.sheet is not None:
        if options.sheet not in sheets:
            raise InputError(f"no sheet named {options.sheet!r}", source=name, hint=f"sheets: {', '.join(sheets)}")
        return options.sheet
    if len(sheets) > 1:
        notices.append(f"read sheet {sheets[0]!r}, the first of {len(sheets)} (pass --sheet to choose another)")
    return sheets[0]


def read_column(path: str, column: str) -> pl.LazyFrame:
    """A column of a workbook listclean wrote (read whole: a workbook cannot be streamed)."""
    import polars as pl

    return pl.read_excel(path, columns=[column]).lazy()


# .xlsx/.xlsm/.ods are zip files, .xls an OLE container: calamine reads all
register(Format("xlsx", read_excel, read_column, magic=(b"PK\x03\x04", b"\xd0\xcf\x11\xe0")))
