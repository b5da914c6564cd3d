"""segment on Spark: rule segments and lifecycle stages, each partition labelled by segmentation's
own expressions. RFM scores rank the whole list and are not on Spark yet (refused, never guessed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.steps.segment import SegmentStepOptions


def segment(frame: SparkFrame, options: SegmentStepOptions) -> SparkFrame:
    """Every row labelled (`segment`, `lifecycle_stage`) as `listclean segment` labels it.

    `options` as the step takes them (rules file or `where`, `lifecycle` and its day thresholds,
    `include_unmailable`); the report date is fixed here (the options' as_of, else now to the
    second) and sent to every executor. Split files and RFM are not on Spark yet."""
    from datetime import datetime, timezone

    from listclean import segmentation as seg
    from listclean.errors import UsageError
    from listclean.spark.arrow import map_chunks

    if options.rfm:
        raise UsageError("RFM scores are not available on Spark yet (they rank the whole list)", hint="segment with rules and --lifecycle, or on one machine")
    definitions = options.definitions()  # a rules file is read (and checked) here, on the driver
    when = (options.as_of or datetime.now(timezone.utc)).replace(microsecond=0)
    settings = options.settings()
    origin = options.rules or "--where"

    def labelled(rows):  # type: ignore[no-untyped-def]
        if definitions:
            rows = seg.apply_rules(rows, definitions, when, options.include_unmailable, origin=origin)
        if options.lifecycle:
            rows = rows.with_columns(seg.lifecycle(rows, when, settings))
        return rows

    return map_chunks(frame, labelled)
