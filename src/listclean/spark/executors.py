"""How `listclean run --engine spark` calls each step on Spark from a planned step.

The same plan as one machine (listclean.run.plan: the same run file, steps, options and paths)
and the same option builders and checks (steps.executors._Options, the steps' options classes),
so a bad value is the same error; each step then runs with listclean.spark's functions and
answers the same report objects, whose summaries the run prints. Every option a step cannot
honour on Spark yet is refused before the first step runs, naming the step and the option.

Paths: each step's output (and rejects, clusters, explain) is written where one machine would
write its file, as a folder Spark writes (a Parquet dataset; a `.csv` path a folder of CSV parts
with a header each); dedupe's review file is one file for a person, written on the driver as one
machine writes it; an export's output a folder of the platform's part files (spark/export.py),
and each opt-out file (--suppressions, --exclusion) a folder where one machine writes that file
(spark/opt_outs.py); each segment's split file (split_dir) a folder where one machine writes it;
the decay report's HTML page is one file, written on the driver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from listclean.errors import ConfigError, ListcleanError
from listclean.steps.executors import Execute, Outcome, _file_sink, _Options, _reading, _target, decay_settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

    from listclean.run import PlannedStep
    from listclean.runtime import Runtime


class Spark:
    """The run's Spark session, started when the first step runs (a run refused while planning
    starts no JVM)."""

    def __init__(self, master: str | None) -> None:
        self.master = master
        self._session: SparkSession | None = None

    @property
    def session(self) -> SparkSession:
        if self._session is None:
            import sys

            from listclean.spark.session import session

            # Spark's progress bars only on a terminal, as listclean's own.
            self._session = session(self.master, config={"spark.ui.showConsoleProgress": str(sys.stderr.isatty()).lower()})
            self._session.sparkContext.setLogLevel("ERROR")
        return self._session

    def read(self, paths: list[str]) -> SparkFrame:
        return self.session.read.parquet(*paths)


def _refuse(options: _Options, *names: str) -> None:
    """Options a step cannot honour on Spark yet: an error before the run starts."""
    for name in names:
        if options.has(name) and options.values[name] not in (None, False, [], ""):
            raise ConfigError(f"[run] step {options.step.name}: {name} is not available with --engine spark yet", hint="remove it from the run file, or run on one machine")


def write(frame: SparkFrame, path: str) -> None:
    """A frame at `path` as a folder: for a `.csv`/`.tsv`/`.txt` path CSV parts (a header each) whose
    cells are one machine's (lists joined, timestamps as ISO text: files.text_cells), else Parquet."""
    from listclean.spark.files import CSV_OPTIONS, text_cells

    if path.lower().endswith((".csv", ".tsv", ".txt")):
        separator = "\t" if path.lower().endswith(".tsv") else ","
        text_cells(frame).write.mode("overwrite").options(**CSV_OPTIONS).option("sep", separator).csv(path)
    else:
        frame.write.mode("overwrite").parquet(path)


def _writes(execute: Execute, *paths: tuple[str, str | None]) -> Execute:
    execute.writes = [(label, path) for label, path in paths if path]  # type: ignore[attr-defined]
    return execute


def prepare_import(step: PlannedStep, spark: Spark) -> Execute:
    from listclean.steps.importing import ImportStepOptions

    options = _Options(step)
    _refuse(options, "bom", "excel_safe")
    reading = _reading(options, source_name=options.take("source_name"))
    settings = ImportStepOptions(**options.fields(ImportStepOptions))
    rejects = options.take("rejects")
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        from listclean.spark.importing import import_files

        result = import_files(spark.session, step.inputs, reading, store=settings.store)
        try:
            write(result.rows, str(step.output))
            if rejects:
                write(result.rejects, rejects)
        finally:
            result.release()
        return result.report, result.report.summary(output=step.output, rejects=rejects), []

    return _writes(execute, ("output", step.output), ("rejects", rejects))


