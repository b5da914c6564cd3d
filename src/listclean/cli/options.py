"""Options shared by several commands, declared once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from listclean.cli import completion


class OnBadRows(str, Enum):
    error = "error"
    skip = "skip"
    keep = "keep"


class DateOrderChoice(str, Enum):
    auto = "auto"
    mdy = "mdy"
    dmy = "dmy"


READING = "Reading input"
CONSENT = "Consent rules"
WRITING = "Writing output"
MAPPING = "Mapping and standardising"

Inputs = Annotated[list[str], typer.Argument(metavar="INPUT", help="Input files (csv, tsv, parquet, ndjson, json, xlsx); '-' reads stdin.", show_default=False)]
Output = Annotated[
    Optional[str],
    typer.Option("--output", "-o", metavar="PATH", help="Output file, or '-' for stdout. Default: stdout when it is a pipe.", rich_help_panel=WRITING),
]
Format = Annotated[
    Optional[str],
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Output format: csv, tsv, ndjson, parquet, xlsx. Default: from the output's extension, else csv.",
        autocompletion=completion.output_formats,
        rich_help_panel=WRITING,
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output file.", rich_help_panel=WRITING)]
Rejects = Annotated[
    Optional[str],
    typer.Option("--rejects", metavar="PATH", help="Write rows that were not output (with file, row, line and reason) here.", rich_help_panel=WRITING),
]
Json = Annotated[bool, typer.Option("--json", help="Print the run's summary as one JSON object on stdout.", rich_help_panel=WRITING)]
Report = Annotated[Optional[str], typer.Option("--report", metavar="PATH", help="Write the run's summary as JSON to this file.", rich_help_panel=WRITING)]
Bom = Annotated[bool, typer.Option("--bom", help="Start a CSV/TSV with a UTF-8 byte-order mark (Excel double-click).", rich_help_panel=WRITING)]
ExcelSafe = Annotated[
    bool,
    typer.Option("--excel-safe", help="Prefix cells starting with = + - @ (not plain numbers) with ' against formula injection.", rich_help_panel=WRITING),
]

Delimiter = Annotated[Optional[str], typer.Option("--delimiter", "-d", metavar="CHAR", help="Field delimiter of text inputs (default: sniffed among , ; tab |).", rich_help_panel=READING)]
Encoding = Annotated[
    Optional[str],
    typer.Option("--encoding", metavar="ENCODING", help="Text encoding of inputs (default: BOM, UTF-8, else detected legacy code page).", rich_help_panel=READING),
]
Sheet = Annotated[Optional[str], typer.Option("--sheet", metavar="SHEET", help="Excel sheet to read (default: the first).", rich_help_panel=READING)]
Header = Annotated[
    Optional[bool],
    typer.Option("--header/--no-header", help="Whether the first row is a header (default: yes, unless it holds an email address).", show_default=False, rich_help_panel=READING),
]
SkipLines = Annotated[
    Optional[int],
    typer.Option("--skip-lines", min=0, metavar="LINES", help="Lines before the header of text inputs (default: blank lines and a preamble such as LinkedIn's 'Notes:', detected).", show_default=False, rich_help_panel=READING),
]
BadRows = Annotated[
    OnBadRows,
    typer.Option("--on-bad-rows", help="Ragged rows, NUL bytes: error (stop), skip (to --rejects) or keep (repaired, listed in --rejects).", rich_help_panel=READING),
]
Map = Annotated[
    Optional[list[str]],
    typer.Option("--map", "-m", metavar="COLUMN=FIELD", help="Map a column: 'Column=field' (repeatable); 'Column=' leaves it unmapped.", show_default=False, rich_help_panel=MAPPING),
]
DateOrder = Annotated[
    DateOrderChoice,
    typer.Option("--date-order", help="Order of ambiguous numeric dates like 03/04/2024: auto (from the data, else mdy), mdy or dmy.", rich_help_panel=MAPPING),
]
DefaultCountry = Annotated[
    Optional[str],
    typer.Option("--default-country", metavar="CODE", help="ISO country code for reading phone numbers without a country code.", rich_help_panel=MAPPING),
]
QuarantineSource = Annotated[
    Optional[list[str]],
    typer.Option(
        "--quarantine-source",
        metavar="PHRASE",
        help="A phrase (regular expression, whole words, any case) of a 'source' that says the addresses were bought, rented or scraped: "
        "such rows are quarantined. Repeatable; replaces the built-in phrases ('purchased list', 'list broker', 'scraped' …); 'none' quarantines nothing.",
        show_default=False,
        rich_help_panel=CONSENT,
    ),
]
ImpliedDays = Annotated[
    int, typer.Option("--implied-days", metavar="DAYS", help="Implied consent (a purchase, a customer) lasts this many days after consent_at.", rich_help_panel=CONSENT)
]
InquiryDays = Annotated[int, typer.Option("--inquiry-days", metavar="DAYS", help="Implied consent from an inquiry lasts this many days.", rich_help_panel=CONSENT)]
SourceName = Annotated[Optional[str], typer.Option("--source-name", metavar="NAME", help="Fill the 'source' field of rows that have none.", rich_help_panel=MAPPING)]
AsOf = Annotated[
    Optional[str],
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="The date that counts as today (relative dates, ages, recency, consent lifetimes), YYYY-MM-DD, midnight UTC. Default: now. Set it for reproducible runs.",
        show_default=False,
    ),
]


def parse_as_of(text: str | None, option: str = "--as-of"):  # -> datetime | None
    """--as-of YYYY-MM-DD (see AsOf) as midnight UTC of that day; None when not given."""
    from listclean.runtime import parse_as_of as parse

    return parse(text, option)


# --------------------------------------------------------------------------- option groups, declared once
# Every command that reads contact files takes the same reading options, and every command that
# writes them the same writing options. Rather than repeat those parameters in each signature,
# `reads_contacts` / `writes_contacts` append them to the signature Typer sees and hand the
# command one `ReadingChoices` / `WritingChoices` value.


@dataclass
class ReadingChoices:
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    header: bool | None = None
    skip_lines: int | None = None
    on_bad_rows: OnBadRows = OnBadRows.error
    mapping: list[str] | None = None
    date_order: DateOrderChoice = DateOrderChoice.auto
    default_country: str | None = None
    quarantine_source: list[str] | None = None


@dataclass
class WritingChoices:
    output: str | None = None
    format: str | None = None
    force: bool = False
    rejects: str | None = None
    json: bool = False
    report: str | None = None
    bom: bool = False
    excel_safe: bool = False


def _keyword(name: str, default: Any, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


_READING_PARAMETERS = [
    _keyword("delimiter", None, Delimiter),
    _keyword("encoding", None, Encoding),
    _keyword("sheet", None, Sheet),
    _keyword("header", None, Header),
    _keyword("skip_lines", None, SkipLines),
    _keyword("on_bad_rows", OnBadRows.error, BadRows),
    _keyword("mapping", None, Map),
    _keyword("date_order", DateOrderChoice.auto, DateOrder),
    _keyword("default_country", None, DefaultCountry),
    _keyword("quarantine_source", None, QuarantineSource),
]
_WRITING_PARAMETERS = [
    _keyword("output", None, Output),
    _keyword("format", None, Format),
    _keyword("force", False, Force),
    _keyword("rejects", None, Rejects),
    _keyword("json", False, Json),
    _keyword("report", None, Report),
    _keyword("bom", False, Bom),
    _keyword("excel_safe", False, ExcelSafe),
]


def _option_group(keyword: str, choices: type, parameters: list[inspect.Parameter]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    names = [p.name for p in parameters]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(function, eval_str=True)
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else p
            for p in signature.parameters.values()
            if p.name != keyword
        ]

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = choices(**{name: kwargs.pop(name) for name in names if name in kwargs})
            return function(*args, **{keyword: values}, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=own + parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in own + parameters}
        return wrapper

    return decorate


reads_contacts = _option_group("reading", ReadingChoices, _READING_PARAMETERS)
writes_contacts = _option_group("writing", WritingChoices, _WRITING_PARAMETERS)
