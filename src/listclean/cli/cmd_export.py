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
KeepInvalid = Annotated[
    bool,
    typer.Option("--keep-invalid", help="With --to PLATFORM or --hash: also export addresses validate judged invalid (default: listed in --rejects as email_invalid).", rich_help_panel=PLATFORM),
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
    keep_invalid: KeepInvalid = False,
    *,
    reading: opt.ReadingChoices,
    writing: opt.WritingChoices,
) -> None:
    """Write contacts for people, pipelines or an email platform (--to); suppressed contacts never leave.

    Contacts whose consent_status is unsubscribed, cleaned, bounced, complained or erased (or whose address is suppressed in any row) are never exported; they are counted and, with --rejects, listed. Every file written is read back and checked: if a suppressed address got in, the files are removed and the run fails.
    """
    import math
    from datetime import datetime, timezone

    import polars as pl

    from listclean.consent import implied_expired, implied_expiring, unproven
    from listclean.errors import UsageError
    from listclean.export import address_key, separate_suppressed, verify_no_leak
    from listclean.importer import ImportStream, rows_as_rejects
    from listclean.io.read import Workspace
    from listclean.io.write import ChunkedOutput, FrameSpool, prepare_target
    from listclean.platforms import PROFILES, empty_columns, part_paths, rows_per_part

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
    now, rules = datetime.now(timezone.utc), ConsentRules(purchase_days=implied_days, inquiry_days=inquiry_days)
    lapsed_detail = f"implied consent has expired ({implied_days} days after a purchase, {inquiry_days} after an inquiry)"

    with Workspace() as workspace, reporter.status("Exporting…"):
        kept_store = listed = None
        if store:
            from listclean.store import SuppressionStore, apply_store, feed_store

            kept_store = SuppressionStore.open(store)
        if suppress:
            from listclean.suppression import load_suppression

            listed = load_suppression(suppress, workspace)

        # Pass 1, a chunk at a time: suppression and consent decided per row; the mailable rows
        # wait in a spool until every suppressed address of the whole input is known.
        stream = ImportStream(inputs, settings, workspace)
        candidates = FrameSpool(workspace.path)
        removed = FrameSpool(workspace.path)  # rejects: suppressed, lapsed or unusable rows
        blocked_parts: list[pl.Series] = []
        matched_by_list: set[str] = set()
        suppressed = lapsed = expiring = unproven_count = unusable = 0
        for chunk in stream:
            listed_mask = None
            if kept_store is not None:
                chunk, erased, listed_mask = apply_store(chunk, kept_store)
                removed.add(erased)
                suppressed += erased.height
            if listed is not None:
                on_list = chunk.select(listed.matches(chunk, address_key(chunk))).to_series()
                listed_mask = on_list if listed_mask is None else listed_mask | on_list
                matched_by_list |= _listed(chunk, on_list)
            mailable, chunk_suppressed, blocked = separate_suppressed(chunk, listed_mask)
            blocked_parts.append(pl.Series("key", sorted(blocked), dtype=pl.String))
            # Consent rules: expired implied consent is not exported; expiring and unproven consent is flagged.
            expired = mailable.select(implied_expired(mailable, now, rules)).to_series()
            chunk_lapsed = rows_as_rejects(mailable.filter(expired), pl.lit("consent_expired"), pl.lit(lapsed_detail))
            removed.add(chunk_suppressed)
            removed.add(chunk_lapsed)
            suppressed, lapsed = suppressed + chunk_suppressed.height, lapsed + chunk_lapsed.height
            if profile is not None or hash is not None:
                # A platform (or an ad audience) can only take a usable address: rows without one,
                # or with one validate judged invalid, are listed instead of written.
                kept, chunk_unusable = _unusable(mailable.filter(~expired), keep_invalid)
                removed.add(chunk_unusable)
                unusable += chunk_unusable.height
            else:
                kept = mailable.filter(~expired)
            expiring += int(kept.select(implied_expiring(kept, now, rules).sum()).item())
            unproven_count += int(kept.select(unproven(kept).sum()).item())
            key = address_key(kept)
            kept = kept.with_columns(pl.when(key.is_not_null()).then(key.hash()).alias(_KEY))
            needed = _needed_columns(profile, hash is not None, wanted)
            candidates.add(kept.select([c for c in kept.columns if needed is None or c in needed or c == _KEY]))
            del kept
            if kept_store is not None:
                feed_store(kept_store, chunk)
            del chunk, mailable, expired  # before the next chunk is read, not after
        # Pass 2: an address suppressed in any chunk is suppressed in all of them.
        # Compared as 64-bit hashes: a set of a million hashes is a few megabytes, and a collision
        # could only ever suppress one more address, never let one through.
        blocked_keys = pl.concat(blocked_parts).unique()
        blocked_hashes = blocked_keys.hash().implode()
        exported = FrameSpool(workspace.path)
        for part in candidates.drain():
            elsewhere = part[_KEY].is_in(blocked_hashes).fill_null(False)
            same_address = rows_as_rejects(part.filter(elsewhere), pl.lit("suppressed"), pl.lit("the same address is suppressed in another row"))
            removed.add(same_address)
            suppressed += same_address.height
            exported.add(part.filter(~elsewhere).drop(_KEY))
            del part
        del candidates

        # Pass 3: the platform's (or the asked-for) columns, then files within the size limits.
        empty = empty_columns(exported.lazy(), profile) if profile is not None else None
        formatted = FrameSpool(workspace.path)
        for part in exported.drain():
            formatted.add(_formatted(part, profile, empty, hash is not None, wanted, writing.excel_safe))
            del part
        exported_rows = exported.rows
        del exported
        first = next(iter(formatted))
        email_header = "email_sha256" if hash is not None else profile.email_header if profile is not None else ("email" if "email" in first.columns else None)
        limit = rows_per_part(first, formatted.rows, max_rows or (profile.max_rows if profile else None), max_mb or (profile.max_mb if profile else None))
        count = max(1, math.ceil(formatted.rows / limit))
        if count > 1 and target.is_stdout:
            raise UsageError(f"the export needs {count} files, which stdout cannot hold", hint="write to a file with -o PATH")
        paths = part_paths(target.path, count)
        targets = [target] if count == 1 else [prepare_target(path, fmt=target.format, force=writing.force, inputs=inputs, bom=writing.bom) for path in paths]
        _write_files(formatted, [ChunkedOutput(t, workspace.path) for t in targets], limit, first.head(0))
        if kept_store is not None:
            blocked_keys = pl.concat([blocked_keys, pl.Series("key", sorted(kept_store.plain_addresses()), dtype=pl.String)]).unique()
        if not target.is_stdout and email_header is not None:
            verify_no_leak([t.path for t in targets], target.format, email_header, blocked_keys, hashed=hash is not None)
        write_rejects([stream.rejects(), *removed], writing.rejects, inputs, writing.force, reporter, workspace.path)
        if kept_store is not None:
            if listed is not None:
                # The list's own entries, and the addresses of the rows it matched (a hash matched by a typed address).
                for address in sorted(matched_by_list):
                    kept_store.add(address, "suppression_list")
                for entry in sorted(listed.sha256 | listed.md5):
                    kept_store.add_hash(entry, "suppression_list")
                for address in sorted(listed.addresses):
                    kept_store.add(address, "suppression_list")
            kept_store.save()
            reporter.detail(f"suppression store {store}: {kept_store.added:,} entries added, {len(kept_store):,} in all")

    counts = accounting(stream.rows_in, exported_rows, stream.rejected + suppressed + lapsed + unusable)
    written = ", ".join(t.display for t in targets)
    reporter.info(
        f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} exported + {counts['rejected']:,} not exported"
        f" ({suppressed:,} suppressed) → {written}"
    )
    if lapsed:
        reporter.warn(f"{lapsed:,} contact(s) not exported: their implied consent has expired (reason consent_expired)")
    if expiring:
        reporter.warn(f"{expiring:,} exported contact(s) have implied consent expiring within {rules.warning_days} days: ask them to confirm")
    if unproven_count:
        reporter.warn(f"{unproven_count:,} exported contact(s) are subscribed without a consent date or source: consent unproven")
    if unusable:
        reporter.warn(f"{unusable:,} contact(s) not exported: no address, or one validate judged invalid (reasons no_address, email_invalid)")
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
            "suppressed": suppressed,
            "consent_expired": lapsed,
            "unusable_address": unusable,
            "consent_expiring": expiring,
            "consent_unproven": unproven_count,
            "columns": first.columns,
        },
        json_summary=writing.json,
        report=writing.report,
        inputs=inputs,
    )


