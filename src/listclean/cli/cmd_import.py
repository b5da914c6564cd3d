"""listclean import: many messy exports in, one canonical contact file out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from listclean.cli import options as opt
from listclean.cli.common import emit_summary, guarded, prepare_outputs
from listclean.cli.console import Reporter
from listclean.errors import UsageError

if TYPE_CHECKING:
    from listclean.importer import ImportOptions, SourceReport


def import_options(reading: opt.ReadingChoices, source_name: str | None = None) -> ImportOptions:
    from listclean.columns import parse_overrides
    from listclean.importer import ImportOptions
    from listclean.io.read import ReadOptions
    from listclean.vocabulary import country_lookup
    from listclean.text import fold_key

    country = None
    if reading.default_country:
        country = country_lookup().get(fold_key(reading.default_country))
        if country is None:
            raise UsageError(f"--default-country {reading.default_country!r} is not a country", hint="use an ISO code such as PL or US")
    return ImportOptions(
        read=ReadOptions(
            delimiter=reading.delimiter,
            encoding=reading.encoding,
            sheet=reading.sheet,
            header=reading.header,
            on_bad_rows=reading.on_bad_rows.value,
        ),
        overrides=parse_overrides(reading.mapping or []),
        date_order=reading.date_order.value,  # type: ignore[arg-type]
        default_country=country,
        source_name=source_name,
    )


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


def accounting(rows_in: int, rows_out: int, rejected: int, merged: int = 0) -> dict[str, int]:
    if rows_in != rows_out + rejected + merged:  # pragma: no cover - guarded by tests; a bug if it fires
        raise AssertionError(f"row accounting broken: {rows_in} in != {rows_out} out + {rejected} rejected + {merged} merged")
    return {"rows_in": rows_in, "rows_out": rows_out, "rejected": rejected, "merged": merged}


def write_rejects(parts: Any, path: str | None, inputs: list[str], force: bool, reporter: Reporter, spool: Any) -> None:
    """Write the rejects (a frame, or frames one after another) to --rejects PATH, if given.

    `spool` (a workspace's path maker) lets many or large parts pass through in bounded memory.
    """
    import polars as pl

    from listclean.importer import REJECT_COLUMNS, empty_rejects
    from listclean.io.write import ChunkedOutput, prepare_target

    if path is None:
        return
    output = ChunkedOutput(prepare_target(path, fmt=None, force=force, inputs=inputs), spool)
    for part in [parts] if isinstance(parts, pl.DataFrame) else parts:
        if part.height:
            output.add(part)
    output.finish(list(REJECT_COLUMNS), empty=empty_rejects())
    reporter.detail(f"rejects written to {output.target.display}")


StoreOption = Annotated[
    Optional[str],
    typer.Option("--store", help="A suppression store (see export --store): erased people are dropped (only their row numbers reach --rejects); unsubscribed ones come in unsubscribed.", rich_help_panel=opt.MAPPING),
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
    import polars as pl

    from listclean.export import excel_safe as make_excel_safe
    from listclean.importer import ImportStream, rows_with_action
    from listclean.io.read import Workspace
    from listclean.io.write import ChunkedOutput

    reporter = Reporter()
    target = prepare_outputs(inputs, writing, reading)
    settings = import_options(reading, source_name)

    with Workspace() as workspace, reporter.status("Importing…") as status:
        kept_store = None
        if store:
            from listclean.store import SuppressionStore, apply_store

            kept_store = SuppressionStore.open(store)
        stream = ImportStream(inputs, settings, workspace)
        output = ChunkedOutput(target, workspace.path)
        erased_parts = []
        for chunk in stream:  # a chunk at a time: a file larger than memory streams through
            if kept_store is not None:
                chunk, erased_chunk, _ = apply_store(chunk, kept_store)
                erased_parts.append(erased_chunk)
            output.add(make_excel_safe(chunk) if writing.excel_safe else chunk)
            if status is not None:
                status.update(f"Importing… {output.rows:,} rows")
            del chunk  # before the next chunk is read, not after
        columns = stream.columns()
        output.finish(columns)
        rejects = stream.rejects()
        erased = pl.concat(erased_parts, how="vertical") if erased_parts else rejects.head(0)
        write_rejects([rejects, erased], writing.rejects, inputs, writing.force, reporter, workspace.path)

    render_sources(reporter, stream.sources)
    quarantined = rows_with_action(rejects, "quarantined")
    if quarantined:
        reporter.warn(f"{quarantined:,} row(s) quarantined: their source says bought, rented or scraped (reason quarantined_source in --rejects)")
    if erased.height:
        reporter.info(f"{erased.height:,} row(s) of erased people dropped (see the suppression store)")
    counts = accounting(stream.rows_in, output.rows, stream.rejected + erased.height)
    reporter.info(
        f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} out + {counts['rejected']:,} rejected"
        f" → {target.display}" + (f" (rejects: {writing.rejects})" if writing.rejects else "")
    )
    if stream.rejected and writing.rejects is None:
        reporter.detail("the rejected rows were empty; pass --rejects PATH to list them")
    emit_summary(
        {
            "command": "import",
            "output": target.display,
            "rejects": writing.rejects,
            **counts,
            "columns": columns,
            "inputs": [source.as_dict() for source in stream.sources],
        },
        json_summary=writing.json,
        report=writing.report,
        inputs=inputs,
    )