def prepare_validate(step: PlannedStep, spark: Spark) -> Execute:
    from listclean.email.reasons import REASONS, STATUS_ORDER
    from listclean.steps.validate import ValidateStepOptions
    from listclean.thresholds import parse_thresholds

    options = _Options(step)
    _refuse(options, "dns", "dns_timeout", "dns_cache", "bom", "excel_safe")
    settings = ValidateStepOptions(
        **options.fields(ValidateStepOptions, skip=("thresholds", "dns")),
        thresholds=parse_thresholds(options.take("fail_on", "list", []), [*STATUS_ORDER, *REASONS]),
    )
    rejects = options.take("rejects")
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        from listclean.email.validate import ValidationReport
        from listclean.spark import validate_reported
        from listclean.steps.validate import ValidateReport
        from listclean.thresholds import crossed

        frame = spark.read(step.inputs)
        rows_in = frame.count()
        judged = validate_reported(frame, fix_typos=settings.fix_typos, suppress=settings.suppress, store=settings.store)
        try:
            kept, dropped = _dropping(judged.rows, settings.drop)
            write(kept, str(step.output))
            chunks = judged.reports()
            removed = [erased for _, erased in chunks if erased.height]
            erased = spark.session.createDataFrame(_concat(removed).to_arrow()) if removed else _empty_rejects(spark)
            if rejects:
                write(erased if dropped is None else erased.unionByName(dropped), rejects)
            dropped_rows = 0 if dropped is None else dropped.count()
        finally:
            judged.release()
        summary = ValidationReport.combined([report for report, _ in chunks] or [_nothing_judged()])
        rejected = sum(frame.height for frame in removed) + dropped_rows
        counts = {"rows_in": rows_in, "rows_out": summary.rows - dropped_rows, "rejected": rejected, "merged": 0, "quarantined": 0}
        entries = _entries(settings.suppress, runtime) if settings.suppress else None
        failures = crossed(settings.thresholds, {**summary.by_status, **summary.by_reason}, summary.rows)
        report = ValidateReport(
            counts=counts, validation=summary, dropped=dropped_rows, dropping=bool(settings.drop), suppression_entries=entries,
            thresholds=settings.thresholds, failures=failures,
        )  # fmt: skip
        _balanced(counts)
        return report, report.summary(output=step.output, rejects=rejects), failures

    return _writes(execute, ("output", step.output), ("rejects", rejects))


def _dropping(judged: SparkFrame, statuses: list[str]) -> tuple[SparkFrame, SparkFrame | None]:
    """validate's `drop`: the rows kept, and the rows of those statuses as the rejects the step
    writes for them (steps.validate's own `_dropped_rejects`, per partition); None: no drop."""
    from pyspark.sql import functions as F

    from listclean.spark.arrow import map_chunks
    from listclean.steps.validate import _dropped_rejects

    if not statuses:
        return judged, None
    drop = F.col("email_status").isin(statuses)
    return judged.where(~drop), map_chunks(judged.where(drop), _dropped_rejects)


def prepare_dedupe(step: PlannedStep, spark: Spark) -> Execute:
    from listclean.steps.dedupe import DedupeStepOptions, options_from

    options = _Options(step)
    _refuse(options, "bom", "excel_safe")
    settings = options_from(options.fields(DedupeStepOptions))
    dry_run = options.take("dry_run", "bool", False)
    paths = {name: options.take(name) for name in ("rejects", "clusters", "explain", "review")}
    review = _target(paths["review"], step) if paths["review"] else None  # one file for a person, as one machine writes it
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        from listclean.spark.dedupe import dedupe
        from listclean.steps.dedupe import write_review

        result = dedupe(spark.read(step.inputs), settings, explain=bool(paths["explain"]), review=review is not None)
        try:
            if not dry_run:  # a dry run writes what explains the merges, not the golden records
                write(result.golden, str(step.output))
            if paths["rejects"]:  # Parquet listclean wrote has no row a reader could not give: the table's header
                write(_empty_rejects(spark), paths["rejects"])
            if paths["clusters"]:
                write(result.clusters, paths["clusters"])
            if paths["explain"]:
                write(result.pairs, paths["explain"])
            if review is not None:
                write_review(_file_sink(review, runtime, for_people=True), result.review_rows())
        finally:
            result.release()
        report = result.step_report(result.report.rows_out, settings.save_model)
        report.dry_run = dry_run
        return report, report.summary(output=None if dry_run else step.output, **paths), []

    return _writes(execute, ("output", None if dry_run else step.output), *paths.items(), ("save_model", settings.save_model))


