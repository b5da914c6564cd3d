"""listclean export: write a clean file for people or pipelines; suppressed contacts never leave."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from listclean.cli import options as opt
from listclean.cli.cmd_import import accounting, import_options, write_rejects
from listclean.cli.common import emit_summary, guarded, prepare_outputs
from listclean.cli.console import Reporter

Columns = Annotated[
    Optional[str],
    typer.Option("--columns", "-c", help="Comma-separated columns to write, in this order (default: all).", rich_help_panel=opt.WRITING),
]


@guarded
@opt.writes_contacts
@opt.reads_contacts
def command(
    inputs: opt.Inputs,
    columns: Columns = None,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Write contacts as csv, tsv, ndjson, parquet or xlsx.

    Contacts whose consent_status is unsubscribed, cleaned, bounced, complained or
    erased are never exported; they are counted and, with --rejects, listed.
    """
    import polars as pl

    from listclean.export import excel_safe as make_excel_safe
    from listclean.export import select_columns, split_suppressed
    from listclean.importer import import_sources
    from listclean.io.read import Workspace
    from listclean.io.write import write_frame

    reporter = Reporter()
    target = prepare_outputs(inputs, writing, reading)
    wanted = [name.strip() for name in columns.split(",") if name.strip()] if columns else None
    settings = import_options(reading)

    with Workspace() as workspace, reporter.status("Exporting…"):
        result = import_sources(inputs, settings, workspace)
        mailable, suppressed = split_suppressed(result.frame)
        frame = select_columns(mailable, wanted) if wanted else mailable
        if writing.excel_safe:
            frame = make_excel_safe(frame)
        write_frame(frame, target)
        all_rejects = pl.concat([result.rejects, suppressed], how="vertical_relaxed")
        write_rejects(all_rejects, writing.rejects, inputs, writing.force, reporter)

    counts = accounting(result.rows_in, frame.height, result.rejected + suppressed.height)
    reporter.info(
        f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} exported + {counts['rejected']:,} not exported"
        f" ({suppressed.height:,} suppressed) → {target.display}"
    )
    emit_summary(
        {
            "command": "export",
            "output": target.display,
            "format": target.format,
            "rejects": writing.rejects,
            **counts,
            "suppressed": suppressed.height,
            "columns": frame.columns,
        },
        json_summary=writing.json,
        report=writing.report,
    )
