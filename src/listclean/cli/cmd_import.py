"""listclean import: many messy exports in, one canonical contact file out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from listclean.cli import options as opt
from listclean.cli.common import cli_runtime, emit_summary, guarded, open_inputs, prepare_outputs, rejects_sink, rows_line
from listclean.cli.console import Reporter
from listclean.cli.helptext import Example

if TYPE_CHECKING:
    from listclean.importer import SourceReport
    from listclean.steps.importing import ImportReport


def render_sources(reporter: Reporter, sources: list[SourceReport]) -> None:
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    table.add_column("input", overflow="fold")
    table.add_column("read as", overflow="fold")
    for title in ("rows in", "out", "rejected"):
        table.add_column(title, justify="right")
    for source in sources:
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(source.delimiter or "", source.delimiter)
        parts = (source.format, source.encoding, delimiter, f"sheet {source.sheet}" if source.sheet else None)
        table.add_row(
            source.name,
            ", ".join(part for part in parts if part),
            f"{source.rows_in:,}",
            f"{source.rows_out:,}",
            f"{source.rejected:,}",
        )
    reporter.table(table)
    for source in sources:
        renamed = [f"{column} → {target}" for target, column in source.mapping.fields.items() if column != target]
        kept = [target for target, column in source.mapping.fields.items() if column == target]
        mapped = renamed + ([f"{len(kept)} canonical column(s)"] if kept else [])
        reporter.info(f"{source.name}: mapped {', '.join(mapped) or 'nothing'}")
        if source.mapping.passthrough:
            reporter.info(f"{source.name}: kept as they are: {', '.join(source.mapping.passthrough)}")
        for note in source.notes:
            reporter.info(f"{source.name}: {note}")
        for notice in source.notices:
            reporter.warn(f"{source.name}: {notice}")


def render_step(reporter: Reporter, report: ImportReport, summary: dict[str, Any]) -> None:
    """What import says about a finished run (also under `listclean run`)."""
    rejects = summary.get("rejects")
    if rejects:
        reporter.detail(f"rejects written to {rejects}")
    render_sources(reporter, report.sources)
    if report.quarantined:
        reporter.warn(f"{report.quarantined:,} row(s) quarantined: their source says bought, rented or scraped (reason quarantined_source in --rejects)")
    if report.erased:
        reporter.info(f"{report.erased:,} row(s) of erased people dropped (see the suppression store)")
    reporter.info(rows_line(report.counts, summary["output"]) + (f" (rejects: {rejects})" if rejects else ""))
    if report.source_rejected and not rejects:
        reporter.detail("the rejected rows were empty; pass --rejects PATH to list them")


StoreOption = Annotated[
    Optional[str],
    typer.Option("--store", metavar="PATH", help="A suppression store (see export --store): erased people are dropped (only their row numbers reach --rejects); unsubscribed ones come in unsubscribed.", rich_help_panel=opt.MAPPING),
]

EXAMPLES = [
    Example("three exports in, one canonical file out; unreadable rows beside", "listclean import A.csv B.xlsx C.ndjson -o contacts.parquet --rejects rejects.csv"),
    Example("map columns by hand and say where the rows came from", "listclean import leads.csv --map 'Kontakt=email' --map 'Notiz=' --source-name trade-fair-2026 -o leads.parquet"),
    Example("German CSV, phones without a country code read as German", "listclean import shop.csv --default-country DE --date-order dmy -o shop.parquet"),
]


@guarded
@opt.writes_contacts
@opt.reads_contacts
def command(
    inputs: opt.Inputs,
    source_name: opt.SourceName = None,
    store: StoreOption = None,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Read messy exports, map their columns onto the canonical contact and write one clean file.

    Every input row ends in the output or, with its reason, in --rejects.
    """
    from listclean.steps.importing import ImportStepOptions, import_step

    reporter = Reporter()
    target = prepare_outputs(inputs, writing, reading, reads=[store] if store else [])
    with cli_runtime(reporter) as runtime:
        source = open_inputs(inputs, reading, runtime, source_name)
        sink = runtime.file_sink(target, excel_safe=writing.excel_safe)
        report = import_step(source, ImportStepOptions(store=store), sink, runtime, rejects=rejects_sink(writing, inputs, runtime))
        summary = report.summary(output=target.display, rejects=writing.rejects)
        render_step(reporter, report, summary)
        emit_summary(summary, json_summary=writing.json, report=writing.report, inputs=inputs, runtime=runtime)
