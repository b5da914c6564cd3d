"""listclean validate: judge every address, keep every row, say why."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from listclean.cli import options as opt
from listclean.cli.cmd_import import accounting, import_options, write_rejects
from listclean.cli.common import emit_summary, guarded, prepare_outputs
from listclean.cli.console import Reporter
from listclean.errors import ThresholdExceeded, UsageError

if TYPE_CHECKING:
    from listclean.email.validate import ValidationReport

CHECKS = "Checks"


class DropStatus(str, Enum):
    suppressed = "suppressed"
    invalid = "invalid"
    risky = "risky"
    unknown = "unknown"


FixTypos = Annotated[
    bool,
    typer.Option("--fix-typos", help="Apply high-confidence domain typo fixes (gmial.com -> gmail.com) to email_normalized; recorded as typo_fixed.", rich_help_panel=CHECKS),
]
Suppress = Annotated[
    Optional[list[str]],
    typer.Option("--suppress", help="A suppression list (addresses, or SHA-256/MD5 hashes of them); repeatable. Matches become 'suppressed'.", show_default=False, rich_help_panel=CHECKS),
]
Drop = Annotated[
    Optional[list[DropStatus]],
    typer.Option("--drop", help="Move rows with this status to --rejects instead of the output (repeatable). Default: keep every row.", show_default=False, rich_help_panel=CHECKS),
]
Dns = Annotated[bool, typer.Option("--dns", help="Also look up MX/A records, once per distinct domain (needs network; cached).", rich_help_panel=CHECKS)]
DnsTimeout = Annotated[float, typer.Option("--dns-timeout", help="Seconds to wait for one DNS lookup.", rich_help_panel=CHECKS)]
DnsCache = Annotated[
    Optional[str],
    typer.Option("--dns-cache", help="DNS cache file (SQLite); '' for no cache. Default: ~/.cache/listclean/dns.sqlite (XDG_CACHE_HOME honoured).", rich_help_panel=CHECKS),
]
StoreOption = Annotated[
    Optional[str],
    typer.Option("--store", help="A suppression store (see export --store): its addresses become 'suppressed'; erased people are dropped to --rejects (row numbers only).", rich_help_panel=CHECKS),
]
FailOn = Annotated[
    Optional[list[str]],
    typer.Option("--fail-on", help="Exit 1 when a status or reason crosses a threshold, e.g. 'invalid>5%', 'disposable>=100' (repeatable).", show_default=False, rich_help_panel=CHECKS),
]


def reasons_epilog() -> str:
    """The reason codes by status, for --help."""
    from listclean.email.reasons import REASONS, STATUS_ORDER

    lines = ["Reason codes (email_reasons), by the status they lead to:"]
    for status in STATUS_ORDER:
        codes = [code for code, reason in REASONS.items() if reason.severity == status]
        lines.append(f"{status}: {', '.join(codes)}.")
    return "\n\n".join(lines)


def _table(title: str, rows: list[tuple[str, ...]], *columns: str) -> Table:
    """A summary table; a column named "rows" or "share" is right-aligned, "means" folds."""
    table = Table(show_edge=False, header_style="bold", pad_edge=False, title=title, title_justify="left")
    for name in columns:
        table.add_column(name, justify="right" if name in ("rows", "share") else "left", overflow="fold" if name == "means" else "ellipsis")
    for row in rows:
        table.add_row(*row)
    return table


def render_report(reporter: Reporter, report: ValidationReport) -> None:
    from listclean.email.reasons import REASONS

    def share(count: int) -> str:
        return f"{100 * count / report.rows:.1f}%" if report.rows else "-"

    statuses = [(status, f"{count:,}", share(count)) for status, count in report.by_status.items()]
    reporter.table(_table("email status", statuses, "status", "rows", "share"))
    if report.by_reason:
        reasons = [(code, f"{count:,}", REASONS[code].meaning if code in REASONS else "") for code, count in report.by_reason.items()]
        reporter.table(_table("reasons", reasons, "reason", "rows", "means"))
    if report.top_domains:
        domains = [(domain, f"{count:,}") for domain, count in report.top_domains]
        reporter.table(_table("top domains", domains, "domain", "rows"))
    if report.top_typos:
        typos = [(typed, suggested, f"{count:,}") for typed, suggested, count in report.top_typos]
        reporter.table(_table("top typos", typos, "typed", "did they mean", "rows"))


@guarded
@opt.writes_contacts
@opt.reads_contacts
def command(
    inputs: opt.Inputs,
    fix_typos: FixTypos = False,
    suppress: Suppress = None,
    drop: Drop = None,
    dns: Dns = False,
    dns_timeout: DnsTimeout = 5.0,
    dns_cache: DnsCache = None,
    fail_on: FailOn = None,
    store: StoreOption = None,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Judge every address: syntax, typos, domain, disposable, role, consent and suppression.

    Adds email_normalized, email_status (valid, risky, invalid, unknown, suppressed),
    email_reasons and email_suggestion; keeps every row (unless --drop).
    """
    import polars as pl

    from listclean.email.reasons import REASONS, STATUS_ORDER
    from listclean.email.validate import ValidateOptions, ValidationReport, validate, with_alternates
    from listclean.export import excel_safe as make_excel_safe
    from listclean.importer import ImportStream, read_ahead
    from listclean.io.read import Workspace
    from listclean.io.write import ChunkedOutput
    from listclean.thresholds import crossed, parse_thresholds

    reporter = Reporter()
    target = prepare_outputs(inputs, writing, reading)
    if drop and writing.rejects is None:
        raise UsageError("--drop needs --rejects PATH, so dropped rows are kept somewhere")
    thresholds = parse_thresholds(fail_on or [], [*STATUS_ORDER, *REASONS])
    if dns_timeout <= 0:
        raise UsageError("--dns-timeout must be a positive number of seconds")
    settings = import_options(reading)

    with Workspace() as workspace, reporter.status("Validating…") as status:
        options = ValidateOptions(fix_typos=fix_typos)
        if suppress:
            from listclean.suppression import load_suppression

            options.suppression = load_suppression(suppress, workspace)
            reporter.detail(f"suppression list: {len(options.suppression):,} entries from {', '.join(suppress)}")
        if dns:
            options.dns = _dns_checker(dns_timeout, dns_cache)
        kept_store = None
        if store:
            from listclean.store import SuppressionStore
            from listclean.suppression import SuppressionList

            kept_store = SuppressionStore.open(store)
            stored = SuppressionList(addresses=kept_store.plain_addresses(), sources=[store])
            if options.suppression is None:
                options.suppression = stored
            else:
                options.suppression.addresses |= stored.addresses

        progress = reporter.progress(status, "Validating")
        dropped_statuses = [status.value for status in drop or []]
        stream = ImportStream(inputs, settings, workspace)
        output = ChunkedOutput(target, workspace.path)
        reports, erased, dropped_rows, seen = [], [], [], []
        with read_ahead(stream) as chunks:
            for chunk in chunks:  # a chunk at a time: a file larger than memory streams through
                if kept_store is not None:
                    from listclean.store import apply_store

                    chunk, erased_chunk, _ = apply_store(chunk, kept_store)
                    erased.append(erased_chunk)
                frame, report = validate(chunk, options, progress)
                reports.append(report)
                if dropped_statuses:
                    dropped = pl.col("email_status").is_in(dropped_statuses)
                    dropped_rows.append(_dropped_rejects(frame.filter(dropped)))
                    frame = frame.filter(~dropped)
                seen += [column for column in frame.columns if column not in seen]
                frame = with_alternates(frame)  # kept when any chunk has some (see output_columns)
                output.add(make_excel_safe(frame) if writing.excel_safe else frame)
                del chunk, frame  # before the next chunk is read, not after
        output.finish(stream.output_columns(seen))
        summary = ValidationReport.combined(reports)
        rejects = stream.rejects()
        write_rejects([rejects, *erased, *dropped_rows], writing.rejects, inputs, writing.force, reporter, workspace.path)

    dropped = sum(part.height for part in dropped_rows)
    removed = dropped + sum(part.height for part in erased)
    render_report(reporter, summary)
    counts = accounting(stream.rows_in, output.rows, stream.rejected + removed)
    reporter.info(
        f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} out + {counts['rejected']:,} rejected"
        + (f" ({dropped:,} dropped by status)" if dropped_statuses else "")
        + f" → {target.display}"
    )
    if summary.typos_fixed:
        reporter.info(f"{summary.typos_fixed:,} domain typo(s) fixed in email_normalized (email keeps what was typed)")
    failures = crossed(thresholds, {**summary.by_status, **summary.by_reason}, summary.rows)
    emit_summary(
        {
            "command": "validate",
            "output": target.display,
            "rejects": writing.rejects,
            **counts,
            "dropped": dropped,
            **summary.as_dict(),
            "thresholds": [str(t) for t in thresholds],
            "thresholds_crossed": failures,
        },
        json_summary=writing.json,
        report=writing.report,
        inputs=inputs,
    )
    if failures:
        raise ThresholdExceeded("threshold crossed: " + "; ".join(failures))


def _dns_checker(timeout: float, cache: str | None):  # -> DnsChecker
    from pathlib import Path

    from listclean.email import dns

    cache_path = dns.default_cache_path() if cache is None else (Path(cache) if cache else None)
    return dns.DnsChecker(resolver=dns.dnspython_resolver, timeout=timeout, cache_path=cache_path)


def _dropped_rejects(dropped):  # pl.DataFrame -> pl.DataFrame
    import polars as pl

    from listclean.importer import rows_as_rejects
    from listclean.schema import LIST_SEPARATOR

    reason = pl.concat_str(pl.lit("email_"), pl.col("email_status"))
    return rows_as_rejects(dropped, reason, pl.col("email_reasons").list.join(LIST_SEPARATOR))
