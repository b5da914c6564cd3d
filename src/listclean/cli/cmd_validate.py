"""listclean validate: judge every address, keep every row, say why."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from listclean.cli import completion
from listclean.cli import options as opt
from listclean.cli.common import cli_runtime, emit_summary, guarded, open_inputs, prepare_outputs, rejects_sink, rows_line
from listclean.cli.console import Reporter, summary_table
from listclean.cli.helptext import Example
from listclean.errors import ThresholdExceeded, UsageError
from listclean.steps.validate import DROPPABLE

if TYPE_CHECKING:
    from listclean.email.validate import ValidationReport
    from listclean.steps.validate import ValidateReport

CHECKS = "Checks"


DropStatus = Enum("DropStatus", {status: status for status in DROPPABLE}, type=str)  # type: ignore[misc]


FixTypos = Annotated[
    bool,
    typer.Option("--fix-typos", help="Apply high-confidence domain typo fixes (gmial.com -> gmail.com) to email_normalized; recorded as typo_fixed.", rich_help_panel=CHECKS),
]
Suppress = Annotated[
    Optional[list[str]],
    typer.Option("--suppress", metavar="PATH", help="A suppression list (addresses, or SHA-256/MD5 hashes of them); repeatable. Matches become 'suppressed'.", show_default=False, rich_help_panel=CHECKS),
]
Drop = Annotated[
    Optional[list[DropStatus]],
    typer.Option("--drop", metavar="STATUS", help=f"Move rows with this status ({', '.join(DROPPABLE)}) to --rejects instead of the output (repeatable). Default: keep every row.", show_default=False, rich_help_panel=CHECKS),
]
Dns = Annotated[bool, typer.Option("--dns", help="Also look up MX/A records, once per distinct domain (needs network; cached).", rich_help_panel=CHECKS)]
DnsTimeout = Annotated[float, typer.Option("--dns-timeout", metavar="SECONDS", help="Seconds to wait for one DNS lookup.", rich_help_panel=CHECKS)]
DnsCache = Annotated[
    Optional[str],
    typer.Option("--dns-cache", metavar="PATH", help="DNS cache file (SQLite); '' for no cache. Default: ~/.cache/listclean/dns.sqlite (XDG_CACHE_HOME honoured).", rich_help_panel=CHECKS),
]
StoreOption = Annotated[
    Optional[str],
    typer.Option("--store", metavar="PATH", help="A suppression store (see export --store): its addresses become 'suppressed'; erased people are dropped to --rejects (row numbers only).", rich_help_panel=CHECKS),
]
FailOn = Annotated[
    Optional[list[str]],
    typer.Option(
        "--fail-on",
        metavar="RULE",
        help="Exit 1 when a status or reason crosses a threshold, e.g. 'invalid>5%', 'disposable>=100' (repeatable; quote it for the shell).",
        show_default=False,
        autocompletion=completion.validate_counters,
        rich_help_panel=CHECKS,
    ),
]


EXAMPLES = [
    Example("judge every address, keep every row", "listclean validate contacts.parquet -o validated.parquet"),
    Example(
        "a cron check: suppress a list, exit 1 when over 5% are invalid",
        "listclean validate crm_export.csv -o validated.csv --suppress do-not-mail.txt --fail-on 'invalid>5%'",
    ),
    Example(
        "only mailable rows out; the dropped ones, with their reasons, beside",
        "listclean validate contacts.parquet -o mailable.csv --drop invalid --drop suppressed --rejects dropped.csv",
    ),
]


def notes() -> str:
    """The reason codes by status, for --help."""
    from listclean.email.reasons import REASONS, STATUS_ORDER

    lines = ["Reason codes (email_reasons), by the status they lead to:"]
    for status in STATUS_ORDER:
        codes = [code for code, reason in REASONS.items() if reason.severity == status]
        lines.append(f"{status}: {', '.join(codes)}.")
    return "\n\n".join(lines)


def render_report(reporter: Reporter, report: ValidationReport) -> None:
    from listclean.email.reasons import REASONS

    def share(count: int) -> str:
        return f"{100 * count / report.rows:.1f}%" if report.rows else "-"

    statuses = [(status, f"{count:,}", share(count)) for status, count in report.by_status.items()]
    reporter.table(summary_table("email status", statuses, "status", "rows", "share"))
    if report.by_reason:
        reasons = [(code, f"{count:,}", REASONS[code].meaning if code in REASONS else "") for code, count in report.by_reason.items()]
        reporter.table(summary_table("reasons", reasons, "reason", "rows", "means"))
    if report.top_domains:
        domains = [(domain, f"{count:,}") for domain, count in report.top_domains]
        reporter.table(summary_table("top domains", domains, "domain", "rows"))
    if report.top_typos:
        typos = [(typed, suggested, f"{count:,}") for typed, suggested, count in report.top_typos]
        reporter.table(summary_table("top typos", typos, "typed", "did they mean", "rows"))


def render_step(reporter: Reporter, report: ValidateReport, summary: dict[str, Any]) -> None:
    """What validate says about a finished run (also under `listclean run`)."""
    if summary.get("rejects"):
        reporter.detail(f"rejects written to {summary['rejects']}")
    render_report(reporter, report.validation)
    reporter.info(rows_line(report.counts, summary["output"], f" ({report.dropped:,} dropped by status)" if report.dropping else ""))
    if report.validation.typos_fixed:
        reporter.info(f"{report.validation.typos_fixed:,} domain typo(s) fixed in email_normalized (email keeps what was typed)")


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
    from listclean.email.reasons import REASONS, STATUS_ORDER
    from listclean.email.dns import dns_checker
    from listclean.steps.validate import ValidateStepOptions, validate_step
    from listclean.thresholds import parse_thresholds

    reporter = Reporter()
    reads = [*([store] if store else []), *(suppress or [])]
    target = prepare_outputs(inputs, writing, reading, outputs=[("--dns-cache", dns_cache or None)], reads=reads)
    if drop and writing.rejects is None:
        raise UsageError("--drop needs --rejects PATH, so dropped rows are kept somewhere")
    if dns_timeout <= 0:
        raise UsageError("--dns-timeout must be a positive number of seconds")
    options = ValidateStepOptions(
        fix_typos=fix_typos,
        suppress=suppress or [],
        store=store,
        drop=[status.value for status in drop or []],
        dns=dns_checker(dns_timeout, dns_cache) if dns else None,
        thresholds=parse_thresholds(fail_on or [], [*STATUS_ORDER, *REASONS]),
    )
    with cli_runtime(reporter) as runtime:
        source = open_inputs(inputs, reading, runtime)
        sink = runtime.file_sink(target, excel_safe=writing.excel_safe)
        report = validate_step(source, options, sink, runtime, rejects=rejects_sink(writing, inputs, runtime))
        summary = report.summary(output=target.display, rejects=writing.rejects)
        render_step(reporter, report, summary)
        emit_summary(summary, json_summary=writing.json, report=writing.report, inputs=inputs, runtime=runtime)
    if report.failures:
        raise ThresholdExceeded("threshold crossed: " + "; ".join(report.failures))
