"""listclean dedupe: one person, one record, every merge explained."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from listclean.cli import options as opt
from listclean.cli.common import check_paths, cli_runtime, emit_summary, guarded, open_inputs, prepare_outputs, rejects_sink
from listclean.cli.console import Reporter, summary_table
from listclean.cli.helptext import Example
from listclean.linkage.blocking import MATCH_LEVELS

if TYPE_CHECKING:
    from listclean.linkage import DedupeReport
    from listclean.steps.dedupe import DedupeStepReport

MATCHING = "Matching"
REVIEW = "Review files"


# --match's choices (and their completion), from the registry of match levels.
MatchLevel = Enum("MatchLevel", {level: level for level in MATCH_LEVELS}, type=str)  # type: ignore[misc]


class BirthDateRule(str, Enum):
    auto = "auto"
    strict = "strict"
    weighed = "weighed"


Clusters = Annotated[Optional[str], typer.Option("--clusters", metavar="PATH", help="Write every input row's _source_file, _source_row -> cluster_id, is_survivor here.", rich_help_panel=REVIEW)]
Explain = Annotated[
    Optional[str],
    typer.Option("--explain", metavar="PATH", help="Write the compared pairs with their per-field scores, rule and reason here (matches and near misses).", rich_help_panel=REVIEW),
]
ExplainAll = Annotated[bool, typer.Option("--explain-all", help="With --explain: every compared pair, not only matches and near misses.", rich_help_panel=REVIEW)]
Against = Annotated[
    Optional[str],
    typer.Option("--against", metavar="PATH", help="An earlier dedupe output: match the input to its clusters (keeping their ids) without re-clustering it; writes the updated master.", rich_help_panel=MATCHING),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Report what would merge (and write --clusters/--explain) but write no output.", rich_help_panel=MATCHING)]
Match = Annotated[
    MatchLevel,
    typer.Option(
        "--match",
        help="exact: same address only; canonical: + provider rules (Gmail dots, +tags) and same phone with similar name; fuzzy: probabilistic record linkage over every identifying field, weights learned from the list.",
        rich_help_panel=MATCHING,
    ),
]
Threshold = Annotated[
    float, typer.Option("--threshold", metavar="0-1", help="fuzzy: match probability (0-1) from which two records are one person; the weights are learned from the list.", rich_help_panel=MATCHING)
]
ReviewThreshold = Annotated[
    float, typer.Option("--review-threshold", metavar="0-1", help="fuzzy: pairs from this probability up to --threshold are uncertain: written to --review.", rich_help_panel=MATCHING)
]
BirthDates = Annotated[
    BirthDateRule,
    typer.Option(
        "--birth-dates",
        help="fuzzy: strict: two different birth dates are two people (a father and son); weighed: only evidence against; auto: strict unless the list's own duplicates often disagree on them.",
        rich_help_panel=MATCHING,
    ),
]
Review = Annotated[
    Optional[str],
    typer.Option("--review", metavar="PATH", help="fuzzy: write the uncertain pairs here, both rows side by side, with an empty label column to fill in (match / no match).", rich_help_panel=REVIEW),
]
Labels = Annotated[
    Optional[str],
    typer.Option("--labels", metavar="PATH", help="fuzzy: a --review file with its label column filled in: those pairs are decided as labelled and the weights learn from them.", rich_help_panel=REVIEW),
]
ModelIn = Annotated[
    Optional[str],
    typer.Option("--model", metavar="PATH", help="fuzzy: use the weights an earlier run saved (--save-model) instead of learning them: the nightly --against run then scores as the master was built.", rich_help_panel=MATCHING),
]
ModelOut = Annotated[
    Optional[str],
    typer.Option("--save-model", metavar="PATH", help="fuzzy: write the weights this run used (JSON: every level's m, u and weight, the value frequencies) here.", rich_help_panel=REVIEW),
]
NameThreshold = Annotated[float, typer.Option("--name-threshold", metavar="0-1", help="canonical: name similarity (0-1) needed alongside the same phone number.", rich_help_panel=MATCHING)]
StrongNameThreshold = Annotated[float, typer.Option("--strong-name-threshold", help="No longer used (fuzzy learns its weights); accepted so old scripts still run.", hidden=True)]
EmailThreshold = Annotated[float, typer.Option("--email-threshold", metavar="0-1", help="Address similarity (0-1) counted as a typo of the same address.", rich_help_panel=MATCHING)]
MaxBlock = Annotated[int, typer.Option("--max-block-size", metavar="ROWS", help="Largest group of rows sharing a blocking key that is compared pairwise.", rich_help_panel=MATCHING)]
MaxCluster = Annotated[int, typer.Option("--max-cluster-size", metavar="ROWS", help="Clusters larger than this are rebuilt from strong matches only (chaining guard).", rich_help_panel=MATCHING)]
Trust = Annotated[
    Optional[list[str]],
    typer.Option("--trust", metavar="SOURCE", help="A source (the 'source' value or input file name), most trusted first (repeatable): its values win in golden records.", show_default=False, rich_help_panel=MATCHING),
]


EXAMPLES = [
    Example("merge people into golden records; every merge explained", "listclean dedupe validated.parquet -o golden.parquet --explain merges.csv --clusters clusters.csv"),
    Example("see what would merge across three files, write nothing", "listclean dedupe crm.csv shop.xlsx newsletter.csv -o golden.csv --dry-run --explain review.csv"),
    Example("tonight's new rows against the master, its cluster ids kept", "listclean dedupe tonight.csv --against golden.parquet -o golden-next.parquet"),
]


def notes() -> str:
    """How pairs are decided, for --help."""
    from listclean.linkage.comparisons import COMPARISONS
    from listclean.linkage.compare import NOT_MATCHED, RULES
    from listclean.linkage.engine import PROBABILISTIC_APART

    fields = ", ".join(comparison.label for comparison in COMPARISONS)
    lines = [
        f"fuzzy (the default) compares {fields}, each at agreement levels whose weights are learned from the list itself"
        " (Fellegi-Sunter: u from random pairs, m by expectation-maximisation, rarer names and postcodes weigh more);"
        " a pair at or above --threshold is one person; --explain shows every field's weight.",
        "Hard rules in every level: one address is one person (same_address), unless two given names plainly differ"
        f" (shared_address: {NOT_MATCHED['shared_address']}); {PROBABILISTIC_APART['different_birth_dates']} (--birth-dates strict, or auto while the list's birth dates are reliable).",
        "canonical also merges same_phone_and_name: " + RULES["same_phone_and_name"] + ".",
    ]
    return "\n\n".join(lines)


def render_report(reporter: Reporter, report: DedupeReport) -> None:
    from listclean.linkage.engine import DECISIONS

    rows = [(DECISIONS.get(rule, rule), f"{count:,}") for rule, count in report.by_rule.items()]
    if rows:
        reporter.table(summary_table("matched pairs by rule", rows, "rule", "rows"))
    if report.shared_addresses:
        reporter.info(f"{report.shared_addresses:,} pair(s) share an address but have different given names: kept apart")
    for key, blocks in report.blocking.skipped_blocks.items():
        reporter.warn(
            f"{blocks:,} '{key}' block(s) ({report.blocking.skipped_rows[key]:,} rows) were too common to compare pairwise"
            " (raise --max-block-size to compare them)"
        )
    if report.guarded_rows:
        reporter.warn(f"{report.guarded_rows:,} row(s) were in clusters larger than --max-cluster-size: rebuilt from strong matches only")


def render_step(reporter: Reporter, report: DedupeStepReport, summary: dict[str, Any]) -> None:
    """What dedupe says about a finished run (also under `listclean run`)."""
    if report.parts > 1:
        reporter.detail(f"deduplicated in {report.parts} parts that no match crosses")
    if summary["rejects"] and not report.dry_run:
        reporter.detail(f"rejects written to {'<stdout>' if summary['rejects'] == '-' else summary['rejects']}")
    render_report(reporter, report.dedupe)
    counts, master_rows = report.counts, report.master_rows
    where = "(dry run: nothing written)" if summary["output"] is None else f"→ {summary['output']}"
    reporter.info(
        f"{counts['rows_in']:,} rows in" + (f" ({master_rows:,} from the master)" if master_rows else "")
        + f" = {counts['rows_out']:,} out + {counts['merged']:,} merged into {report.dedupe.clusters_merged:,} golden records"
        + f" + {counts['rejected']:,} rejected {where}"
    )
    if report.against:
        reporter.info(f"{report.dedupe.matched_existing:,} new row(s) joined existing clusters; {report.dedupe.new_clusters:,} new cluster(s)")
    if report.labelled_pairs:
        reporter.info(f"{report.labelled_pairs:,} labelled pair(s) read: decided as labelled and learned from")
    if report.labels_unmatched:
        reporter.warn(
            f"{report.labels_unmatched:,} labelled pair(s) name a row this input does not have (rows are named by file as given"
            " on the command line and row number): they were not used"
        )
    if summary.get("review"):
        reporter.info(f"{report.review_pairs:,} uncertain pair(s) to review → {summary['review']} (fill in the label column, pass it back with --labels)")


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
    review: Review = None,
    labels: Labels = None,
    save_model: ModelOut = None,
    model: ModelIn = None,
    match: Match = MatchLevel.fuzzy,
    threshold: Threshold = 0.9,
    review_threshold: ReviewThreshold = 0.5,
    birth_dates: BirthDates = BirthDateRule.auto,
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
    from listclean.io.write import prepare_target
    from listclean.steps.dedupe import DedupeStepOptions, dedupe_step
    from listclean.stream.sink import NullSink

    reporter = Reporter()
    if strong_name_threshold != 0.93:
        reporter.warn("--strong-name-threshold is no longer used: fuzzy matching learns its weights from the list (see --threshold)")
    options = DedupeStepOptions(
        match=match.value,
        threshold=threshold,
        review_threshold=review_threshold,
        birth_dates=birth_dates.value,
        labels=labels,
        model=model,
        save_model=save_model,
        name_threshold=name_threshold,
        strong_name_threshold=strong_name_threshold,
        email_threshold=email_threshold,
        max_block_size=max_block_size,
        max_cluster_size=max_cluster_size,
        trust=list(trust or ()),
        explain_all=explain_all,
        against=against,
    )
    sources = [*inputs, *([against] if against else []), *([labels] if labels else []), *([model] if model else [])]
    review_files = [("--clusters", clusters), ("--explain", explain), ("--review", review), ("--save-model", save_model)]
    if dry_run:
        check_paths(sources, review_files, report=writing.report, force=writing.force)
    target = None if dry_run else prepare_outputs(sources, writing, reading, outputs=review_files)
    targets = {path: prepare_target(path, fmt=None, force=writing.force, inputs=sources) for path in (clusters, explain, review) if path}
    if save_model:
        prepare_target(save_model, fmt=None, force=writing.force, inputs=sources)  # refused when it exists, without --force
    with cli_runtime(reporter) as runtime:
        source = open_inputs(inputs, reading, runtime)
        sink = NullSink() if target is None else runtime.file_sink(target, excel_safe=writing.excel_safe)
        files = {name: runtime.file_sink(targets[path], for_people=True) for name, path in (("clusters", clusters), ("explain", explain), ("review", review)) if path}
        rejects = None if target is None else rejects_sink(writing, sources, runtime)  # a dry run writes no rejects either
        report = dedupe_step(source, options, sink, runtime, rejects=rejects, **files)
        summary = report.summary(output=None if target is None else target.display, rejects=writing.rejects, clusters=clusters, explain=explain, review=review)
        render_step(reporter, report, summary)
        emit_summary(summary, json_summary=writing.json, report=writing.report, inputs=sources, runtime=runtime)
