"""listclean export: write a clean file for people or pipelines; suppressed contacts never leave."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from listclean.cli import options as opt
from listclean.cli.cmd_import import accounting, import_options, write_rejects
from listclean.cli.common import emit_summary, guarded, prepare_outputs
from listclean.cli.console import Reporter
from listclean.consent import ConsentRules

PLATFORM = "Platform"


class Platform(str, Enum):
    csv = "csv"
    mailchimp = "mailchimp"
    klaviyo = "klaviyo"
    sendgrid = "sendgrid"
    brevo = "brevo"
    hubspot = "hubspot"


class HashKind(str, Enum):
    sha256 = "sha256"


To = Annotated[Platform, typer.Option("--to", help="Write the import file of this platform (its headers, values and size limits); csv: listclean's own columns.", rich_help_panel=PLATFORM)]
Hash = Annotated[Optional[HashKind], typer.Option("--hash", help="Write a hashed audience instead: email_sha256 of each trimmed, lower-cased address.", rich_help_panel=PLATFORM)]
MaxRows = Annotated[Optional[int], typer.Option("--max-rows", help="Split the output into parts of at most this many rows (out-001.csv …). Default: the platform's limit.", rich_help_panel=PLATFORM)]
MaxMb = Annotated[Optional[int], typer.Option("--max-mb", help="Split the output into parts of at most about this many megabytes. Default: the platform's limit.", rich_help_panel=PLATFORM)]
Store = Annotated[
    Optional[str],
    typer.Option("--store", help="The suppression store: its entries are never exported, and this run's unsubscribed/bounced/complained/erased rows and --suppress lists are added to it.", rich_help_panel=PLATFORM),
]
Suppress = Annotated[
    Optional[list[str]],
    typer.Option("--suppress", help="A suppression list (addresses or SHA-256/MD5 hashes) never to export; repeatable.", show_default=False, rich_help_panel=PLATFORM),
]
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
    to: To = Platform.csv,
    hash: Hash = None,  # noqa: A002 - the option's name
    max_rows: MaxRows = None,
    max_mb: MaxMb = None,
    store: Store = None,
    suppress: Suppress = None,
    implied_days: opt.ImpliedDays = ConsentRules.purchase_days,
    inquiry_days: opt.InquiryDays = ConsentRules.inquiry_days,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Write contacts for people, pipelines or an email platform (--to); suppressed contacts never leave.

    Contacts whose consent_status is unsubscribed, cleaned, bounced, complained or erased (or whose address is suppressed in any row) are never exported; they are counted and, with --rejects, listed. Every file written is read back and checked: if a suppressed address got in, the files are removed and the run fails.
    """
    import polars as pl

    from listclean.errors import UsageError
    from listclean.export import excel_safe as make_excel_safe
    from listclean.export import select_columns, separate_suppressed, verify_no_leak
    from listclean.importer import import_sources
    from listclean.io.read import Workspace
    from listclean.io.write import prepare_target, write_frame
    from listclean.platforms import PROFILES, apply_profile, hashed_audience, part_paths, parts

    reporter = Reporter()
    profile = PROFILES.get(to.value)
    if profile is not None or hash is not None:
        if columns:
            raise UsageError("--columns cannot be combined with --to PLATFORM or --hash", hint="a platform profile decides the columns")
        if writing.format not in (None, "csv"):
            raise UsageError(f"--to {to.value} and --hash write CSV, not {writing.format}")
        writing.format = "csv"
    for name, value in (("--max-rows", max_rows), ("--max-mb", max_mb), ("--implied-days", implied_days), ("--inquiry-days", inquiry_days)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be at least 1")
    target = prepare_outputs(inputs, writing, reading)
    wanted = [name.strip() for name in columns.split(",") if name.strip()] if columns else None
    settings = import_options(reading)

    with Workspace() as workspace, reporter.status("Exporting…"):
        result = import_sources(inputs, settings, workspace)
        source = result.frame
        kept_out = result.rejects.head(0)
        if store:
            from listclean.store import SuppressionStore, apply_store

            kept_store = SuppressionStore.open(store)
            source, kept_out, in_store = apply_store(source, kept_store)
        listed_mask = in_store if store else None
        if suppress:
            from listclean.export import address_key
            from listclean.suppression import load_suppression

            listed = load_suppression(suppress, workspace)
            on_list = source.select(listed.matches(source, address_key(source))).to_series()
            listed_mask = on_list if listed_mask is None else listed_mask | on_list
        mailable, suppressed, blocked = separate_suppressed(source, listed_mask)
        # Consent rules: expired implied consent is not exported; expiring and unproven consent is flagged.
        from datetime import datetime, timezone

        from listclean.consent import implied_expired, implied_expiring, unproven
        from listclean.importer import rows_as_rejects

        now, rules = datetime.now(timezone.utc), ConsentRules(purchase_days=implied_days, inquiry_days=inquiry_days)
        expired = mailable.select(implied_expired(mailable, now, rules)).to_series()
        expiring = int(mailable.select(implied_expiring(mailable, now, rules).sum()).item())
        unproven_count = int(mailable.select(unproven(mailable).sum()).item())
        lapsed = rows_as_rejects(mailable.filter(expired), pl.lit("consent_expired"), pl.lit(f"implied consent has expired ({implied_days} days after a purchase, {inquiry_days} after an inquiry)"))
        mailable = mailable.filter(~expired)
        suppressed = pl.concat([kept_out, suppressed, lapsed], how="vertical_relaxed")
        if store:
            blocked |= kept_store.plain_addresses()
        if hash is not None:
            frame, email_header = hashed_audience(mailable), "email_sha256"
        elif profile is not None:
            frame, email_header = apply_profile(mailable, profile), profile.email_header
        else:
            frame = select_columns(mailable, wanted) if wanted else mailable
            email_header = "email" if "email" in frame.columns else None
        if writing.excel_safe:
            frame = make_excel_safe(frame)
        rows_limit = max_rows or (profile.max_rows if profile else None)
        mb_limit = max_mb or (profile.max_mb if profile else None)
        pieces = parts(frame, rows_limit, mb_limit)
        if len(pieces) > 1 and target.is_stdout:
            raise UsageError(f"the export needs {len(pieces)} files, which stdout cannot hold", hint="write to a file with -o PATH")
        paths = part_paths(target.path, len(pieces))
        targets = [target] if len(pieces) == 1 else [prepare_target(path, fmt=target.format, force=writing.force, inputs=inputs, bom=writing.bom) for path in paths]
        for piece, part_target in zip(pieces, targets):
            write_frame(piece, part_target)
        if not target.is_stdout and email_header is not None:
            verify_no_leak([t.path for t in targets], target.format, email_header, blocked, hashed=hash is not None)
        all_rejects = pl.concat([result.rejects, suppressed], how="vertical_relaxed")
        write_rejects(all_rejects, writing.rejects, inputs, writing.force, reporter)
        if store:
            from listclean.store import feed_store

            feed_store(kept_store, source)
            if suppress:
                # The list's own entries, and the addresses of the rows it matched (a hash matched by a typed address).
                for address in sorted(_listed(source, on_list)):
                    kept_store.add(address, "suppression_list")
                for entry in sorted(listed.sha256 | listed.md5):
                    kept_store.add_hash(entry, "suppression_list")
                for address in sorted(listed.addresses):
                    kept_store.add(address, "suppression_list")
            kept_store.save()
            reporter.detail(f"suppression store {store}: {kept_store.added:,} entries added, {len(kept_store):,} in all")

    counts = accounting(result.rows_in, mailable.height, result.rejected + suppressed.height)
    written = ", ".join(t.display for t in targets)
    reporter.info(
        f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} exported + {counts['rejected']:,} not exported"
        f" ({suppressed.height - lapsed.height:,} suppressed) → {written}"
    )
    if lapsed.height:
        reporter.warn(f"{lapsed.height:,} contact(s) not exported: their implied consent has expired (reason consent_expired)")
    if expiring:
        reporter.warn(f"{expiring:,} exported contact(s) have implied consent expiring within {rules.warning_days} days: ask them to confirm")
    if unproven_count:
        reporter.warn(f"{unproven_count:,} exported contact(s) are subscribed without a consent date or source: consent unproven")
    if hash is not None and frame.height < mailable.height:
        reporter.info(f"{mailable.height - frame.height:,} exported contact(s) have no address, so no hash")
    emit_summary(
        {
            "command": "export",
            "output": target.display,
            "files": [t.display for t in targets],
            "to": to.value,
            "hash": hash.value if hash else None,
            "format": target.format,
            "rejects": writing.rejects,
            **counts,
            "suppressed": suppressed.height - lapsed.height,
            "consent_expired": lapsed.height,
            "consent_expiring": expiring,
            "consent_unproven": unproven_count,
            "columns": frame.columns,
        },
        json_summary=writing.json,
        report=writing.report,
        inputs=inputs,
    )


def _listed(frame, mask) -> set[str]:  # noqa: ANN001
    from listclean.export import address_key

    return set(frame.filter(mask).select(address_key(frame)).to_series().drop_nulls().to_list())
