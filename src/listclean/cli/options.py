"""Options shared by several commands, declared once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Optional

import typer


class OnBadRows(str, Enum):
    error = "error"
    skip = "skip"
    keep = "keep"


class DateOrderChoice(str, Enum):
    auto = "auto"
    mdy = "mdy"
    dmy = "dmy"


READING = "Reading input"
WRITING = "Writing output"
MAPPING = "Mapping and standardising"

Inputs = Annotated[list[str], typer.Argument(help="Input files (csv, tsv, parquet, ndjson, json, xlsx); '-' reads stdin.", show_default=False)]
Output = Annotated[
    Optional[str],
    typer.Option("--output", "-o", help="Output file, or '-' for stdout. Default: stdout when it is a pipe.", rich_help_panel=WRITING),
]
Format = Annotated[
    Optional[str],
    typer.Option("--format", "-f", help="Output format: csv, tsv, ndjson, parquet, xlsx. Default: from the output's extension, else csv.", rich_help_panel=WRITING),
]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output file.", rich_help_panel=WRITING)]
Rejects = Annotated[
    Optional[str],
    typer.Option("--rejects", help="Write rows that were not output (with file, row, line and reason) here.", rich_help_panel=WRITING),
]
Json = Annotated[bool, typer.Option("--json", help="Print the run's summary as one JSON object on stdout.", rich_help_panel=WRITING)]
Report = Annotated[Optional[str], typer.Option("--report", help="Write the run's summary as JSON to this file.", rich_help_panel=WRITING)]
Bom = Annotated[bool, typer.Option("--bom", help="Start a CSV/TSV with a UTF-8 byte-order mark (Excel double-click).", rich_help_panel=WRITING)]
ExcelSafe = Annotated[
    bool,
    typer.Option("--excel-safe", help="Prefix cells starting with = + - @ (not plain numbers) with ' against formula injection.", rich_help_panel=WRITING),
]

Delimiter = Annotated[Optional[str], typer.Option("--delimiter", "-d", help="Field delimiter of text inputs (default: sniffed among , ; tab |).", rich_help_panel=READING)]
Encoding = Annotated[
    Optional[str],
    typer.Option("--encoding", help="Text encoding of inputs (default: BOM, UTF-8, else detected legacy code page).", rich_help_panel=READING),
]
Sheet = Annotated[Optional[str], typer.Option("--sheet", help="Excel sheet to read (default: the first).", rich_help_panel=READING)]
Header = Annotated[
    Optional[bool],
    typer.Option("--header/--no-header", help="Whether the first row is a header (default: yes, unless it holds an email address).", show_default=False, rich_help_panel=READING),
]
BadRows = Annotated[
    OnBadRows,
    typer.Option("--on-bad-rows", help="Ragged rows, NUL bytes: error (stop), skip (to --rejects) or keep (repaired, listed in --rejects).", rich_help_panel=READING),
]
Map = Annotated[
    Optional[list[str]],
    typer.Option("--map", "-m", help="Map a column: 'Column=field' (repeatable); 'Column=' leaves it unmapped.", show_default=False, rich_help_panel=MAPPING),
]
DateOrder = Annotated[
    DateOrderChoice,
    typer.Option("--date-order", help="Order of ambiguous numeric dates like 03/04/2024: auto (from the data, else mdy), mdy or dmy.", rich_help_panel=MAPPING),
]
DefaultCountry = Annotated[
    Optional[str],
    typer.Option("--default-country", help="ISO country code for reading phone numbers without a country code.", rich_help_panel=MAPPING),
]
SourceName = Annotated[Optional[str], typer.Option("--source-name", help="Fill the 'source' field of rows that have none.", rich_help_panel=MAPPING)]


# --------------------------------------------------------------------------- reading options, declared once
# Every command that reads contact files takes the same reading and mapping options. Rather
# than repeat eight parameters in each command's signature, `reads_contacts` appends them to
# the signature Typer sees and hands the command one `ReadingChoices` value.


@dataclass
class ReadingChoices:
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    header: bool | None = None
    on_bad_rows: OnBadRows = OnBadRows.error
    mapping: list[str] | None = None
    date_order: DateOrderChoice = DateOrderChoice.auto
    default_country: str | None = None


_READING_PARAMETERS = [
    inspect.Parameter("delimiter", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Delimiter),
    inspect.Parameter("encoding", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Encoding),
    inspect.Parameter("sheet", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Sheet),
    inspect.Parameter("header", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Header),
    inspect.Parameter("on_bad_rows", inspect.Parameter.KEYWORD_ONLY, default=OnBadRows.error, annotation=BadRows),
    inspect.Parameter("mapping", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Map),
    inspect.Parameter("date_order", inspect.Parameter.KEYWORD_ONLY, default=DateOrderChoice.auto, annotation=DateOrder),
    inspect.Parameter("default_country", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=DefaultCountry),
]


def reads_contacts(function: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the shared reading options, passed to it as `reading: ReadingChoices`."""
    signature = inspect.signature(function, eval_str=True)
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else p
           for p in signature.parameters.values() if p.name != "reading"]
    names = [p.name for p in _READING_PARAMETERS]

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        choices = ReadingChoices(**{name: kwargs.pop(name) for name in names if name in kwargs})
        return function(*args, reading=choices, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + _READING_PARAMETERS)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + _READING_PARAMETERS}
    return wrapper
