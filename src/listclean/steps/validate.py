"""The validate step: judge every address, keep every row (unless asked to drop some), say why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from listclean.stream.source import expected_rows

if TYPE_CHECKING:
    import polars as pl

    from listclean.email.dns import DnsChecker
    from listclean.email.validate import ValidationReport
    from listclean.importer import ImportStream
    from listclean.runtime import Runtime
    from listclean.stream.sink import Sink
    from listclean.thresholds import Threshold


DROPPABLE = ("suppressed", "invalid", "risky", "unknown")  # the statuses --drop can move to the rejects


@dataclass
class ValidateStepOptions:
    fix_typos: bool = False  # apply high-confidence domain typo fixes to email_normalized
    suppress: list[str] = field(default_factory=list)  # suppression lists (addresses or hashes)
    store: str | None = None  # a suppression store: its addresses become suppressed; erased people dropped
    drop: list[str] = field(default_factory=list)  # statuses moved to the rejects instead of the output
    dns: DnsChecker | None = None  # MX/A lookups, once per distinct domain
    thresholds: list[Threshold] = field(default_factory=list)  # --fail-on

    def __post_init__(self) -> None:
        from listclean.errors import UsageError

        for status in self.drop:
            if status not in DROPPABLE:
                raise UsageError(f"--drop {status!r} is not a status", hint=f"use {', '.join(DROPPABLE)}")


@dataclass
class ValidateReport:
    counts: dict[str, int]
    validation: ValidationReport
    dropped: int = 0  # rows moved to the rejects by --drop
    dropping: bool = False  # whether any status was to be dropped
    suppression_entries: int | None = None  # entries read from the suppression lists
    thresholds: list[Threshold] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # thresholds crossed

    def summary(self, *, output: str | None = None, rejects: str | None = None) -> dict[str, Any]:
        return {
            "command": "validate",
            "output": output,
            "rejects": rejects,
            **self.counts,
            "dropped": self.dropped,
            **self.validation.as_dict(),
            "thresholds": [str(t) for t in self.thresholds],
            "thresholds_crossed": self.failures,
        }


def validate_step(source: ImportStream, options: ValidateStepOptions, sink: Sink, runtime: Runtime, *, rejects: Sink | None = None) -> ValidateReport:
    """Validate every chunk into `sink`; the report sums the chunks' and checks --fail-on."""
    import polars as pl

    from listclean.email.validate import ValidateOptions, ValidationReport, validate, with_alternates
    from listclean.thresholds import crossed

    ledger = runtime.ledger()
    checks = ValidateOptions(fix_typos=options.fix_typos, dns=options.dns)
    entries = None
    if options.suppress:
        from listclean.suppression import load_suppression

        checks.suppression = load_suppression(options.suppress, runtime.workspace)
        entries = len(checks.suppression)
        runtime.reporter.detail(f"suppression list: {entries:,} entries from {', '.join(options.suppress)}")
    store = None
    if options.store:
        from listclean.store import SuppressionStore, apply_store
        from listclean.suppression import SuppressionList

        store = SuppressionStore.open(options.store)
        sha256, md5 = store.hashed_entries()
        stored = SuppressionList(addresses=store.plain_keys(), sha256=sha256, md5=md5, sources=[options.store])
        checks.suppression = stored if checks.suppression is None else checks.suppression.union(stored)

    reports: list[ValidationReport] = []
    dropped, alternates = 0, False
    total, done = expected_rows(source), 0
    with runtime.reporter.phase("Validating") as progress, runtime.chunks(source) as chunks:
        for chunk in chunks:  # a chunk at a time: a file larger than memory streams through
            done += chunk.height
            if store is not None:
                chunk, erased, _ = apply_store(chunk, store)
                ledger.remove(erased)
            frame, report = validate(chunk, checks, progress)
            reports.append(report)
            if options.drop:
                drop = pl.col("email_status").is_in(options.drop)
                removed = _dropped_rejects(frame.filter(drop))
                ledger.remove(removed)
                dropped += removed.height
                frame = frame.filter(~drop)
            alternates = alternates or "email_alternates" in frame.columns
            sink.add(with_alternates(frame))  # kept when any chunk has some: empty lists in the others
            progress(log=False, done=done, total=total)
            del chunk, frame  # before the next chunk is read, not after
    sink.finish(lambda seen: source.output_columns([c for c in seen if c != "email_alternates" or alternates]))
    ledger.read(source)
    ledger.write(rejects)
    summary = ValidationReport.combined(reports)
    return ValidateReport(
        counts=ledger.balance(sink.rows),
        validation=summary,
        dropped=dropped,
        dropping=bool(options.drop),
        suppression_entries=entries,
        thresholds=options.thresholds,
        failures=crossed(options.thresholds, {**summary.by_status, **summary.by_reason}, summary.rows),
    )


def _dropped_rejects(dropped: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    from listclean.schema import LIST_SEPARATOR
    from listclean.stream.ledger import rows_as_rejects

    reason = pl.concat_str(pl.lit("email_"), pl.col("email_status"))
    return rows_as_rejects(dropped, reason, pl.col("email_reasons").list.join(LIST_SEPARATOR))
