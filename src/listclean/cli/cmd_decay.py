"""listclean decay-report: how stale is the list, how fast is it rotting, what to sunset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from listclean.cli import completion
from listclean.cli import options as opt
from listclean.cli.common import check_paths, cli_runtime, emit_summary, guarded, open_inputs
from listclean.cli.console import Reporter
from listclean.cli.helptext import Example
from listclean.consent import ConsentRules
from listclean.errors import ThresholdExceeded, UsageError

if TYPE_CHECKING:
    from listclean.decay import DecayReport
    from listclean.steps.decay import DecayStepReport
    from listclean.io.write import OutputTarget

REPORT = "Report"
RULES = "Rules"

Html = Annotated[Optional[str], typer.Option("--html", metavar="PATH", help="Also write the report as one self-contained HTML file (charts inline, works offline).", rich_help_panel=REPORT)]
SunsetOut = Annotated[Optional[str], typer.Option("--sunset-out", metavar="PATH", help="Write the sunset candidates (all their columns plus sunset_reason) here.", rich_help_panel=REPORT)]
Months = Annotated[int, typer.Option("--months", metavar="MONTHS", help="Months of growth and churn to show, ending with the as-of month; the decay rate counts the months that have ended (--months 12: the 11 before the as-of month).", rich_help_panel=RULES)]
Benchmark = Annotated[float, typer.Option("--benchmark", metavar="PERCENT", help="Benchmark monthly decay, in percent (published figures: about 2-2.5 %).", rich_help_panel=RULES)]
SunsetDays = Annotated[int, typer.Option("--sunset-days", metavar="DAYS", help="Sunset: no click or purchase for this many days ...", rich_help_panel=RULES)]
SunsetMinAge = Annotated[int, typer.Option("--sunset-min-age", metavar="DAYS", help="... and signed up more than this many days ago.", rich_help_panel=RULES)]
LapseDays = Annotated[int, typer.Option("--lapse-days", metavar="DAYS", help="Survival: a contact lapses after this many days without a click, purchase or activity.", rich_help_panel=RULES)]
BounceLimit = Annotated[float, typer.Option("--bounce-limit", metavar="PERCENT", help="Deliverability limit for bounces in the last 30 days, in percent.", rich_help_panel=RULES)]
ComplaintLimit = Annotated[float, typer.Option("--complaint-limit", metavar="PERCENT", help="Deliverability limit for complaints in the last 30 days, in percent.", rich_help_panel=RULES)]
NoValidate = Annotated[bool, typer.Option("--no-validate", help="Do not validate addresses when the input has no email_status column.", rich_help_panel=RULES)]
FailOn = Annotated[
    Optional[list[str]],
    typer.Option(
        "--fail-on",
        metavar="RULE",
        help="Exit 1 when a measure crosses a threshold: monthly_decay>3%, bounce_rate>1%, complaint_rate>0.1%, sunset>1000, unsubscribed>10%, implied_expired>0 … (repeatable; quote it for the shell).",
        show_default=False,
        autocompletion=completion.decay_measures,
        rich_help_panel=RULES,
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the report as one JSON object on stdout.", rich_help_panel=REPORT)]
ReportPath = Annotated[Optional[str], typer.Option("--report", metavar="PATH", help="Write the report as JSON to this file.", rich_help_panel=REPORT)]
Force = Annotated[bool, typer.Option("--force", help="Replace existing output files.", rich_help_panel=REPORT)]
Format = Annotated[Optional[str], typer.Option("--format", "-f", metavar="FORMAT", help="Format of --sunset-out (default: from its extension, else csv).", autocompletion=completion.output_formats, rich_help_panel=REPORT)]


EXAMPLES = [
    Example("tables on stderr, a report to open, the people to sunset", "listclean decay-report golden.parquet --as-of 2026-11-24 --html decay.html --sunset-out sunset.csv"),
    Example(
        "monitoring: JSON on stdout, exit 1 over 3% monthly decay or 1% bounces",
        "listclean decay-report golden.parquet --json --fail-on 'monthly_decay>3%' --fail-on 'bounce_rate>1%'",
    ),
]


def _bar(share: float, width: int = 24) -> str:
    filled = round(share * width)
    return "█" * filled + "·" * (width - filled)


def render_report(reporter: Reporter, report: DecayReport) -> None:
    from listclean.decay_html import LABELS

    def table(title: str, *columns: str) -> Table:
        out = Table(show_edge=False, header_style="bold", pad_edge=False, title=title, title_justify="left")
        for index, name in enumerate(columns):
            out.add_column(name, justify="left" if index == 0 or name == "" else "right")
        return out

    total = report.rows or 1
    status = table(f"status mix (as of {report.as_of[:10]})", "status", "rows", "share", "")
    for name, count in report.status.items():
        status.add_row(LABELS[name], f"{count:,}", f"{100 * count / total:.1f}%", _bar(count / total))
    reporter.table(status)
    buckets = report.engagement["buckets"]
    recency = table("days since last engagement", "days", "rows", "share", "")
    for name, count in buckets.items():
        recency.add_row(name, f"{count:,}", f"{100 * count / total:.1f}%", _bar(count / total))
    reporter.table(recency)
    if report.engagement["opens_only_90d"]:
        reporter.info(f"{report.engagement['opens_only_90d']:,} contacts look engaged in the last 90 days only through opens (unreliable since Apple MPP)")
    growth = table("growth and churn by month", "month", "size at start", "added", "unsub", "bounced", "complained", "net", "decay")
    for row in report.monthly:
        rate = "–" if row["decay_rate"] is None else f"{100 * row['decay_rate']:.2f}%"
        growth.add_row(row["month"] + ("" if row["complete"] else "*"), f"{row['size_at_start']:,}", f"{row['added']:,}", f"{row['unsubscribed']:,}", f"{row['bounced']:,}", f"{row['complained']:,}", f"{row['net']:+,}", rate)
    reporter.table(growth)
    decay = report.decay
    if decay["observed_monthly_rate"] is not None:
        rate, high = decay["observed_monthly_rate"], decay.get("monthly_rate_with_undated_churn")
        shown = f"{100 * rate:.2f}%" if not decay["undated_churn"] or high in (None, rate) else f"{100 * rate:.2f}–{100 * high:.2f}% (without / with {decay['undated_churn']:,} undated churn)"
        verdict = "cannot tell if it is above" if decay["versus_benchmark"] == "uncertain" else decay["versus_benchmark"]
        (reporter.warn if decay["versus_benchmark"] in ("above", "uncertain") else reporter.info)(
            f"observed decay {shown}/month over {decay['months_measured']} complete months "
            f"({verdict} the {100 * decay['benchmark_monthly_rate']:.1f}% benchmark); "
            f"12-month projection: {decay['projected_lost_in_12_months']:,} of {decay['mailable_now']:,} mailable contacts lost"
        )
    survival = report.survival
    if survival["contacts"]:
        median = "not reached" if survival["median_days"] is None else f"{survival['median_days']:,} days"
        reporter.info(
            f"engagement survival (Kaplan-Meier, lapse after {survival['lapse_days']} days): median {median}; "
            f"S(90) {100 * survival['s90']:.1f}%, S(180) {100 * survival['s180']:.1f}%, S(365) {100 * survival['s365']:.1f}%"
        )
    delivery = report.deliverability
    for kind, limit in (("bounce", "bounce_limit"), ("complaint", "complaint_limit")):
        rate = delivery[f"{kind}_rate_30d"]
        verdict = "ok" if delivery[f"{kind}_ok"] else "OVER THE LIMIT"
        line = f"{kind} rate, last 30 days: {100 * rate:.2f}% (limit {100 * delivery[limit]:.1f}%) {verdict}"
        (reporter.info if delivery[f"{kind}_ok"] else reporter.warn)(line)
    consent = report.consent
    if consent["implied"] or consent["express_unproven"]:
        reporter.info(
            f"consent: {consent['implied']:,} implied ({consent['implied_expiring']:,} expiring soon, {consent['implied_expired']:,} expired); "
            f"{consent['express_unproven']:,} subscribed without a consent date or source"
        )
    reporter.info(f"sunset candidates: {report.sunset['candidates']:,} ({report.sunset['rule']})")
    for note in report.notes:
        reporter.warn(note)


def render_step(reporter: Reporter, report: DecayStepReport, summary: dict[str, Any]) -> None:
    """What decay-report says about a finished run (also under `listclean run`)."""
    render_report(reporter, report.measured)


def report_targets(html: str | None, sunset_out: str | None, fmt: str | None, force: bool, inputs: list[str]) -> tuple[OutputTarget | None, OutputTarget | None]:
    """The --html and --sunset-out files, checked before any work."""
    from listclean.io.write import prepare_target

    html_target = prepare_target(html, fmt=None, force=force, inputs=inputs) if html else None
    sunset_target = prepare_target(sunset_out, fmt=fmt, force=force, inputs=inputs) if sunset_out else None
    if html_target is not None and html_target.is_stdout:
        raise UsageError("--html needs a file name", hint="stdout is for --json")
    return html_target, sunset_target


@guarded
@opt.reads_contacts
def command(
    inputs: opt.Inputs,
    as_of: opt.AsOf = None,
    html: Html = None,
    sunset_out: SunsetOut = None,
    json: JsonFlag = False,
    report: ReportPath = None,
    force: Force = False,
    format: Format = None,  # noqa: A002 - the option's name
    months: Months = 12,
    benchmark: Benchmark = 2.1,
    sunset_days: SunsetDays = 180,
    sunset_min_age: SunsetMinAge = 90,
    lapse_days: LapseDays = 180,
    bounce_limit: BounceLimit = 1.0,
    complaint_limit: ComplaintLimit = 0.1,
    implied_days: opt.ImpliedDays = ConsentRules.purchase_days,
    inquiry_days: opt.InquiryDays = ConsentRules.inquiry_days,
    no_validate: NoValidate = False,
    fail_on: FailOn = None,
    *,
    reading: opt.ReadingChoices,
) -> None:
    """Measure how stale the list is and how fast it decays; list what to sunset.

    Prints tables on stderr; --json for monitoring; --html for a report to read.
    """
    from listclean.decay_html import render_html
    from listclean.io.write import write_text
    from listclean.steps.decay import decay_step, options_from

    reporter = Reporter()
    if inputs.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")
    options = options_from(
        {"months": months, "benchmark": benchmark, "sunset_days": sunset_days, "sunset_min_age": sunset_min_age, "lapse_days": lapse_days,
         "bounce_limit": bounce_limit, "complaint_limit": complaint_limit, "implied_days": implied_days, "inquiry_days": inquiry_days,
         "no_validate": no_validate, "fail_on": fail_on}
    )  # fmt: skip
    options.decay.as_of = opt.parse_as_of(as_of)  # read after the options are checked, as it always was
    check_paths(inputs, [("--html", html), ("--sunset-out", sunset_out)], report=report, force=force)
    html_target, sunset_target = report_targets(html, sunset_out, format, force, inputs)
    with cli_runtime(reporter) as runtime:
        source = open_inputs(inputs, reading, runtime)
        sunset = runtime.file_sink(sunset_target, for_people=True) if sunset_target is not None else None
        decay = decay_step(source, options, None, runtime, sunset=sunset)
        if html_target is not None:
            write_text(render_html(decay.as_dict()), html_target, runtime.outputs)
        render_step(reporter, decay, {})
        summary = decay.summary(inputs=inputs, html=html, sunset_out=sunset_out)
        emit_summary(summary, json_summary=json, report=report, inputs=inputs, runtime=runtime)
    if decay.failures:
        raise ThresholdExceeded("threshold crossed: " + "; ".join(decay.failures))
