"""decay-report on Spark: each partition measured by decay's own `measure_chunk`, folded by its
own `report_of` on the driver.

Pass 1 sends back, per chunk, the slim columns the whole-list measures read (`prepared`: a dozen
narrow columns, about 150 bytes a contact) and the chunk's counters (consent health, dates after
the report date, sunset candidates) as constant columns beside them, tagged with the chunk; the
driver gathers the slim rows and sums the counters, exactly as the single machine folds its chunks.
The sunset candidates are a second, lazy pass for the caller to write. The slim rows are held by
the driver: a 10M-contact list is about 1.5 GB there (the whole-list measures as Spark
aggregations are the next step, see issue #22).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.decay import DecayOptions, DecayReport

_CHUNK = "__decay_chunk"
_COUNTER = "__decay_count__"  # a counter column: _COUNTER + section + "__" + name


def decay_report(frame: SparkFrame, options: DecayOptions | None = None, *, no_validate: bool = False) -> tuple[DecayReport, SparkFrame]:
    """(the report, the sunset candidates): `listclean decay-report` on a Spark DataFrame.

    Rows without email_status are validated first (as the command does, unless `no_validate`).
    The report date is fixed here (the options' as_of, else now to the second) and sent to every
    executor. The candidates are every column plus sunset_reason, with email_alternates always a
    column (see `validate`)."""
    import dataclasses
    from datetime import datetime, timezone

    import polars as pl

    from listclean.decay import DecayChunk, DecayOptions, measure_chunk, report_of
    from listclean.email.validate import validate, with_alternates
    from listclean.spark.arrow import map_chunks, output_schema, to_polars

    options = options or DecayOptions()
    measuring = dataclasses.replace(options, as_of=(options.as_of or datetime.now(timezone.utc)).replace(microsecond=0))
    judge = "email_status" not in frame.columns and not no_validate

    def measured(rows: pl.DataFrame) -> tuple[pl.DataFrame, object]:
        if judge:
            rows = with_alternates(validate(rows)[0])
        return rows, measure_chunk(rows, measuring)

    def slim(rows: pl.DataFrame) -> pl.DataFrame:
        import uuid

        _, part = measured(rows)
        counters = {
            **{f"{_COUNTER}consent__{name}": count for name, count in part.consent.items()},  # type: ignore[attr-defined]
            **{f"{_COUNTER}future__{name}": count for name, count in part.future.items()},  # type: ignore[attr-defined]
            f"{_COUNTER}sunset__rows": part.sunset_rows,  # type: ignore[attr-defined]
        }
        tag = str(uuid.uuid4()) if rows.height else ""
        return part.work.with_columns(  # type: ignore[attr-defined]
            pl.lit(tag).alias(_CHUNK), *(pl.lit(count, dtype=pl.Int64).alias(name) for name, count in sorted(counters.items()))
        )

    def candidates(rows: pl.DataFrame) -> pl.DataFrame:
        _, part = measured(rows)
        return with_alternates(part.candidates)  # type: ignore[attr-defined]

    gathered = to_polars(map_chunks(frame, slim), output_schema(frame.schema, slim))
    counters = [name for name in gathered.columns if name.startswith(_COUNTER)]
    per_chunk = gathered.group_by(_CHUNK).agg(pl.col(counters).first()).select(counters).sum()
    totals: dict[str, dict[str, int]] = {}
    for name, count in per_chunk.row(0, named=True).items():
        section, key = name[len(_COUNTER):].split("__", 1)
        totals.setdefault(section, {})[key] = int(count or 0)
    whole = DecayChunk(
        work=gathered.drop(_CHUNK, *counters),
        consent=totals.get("consent", {}),
        candidates=pl.DataFrame(),
        columns=list(output_schema(frame.schema, lambda rows: measured(rows)[0]).names()),
        sunset_rows=totals.get("sunset", {}).get("rows", 0),
        future=totals.get("future", {}),
    )
    return report_of([whole], measuring), map_chunks(frame, candidates)
