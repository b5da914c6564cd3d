"""listclean's steps on Apache Spark DataFrames (`pip install 'listclean[spark]'`).

The same rules, not a second implementation: each function runs listclean's own Polars code on
every partition through Arrow (see `arrow.map_chunks`); what needs the whole list is done with
Spark's own operations. What is here so far:

- `validate(frame)`: every address judged, row for row as `listclean validate` judges it
  (email_normalized, email_status, email_reasons, email_suggestion, email_alternates).
- `session()`: a local Spark session set up as these functions expect.

Not yet (see the README's "Spark" section): import, dedupe, segment, export, decay, the
suppression store and `--suppress` lists as Spark joins, `listclean run --engine spark`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listclean.spark.session import session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

    from listclean.email.validate import ValidateOptions

__all__ = ["session", "validate"]


def validate(frame: SparkFrame, *, fix_typos: bool = False, options: ValidateOptions | None = None) -> SparkFrame:
    """Judge every row's address, on every partition: `listclean validate` on a Spark DataFrame.

    The frame holds listclean's canonical columns (a Parquet dataset `listclean import` wrote,
    read with `spark.read.parquet`); the answer adds the email_* columns, as the single-machine
    step does, with `email_alternates` always present (empty lists where a cell held one address).
    DNS checks are not run on Spark (each executor would resolve on its own).
    """
    from listclean.email.validate import ValidateOptions, validate as judge, with_alternates
    from listclean.errors import UsageError
    from listclean.schema import column_order
    from listclean.spark.arrow import map_chunks

    options = options or ValidateOptions(fix_typos=fix_typos)
    if options.dns is not None:
        raise UsageError("DNS checks are not available on Spark", hint="validate without --dns, or on one machine")

    def chunk(rows):  # type: ignore[no-untyped-def]
        judged = with_alternates(judge(rows, options)[0])
        return judged.select(column_order(judged.columns))  # email_alternates where the single machine puts it

    return map_chunks(frame, chunk)
