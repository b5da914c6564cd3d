"""listclean segment: rule-based segments, RFM scores and lifecycle stages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from listclean.cli import options as opt
from listclean.cli.common import cli_runtime, emit_summary, guarded, open_inputs, prepare_outputs, rejects_sink, rows_line
from listclean.cli.console import Reporter
from listclean.cli.helptext import Example

if TYPE_CHECKING:
    from listclean.io.write import OutputTarget
    from listclean.steps.segment import SegmentCounts, SegmentReport, SegmentStepOptions

SEGMENTS = "Segments"

RulesFile = Annotated[Optional[str], typer.Option("--rules", metavar="PATH", help="A TOML file of named segments (see README).", rich_help_panel=SEGMENTS)]
Where = Annotated[Optional[str], typer.Option("--where", metavar="SQL", help="An ad-hoc segment: an SQL expression over the columns, e.g. \"country = 'PL' AND total_spend > 100\".", rich_help_panel=SEGMENTS)]
Name = Annotated[str, typer.Option("--name", metavar="NAME", help="The name of the --where segment.", rich_help_panel=SEGMENTS)]
Multi = Annotated[bool, typer.Option("--multi", help="Every matching segment (segment becomes a list), not only the first.", rich_help_panel=SEGMENTS)]
Rfm = Annotated[bool, typer.Option("--rfm", help="Add rfm_recency, rfm_frequency, rfm_monetary (1-5) and rfm_segment (Champions … Lost).", rich_help_panel=SEGMENTS)]
Lifecycle = Annotated[bool, typer.Option("--lifecycle", help="Add lifecycle_stage: new, active, at_risk, dormant, lost.", rich_help_panel=SEGMENTS)]
ActiveDays = Annotated[int, typer.Option("--active-days", metavar="DAYS", help="Lifecycle: engaged within this many days = active.", rich_help_panel=SEGMENTS)]
AtRiskDays = Annotated[int, typer.Option("--at-risk-days", metavar="DAYS", help="Lifecycle: engaged within this many days (beyond active) = at risk.", rich_help_panel=SEGMENTS)]
DormantDays = Annotated[int, typer.Option("--dormant-days", metavar="DAYS", help="Lifecycle: engaged within this many days (beyond at risk) = dormant; beyond = lost.", rich_help_panel=SEGMENTS)]
NewDays = Annotated[int, typer.Option("--new-days", metavar="DAYS", help="Lifecycle: signed up within this many days and not yet active = new.", rich_help_panel=SEGMENTS)]
SplitDir = Annotated[Optional[str], typer.Option("--split-dir", metavar="DIR", help="Also write one file per segment into this directory (in --format).", rich_help_panel=SEGMENTS)]
IncludeUnmailable = Annotated[
    bool, typer.Option("--include-unmailable", help="Also segment unsubscribed, bounced, complained, erased, suppressed and invalid contacts.", rich_help_panel=SEGMENTS)
]

SegmentStore = Annotated[
    Optional[str],
    typer.Option("--store", metavar="PATH", help="The suppression store: its people are never written to a --split-dir file (read, not changed).", rich_help_panel=SEGMENTS),
]
SegmentSuppress = Annotated[
    Optional[list[str]],
    typer.Option("--suppress", metavar="PATH", help="A suppression list (addresses or SHA-256/MD5 hashes) never written to a --split-dir file; repeatable.", show_default=False, rich_help_panel=SEGMENTS),
]


EXAMPLES = [
    Example("segments from a rules file, one CSV per segment too", "listclean segment golden.parquet --rules segments.toml -o segmented.parquet --split-dir segments/ --format csv"),
    Example("an ad-hoc segment", "listclean segment golden.parquet --where \"country = 'PL' AND total_spend > 100\" --name 'PL spenders' -o pl.csv"),
    Example("RFM scores and lifecycle stages as of a fixed day", "listclean segment golden.parquet --rfm --lifecycle --as-of 2026-11-24 -o scored.parquet --json"),
]


def render_counts(reporter: Reporter, labels: SegmentCounts) -> None:
    for title, counts in labels.tables.items():
        table = Table(show_edge=False, header_style="bold", pad_edge=False, title=title, title_justify="left")
        table.add_column(title.split(" ")[0])
        table.add_column("rows", justify="right")
        for label, count in counts.items():
            table.add_row(label, f"{count:,}")
        reporter.table(table)


def render_step(reporter: Reporter, report: SegmentReport, summary: dict[str, Any]) -> None:
    """What segment says about a finished run (also under `listclean run`)."""
    if summary.get("rejects"):
        reporter.detail(f"rejects written to {summary['rejects']}")
    render_counts(reporter, report.labels)
    if report.split_suppressed:
        reporter.detail(f"{report.split_suppressed:,} row(s) kept out of the split files: their address is suppressed (in a row, the store or a --suppress list)")
    reporter.info(rows_line(report.counts, summary["output"]))
    for note in report.notes:
        reporter.warn(note)


def split_targets(split_dir: str | None, options: SegmentStepOptions, inputs: list[str], writing: opt.WritingChoices) -> dict[str, OutputTarget]:
    """Each segment's --split-dir file, every one checked before any work (in --format)."""
    from listclean.io.write import format_for, prepare_target
    from listclean.steps.segment import split_paths

    if not split_dir:
        return {}
    fmt = format_for("x", writing.format)
    paths = split_paths(options.definitions(), split_dir, fmt)
    return {name: prepare_target(path, fmt=fmt, force=writing.force, inputs=inputs) for name, path in paths}


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
    as_of: opt.AsOf = None,
    include_unmailable: IncludeUnmailable = False,
    store: SegmentStore = None,
    suppress: SegmentSuppress = None,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Label contacts with segments from rules, RFM scores and lifecycle stages; count them.

    Every row is kept; unmailable contacts get no segment unless --include-unmailable. A --split-dir
    file never holds an address that is suppressed anywhere (in any row, the --store or a --suppress list).
    """
    from listclean.steps.segment import SegmentStepOptions, segment_step

    reporter = Reporter()
    options = SegmentStepOptions(
        rules=rules, where=where, name=name, multi=multi, rfm=rfm, lifecycle=lifecycle, new_days=new_days,
        active_days=active_days, at_risk_days=at_risk_days, dormant_days=dormant_days, include_unmailable=include_unmailable,
        store=store, suppress=suppress or [],
    )  # fmt: skip
    options.as_of = opt.parse_as_of(as_of)  # read after the options are checked, as it always was
    files = split_targets(split_dir, options, inputs, writing)
    split_files = [(f"--split-dir file ({name})", split.path) for name, split in files.items()]
    target = prepare_outputs(inputs, writing, reading, outputs=split_files, reads=[*([rules] if rules else []), *([store] if store else []), *(suppress or [])])
    with cli_runtime(reporter) as runtime:
        source = open_inputs(inputs, reading, runtime)
        sink = runtime.file_sink(target, excel_safe=writing.excel_safe)
        splits = {name: runtime.file_sink(split, excel_safe=writing.excel_safe) for name, split in files.items()}
        report = segment_step(source, options, sink, runtime, rejects=rejects_sink(writing, inputs, runtime), splits=splits)
        summary = report.summary(output=target.display, split_files={name: split.path for name, split in files.items()})
        render_step(reporter, report, {**summary, "rejects": writing.rejects})
        emit_summary(summary, json_summary=writing.json, report=writing.report, inputs=inputs, runtime=runtime)
