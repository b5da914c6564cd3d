"""decay-report on Spark: each partition measured by decay's own `measure_chunk`, the whole-list
measures added up by Spark, and the report read by decay's own `report_from` on the driver.

The single machine keeps of each chunk only small tables of counts (decay.TABLES: the status
mix, recency buckets, signups and churn by month, survival days, signup months, sources,
domains, and one row of the list's counts) and adds them up over the chunks (`fold_tables`).
Here every chunk's tables go back from its partition stacked as one frame (a column names the
table; the keys and counts of every table side by side, null where a table has none), kept
(persisted) so each partition is measured once, and Spark adds them up with two groupBys — the
same fold, a sum per key:
  - every table but by_domain: one groupBy over the table and its keys. These tables are as
    long as the report (distinct months, days since signup, signup months, sources), never as
    the list, and are all the driver receives of them;
  - by_domain, whose distinct domains grow with the list: a groupBy of its narrow rows by domain,
    of which only the DOMAIN_ROWS + 1 largest reach the driver (orderBy + limit in the report's
    order: contacts descending, then the domain's UTF-8 bytes, as Polars and Spark both order
    text); the "(other)" row is the whole list less them.
The driver's `report_from` (decay's own) reads the report from these tables. The sunset
candidates are a second, lazy pass for the caller to write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listclean.spark.arrow import with_listclean_types

if TYPE_CHECKING:
    import polars as pl
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.decay import DecayChunk, DecayOptions, DecayReport

_TABLE = "__decay_table"  # which of decay.TABLES a stacked row belongs to


def decay_report(frame: SparkFrame, options: DecayOptions | None = None, *, no_validate: bool = False) -> tuple[DecayReport, SparkFrame]:
    """(the report, the sunset candidates): `listclean decay-report` on a Spark DataFrame.

    Rows without email_status are validated first (as the command does, unless `no_validate`).
    The report date is fixed here (the options' as_of, else now to the second) and sent to every
    executor. The candidates are every column plus sunset_reason, with email_alternates always a
    column (see `validate`)."""
    import dataclasses
    from datetime import datetime, timezone

    import polars as pl

    from listclean.decay import DecayOptions, fold_tables, measure_chunk, report_from
    from listclean.email.validate import validate, with_alternates
    from listclean.spark.arrow import map_chunks, polars_schema

    frame = with_listclean_types(frame)  # all-null columns Polars wrote: their own types, not Spark's integers
    options = options or DecayOptions()
    measuring = dataclasses.replace(options, as_of=(options.as_of or datetime.now(timezone.utc)).replace(microsecond=0))
    judge = "email_status" not in frame.columns and not no_validate

    def measured(rows: pl.DataFrame) -> tuple[pl.DataFrame, DecayChunk]:
        if judge:
            rows = with_alternates(validate(rows)[0])
        return rows, measure_chunk(rows, measuring)

    def stacked_tables(rows: pl.DataFrame) -> pl.DataFrame:
        return _stacked(measured(rows)[1].tables)

    def candidates(rows: pl.DataFrame) -> pl.DataFrame:
        _, part = measured(rows)
        return with_alternates(part.candidates)

    empty, part = measured(pl.DataFrame(schema=polars_schema(frame.schema)))
    templates = part.tables  # every table's columns and types
    tables = _folded_on_spark(map_chunks(frame, stacked_tables), templates)
    # Folded once more, as one chunk: the same tables (and a row of zeros if no partition had rows).
    report = report_from(fold_tables([tables]), empty.columns, measuring)
    return report, map_chunks(frame, candidates)


def _stacked(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """A chunk's tables as one frame: each table's rows tagged with its name, the columns of every
    table side by side (a table's rows null in the others')."""
    import polars as pl

    return pl.concat([table.with_columns(pl.lit(name).alias(_TABLE)) for name, table in tables.items()], how="diagonal_relaxed")


def _folded_on_spark(stacked: SparkFrame, templates: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Every partition's tables added up by Spark, brought to the driver as decay's tables: each
    small, by_domain only its largest domains (see the module). The domains are summed apart, in
    a narrow frame of their own: theirs is the one table that can be as long as the list."""
    import polars as pl
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from listclean.decay import DOMAIN_ROWS, TABLES

    def summed(frame: SparkFrame, keys: list[str], counts: list[str]) -> SparkFrame:
        return frame.groupBy(*keys).agg(*(F.sum(name).alias(name) for name in counts))

    keys = sorted({key for table in TABLES.values() for key in table})
    stacked = stacked.persist(StorageLevel.MEMORY_AND_DISK)  # read by both sums: each partition is measured once
    try:
        others = summed(stacked.where(F.col(_TABLE) != "by_domain"), [_TABLE, *keys], [name for name in stacked.columns if name not in keys and name != _TABLE])
        domains = summed(stacked.where(F.col(_TABLE) == "by_domain"), ["domain"], [name for name in templates["by_domain"].columns if name != "domain"])
        largest = domains.orderBy(F.desc("contacts"), F.asc("domain")).limit(DOMAIN_ROWS + 1)
        gathered = _gathered(others)
        tables = {name: _as_table(gathered.filter(pl.col(_TABLE) == name), template) for name, template in templates.items() if name != "by_domain"}
        return {**tables, "by_domain": _as_table(_gathered(largest), templates["by_domain"])}
    finally:
        stacked.unpersist()


def _gathered(frame: SparkFrame) -> pl.DataFrame:
    """A small Spark frame on the driver (timestamps in UTC again)."""
    from listclean.spark.arrow import from_spark_arrow

    return from_spark_arrow(frame.toArrow())


def _as_table(gathered: pl.DataFrame, template: pl.DataFrame) -> pl.DataFrame:
    """One table's rows of a gathered frame, in the table's own columns and types."""
    import polars as pl

    return gathered.select(pl.col(column).cast(dtype) for column, dtype in template.schema.items())
