"""listclean's steps as a Spark job, for spark-submit:

    spark-submit [spark options] "$(python -c 'import listclean.spark.job as j; print(j.__file__)')" \\
        validate INPUT OUTPUT [--suppress FILE ...] [--fix-typos] [--partitions N]

INPUT is a Parquet file or dataset listclean wrote (any path Spark reads: hdfs://, s3a://, a
folder); OUTPUT is written as a Parquet dataset (replaced when it exists, as a Spark job's output
usually is). One JSON line on stdout says what was written: rows, and rows by email_status,
counted from the written dataset (not by judging the rows a second time).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="listclean.spark.job", description="listclean's steps on Spark")
    steps = parser.add_subparsers(dest="step", required=True)
    validate = steps.add_parser("validate", help="judge every address (listclean validate)")
    validate.add_argument("input")
    validate.add_argument("output")
    validate.add_argument("--suppress", action="append", default=[], metavar="FILE", help="a suppression list (repeatable)")
    validate.add_argument("--fix-typos", action="store_true")
    validate.add_argument("--partitions", type=int, default=0, help="repartition the input first (0: as Spark reads it)")
    validate.add_argument("--master", default=None, help="e.g. local[4]; by default what spark-submit says")
    options = parser.parse_args(argv)

    from pyspark.sql import functions as F

    from listclean.email.reasons import STATUS_ORDER
    from listclean.spark import session, validate as judge

    spark = session(options.master)
    frame = spark.read.parquet(options.input)
    if options.partitions:
        frame = frame.repartition(options.partitions)
    judge(frame, suppress=options.suppress, fix_typos=options.fix_typos).write.mode("overwrite").parquet(options.output)
    counts = dict(spark.read.parquet(options.output).groupBy("email_status").count().select("email_status", F.col("count")).collect())
    summary = {
        "command": "validate",
        "engine": "spark",
        "output": options.output,
        "rows_out": sum(counts.values()),
        "by_status": {status: counts.get(status, 0) for status in STATUS_ORDER},
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