def prepare_segment(step: PlannedStep, spark: Spark) -> Execute:
    from listclean.runtime import parse_as_of
    from listclean.steps.segment import SegmentStepOptions

    options = _Options(step)
    _refuse(options, "bom", "excel_safe", "rejects")
    settings = SegmentStepOptions(**options.fields(SegmentStepOptions, skip=("as_of",)))
    settings.as_of = parse_as_of(options.take("as_of"))
    split_files = _split_files(options, settings)
    options.done()
    settings.definitions()  # a rules file read and checked now, before the run starts

    def execute(runtime: Runtime) -> Outcome:
        from datetime import datetime, timezone

        from listclean.spark.segment import segment, segment_counts, segment_notes

        if settings.as_of is None:  # one report date for the labels and the notes
            settings.as_of = datetime.now(timezone.utc).replace(microsecond=0)
        frame = spark.read(step.inputs)
        labelled = segment(frame, settings).persist()
        try:
            write(labelled, str(step.output))
            labels, rows = segment_counts(labelled, settings), labelled.count()
            kept_out = _write_splits(labelled, settings, split_files)
        finally:
            labelled.unpersist()
        notes = segment_notes(frame, settings)
        report = _segment_report(rows, labels, settings, notes, kept_out)
        return report, report.summary(output=step.output, split_files=split_files), []

    return _writes(execute, ("output", step.output), *((f"split_dir file ({name})", path) for name, path in split_files.items()))


SPLIT_FORMATS = ("csv", "tsv", "parquet")  # what `write` writes as a folder


def _split_files(options: _Options, settings: Any) -> dict[str, str]:  # noqa: ANN401 - SegmentStepOptions
    """Each segment's split file (split_dir, split_format): where one machine writes it (split_paths)."""
    from listclean.io.write import format_for
    from listclean.steps.segment import split_paths

    split_dir, fmt = options.take("split_dir"), format_for("x", options.take("split_format"))
    if not split_dir:
        return {}
    if fmt not in SPLIT_FORMATS:
        raise ConfigError(f"[run] step {options.step.name}: split_format {fmt} is not available with --engine spark", hint=f"use one of {', '.join(SPLIT_FORMATS)}")
    return dict(split_paths(settings.definitions(), split_dir, fmt))


def _write_splits(labelled: SparkFrame, settings: Any, split_files: dict[str, str]) -> int:  # noqa: ANN401 - SegmentStepOptions
    """Each split file written (a folder, as `write` writes it); the rows kept out of them."""
    from listclean.spark.segment import segment_splits

    if not split_files:
        return 0
    splits = segment_splits(labelled, settings)
    try:
        for name, path in split_files.items():
            write(splits.files[name], path)
        return splits.kept_out()
    finally:
        splits.release()


def _segment_report(rows: int, labels: Any, settings: Any, notes: list[str], kept_out: int = 0) -> Any:  # noqa: ANN401
    from listclean.steps.segment import SegmentReport

    counts = {"rows_in": rows, "rows_out": rows, "rejected": 0, "merged": 0, "quarantined": 0}
    return SegmentReport(counts=counts, as_of=settings.as_of, labels=labels, replayed=False, split_suppressed=kept_out, notes=notes)


