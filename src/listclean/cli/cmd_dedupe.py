"""listclean dedupe: one person, one record, every merge explained."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from listclean.cli import options as opt
from listclean.cli.cmd_import import accounting, import_options, write_rejects
from listclean.cli.cmd_validate import _table
from listclean.cli.common import emit_summary, guarded, prepare_outputs
from listclean.cli.console import Reporter
from listclean.errors import InputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import polars as pl

    from listclean.dedupe import DedupeReport

MATCHING = "Matching"
REVIEW = "Review files"


class MatchLevel(str, Enum):
    exact = "exact"
    canonical = "canonical"
    fuzzy = "fuzzy"


Clusters = Annotated[Optional[str], typer.Option("--clusters", help="Write every input row's _source_file, _source_row -> cluster_id, is_survivor here.", rich_help_panel=REVIEW)]
Explain = Annotated[
    Optional[str],
    typer.Option("--explain", help="Write the compared pairs with their per-field scores, rule and reason here (matches and near misses).", rich_help_panel=REVIEW),
]
ExplainAll = Annotated[bool, typer.Option("--explain-all", help="With --explain: every compared pair, not only matches and near misses.", rich_help_panel=REVIEW)]
Against = Annotated[
    Optional[str],
    typer.Option("--against", help="An earlier dedupe output: match the input to its clusters (keeping their ids) without re-clustering it; writes the updated master.", rich_help_panel=MATCHING),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Report what would merge (and write --clusters/--explain) but write no output.", rich_help_panel=MATCHING)]
Match = Annotated[
    MatchLevel,
    typer.Option("--match", help="exact: same address only; canonical: + provider rules (Gmail dots, +tags) and same phone with similar name; fuzzy: + typos, nicknames, swapped names, second mailboxes.", rich_help_panel=MATCHING),
]
NameThreshold = Annotated[float, typer.Option("--name-threshold", help="Name similarity (0-1) needed alongside a phone or a near-identical address.", rich_help_panel=MATCHING)]
StrongNameThreshold = Annotated[
    float, typer.Option("--strong-name-threshold", help="Name similarity (0-1) needed when only a mailbox name or postcode agrees.", rich_help_panel=MATCHING)
]
EmailThreshold = Annotated[float, typer.Option("--email-threshold", help="Address similarity (0-1) counted as a typo of the same address.", rich_help_panel=MATCHING)]
MaxBlock = Annotated[int, typer.Option("--max-block-size", help="Largest group of rows sharing a blocking key that is compared pairwise.", rich_help_panel=MATCHING)]
MaxCluster = Annotated[int, typer.Option("--max-cluster-size", help="Clusters larger than this are rebuilt from strong matches only (chaining guard).", rich_help_panel=MATCHING)]
Trust = Annotated[
    Optional[list[str]],
    typer.Option("--trust", help="A source (the 'source' value or input file name), most trusted first (repeatable): its values win in golden records.", show_default=False, rich_help_panel=MATCHING),
]


def rules_epilog() -> str:
    """The matching rules, for --help."""
    from listclean.dedupe.compare import NOT_MATCHED, RULES

    lines = ["Rules, tried in this order (the first that holds decides; the rule is named in --explain):"]
    lines += [f"{rule}: {words}." for rule, words in RULES.items()]
    lines += [f"Not merged — {rule}: {words}." for rule, words in NOT_MATCHED.items()]
    return "\n\n".join(lines)


def render_report(reporter: Reporter, report: DedupeReport) -> None:
    from listclean.dedupe.compare import RULES

    rows = [(RULES.get(rule, rule), f"{count:,}") for rule, count in report.by_rule.items()]
    if rows:
        reporter.table(_table("matched pairs by rule", rows, "rule", "rows"))
    if report.shared_addresses:
        reporter.info(f"{report.shared_addresses:,} pair(s) share an address but have different given names: kept apart")
    for key, blocks in report.blocking.skipped_blocks.items():
        reporter.warn(
            f"{blocks:,} '{key}' block(s) ({report.blocking.skipped_rows[key]:,} rows) were too common to compare pairwise"
            " (raise --max-block-size to compare them)"
        )
    if report.guarded_rows:
        reporter.warn(f"{report.guarded_rows:,} row(s) were in clusters larger than --max-cluster-size: rebuilt from strong matches only")


@guarded
@opt.writes_contacts
@opt.reads_contacts
def command(
    inputs: opt.Inputs,
    clusters: Clusters = None,
    explain: Explain = None,
    explain_all: ExplainAll = False,
    against: Against = None,
    dry_run: DryRun = False,
    match: Match = MatchLevel.fuzzy,
    name_threshold: NameThreshold = 0.88,
    strong_name_threshold: StrongNameThreshold = 0.93,
    email_threshold: EmailThreshold = 0.9,
    max_block_size: MaxBlock = 50,
    max_cluster_size: MaxCluster = 25,
    trust: Trust = None,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Find the same person across rows and files and merge each into one golden record.

    Every input row is in the output, in --rejects (unreadable rows), or named in its golden record's merged_from; merge_reason says why rows were merged.
    """
    import polars as pl

    from listclean.dedupe import DedupeOptions
    from listclean.dedupe.against import dedupe_against
    from listclean.dedupe.compare import MatchSettings
    from listclean.dedupe.engine import CLUSTER_COLUMNS
    from listclean.dedupe.partitioned import dedupe_in_parts
    from listclean.dedupe.survivorship import SurvivorshipSettings
    from listclean.export import excel_safe as make_excel_safe
    from listclean.importer import ImportStream
    from listclean.io.read import Workspace, chunk_rows
    from listclean.io.write import ChunkedOutput, prepare_target, write_frame

    reporter = Reporter()
    for name, value in (("--name-threshold", name_threshold), ("--strong-name-threshold", strong_name_threshold), ("--email-threshold", email_threshold)):
        if not 0 < value <= 1:
            raise UsageError(f"{name} must be between 0 and 1, not {value}")
    if max_block_size < 2 or max_cluster_size < 2:
        raise UsageError("--max-block-size and --max-cluster-size must be at least 2")
    sources = [*inputs, *([against] if against else [])]
    target = None if dry_run else prepare_outputs(sources, writing, reading)
    review = {path: prepare_target(path, fmt=None, force=writing.force, inputs=sources) for path in (clusters, explain) if path}
    options = DedupeOptions(
        match=match.value,
        settings=MatchSettings(name=name_threshold, strong_name=strong_name_threshold, email=email_threshold),
        survivorship=SurvivorshipSettings(trusted_sources=tuple(trust or ())),
        max_block=max_block_size,
        max_cluster=max_cluster_size,
        keep_all_pairs=explain_all,
    )
    settings = import_options(reading)

    master = None
    with Workspace() as workspace, reporter.phase("Deduplicating") as progress:
        stream = ImportStream(inputs, settings, workspace)
        outputs = {
            name: ChunkedOutput(path_target, workspace.path)
            for name, path_target in (("golden", target), ("clusters", review.get(clusters)))
            if path_target is not None
        }
        if against:
            # The new rows in memory; the master streamed through (see dedupe/against.py).
            frames = list(stream)
            new = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
            del frames
            master = ImportStream([against], settings, workspace)
            result = dedupe_against(
                new.select(stream.columns()), _with_cluster_ids(master, against), options, workspace.path, master.output_columns, progress
            )
            report, pairs = result.report, result.pairs
            # The master's columns all stay (its `_raw` columns too, when no new row needed one).
            new_columns = stream.output_columns(result.columns)
            seen = [column for column in result.columns if column in result.master_columns or column in new_columns]
            for golden in result.golden:
                if "golden" in outputs:
                    outputs["golden"].add(make_excel_safe(golden) if writing.excel_safe else golden)
            if "clusters" in outputs:
                outputs["clusters"].add(result.clusters.select(CLUSTER_COLUMNS))
        else:
            # A list larger than memory is split into parts that no match crosses, deduped one
            # at a time (the same output as all at once).
            # Parts of half a chunk: a part's in-memory dedupe needs about three times its size.
            parted = dedupe_in_parts(
                stream, options, workspace.path, max(1, chunk_rows() // 2), keep_pairs=bool(explain), columns=stream.output_columns, progress=progress
            )
            report, pairs, seen = parted.report, parted.pairs, []
            for golden in parted.golden:
                seen += [column for column in golden.columns if column not in seen]
                if "golden" in outputs:
                    outputs["golden"].add(make_excel_safe(golden) if writing.excel_safe else golden)
            for rows in parted.clusters:
                if "clusters" in outputs:
                    outputs["clusters"].add(rows.select(CLUSTER_COLUMNS))
            if parted.parts > 1:
                reporter.detail(f"deduplicated in {parted.parts} parts that no match crosses")
        if "golden" in outputs:
            outputs["golden"].finish(seen if against else stream.output_columns(seen))
            # The master's unreadable or empty rows too: every row read is accounted for.
            rejects = [stream.rejects(), *([master.rejects()] if master is not None else [])]
            write_rejects(rejects, writing.rejects, sources, writing.force, reporter, workspace.path)
        if "clusters" in outputs:
            outputs["clusters"].finish(list(CLUSTER_COLUMNS))
        if explain:
            pairs = pairs.sort(["cluster_id", "left_file", "left_row", "right_file", "right_row"], nulls_last=True)
            write_frame(pairs, review[explain])

    render_report(reporter, report)
    master_rows = master.rows_in if master is not None else 0
    master_rejected = master.rejected if master is not None else 0
    counts = accounting(stream.rows_in + master_rows, report.rows_out, stream.rejected + master_rejected, report.merged_rows)
    where = "(dry run: nothing written)" if target is None else f"→ {target.display}"
    reporter.info(
        f"{counts['rows_in']:,} rows in" + (f" ({master_rows:,} from the master)" if master_rows else "")
        + f" = {counts['rows_out']:,} out + {counts['merged']:,} merged into {report.clusters_merged:,} golden records"
        + f" + {counts['rejected']:,} rejected {where}"
    )
    if against:
        reporter.info(f"{report.matched_existing:,} new row(s) joined existing clusters; {report.new_clusters:,} new cluster(s)")
    emit_summary(
        {
            "command": "dedupe",
            "output": None if target is None else target.display,
            "dry_run": dry_run,
            "rejects": writing.rejects,
            **counts,
            "master_rows": master_rows,
            **{key: value for key, value in report.as_dict().items() if key not in ("rows_in", "rows_out", "merged_rows")},
            "clusters": clusters,
            "explain": explain,
        },
        json_summary=writing.json,
        report=writing.report,
        inputs=sources,
    )


def _with_cluster_ids(chunks: Iterable[pl.DataFrame], source: str) -> Iterator[pl.DataFrame]:
    """The master's chunks, refused at the first if it is not a dedupe output."""
    for chunk in chunks:
        if "cluster_id" not in chunk.columns:
            raise InputError("has no cluster_id column", source=source, hint="--against takes a file written by listclean dedupe")
        yield chunk
