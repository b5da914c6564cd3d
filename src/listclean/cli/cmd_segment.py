"""listclean segment: rule-based segments, RFM scores and lifecycle stages."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from listclean.cli import options as opt
from listclean.cli.cmd_import import accounting, import_options, write_rejects
from listclean.cli.common import emit_summary, guarded, prepare_outputs
from listclean.cli.console import Reporter
from listclean.errors import OutputError, UsageError

SEGMENTS = "Segments"

RulesFile = Annotated[Optional[str], typer.Option("--rules", help="A TOML file of named segments (see README).", rich_help_panel=SEGMENTS)]
Where = Annotated[Optional[str], typer.Option("--where", help="An ad-hoc segment: an SQL expression over the columns, e.g. \"country = 'PL' AND total_spend > 100\".", rich_help_panel=SEGMENTS)]
Name = Annotated[str, typer.Option("--name", help="The name of the --where segment.", rich_help_panel=SEGMENTS)]
Multi = Annotated[bool, typer.Option("--multi", help="Every matching segment (segment becomes a list), not only the first.", rich_help_panel=SEGMENTS)]
Rfm = Annotated[bool, typer.Option("--rfm", help="Add rfm_recency, rfm_frequency, rfm_monetary (1-5) and rfm_segment (Champions … Lost).", rich_help_panel=SEGMENTS)]
Lifecycle = Annotated[bool, typer.Option("--lifecycle", help="Add lifecycle_stage: new, active, at_risk, dormant, lost.", rich_help_panel=SEGMENTS)]
ActiveDays = Annotated[int, typer.Option("--active-days", help="Lifecycle: engaged within this many days = active.", rich_help_panel=SEGMENTS)]
AtRiskDays = Annotated[int, typer.Option("--at-risk-days", help="Lifecycle: engaged within this many days (beyond active) = at risk.", rich_help_panel=SEGMENTS)]
DormantDays = Annotated[int, typer.Option("--dormant-days", help="Lifecycle: engaged within this many days (beyond at risk) = dormant; beyond = lost.", rich_help_panel=SEGMENTS)]
NewDays = Annotated[int, typer.Option("--new-days", help="Lifecycle: signed up within this many days and not yet active = new.", rich_help_panel=SEGMENTS)]
SplitDir = Annotated[Optional[str], typer.Option("--split-dir", help="Also write one file per segment into this directory (in --format).", rich_help_panel=SEGMENTS)]
AsOf = Annotated[Optional[str], typer.Option("--as-of", help="Date for 'within N days', RFM recency and lifecycle, YYYY-MM-DD. Default: now.", rich_help_panel=SEGMENTS)]
IncludeUnmailable = Annotated[
    bool, typer.Option("--include-unmailable", help="Also segment unsubscribed, bounced, complained, erased, suppressed and invalid contacts.", rich_help_panel=SEGMENTS)
]


@guarded
@opt.writes_contacts
@opt.reads_contacts
def command(
    inputs: opt.Inputs,
    rules: RulesFile = None,
    where: Where = None,
    name: Name = "selected",
    multi: Multi = False,
    rfm: Rfm = False,
    lifecycle: Lifecycle = False,
    new_days: NewDays = 30,
    active_days: ActiveDays = 90,
    at_risk_days: AtRiskDays = 180,
    dormant_days: DormantDays = 365,
    split_dir: SplitDir = None,
    as_of: AsOf = None,
    include_unmailable: IncludeUnmailable = False,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Label contacts with segments from rules, RFM scores and lifecycle stages; count them.

    Every row is kept; unmailable contacts get no segment unless --include-unmailable.
    """
    from datetime import datetime, timezone
    from pathlib import Path

    import polars as pl

    from listclean import segment as seg
    from listclean.export import excel_safe as make_excel_safe
    from listclean.importer import ImportStream
    from listclean.stream.ahead import read_ahead
    from listclean.io.read import Workspace
    from listclean.io.write import ChunkedOutput, FrameSpool, format_for, prepare_target

    reporter = Reporter()
    if not (rules or where or rfm or lifecycle):
        raise UsageError("nothing to do", hint="give --rules FILE, --where EXPR, --rfm or --lifecycle")
    if not (0 < active_days < at_risk_days < dormant_days) or new_days < 0:
        raise UsageError("lifecycle thresholds must grow: --active-days < --at-risk-days < --dormant-days")
    when = opt.parse_as_of(as_of) or datetime.now(timezone.utc).replace(microsecond=0)
    target = prepare_outputs(inputs, writing, reading)
    definitions = seg.load_rules(rules) if rules else None
    if where:
        extra = seg.Segment(name=name, where=where)
        definitions = seg.Rules([*(definitions.segments if definitions else []), extra], definitions.mode if definitions else "first")
    if definitions and multi:
        definitions.mode = "all"
    split_targets = {}
    if split_dir:
        folder = Path(split_dir)
        if not folder.is_dir():
            raise OutputError(f"--split-dir {split_dir}: not a directory", hint="create it first")
        if not definitions:
            raise UsageError("--split-dir needs segments", hint="give --rules FILE or --where EXPR")
        split_format = format_for("x", writing.format)
        # Every file is checked before any work: two names with one slug, or an existing file without --force.
        for definition in definitions.segments:
            path = str(folder / f"{seg.slug(definition.name)}.{split_format}")
            if path in {t.path for t in split_targets.values()}:
                raise UsageError(f"segments {definition.name!r} and another one would both be written to {path}", hint="rename one of them")
            split_targets[definition.name] = prepare_target(path, fmt=split_format, force=writing.force, inputs=inputs)

    settings = seg.LifecycleSettings(new_days=new_days, active_days=active_days, at_risk_days=at_risk_days, dormant_days=dormant_days)
    with Workspace() as workspace, reporter.status("Segmenting…"):
        # Pass 1 spools the rows (and keeps the three RFM inputs of every row: quintiles rank the
        # whole list); pass 2 labels a chunk at a time, so a list larger than memory streams.
        # listclean's own Parquet is read again for pass 2 instead: cheaper than spooling it.
        stream = ImportStream(inputs, import_options(reading), workspace)
        rows = None if stream.replayable() else FrameSpool(workspace.path)
        rfm_inputs: list[pl.DataFrame] = []
        shapes: list[pl.DataFrame] = []  # each chunk's columns and types (no rows)
        with read_ahead(stream) as chunks:
            for chunk in chunks:
                if rows is not None:
                    rows.add(chunk)
                shapes.append(chunk.head(0))
                if rfm:
                    rfm_inputs.append(chunk.select(c for c in seg.RFM_INPUTS if c in chunk.columns))
                del chunk
        columns = stream.columns()
        types = pl.concat(shapes, how="diagonal_relaxed").schema  # the whole list's, as one frame of it would have
        if rows is None:
            reporter.detail("listclean's own Parquet: read again for the second pass, not kept")
        scores = None
        if rfm:
            scores = seg.rfm_scores(pl.concat(rfm_inputs, how="diagonal_relaxed"), when)
            del rfm_inputs
        output = ChunkedOutput(target, workspace.path)
        splits = {name: ChunkedOutput(split_target, workspace.path) for name, split_target in split_targets.items()}
        counts: dict[str, dict[str, int]] = {}
        offset = 0
        for chunk in rows.drain() if rows is not None else _chunks_again(stream):
            # Every chunk with the whole list's columns, as one frame of the whole list would have them.
            frame = chunk.select(pl.col(c).cast(types[c]) if c in chunk.columns else pl.lit(None, dtype=types[c]).alias(c) for c in columns)
            if definitions:
                frame = seg.apply_rules(frame, definitions, when, include_unmailable, origin=rules or "--where")
            if scores is not None:
                frame = pl.concat([frame, scores.slice(offset, frame.height)], how="horizontal")
            if lifecycle:
                frame = frame.with_columns(seg.lifecycle(frame, when, settings))
            offset += frame.height
            counts = _add_counts(counts, _counts(frame, definitions, rfm, lifecycle))
            written = make_excel_safe(frame) if writing.excel_safe else frame
            output.add(written)
            for name, split in splits.items():
                member = pl.col("segment").list.contains(name) if definitions.mode == "all" else pl.col("segment") == name
                split.add(written.filter(member.fill_null(False)))
            del chunk, frame, written
        output.finish()
        write_rejects(stream.rejects(), writing.rejects, inputs, writing.force, reporter, workspace.path)
        files: dict[str, str] = {}
        for name, split in splits.items():
            split.finish()
            files[name] = split.target.path

    for title, labels in counts.items():
        table = Table(show_edge=False, header_style="bold", pad_edge=False, title=title, title_justify="left")
        table.add_column(title.split(" ")[0])
        table.add_column("rows", justify="right")
        for label, count in labels.items():
            table.add_row(label, f"{count:,}")
        reporter.table(table)
    summary = accounting(stream.rows_in, output.rows, stream.rejected)
    reporter.info(f"{summary['rows_in']:,} rows in = {summary['rows_out']:,} out + {summary['rejected']:,} rejected → {target.display}")
    emit_summary(
        {"command": "segment", "output": target.display, **summary, "as_of": when.isoformat(), "counts": counts, "split_files": files},
        json_summary=writing.json,
        report=writing.report,
        inputs=inputs,
    )