def prepare_export(step: PlannedStep, spark: Spark) -> Execute:
    from listclean.runtime import parse_as_of
    from listclean.steps.export import ExportStepOptions

    options = _Options(step)
    _refuse(options, "bom", "format")
    since = options.take("since")
    settings = ExportStepOptions(
        **options.fields(ExportStepOptions, skip=("as_of", "format", "columns", "since")), columns=options.take("columns", "list"),
        since=parse_as_of(since, "since") if since is not None else None,
    )  # fmt: skip
    settings.as_of = parse_as_of(options.take("as_of"))
    rejects = options.take("rejects")
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        from listclean.spark.export import export

        result = export(spark.read(step.inputs), settings)
        try:
            result.write(str(step.output), force=True)
            if rejects:
                write(result.rejects, rejects)
            report = result.report()
        finally:
            result.release()
        return report, report.summary(output=step.output, rejects=rejects), []

    return _writes(execute, ("output", step.output), ("rejects", rejects), ("store", settings.store))


def prepare_decay(step: PlannedStep, spark: Spark) -> Execute:
    options = _Options(step)
    settings = decay_settings(options)
    html, sunset_out = options.take("html"), options.take("sunset_out")
    _refuse(options, "format")
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        from listclean.decay_html import render_html
        from listclean.io.write import atomic_text
        from listclean.spark.decay import decay_report
        from listclean.steps.decay import DecayStepReport, measure_name
        from listclean.thresholds import crossed

        measured, candidates = decay_report(spark.read(step.inputs), settings.decay, no_validate=settings.no_validate)
        if sunset_out:
            write(candidates, sunset_out)
        counts, rates = measured.metrics()
        failures = crossed(settings.thresholds, {measure_name(key): count for key, count in counts.items()}, measured.rows, rates)
        report = DecayStepReport(measured=measured, thresholds=settings.thresholds, failures=failures, quarantined=0)
        if html:
            atomic_text(html, render_html(report.as_dict()))
        return report, report.summary(inputs=step.inputs, html=html, sunset_out=sunset_out), failures

    return _writes(execute, ("html", html), ("sunset_out", sunset_out))


PREPARE: dict[str, Callable[[PlannedStep, Spark], Execute]] = {
    "import": prepare_import,
    "validate": prepare_validate,
    "dedupe": prepare_dedupe,
    "segment": prepare_segment,
    "export": prepare_export,
    "decay-report": prepare_decay,
}


def prepare(step: PlannedStep, spark: Spark) -> Execute:
    """The step's call on Spark, its options checked now (a listclean error names the step)."""
    try:
        return PREPARE[step.command](step, spark)
    except ConfigError:
        raise
    except ListcleanError as error:
        raise type(error)(f"[run] step {step.name}: {error.message}", hint=error.hint) from None


def _balanced(counts: dict[str, int]) -> None:
    if counts["rows_in"] != counts["rows_out"] + counts["rejected"] + counts["merged"]:  # pragma: no cover - guarded by tests
        raise AssertionError(f"row accounting broken: {counts}")


def _concat(frames: list[Any]) -> Any:  # noqa: ANN401
    import polars as pl

    return pl.concat(frames, how="vertical_relaxed")


def _empty_rejects(spark: Spark) -> SparkFrame:
    from listclean.spark.arrow import spark_schema
    from listclean.stream.ledger import empty_rejects

    return spark.session.createDataFrame([], spark_schema(empty_rejects().schema))


def _nothing_judged() -> Any:  # noqa: ANN401 - a ValidationReport
    """The report of judging no row (an empty list: no chunk answered)."""
    import polars as pl

    from listclean.email.validate import validate

    return validate(pl.DataFrame(schema={"email": pl.String}))[1]


def _entries(lists: list[str], runtime: Runtime) -> int:
    """Entries in the --suppress lists, as validate's summary counts them (read once more on the driver)."""
    from listclean.suppression import load_suppression

    return len(load_suppression(lists, runtime.workspace))
