"""listclean export: write a clean file for people or pipelines; suppressed contacts never leave."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from listclean.cli import completion
from listclean.cli import options as opt
from listclean.cli.common import cli_runtime, emit_summary, guarded, open_inputs, prepare_outputs, rejects_sink
from listclean.cli.console import Reporter
from listclean.cli.helptext import Example
from listclean.consent import ConsentRules
from listclean.platforms import EXPORT_TARGETS

if TYPE_CHECKING:
    from listclean.steps.export import ExportReport

PLATFORM = "Platform"

# --to's choices: listclean's own CSV and every platform profile, from the registry.
Platform = Enum("Platform", [(name, name) for name in EXPORT_TARGETS], type=str)  # type: ignore[misc]


class HashKind(str, Enum):
    sha256 = "sha256"


To = Annotated[
    Platform,
    typer.Option(
        "--to",
        metavar="PLATFORM",
        help="Write the import file of this email platform (its headers, consent columns, values and size limits) or this ad platform's "
        f"customer-match audience (its identifiers, normalised and hashed as it documents); csv: listclean's own columns. One of: {', '.join(EXPORT_TARGETS)}.",
        rich_help_panel=PLATFORM,
    ),
]
ConsentPolicy = Annotated[
    Optional[str],
    typer.Option(
        "--consent-policy",
        metavar="POLICY",
        autocompletion=completion.consent_policies,
        help="Which consent a platform file or audience may hold: subscribed (default), optionally +pending and/or +unknown "
        "(e.g. subscribed+pending). Held-back contacts are counted and listed (consent_pending, consent_unknown).",
        show_default=False,
        rich_help_panel=PLATFORM,
    ),
]
Suppressions = Annotated[
    bool,
    typer.Option(
        "--suppressions",
        help="Write the platform's opt-out file instead of contacts: every unsubscribed, complained, bounced or cleaned address of the input, "
        "the --store and the --suppress lists, to import as the platform's unsubscribes/blocklist (--to csv: email, reason, date).",
        rich_help_panel=PLATFORM,
    ),
]
Exclusion = Annotated[
    bool,
    typer.Option("--exclusion", help="With --to google-customer-match or meta-audience: an exclusion audience of the opted-out people (as --suppressions collects them).", rich_help_panel=PLATFORM),
]
Since = Annotated[
    Optional[str],
    typer.Option(
        "--since",
        metavar="DATE",
        help="With --suppressions or --exclusion: only opt-outs from this day on (YYYY-MM-DD; rows by consent_at, kept when undated; store entries by the day they were added).",
        show_default=False,
        rich_help_panel=PLATFORM,
    ),
]
Hash = Annotated[Optional[HashKind], typer.Option("--hash", help="Write a hashed audience instead: email_sha256 of each normalised (repaired, trimmed, lower-cased) address.", rich_help_panel=PLATFORM)]
MaxRows = Annotated[Optional[int], typer.Option("--max-rows", metavar="ROWS", help="Split the output into parts of at most this many rows (out-001.csv …). Default: the platform's limit.", rich_help_panel=PLATFORM)]
MaxMb = Annotated[Optional[int], typer.Option("--max-mb", metavar="MB", help="Split the output into parts of at most about this many megabytes. Default: the platform's limit.", rich_help_panel=PLATFORM)]
Store = Annotated[
    Optional[str],
    typer.Option("--store", metavar="PATH", help="The suppression store: its entries are never exported, and this run's unsubscribed/bounced/complained/erased rows and --suppress lists are added to it.", rich_help_panel=PLATFORM),
]
Suppress = Annotated[
    Optional[list[str]],
    typer.Option("--suppress", metavar="PATH", help="A suppression list (addresses or SHA-256/MD5 hashes) never to export; repeatable.", show_default=False, rich_help_panel=PLATFORM),
]
KeepInvalid = Annotated[
    bool,
    typer.Option("--keep-invalid", help="With --to PLATFORM or --hash: also export addresses validate judged invalid (default: listed in --rejects as email_invalid).", rich_help_panel=PLATFORM),
]
class UnknownConsent(str, Enum):
    exclude = "exclude"
    include = "include"


UnknownConsentOption = Annotated[
    UnknownConsent,
    typer.Option(
        "--unknown-consent",
        help="Older spelling of --consent-policy subscribed+unknown: include exports contacts whose consent is unknown (exclude, the default, holds them back).",
        rich_help_panel=PLATFORM,
    ),
]
Columns = Annotated[
    Optional[str],
    typer.Option("--columns", "-c", metavar="COLUMNS", help="Comma-separated columns to write, in this order (default: all).", rich_help_panel=opt.WRITING),
]


EXAMPLES = [
    Example("a spreadsheet for people, safe to open in Excel", "listclean export golden.parquet -o people.xlsx --excel-safe"),
    Example(
        "Mailchimp's import file; the suppression store keeps opt-outs out",
        "listclean export golden.parquet --to mailchimp -o outbox/mailchimp.csv --store suppression.tsv --rejects not-exported.csv",
    ),
    Example("a hashed audience for ads", "listclean export golden.parquet --hash sha256 -o ads/audience.csv"),
]


def render_step(reporter: Reporter, report: ExportReport, summary: dict[str, Any]) -> None:
    """What export says about a finished run (also under `listclean run`)."""
    rejects = summary.get("rejects")
    if rejects:
        reporter.detail(f"rejects written to {'<stdout>' if rejects == '-' else rejects}")
    if report.opt_outs is not None:
        _render_opt_outs(reporter, report)
        return
    if report.store is not None:
        reporter.detail(f"suppression store {report.store}: {report.store_added:,} entries added, {report.store_entries:,} in all")
    counts = report.counts
    reporter.info(
        f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} exported + {counts['rejected']:,} not exported"
        f" ({report.suppressed:,} suppressed) → {', '.join(report.files)}"
    )
    if report.consent_expired:
        reporter.warn(f"{report.consent_expired:,} contact(s) not exported: their implied consent has expired (reason consent_expired)")
    if report.consent_expiring:
        reporter.warn(f"{report.consent_expiring:,} exported contact(s) have implied consent expiring within {report.expiring_days} days: ask them to confirm")
    if report.consent_unproven:
        reporter.warn(f"{report.consent_unproven:,} exported contact(s) are subscribed without a consent date or source: consent unproven")
    if report.consent_unknown and not report.consent_unknown_excluded:
        reporter.warn(f"{report.consent_unknown:,} exported contact(s) have a consent_status that was not understood (see consent_status_raw)")
    if report.unusable_address:
        reporter.warn(f"{report.unusable_address:,} contact(s) not exported: no address, or one validate judged invalid (reasons no_address, email_invalid)")
    held = report.held_back
    if held.get("pending"):
        reporter.warn(f"{held['pending']:,} contact(s) held back: consent pending (unconfirmed double opt-in; reason consent_pending; --consent-policy subscribed+pending to export them)")
    if held.get("unknown"):
        understood = f", {report.consent_unknown_excluded:,} of them with a consent_status that was not understood (see consent_status_raw)" if report.consent_unknown_excluded else ""
        reporter.warn(
            f"{held['unknown']:,} contact(s) held back: consent unknown, which is not consent{understood} "
            "(reason consent_unknown; --consent-policy subscribed+unknown to export them)"
        )
    if report.refused_address:
        reporter.warn(f"{report.refused_address:,} contact(s) not exported: {report.to} refuses their address (reason platform_refuses_address)")
    if report.phones_left_out:
        reporter.warn(f"{report.phones_left_out:,} phone number(s) left empty: {report.to}'s phone column takes only E.164 numbers{' of mobiles' if report.to == 'brevo' else ''}")


def _render_opt_outs(reporter: Reporter, report: ExportReport) -> None:
    found = report.opt_outs
    reasons = ", ".join(f"{count:,} {reason}" for reason, count in found.by_reason.items()) or "none"
    reporter.info(
        f"{found.addresses:,} opted-out address(es) ({reasons}) from {found.opted_out_rows:,} of {found.rows_in:,} rows"
        f", {found.from_store:,} more from the store, {found.from_lists:,} from --suppress lists → {', '.join(report.files) or '<stdout>'}"
    )
    if found.erased_rows:
        reporter.warn(f"{found.erased_rows:,} row(s) of erased people not written (only a keyed hash is kept): delete them in the platform too")
    if found.hashed_not_written:
        reporter.detail(f"{found.hashed_not_written:,} hashed entr(ies) of the store or lists cannot be written as addresses")
    if found.before_since:
        reporter.detail(f"{found.before_since:,} opt-out(s) older than --since left out; {found.undated:,} undated kept")


@guarded
@opt.writes_contacts
@opt.reads_contacts
def command(
    inputs: opt.Inputs,
    columns: Columns = None,
    to: To = Platform.csv,  # type: ignore[attr-defined]
    hash: Hash = None,  # noqa: A002 - the option's name
    max_rows: MaxRows = None,
    max_mb: MaxMb = None,
    store: Store = None,
    suppress: Suppress = None,
    implied_days: opt.ImpliedDays = ConsentRules.purchase_days,
    inquiry_days: opt.InquiryDays = ConsentRules.inquiry_days,
    keep_invalid: KeepInvalid = False,
    unknown_consent: UnknownConsentOption = UnknownConsent.exclude,
    consent_policy: ConsentPolicy = None,
    suppressions: Suppressions = False,
    exclusion: Exclusion = False,
    since: Since = None,
    as_of: opt.AsOf = None,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Write contacts for people, pipelines, an email platform or an ad audience (--to); suppressed contacts never leave.

    Contacts whose consent_status is unsubscribed, cleaned, bounced, complained or erased (or whose address is suppressed in any row) are never exported; they are counted and, with --rejects, listed. A platform or audience gets only subscribed contacts unless --consent-policy says more. --suppressions writes the platform's opt-out file instead. Every file written is read back and checked: if a suppressed address got in, the files are removed and the run fails.
    """
    from listclean.steps.export import ExportStepOptions, export_step

    reporter = Reporter()
    options = ExportStepOptions(
        columns=columns,
        to=to.value,
        hash=hash.value if hash else None,
        max_rows=max_rows,
        max_mb=max_mb,
        store=store,
        suppress=suppress or [],
        implied_days=implied_days,
        inquiry_days=inquiry_days,
        keep_invalid=keep_invalid,
        unknown_consent=unknown_consent.value,
        consent_policy=consent_policy,
        suppressions=suppressions,
        exclusion=exclusion,
        since=opt.parse_as_of(since, "--since") if since else None,
        format=writing.format,
        excel_safe=writing.excel_safe,
    )
    writing.format = options.output_format
    if options.opt_outs and reading.quarantine_source is None:
        # An opt-out file is never mailed: a bought list's unsubscribes count too (the platform may hold those addresses).
        reading.quarantine_source = ["none"]
    target = prepare_outputs(inputs, writing, reading, outputs=[("--store", store)], reads=suppress or [])
    options.as_of = opt.parse_as_of(as_of)
    with cli_runtime(reporter) as runtime:
        source = open_inputs(inputs, reading, runtime)
        report = export_step(source, options, target, runtime, rejects=rejects_sink(writing, inputs, runtime))
        summary = report.summary(output=target.display, rejects=writing.rejects)
        render_step(reporter, report, summary)
        emit_summary(summary, json_summary=writing.json, report=writing.report, inputs=inputs, runtime=runtime)
