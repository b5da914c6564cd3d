"""The export step: contacts out for people, pipelines or an email platform; suppressed contacts never leave.

Three passes, in bounded memory (every frame kept between passes waits in a spool):

1. a chunk at a time, each row is judged on its own: the suppression store (erased people
   are dropped), the --suppress lists, its consent status and the consent rules (expired
   implied consent is not exported), and for a platform or a hashed audience whether it
   has a usable address. The rows that may be exported wait until every suppressed
   address of the whole input is known; the store learns this run's unsubscribes.
2. an address suppressed in any row is suppressed in all of them (compared as 64-bit hashes).
3. the rows in the file's form (a platform's columns and values, a hashed audience, or the
   chosen columns), split into files within the platform's limits; every file written is
   then read back, and if a suppressed address got in, the files are removed and the run fails.

Every row read ends in the output or, with its reason, in the rejects (the ledger).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Union

import polars as pl

from listclean.consent import ConsentRules
from listclean.errors import UsageError
from listclean.export_rules import KEY_COLUMN, address_key, address_source, with_key
from listclean.io.write import OutputTarget
from listclean.platforms import EXPORT_TARGETS, PLAIN, PROFILES, Profile
from listclean.stream.ledger import rows_as_rejects
from listclean.stream.source import expected_rows

if TYPE_CHECKING:
    from listclean.runtime import Progress, Runtime
    from listclean.store import SuppressionStore
    from listclean.stream.ledger import Ledger
    from listclean.stream.sink import Sink
    from listclean.stream.source import ChunkSource
    from listclean.io.write import OutputSet
    from listclean.stream.spool import Spool
    from listclean.suppression import SuppressionList

HASHES = ("sha256",)
UNKNOWN_CONSENT = ("exclude", "include")  # what a platform or --hash does with a consent status nobody understood
_KEY = "__listclean_address_key"  # the address's 64-bit hash, carried from pass 1 to pass 2
# Whether the caller found (Spark, across partitions) that the row's cell also holds an address
# another row suppresses; read by ChunkScreen.cell_suppressed where present (never written).
CELL_BLOCKED_COLUMN = "__listclean_cell_suppressed_elsewhere"
Output = Union[OutputTarget, "Sink"]


@dataclass
class ExportStepOptions:
    """What to export and how; the fields are the command's flags (underscored), with their defaults.

    The combinations are checked when the options are made (a `UsageError`), so the command
    line, `listclean run` and the Python API refuse the same things.
    """

    columns: list[str] | str | None = None  # columns to write, in order (a string: comma-separated, as --columns)
    to: str = PLAIN  # a platform profile's name (its headers, values and limits), or csv
    hash: str | None = None  # "sha256": a hashed audience (email_sha256) instead of contacts
    max_rows: int | None = None  # rows a file may hold (default: the platform's limit)
    max_mb: int | None = None  # about as many megabytes a file may hold (default: the platform's limit)
    store: str | None = None  # the suppression store: honoured, and fed this run's unsubscribes and lists
    suppress: list[str] = field(default_factory=list)  # suppression lists (addresses or hashes) never to export
    implied_days: int = ConsentRules.purchase_days  # implied consent lasts this many days after consent_at
    inquiry_days: int = ConsentRules.inquiry_days  # ... or this many after an inquiry
    keep_invalid: bool = False  # a platform or --hash also gets addresses validate judged invalid
    as_of: datetime | None = None  # the day consent lifetimes are measured to (default: the runtime's now)
    format: str | None = None  # the output format asked for (--format): a platform or --hash writes csv
    excel_safe: bool = False  # guard cells a spreadsheet would run as formulas
    unknown_consent: str = "exclude"  # older spelling of consent_policy's "+unknown" for a status present but not understood (include)
    # Which consent a platform file or an audience may hold: "subscribed", optionally "+pending"
    # and/or "+unknown" (platforms.parse_consent_policy); a plain CSV keeps every mailable row.
    consent_policy: str | None = None
    suppressions: bool = False  # write the platform's opt-out file instead of contacts (opt_outs.py)
    exclusion: bool = False  # an ad audience of the opted-out people instead of contacts
    since: datetime | None = None  # --suppressions / --exclusion: only what changed on or after this day

    def __post_init__(self) -> None:
        from listclean.platforms import AUDIENCES, parse_consent_policy

        if self.to not in EXPORT_TARGETS:
            raise UsageError(f"cannot export to {self.to!r}", hint=f"use one of {', '.join(EXPORT_TARGETS)}")
        if self.unknown_consent not in UNKNOWN_CONSENT:
            raise UsageError(f"--unknown-consent {self.unknown_consent!r} is not a choice", hint=f"use one of {', '.join(UNKNOWN_CONSENT)}")
        if self.hash is not None and self.hash not in HASHES:
            raise UsageError(f"unknown hash {self.hash!r}", hint=f"use {', '.join(HASHES)}")
        self.policy = parse_consent_policy(self.consent_policy)
        if self.unknown_consent == "include" and "unknown" not in self.policy:
            self.policy = (*self.policy, "unknown")
        if self.hash is not None and self.to in AUDIENCES:
            raise UsageError(f"--to {self.to} hashes its own identifiers: leave out --hash")
        if self.suppressions and self.exclusion:
            raise UsageError("--suppressions and --exclusion cannot be combined", hint="--suppressions for an email platform, --exclusion for an ad audience")
        if self.suppressions and (self.to in AUDIENCES or self.hash is not None):
            raise UsageError("--suppressions writes an email platform's opt-out file", hint=f"for an ad platform use --exclusion with --to {' or '.join(AUDIENCES)}")
        if self.exclusion and self.to not in AUDIENCES:
            raise UsageError("--exclusion writes an ad platform's exclusion audience", hint=f"add --to {' or --to '.join(AUDIENCES)} (an email platform takes --suppressions)")
        if self.since is not None and not (self.suppressions or self.exclusion):
            raise UsageError("--since selects opt-outs: it needs --suppressions or --exclusion")
        if self.profile is not None or self.hash is not None or self.suppressions:
            if self.columns:
                raise UsageError("--columns cannot be combined with --to PLATFORM or --hash", hint="a platform profile decides the columns")
            if self.format not in (None, "csv"):
                raise UsageError(f"--to {self.to} and --hash write CSV, not {self.format}")
        for name, value in (("--max-rows", self.max_rows), ("--max-mb", self.max_mb), ("--implied-days", self.implied_days), ("--inquiry-days", self.inquiry_days)):
            if value is not None and value < 1:
                raise UsageError(f"{name} must be at least 1")
        if isinstance(self.columns, str):
            self.columns = [name.strip() for name in self.columns.split(",") if name.strip()]

    @property
    def profile(self) -> Profile | None:
        return PROFILES.get(self.to)

    @property
    def output_format(self) -> str | None:
        """The format to write: csv for a platform, an audience or an opt-out file, else as asked (None: from the output's name)."""
        return "csv" if self.profile is not None or self.hash is not None or self.suppressions else self.format

    @property
    def opt_outs(self) -> bool:
        """Whether the run writes opted-out people (--suppressions, --exclusion) instead of contacts."""
        return self.suppressions or self.exclusion

    @property
    def rules(self) -> ConsentRules:
        return ConsentRules(purchase_days=self.implied_days, inquiry_days=self.inquiry_days)


@dataclass
class ExportReport:
    counts: dict[str, int]  # rows_in, rows_out, rejected, merged
    suppressed: int  # rows of suppressed or erased people (counted in rejected)
    consent_expired: int  # rows whose implied consent has expired (counted in rejected)
    unusable_address: int  # rows a platform cannot take: no address, or an invalid one (counted in rejected)
    consent_expiring: int  # exported rows whose implied consent expires within the warning days
    consent_unproven: int  # exported rows subscribed without a consent date or source
    files: list[str]  # the files written (one, or the numbered parts); none for a sink
    columns: list[str]  # the written file's columns
    to: str = PLAIN
    hash: str | None = None
    format: str | None = None  # the written files' format (None for a sink)
    expiring_days: int = ConsentRules.warning_days  # "expiring" means within this many days
    store: str | None = None  # the suppression store honoured and fed
    store_added: int | None = None  # entries this run added to the suppression store (None: no store)
    store_entries: int | None = None  # entries in the store afterwards
    consent_unknown: int = 0  # rows whose consent_status was present but not understood (consent_status_raw)
    consent_unknown_excluded: int = 0  # ... of them kept out of a platform or --hash (counted in rejected)
    consent_policy: tuple[str, ...] = ("subscribed",)  # the consent statuses a platform file or audience may hold
    held_back: dict[str, int] = field(default_factory=dict)  # rows kept out of a platform or audience by consent: pending, unknown
    refused_address: int = 0  # rows whose address the platform refuses (Mailchimp: non-ASCII before the @; counted in rejected)
    phones_left_out: int = 0  # phones the platform's column cannot take (not E.164; for SMS not a mobile): written empty
    opt_outs: Any = None  # --suppressions / --exclusion: opt_outs.OptOutReport

    def summary(self, *, output: str | None = None, rejects: str | None = None) -> dict[str, Any]:
        return {
            "command": "export",
            "output": output,
            "files": self.files,
            "to": self.to,
            "hash": self.hash,
            "format": self.format,
            "rejects": rejects,
            **self.counts,
            "suppressed": self.suppressed,
            "consent_expired": self.consent_expired,
            "unusable_address": self.unusable_address,
            "consent_expiring": self.consent_expiring,
            "consent_unproven": self.consent_unproven,
            "consent_unknown": self.consent_unknown,
            "consent_unknown_excluded": self.consent_unknown_excluded,
            "consent_policy": "+".join(self.consent_policy),
            "held_back": self.held_back,
            "refused_address": self.refused_address,
            "phones_left_out": self.phones_left_out,
            "opt_outs": self.opt_outs.as_dict() if self.opt_outs is not None else None,
            "columns": self.columns,
        }


def export_step(source: ChunkSource, options: ExportStepOptions, output: Output, runtime: Runtime, *, rejects: Sink | None = None) -> ExportReport:
    """Export every row that may be mailed into `output`; every other row goes to `rejects`, with its reason.

    `output` is the prepared output file (`io.write.prepare_target`): the step writes it, or
    numbered parts beside it (out-001.csv …, each prepared like the output: its format,
    --force, --bom, never an input) when the rows exceed the limits, and reads every file
    back to check that no suppressed address is in it. A `Sink` (the Python API's FrameSink)
    takes every row as one output instead.
    """
    if options.opt_outs:
        return _export_opt_outs(source, options, output, runtime, rejects)
    with runtime.reporter.phase("Exporting") as progress:
        export = _Export(options, runtime)
        candidates = export.screen(source, progress)
        export.ledger.read(source)
        exported = export.cross_suppress(candidates)
        files, columns = export.write(exported, output)
        export.ledger.write(rejects)
        export.save_store()
    return ExportReport(
        counts=export.ledger.balance(exported.rows),
        suppressed=export.suppressed,
        consent_expired=export.lapsed,
        unusable_address=export.unusable,
        consent_expiring=export.expiring,
        consent_unproven=export.unproven,
        files=files,
        columns=columns,
        to=options.to,
        hash=options.hash,
        format=output.format if isinstance(output, OutputTarget) else None,
        expiring_days=export.rules.warning_days,
        store=options.store,
        store_added=export.store.added if export.store is not None else None,
        store_entries=len(export.store) if export.store is not None else None,
        consent_unknown=export.unknown,
        consent_unknown_excluded=export.unknown_excluded,
        consent_policy=options.policy,
        held_back=export.held_back if export.usable_only else {},
        refused_address=export.refused,
        phones_left_out=export.phones_left_out,
    )


def _export_opt_outs(source: ChunkSource, options: ExportStepOptions, output: Output, runtime: Runtime, rejects: Sink | None) -> ExportReport:
    """--suppressions / --exclusion: the opted-out people in the platform's file (opt_outs.py).
    The rejects are the rows the reading itself rejected (unreadable, empty, quarantined)."""
    from listclean.opt_outs import OptOutReport, collect_opt_outs, opt_out_files
    from listclean.platforms import suffixed_path

    report = OptOutReport()
    store, listed = _suppression_sources(options, runtime)
    with runtime.reporter.phase("Collecting opt-outs"):
        table = collect_opt_outs(source, runtime, store, listed, options.since, report)
        files = opt_out_files(table, options.profile, options.exclusion)
    if not isinstance(output, OutputTarget):
        # One frame for the Python API: several files (Mailchimp's) as one, with the file they belong in.
        frame = next(iter(files.values())) if len(files) == 1 else pl.concat(
            [part.with_columns(pl.lit(suffix.lstrip("-") or "main").alias("file")) for suffix, part in files.items()]
        )  # fmt: skip
        output.add(frame)
        output.finish(frame.columns, empty=frame.head(0))
        written, columns = [], frame.columns
    else:
        from listclean.io.write import prepare_target

        if len(files) > 1 and output.streamed:
            raise UsageError(f"--to {options.to} --suppressions writes {len(files)} files, which {output.display} cannot hold", hint="write to a file with -o PATH")
        written, columns = [], []
        for suffix, frame in files.items():
            target = output if not suffix else prepare_target(
                suffixed_path(output.path, suffix), fmt=output.format, force=output.force, inputs=output.inputs, bom=output.bom, primary=output.primary
            )  # fmt: skip
            sink = runtime.file_sink(target)
            sink.add(frame)
            sink.finish(frame.columns, empty=frame.head(0))
            written.append(target.display)
            columns = columns or frame.columns
    report.files = written
    ledger = runtime.ledger()
    ledger.read(source)
    ledger.write(rejects)
    fmt = output.format if isinstance(output, OutputTarget) else None
    return opt_out_export_report(options, report, store, written, columns, fmt, rejected=source.rejected, quarantined=ledger.quarantined)


def opt_out_export_report(
    options: ExportStepOptions, report: Any, store: SuppressionStore | None, files: list[str], columns: list[str], fmt: str | None,
    *, rejected: int = 0, quarantined: int = 0,
) -> ExportReport:  # fmt: skip
    """An opt-out export's report (--suppressions, --exclusion): `report` is its opt_outs.OptOutReport;
    the rows the reading rejected are `rejected` (listclean.spark builds it the same way)."""
    counts = {"rows_in": report.rows_in + rejected, "rows_out": report.addresses, "rejected": rejected, "merged": 0, "quarantined": quarantined}
    return ExportReport(
        counts=counts, suppressed=report.opted_out_rows, consent_expired=0, unusable_address=0, consent_expiring=0, consent_unproven=0,
        files=files, columns=columns, to=options.to, hash=options.hash, format=fmt,
        store=options.store, store_added=0 if store is not None else None, store_entries=len(store) if store is not None else None,
        consent_policy=options.policy, opt_outs=report,
    )  # fmt: skip


def _suppression_sources(options: ExportStepOptions, runtime: Runtime) -> tuple[SuppressionStore | None, SuppressionList | None]:
    """The suppression store (--store) and the --suppress lists the run honours, where given."""
    store = listed = None
    if options.store:
        from listclean.store import SuppressionStore

        store = SuppressionStore.open(options.store)
    if options.suppress:
        from listclean.suppression import load_suppression

        listed = load_suppression(options.suppress, runtime.workspace)
    return store, listed


class ChunkScreen:
    """Pass 1's rule for one chunk of rows, and what it has counted: the store and lists honoured,
    a row's own suppression, consent, and what a platform can take. Every row kept out goes to
    `remove` with its reason (the step's ledger).

    Callable on any chunk by itself: the step runs it on each chunk it reads, listclean.spark.export
    on each partition, told by Spark which rows another partition suppresses (ELSEWHERE_COLUMN)."""

    def __init__(
        self, options: ExportStepOptions, now: datetime, store: SuppressionStore | None, listed: SuppressionList | None,
        remove: Callable[[pl.DataFrame], None], *, feed_store: bool = True,
    ) -> None:  # fmt: skip
        self.options = options
        self.profile = options.profile
        self.hashed = options.hash is not None
        self.usable_only = self.profile is not None or self.hashed  # a platform (or an audience) needs a usable address and consent
        self.now, self.rules = now, options.rules
        self.store, self.listed = store, listed
        self.feeds_store = feed_store  # the store learns each chunk's unsubscribes (Spark: on the driver, from what it collects)
        self._removed = remove
        self.blocked_parts: list[pl.Series] = []  # the suppressed addresses, a series a chunk
        self.matched_by_list: set[str] = set()  # addresses of the rows a --suppress list matched
        self.blocked_forms: set[str] = set()  # the normalised addresses of suppressed rows (what a hashed audience would hash)
        self.suppressed = self.lapsed = self.unusable = self.expiring = self.unproven = 0
        self.unknown = self.unknown_excluded = 0
        self.held_back = {"pending": 0, "unknown": 0}
        self.refused = self.phones_left_out = 0
        self.audience = self.profile is not None and self.profile.audience  # an ad platform's hashed identifiers

    def stored_and_listed(self, chunk: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.Series | None]:
        """(the chunk less the rows of people the store says were erased, their rejects, and for
        each row left whether the store or a --suppress list holds its address)."""
        listed_mask = erased = None
        if self.store is not None:
            from listclean.store import apply_store

            chunk, erased, listed_mask = apply_store(chunk, self.store)
        if self.listed is not None:
            on_list = chunk.select(self.listed.matches(chunk, address_source(chunk))).to_series()
            listed_mask = on_list if listed_mask is None else listed_mask | on_list
            self.matched_by_list |= _addresses(chunk, on_list)
        return chunk, erased, listed_mask

    def screen_chunk(self, chunk: pl.DataFrame) -> pl.DataFrame:
        """The chunk's rows that may be exported (the chunk has its keys: export_rules.with_key)."""
        from listclean.consent import implied_expired, implied_expiring, unproven
        from listclean.export_rules import separate_suppressed

        chunk, erased, listed_mask = self.stored_and_listed(chunk)
        if erased is not None:
            self.suppressed += self._remove(erased)
        mailable, suppressed, blocked = separate_suppressed(chunk, listed_mask)
        self.blocked_parts.append(pl.Series("key", sorted(blocked), dtype=pl.String))
        if self.hashed or self.audience:
            self._remember_forms(chunk, pl.col(KEY_COLUMN).is_in(sorted(blocked)).fill_null(False))
        # Consent rules: expired implied consent is not exported; expiring and unproven consent is flagged.
        expired = mailable.select(implied_expired(mailable, self.now, self.rules)).to_series()
        detail = f"implied consent has expired ({self.options.implied_days} days after a purchase, {self.options.inquiry_days} after an inquiry)"
        self.suppressed += self._remove(suppressed)
        self.lapsed += self._remove(rows_as_rejects(mailable.filter(expired), pl.lit("consent_expired"), pl.lit(detail)))
        kept = mailable.filter(~expired)
        kept = self._consent_policy(kept)
        if self.usable_only:
            # A platform (or an ad audience) can only take a usable address: rows without one,
            # or with one validate judged invalid, are listed instead of written.
            kept, unusable = _unusable(kept, self.options.keep_invalid)
            self.unusable += self._remove(unusable)
            kept = self._refused(kept)
        self.expiring += int(kept.select(implied_expiring(kept, self.now, self.rules).sum()).item())
        self.unproven += int(kept.select(unproven(kept).sum()).item())
        if self.store is not None and self.feeds_store:
            from listclean.store import feed_store

            feed_store(self.store, chunk)
        return kept

    def _consent_policy(self, kept: pl.DataFrame) -> pl.DataFrame:
        """A platform file or an audience holds only the consent the policy allows (subscribed by
        default): pending (unconfirmed double opt-in) and unknown consent (no status, or one
        nobody understood, kept in consent_status_raw) are held back, counted and listed. A plain
        CSV keeps them (it is not mailed); a status not understood is counted either way."""
        from listclean.export_rules import unknown_consent

        not_understood = kept.with_columns(unknown_consent(kept).alias("__not_understood"))["__not_understood"]
        self.unknown += int(not_understood.sum())
        if not self.usable_only:
            return kept
        hint = "--consent-policy subscribed+{} to export them"
        pending_detail = pl.lit("consent not confirmed (double opt-in pending): the platform would mail them (" + hint.format("pending") + ")")
        for name, reason in (("pending", "consent_pending"), ("unknown", "consent_unknown")):
            if name in self.options.policy:
                continue
            status = kept["consent_status"].cast(pl.String) if "consent_status" in kept.columns else pl.Series([None] * kept.height, dtype=pl.String)
            mask = (status == "pending") if name == "pending" else (status.is_null() | ~status.is_in(["subscribed", "pending"]))
            mask = mask.fill_null(False)
            if not mask.any():
                continue
            detail = pending_detail if name == "pending" else self._unknown_detail(kept, hint.format("unknown"))
            self.held_back[name] += self._remove(rows_as_rejects(kept.filter(mask), pl.lit(reason), detail))
            if name == "unknown":
                self.unknown_excluded += int(not_understood.filter(mask).sum())
            kept, not_understood = kept.filter(~mask), not_understood.filter(~mask)
        return kept

    @staticmethod
    def _unknown_detail(frame: pl.DataFrame, hint: str) -> pl.Expr:
        from listclean.export_rules import says_no_consent

        raw = pl.col("consent_status_raw").cast(pl.String) if "consent_status_raw" in frame.columns else pl.lit(None, dtype=pl.String)
        return (
            pl.when(says_no_consent(raw))
            .then(pl.concat_str(pl.lit("consent_status "), raw, pl.lit(f": no consent was given ({hint})")))
            .when(raw.is_not_null() & (raw.str.strip_chars().str.len_bytes() > 0))
            .then(pl.concat_str(pl.lit("consent_status not understood: "), raw, pl.lit(f" (map it in listclean.toml, or {hint})")))
            .otherwise(pl.lit(f"no consent status: unknown consent is not consent ({hint})"))
        )

    def _refused(self, kept: pl.DataFrame) -> pl.DataFrame:
        """Rows whose address the platform refuses (Mailchimp: characters outside ASCII before the @): listed, not written."""
        from listclean.platforms import refused_addresses

        refused = refused_addresses(kept, self.profile, address_source(kept))
        if refused is None or not refused.any():
            return kept
        detail = pl.lit(f"{self.options.to} refuses an address with characters outside ASCII before the @")
        self.refused += self._remove(rows_as_rejects(kept.filter(refused), pl.lit("platform_refuses_address"), detail))
        return kept.filter(~refused)

    def _remember_forms(self, frame: pl.DataFrame, mask: pl.Series | pl.Expr) -> None:
        """The normalised addresses of suppressed rows: a hashed audience is checked against their hashes."""
        from listclean.suppression import normalised_address

        forms = frame.filter(mask).select(normalised_address(address_source(frame)).alias("n"))["n"]
        self.blocked_forms |= set(forms.drop_nulls().to_list())

    def _remove(self, rejects: pl.DataFrame) -> int:
        """Rows kept out of the output, into the ledger; how many."""
        self._removed(rejects)
        return rejects.height

    def cell_suppressed(self, part: pl.DataFrame, blocked: pl.Series) -> pl.DataFrame:
        """The rows less those whose cell also holds a suppressed address (a cell of several
        addresses is judged by its first; the others must not be suppressed either): `blocked`
        by another row, in the store or on a list, or as the caller found (CELL_BLOCKED_COLUMN)."""
        from listclean.export_rules import another_address_suppressed

        other = another_address_suppressed(part, blocked, self.store, self.listed)
        if CELL_BLOCKED_COLUMN in part.columns:
            other = other | part[CELL_BLOCKED_COLUMN].fill_null(False)
        detail = pl.lit("the cell also holds an address that is suppressed")
        self.suppressed += self._remove(rows_as_rejects(part.filter(other), pl.lit("suppressed"), detail))
        return part.filter(~other)

    def save_store(self) -> None:
        """The store learns the --suppress lists (their entries and the addresses they matched), and is saved."""
        if self.store is None:
            return
        if self.listed is not None:
            # The list's own entries, and the addresses of the rows it matched (a hash matched by a typed address).
            for address in sorted(self.matched_by_list):
                self.store.add(address, "suppression_list")
            for entry in sorted(self.listed.sha256 | self.listed.md5):
                self.store.add_hash(entry, "suppression_list")
            for address in sorted(self.listed.addresses):
                self.store.add(address, "suppression_list")
        self.store.save()


class _Export(ChunkScreen):
    """One export run: its options, the store and lists it honours, and what it has counted."""

    def __init__(self, options: ExportStepOptions, runtime: Runtime) -> None:
        self.runtime = runtime
        self.ledger: Ledger = runtime.ledger()
        store, listed = _suppression_sources(options, runtime)
        super().__init__(options, runtime.now(options.as_of), store, listed, self.ledger.remove)
        self.blocked = pl.Series("key", [], dtype=pl.String)  # every suppressed address (after pass 1)

    # ---- pass 1: each row on its own
    def screen(self, source: ChunkSource, progress: Progress) -> Spool:
        """The rows that may be exported, with their address's hash; the others to the ledger."""
        candidates = self.runtime.spool()
        needed = _needed_columns(self.profile, self.hashed, self.options.columns)
        read, total = 0, expected_rows(source)
        with self.runtime.chunks(source) as chunks:
            for chunk in chunks:  # a chunk at a time: a file larger than memory streams through
                read += chunk.height
                kept = self.screen_chunk(with_key(chunk))
                key = pl.col(KEY_COLUMN)
                kept = kept.with_columns(pl.when(key.is_not_null()).then(key.hash()).alias(_KEY))
                candidates.add(kept.select([c for c in kept.columns if c != KEY_COLUMN and (needed is None or c in needed or c == _KEY)]))
                progress("reading", log=False, done=read, total=total)
                del chunk, kept  # before the next chunk is read, not after
        return candidates

    # ---- pass 2: an address suppressed in any row is suppressed in all of them
    def cross_suppress(self, candidates: Spool) -> Spool:
        """The candidates less the rows whose address another row suppressed.

        Compared as 64-bit hashes: a set of a million hashes is a few megabytes, and a collision
        could only ever suppress one more address, never let one through."""
        self.blocked = pl.concat(self.blocked_parts).unique()
        self.blocked_parts = []
        blocked_hashes = self.blocked.hash().implode()
        exported = self.runtime.spool()
        for part in candidates.drain():
            elsewhere = part[_KEY].is_in(blocked_hashes).fill_null(False)
            same_address = rows_as_rejects(part.filter(elsewhere), pl.lit("suppressed"), pl.lit("the same address is suppressed in another row"))
            if self.hashed or self.audience:
                self._remember_forms(part, elsewhere)
            self.suppressed += self._remove(same_address)
            part = self.cell_suppressed(part.filter(~elsewhere), self.blocked)
            exported.add(part.drop(_KEY))
            del part
        return exported

    # ---- pass 3: the file's form, files within the limits, and the read-back check
    def write(self, exported: Spool, output: Output) -> tuple[list[str], list[str]]:
        """Write the rows; (the files written, their columns)."""
        from listclean.platforms import empty_columns, rows_per_part

        options, profile = self.options, self.profile
        empty = empty_columns(exported.lazy(), profile) if profile is not None else None
        formatted = self.runtime.spool()
        for part in exported.drain():
            if profile is not None and not self.audience:
                from listclean.platforms import platform_phones

                part, left_out = platform_phones(part, profile)
                self.phones_left_out += left_out
            formatted.add(_formatted(part, profile, empty, self.hashed, options.columns, options.excel_safe))
            del part
        first = next(iter(formatted))
        if not isinstance(output, OutputTarget):
            _write_parts(formatted, [output], formatted.rows or 1, first.head(0))
            return [], first.columns
        max_rows = options.max_rows or (profile.max_rows if profile else None)
        max_mb = options.max_mb or (profile.max_mb if profile else None)
        limit = rows_per_part(first, formatted.rows, max_rows, max_mb)
        targets = part_targets(output, max(1, math.ceil(formatted.rows / limit)), self.runtime.outputs)
        sinks = [self.runtime.file_sink(target, safe_header=options.excel_safe) for target in targets]  # cells guarded by _formatted
        _write_parts(formatted, sinks, limit, first.head(0))
        self._check_written(output, targets, first.columns)
        return [target.display for target in targets], first.columns

    def _check_written(self, output: OutputTarget, targets: list[OutputTarget], columns: list[str]) -> None:
        """Read the files back: a suppressed address in any of them removes them all and fails the run."""
        from listclean.export_rules import verify_no_leak

        header = written_address_column(self.profile, self.hashed, columns)
        blocked = self.blocked
        if self.store is not None:
            blocked = pl.concat([blocked, pl.Series("key", sorted(self.store.plain_keys()), dtype=pl.String)]).unique()
        if self.hashed:
            blocked = pl.concat([blocked, pl.Series("key", sorted(self.blocked_forms), dtype=pl.String)]).unique()
        if self.audience:
            # The suppressed addresses as the audience normalises them before hashing (Google drops Gmail's dots).
            from listclean.platforms import audience_email_forms

            forms = audience_email_forms(self.profile, [*blocked.to_list(), *sorted(self.blocked_forms)])
            blocked = pl.Series("key", sorted(forms), dtype=pl.String)
        if not output.streamed and header is not None and header in columns:  # every part, where it waits to be committed
            verify_no_leak([target.written for target in targets], output.format, header, blocked, hashed=self.hashed or self.audience)


def part_targets(output: OutputTarget, count: int, outputs: OutputSet | None = None) -> list[OutputTarget]:
    """The output itself for one file; for several, numbered parts beside it, prepared like it.

    The parts are one set with the rest of the run's outputs (committed together, see
    io.write.OutputSet): files of an earlier export to the same path that the new set does not
    replace — its extra parts, or the single file a split replaces — are removed when the set
    is committed (with --force; without it they are an error), so a platform never gets a mix.
    """
    from listclean.errors import OutputError
    from listclean.io.write import prepare_target
    from listclean.platforms import part_paths

    if count > 1 and output.streamed:
        raise UsageError(f"the export needs {count} files, which {output.display} cannot hold", hint="write to a file with -o PATH")
    targets = [output] if count == 1 else [
        prepare_target(path, fmt=output.format, force=output.force, inputs=output.inputs, bom=output.bom, primary=output.primary)
        for path in part_paths(output.path, count)
    ]  # fmt: skip
    if output.streamed:
        return targets
    stale = _stale_parts(output.path, count)
    if stale and not output.force:
        raise OutputError(f"{stale[0]}: left by an earlier export to {output.path}", hint="pass --force to replace that export's files")
    for path in stale:
        if outputs is None:
            raise OutputError(f"{path}: left by an earlier export to {output.path}", hint="remove it first")
        outputs.remove_at_commit(path)
    return targets


def _stale_parts(path: str, count: int) -> list[str]:
    """Existing files of an earlier export to `path` that a new one of `count` files would not replace."""
    import glob
    import os
    import re

    from listclean.platforms import part_paths

    first = part_paths(path, 2)[0]  # out-001.csv: the parts' pattern
    head, tail = first.rsplit("-001", 1) if "-001" in first else (first, "")
    found = [name for name in glob.glob(glob.escape(head) + "-[0-9][0-9][0-9]*" + glob.escape(tail)) if re.fullmatch(re.escape(head) + r"-(\d{3,})" + re.escape(tail), name)]
    stale = [name for name in found if int(re.fullmatch(re.escape(head) + r"-(\d{3,})" + re.escape(tail), name).group(1)) > (count if count > 1 else 0)]  # type: ignore[union-attr]
    if count > 1 and os.path.isfile(path):
        stale.append(path)
    return sorted(stale)


def written_address_column(profile: Profile | None, hashed: bool, columns: list[str]) -> str | None:
    """The written file's column of addresses (or their hashes) the read-back check reads, if any."""
    return "email_sha256" if hashed else profile.email_header if profile is not None else ("email" if "email" in columns else None)


def _needed_columns(profile: Profile | None, hashed: bool, wanted: list[str] | None) -> set[str] | None:
    """The columns the written file is made from (None: all of them), and what a reject names."""
    named = {"email", "_source_file", "_source_row"}
    if hashed:
        return named | {"email_normalized"}
    if profile is not None:
        consent = {"consent_status", "consent_at", "optin_at", "confirmed_at"}
        return named | set(profile.columns) | {identifier.field for identifier in profile.identifiers} | consent | {"email_normalized"}
    return named | set(wanted) if wanted else None


def _formatted(frame: pl.DataFrame, profile: Profile | None, empty: set[str] | None, hashed: bool, wanted: list[str] | None, excel_safe: bool) -> pl.DataFrame:
    """The rows as the file holds them: a hashed audience, a platform's columns, or the chosen columns."""
    from listclean.io.write import excel_safe as make_excel_safe
    from listclean.export_rules import select_columns
    from listclean.platforms import apply_profile, hashed_audience

    if hashed:
        frame = hashed_audience(frame)
    elif profile is not None:
        # validate's form of the address (domain lower-cased, NFC); one validate never saw is repaired on the spot
        from listclean.suppression import normalised_address

        normalised = pl.col("email_normalized").cast(pl.String) if "email_normalized" in frame.columns else pl.lit(None, dtype=pl.String)
        unjudged = frame.select(normalised.is_null().any()).item()  # repaired only where validate wrote nothing
        repaired = normalised_address(pl.when(normalised.is_null()).then(pl.col("email"))) if unjudged else pl.lit(None, dtype=pl.String)
        frame = frame.with_columns(pl.coalesce(normalised, repaired, pl.col("email").cast(pl.String)).alias("email"))
        frame = apply_profile(frame, profile, empty)
    elif wanted:
        frame = select_columns(frame, wanted)
    if not excel_safe:
        return frame
    return make_excel_safe(frame, keep=(profile.email_header,) if profile is not None and not hashed else ())  # a platform's address is never altered


def _unusable(frame: pl.DataFrame, keep_invalid: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows a platform can import, rejects of the others): no address, or an invalid one."""
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


def _write_parts(frames: Spool, sinks: list[Sink], limit: int, empty: pl.DataFrame) -> None:
    """The rows in order across the sinks, `limit` rows to a sink; then every sink finished."""
    index = 0
    for frame in frames.drain():
        while frame.height:
            room = limit - sinks[index].rows
            if room == 0:
                index += 1
                continue
            sinks[index].add(frame.head(room))
            frame = frame.slice(room)
    for sink in sinks:
        sink.finish(empty=empty)


def _addresses(frame: pl.DataFrame, mask: pl.Series) -> set[str]:
    return set(frame.filter(mask).select(address_key(frame)).to_series().drop_nulls().to_list())
