"""A Spark session set up for listclean's functions."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Arrow for Python. The batches Spark sends its Python workers stay at Spark's 10,000 rows: the
# JVM fills larger ones more than proportionally slower (250,000-row batches of a contact list's
# 40 columns took four times as long); map_chunks gathers them into chunks of its own.
# Timestamps are written to Parquet as UTC microseconds (Spark's default is the legacy INT96), the
# type listclean's own Parquet has: a dataset written here reads back into listclean as it wrote it.
SETTINGS = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def session(master: str | None = None, app_name: str = "listclean", config: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session with listclean's settings (and `config`'s, which win): `master` e.g.
    "local[2]"; None takes what spark-submit or the SPARK_* environment says."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    if (master or "").startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # Local workers run this Python (its venv has listclean and Polars), not the PATH's python3
        # (read from the environment by the JVM this starts).
        os.environ["PYSPARK_PYTHON"] = sys.executable
    for key, value in {**SETTINGS, **(config or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
