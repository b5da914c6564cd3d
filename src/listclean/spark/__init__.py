"""listclean's steps on Apache Spark DataFrames (`pip install 'listclean[spark]'`).

The same rules, not a second implementation: each function runs listclean's own Polars code on
every partition through Arrow (see `arrow.map_chunks`); what needs the whole list is done with
Spark's own operations. What is here so far:

- `validate(frame)`: every address judged, row for row as `listclean validate` judges it
  (email_normalized, email_status, email_reasons, email_suggestion, email_alternates).
- `decay_report(frame)`: `listclean decay-report`'s report (and sunset candidates): each
  partition's count tables (decay's own `measure_chunk`) summed in Spark, read by decay's own
  `report_from` on the driver.
- `segment(frame, SegmentStepOptions(...))`: rule segments, RFM scores and lifecycle stages, as
  `listclean segment` labels them (RFM ranked with Spark's own aggregations and windows over
  distinct values); `segment.segment_notes` gives its report's notes.
- `import_files(spark, paths)`: export files imported a task per file by the importer.
- `dedupe(frame, DedupeStepOptions(match=...))`: exact, canonical and fuzzy dedupe (groups as
  Spark connected components of shared keys or kept pairs, each part deduplicated by the engine),
  with --labels and --review under fuzzy, and --against a master (against.py).
- `export(frame, ExportStepOptions(...))`: the rows a platform may get, the rejects, the report,
  and the files written (read back for leaks before the store learns anything).
- `session()`: a Spark session set up as these functions expect.
- `listclean.spark.job`: import, validate, dedupe and export as spark-submit jobs;
  `listclean run --engine spark` runs a whole run file with these functions (executors.py).

Segment's split files: `segment.segment_splits`; export's opt-out files: `export` with
--suppressions / --exclusion (opt_outs.py). Not on Spark: validate's DNS checks (each executor
would resolve on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from listclean.spark.arrow import with_listclean_types
from listclean.spark.decay import decay_report
from listclean.spark.dedupe import dedupe
from listclean.spark.export import export
from listclean.spark.importing import import_files
from listclean.spark.segment import segment, segment_notes
from listclean.spark.session import session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.email.validate import ValidateOptions
    from listclean.spark.arrow import Reported

__all__ = ["decay_report", "dedupe", "export", "import_files", "segment", "segment_notes", "session", "validate", "validate_reported"]


def validate(
    frame: SparkFrame, *, fix_typos: bool = False, suppress: Sequence[str] = (), options: ValidateOptions | None = None
) -> SparkFrame:
    """Judge every row's address, on every partition: `listclean validate` on a Spark DataFrame.

    The frame holds listclean's canonical columns (a Parquet dataset `listclean import` wrote,
    read with `spark.read.parquet`); the answer adds the email_* columns, as the single-machine
    step does, with `email_alternates` always present (empty lists where a cell held one address).
    `suppress`: suppression-list files (addresses or their SHA-256/MD5, as `--suppress` reads them),
    read once here and sent to each executor once (a Spark broadcast). DNS checks are not run on
    Spark (each executor would resolve on its own).
    """
    from listclean.spark.arrow import map_chunks

    frame = with_listclean_types(frame)  # all-null columns Polars wrote: their own types, not Spark's integers
    judge = _judging(frame, fix_typos, suppress, options, store=None)
    return map_chunks(frame, lambda rows: judge(rows)[0])


def validate_reported(
    frame: SparkFrame, *, fix_typos: bool = False, suppress: Sequence[str] = (), options: ValidateOptions | None = None, store: str | None = None
) -> Reported:
    """`validate` with what `listclean validate` reports: `.rows` the judged rows, `.reports()`
    each chunk's (ValidationReport, rejects of the rows the store's erasures removed), to be
    combined as the single machine combines its chunks'; `.release()` when both are read.

    `store`: a suppression store (its path, read on the driver and sent to every executor once),
    applied as the step applies it: erased people's rows removed (rejects without data), a stored
    reason taking the place of a weaker consent status, every stored address suppressed."""
    from listclean.spark.arrow import map_chunks_reported

    frame = with_listclean_types(frame)  # all-null columns Polars wrote: their own types, not Spark's integers
    return map_chunks_reported(frame, _judging(frame, fix_typos, suppress, options, store))


def _judging(frame: SparkFrame, fix_typos: bool, suppress: Sequence[str], options: ValidateOptions | None, store: str | None) -> Any:  # noqa: ANN401
    """The chunk function of validate on Spark: rows -> (judged rows, (report, store rejects))."""
    import dataclasses

    from listclean.email.validate import ValidateOptions
    from listclean.errors import UsageError

    options = options or ValidateOptions(fix_typos=fix_typos)
    if options.dns is not None:
        raise UsageError("DNS checks are not available on Spark", hint="validate without --dns, or on one machine")
    entries = options.suppression
    if suppress:
        from listclean.io.read import Workspace
        from listclean.suppression import load_suppression

        with Workspace() as workspace:
            entries = load_suppression(list(suppress), workspace).union(entries)  # both: either suppresses
    stored = None
    if store:
        from listclean.store import SuppressionStore
        from listclean.suppression import SuppressionList

        stored = SuppressionStore.open(store)
        sha256, md5 = stored.hashed_entries()
        kept = SuppressionList(addresses=stored.plain_keys(), sha256=sha256, md5=md5, sources=[store])
        entries = kept if entries is None else entries.union(kept)
    sent = frame.sparkSession.sparkContext.broadcast((entries, stored)) if (entries is not None or stored is not None) else None

    def judged(rows):  # type: ignore[no-untyped-def]
        from listclean.email.validate import validate as judge, with_alternates
        from listclean.stream.ledger import empty_rejects

        listed, held = sent.value if sent is not None else (None, None)
        erased = empty_rejects()
        if held is not None:
            from listclean.store import apply_store

            rows, erased, _ = apply_store(rows, held)
        checks = options if listed is None else dataclasses.replace(options, suppression=listed)
        answer, report = judge(rows, checks)
        return with_alternates(answer), (report, erased)  # email_alternates always: Spark's schema is fixed before any partition

    return judged
