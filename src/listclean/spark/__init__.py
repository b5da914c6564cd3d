"""listclean's steps on Apache Spark DataFrames (`pip install 'listclean[spark]'`).

The same rules, not a second implementation: each function runs listclean's own Polars code on
every partition through Arrow (see `arrow.map_chunks`); what needs the whole list is done with
Spark's own operations. What is here so far:

- `validate(frame)`: every address judged, row for row as `listclean validate` judges it
  (email_normalized, email_status, email_reasons, email_suggestion, email_alternates).
- `decay_report(frame)`: `listclean decay-report`'s report (and sunset candidates) from each
  partition's measures, folded on the driver by decay's own code (see `decay.py` for its limit).
- `segment(frame, SegmentStepOptions(...))`: rule segments and lifecycle stages, as `listclean
  segment` labels them (RFM refused for now: it ranks the whole list).
- `session()`: a Spark session set up as these functions expect.
- `listclean.spark.job`: `validate` as a spark-submit job (Parquet in, a Parquet dataset out).

Not yet (see the README's "Spark" section): import, dedupe, segment's RFM and split files, export,
decay's whole-list measures as Spark aggregations, the suppression store, `listclean run --engine spark`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from listclean.spark.decay import decay_report
from listclean.spark.segment import segment
from listclean.spark.session import session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.email.validate import ValidateOptions

__all__ = ["decay_report", "segment", "session", "validate"]


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
    import dataclasses

    from listclean.email.validate import ValidateOptions, validate as judge, with_alternates
    from listclean.errors import UsageError
    from listclean.schema import column_order
    from listclean.spark.arrow import map_chunks

    options = options or ValidateOptions(fix_typos=fix_typos)
    if options.dns is not None:
        raise UsageError("DNS checks are not available on Spark", hint="validate without --dns, or on one machine")
    listed = None
    if suppress:
        from listclean.io.read import Workspace
        from listclean.suppression import load_suppression

        with Workspace() as workspace:
            entries = load_suppression(list(suppress), workspace)
        if options.suppression is not None:  # both: either suppresses
            entries.addresses |= options.suppression.addresses
            entries.sha256 |= options.suppression.sha256
            entries.md5 |= options.suppression.md5
        listed = frame.sparkSession.sparkContext.broadcast(entries)

    def chunk(rows):  # type: ignore[no-untyped-def]
        checks = options if listed is None else dataclasses.replace(options, suppression=listed.value)
        judged = with_alternates(judge(rows, checks)[0])
        return judged.select(column_order(judged.columns))  # email_alternates where the single machine puts it

    return map_chunks(frame, chunk)