def _add_counts(total: dict[str, dict[str, int]], chunk: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Counts of two chunks together (every table has the same labels in the same order)."""
    return {title: {label: total.get(title, {}).get(label, 0) + count for label, count in labels.items()} for title, labels in chunk.items()}


def _counts(frame, definitions, rfm: bool, lifecycle: bool) -> dict[str, dict[str, int]]:  # noqa: ANN001
    from listclean import segment as seg

    out: dict[str, dict[str, int]] = {}
    if definitions:
        column = frame["segment"]
        labels = column.explode() if definitions.mode == "all" else column  # a list per row in multi-label mode
        found = dict(labels.drop_nulls().value_counts().iter_rows())
        rows = {definition.name: int(found.get(definition.name, 0)) for definition in definitions.segments}
        rows["(no segment)"] = int(column.is_null().sum())
        out["segment counts"] = rows
    if rfm:
        found = dict(frame["rfm_segment"].drop_nulls().value_counts().iter_rows())
        rows = {name: int(found.get(name, 0)) for name in seg.RFM_SEGMENTS}
        rows["(no purchases)"] = int(frame["rfm_segment"].is_null().sum())
        out["rfm_segment counts"] = rows
    if lifecycle:
        found = dict(frame["lifecycle_stage"].value_counts().iter_rows())
        out["lifecycle_stage counts"] = {stage: int(found.get(stage, 0)) for stage in seg.LIFECYCLE_STAGES}
    return out


def _chunks_again(stream):  # (ImportStream) -> Iterator[pl.DataFrame]
    """The stream's chunks read again, the next one prepared while one is labelled."""
    from listclean.stream.ahead import read_ahead

    with read_ahead(stream.again()) as chunks:
        yield from chunks