_KEY = "__listclean_address_key"


def _needed_columns(profile, hashed: bool, wanted) -> set[str] | None:  # noqa: ANN001
    """The columns the written file is made from (None: all of them), and what a reject names."""
    named = {"email", "_source_file", "_source_row"}
    if hashed:
        return named
    if profile is not None:
        return named | set(profile.columns) | {"email_normalized"}
    return named | set(wanted) if wanted else None


def _formatted(frame, profile, empty, hashed: bool, wanted, excel_safe: bool):  # noqa: ANN001, ANN202 - polars types
    """The rows as the file holds them: a hashed audience, a platform's columns, or the chosen columns."""
    import polars as pl

    from listclean.export import excel_safe as make_excel_safe
    from listclean.export import select_columns
    from listclean.platforms import apply_profile, hashed_audience

    if hashed:
        frame = hashed_audience(frame)
    elif profile is not None:
        if "email_normalized" in frame.columns:  # validate's form of the address (domain lower-cased, NFC)
            frame = frame.with_columns(pl.coalesce("email_normalized", "email").alias("email"))
        frame = apply_profile(frame, profile, empty)
    elif wanted:
        frame = select_columns(frame, wanted)
    return make_excel_safe(frame) if excel_safe else frame


def _unusable(frame, keep_invalid: bool):  # noqa: ANN001, ANN202 - polars types
    """(rows a platform can import, rejects of the others): no address, or an invalid one."""
    import polars as pl

    from listclean.export import address_key
    from listclean.importer import rows_as_rejects

    key = address_key(frame)
    invalid = pl.lit(False)
    if "email_status" in frame.columns and not keep_invalid:
        invalid = (pl.col("email_status").cast(pl.String) == "invalid").fill_null(False)
    flagged = frame.with_columns((key.is_null() | (key.str.len_bytes() == 0)).alias("__missing"), invalid.alias("__invalid"))
    missing, dropped = pl.col("__missing"), pl.col("__missing") | pl.col("__invalid")
    rejects = rows_as_rejects(
        flagged.filter(dropped),
        pl.when(missing).then(pl.lit("no_address")).otherwise(pl.lit("email_invalid")),
        pl.when(missing)
        .then(pl.lit("no address: a platform cannot import the contact"))
        .otherwise(pl.lit("validate judged the address invalid: the platform would reject it or it would bounce (--keep-invalid to export it)")),
    )
    return flagged.filter(~dropped).drop("__missing", "__invalid"), rejects


def _write_files(frames, outputs, limit: int, empty) -> None:  # noqa: ANN001
    """The rows in order across the outputs, `limit` rows to a file; then every file written."""
    index = 0
    for frame in frames:
        while frame.height:
            room = limit - outputs[index].rows
            if room == 0:
                index += 1
                continue
            outputs[index].add(frame.head(room))
            frame = frame.slice(room)
    for output in outputs:
        output.finish(empty=empty)


def _listed(frame, mask) -> set[str]:  # noqa: ANN001
    from listclean.export import address_key

    return set(frame.filter(mask).select(address_key(frame)).to_series().drop_nulls().to_list())
