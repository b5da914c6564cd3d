"""listclean's steps as a Spark job, for spark-submit:

    spark-submit [spark options] "$(python -c 'import listclean.spark.job as j; print(j.__file__)')" \\
        validate INPUT OUTPUT [--suppress FILE ...] [--fix-typos] [--partitions N]
    ... dedupe INPUT OUTPUT [--match exact|canonical|fuzzy] [--clusters PATH] [--explain PATH] [--trust SOURCE ...] [--model FILE] [--save-model FILE]
               [--review FILE] [--review-threshold P] [--labels FILE] [--against MASTER]
    ... import FILE [FILE ...] --output OUTPUT [--rejects PATH] [--on-bad-rows error|skip|keep] ...
    ... export INPUT OUTPUT [--to PLATFORM] [--suppress FILE ...] [--store PATH] [--rejects PATH] [--as-of DATE]
               [--suppressions | --exclusion] [--since DATE]
    python -m listclean.spark.job STEP ... --master local[8] [--conf spark.driver.memory=16g ...]

INPUT is a Parquet file or dataset listclean wrote (any path Spark reads: hdfs://, s3a://, a
folder); import's FILEs are export files every executor can open (see spark/importing.py).
OUTPUT (and --clusters, --explain, --rejects) are written as Parquet datasets (replaced when
they exist, as a Spark job's outputs usually are); dedupe's --review is one file a person labels
(CSV, or what its extension says), written on the driver, and --labels reads it back there; export's OUTPUT is a folder of the platform's
CSV files (read back before the store learns anything; see spark/export.py); with --suppressions or
--exclusion, a folder of CSV parts for each opt-out file, where one machine writes it (OUTPUT, and
Mailchimp's OUTPUT-cleaned.csv beside it; see spark/opt_outs.py). One JSON line on
stdout says what was written: validate's rows by email_status (counted from the written
dataset); import's, dedupe's and export's summaries are the ones the command prints with --json
(rows in = rows out + merged + rejected), with "engine": "spark". A listclean error (an
unreadable file, ragged rows, a leak found in the written files) is one line on stderr and the
command's exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    from listclean.errors import ListcleanError
    from listclean.spark import session

    try:
        spark = session(options.master, config=_conf(options.conf))
        if options.step == "import":
            summary = _import(spark, options)
        else:
            frame = spark.read.parquet(options.input)
            if options.partitions:
                frame = frame.repartition(options.partitions)
            summary = {"validate": _validate, "dedupe": _dedupe, "export": _export}[options.step](spark, frame, options)
    except ListcleanError as error:
        print(f"listclean: error: {error}", file=sys.stderr)
        return int(error.exit_code)
    print(json.dumps({**summary, "engine": "spark"}, default=str))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="listclean.spark.job", description="listclean's steps on Spark")
    steps = parser.add_subparsers(dest="step", required=True)
    validate = steps.add_parser("validate", help="judge every address (listclean validate)")
    validate.add_argument("--suppress", action="append", default=[], metavar="FILE", help="a suppression list (repeatable)")
    validate.add_argument("--fix-typos", action="store_true")
    dedupe = steps.add_parser("dedupe", help="merge the same person's rows into golden records (listclean dedupe)")
    dedupe.add_argument("--match", choices=("exact", "canonical", "fuzzy"), default="fuzzy")
    dedupe.add_argument("--threshold", type=float, default=0.9, help="fuzzy: match probability from which two records are one person")
    dedupe.add_argument("--max-block-size", type=int, default=50, help="largest group of rows sharing a blocking key compared pairwise")
    dedupe.add_argument("--model", metavar="FILE", help="fuzzy: weights saved by an earlier run (--save-model): used, not learned")
    dedupe.add_argument("--save-model", metavar="FILE", help="fuzzy: write the weights used (JSON, a local file on the driver)")
    dedupe.add_argument("--clusters", metavar="PATH", help="every row's cluster_id and is_survivor (a Parquet dataset)")
    dedupe.add_argument("--explain", metavar="PATH", help="the compared pairs, scored and explained (a Parquet dataset)")
    dedupe.add_argument("--trust", action="append", default=[], metavar="SOURCE", help="a source whose values win, most trusted first (repeatable)")
    dedupe.add_argument("--review", metavar="FILE", help="fuzzy: the uncertain pairs for a person to label (one file, written on the driver)")
    dedupe.add_argument("--review-threshold", type=float, default=0.5, help="fuzzy: pairs from this probability up to --threshold are uncertain")
    dedupe.add_argument("--labels", metavar="FILE", help="fuzzy: a --review file with its label column filled in (read on the driver)")
    dedupe.add_argument("--against", metavar="MASTER", help="match the rows into the clusters of an earlier dedupe output (a Parquet file or dataset); OUTPUT is the updated master")
    dedupe.add_argument("--part-rows", type=int, default=None, help="rows per part the engine deduplicates at once (default 200,000)")
    export = steps.add_parser("export", help="write the contacts who may be mailed, in a platform's form (listclean export)")
    export.add_argument("--to", default="csv", help="a platform profile (mailchimp, klaviyo, ...) or csv")
    export.add_argument("--suppress", action="append", default=[], metavar="FILE", help="a suppression list (repeatable)")
    export.add_argument("--store", metavar="PATH", help="the suppression store: honoured, and fed this run's unsubscribes")
    export.add_argument("--rejects", metavar="PATH", help="the rows kept out, with their reasons (a Parquet dataset)")
    export.add_argument("--as-of", default=None, help="the report date (consent expiry), YYYY-MM-DD")
    export.add_argument("--suppressions", action="store_true", help="the platform's opt-out file(s) instead of contacts")
    export.add_argument("--exclusion", action="store_true", help="an ad platform's exclusion audience of the opted-out people")
    export.add_argument("--since", default=None, help="--suppressions / --exclusion: only what changed on or after this day, YYYY-MM-DD")
    for step in (validate, dedupe, export):
        step.add_argument("input")
        step.add_argument("output")
        step.add_argument("--partitions", type=int, default=0, help="repartition the input first (0: as Spark reads it)")
    importing = steps.add_parser("import", help="read export files into canonical contacts (listclean import), a task per file")
    importing.add_argument("files", nargs="+", metavar="FILE")
    importing.add_argument("--output", required=True)
    importing.add_argument("--rejects", metavar="PATH", help="the rows kept out or repaired, with their reasons (a Parquet dataset)")
    importing.add_argument("--on-bad-rows", choices=("error", "skip", "keep"), default="error")
    importing.add_argument("--date-order", choices=("auto", "mdy", "dmy"), default="auto")
    importing.add_argument("--default-country", default=None)
    for step in (validate, dedupe, export, importing):
        step.add_argument("--master", default=None, help="e.g. local[4]; by default what spark-submit says")
        step.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting, as spark-submit's --conf (repeatable)")
    return parser


def _conf(pairs: Sequence[str]) -> dict[str, str]:
    """--conf's KEY=VALUE settings (spark.driver.memory=8g ...): those that start the JVM only take
    effect when this job starts it (run with python, not spark-submit, which has its own --conf)."""
    from listclean.errors import UsageError

    settings = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"--conf {pair!r} is not KEY=VALUE", hint="e.g. --conf spark.driver.memory=8g")
        settings[key.strip()] = value
    return settings


def _export(spark: SparkSession, frame: SparkFrame, options: argparse.Namespace) -> dict[str, Any]:
    from listclean.spark.export import export
    from listclean.steps.export import ExportStepOptions

    as_of = _day(options.as_of) if options.as_of else None
    since = _day(options.since, "--since") if options.since else None
    chosen = ExportStepOptions(
        to=options.to, suppress=options.suppress, store=options.store, as_of=as_of, suppressions=options.suppressions, exclusion=options.exclusion, since=since
    )  # fmt: skip
    result = export(frame, chosen)
    try:
        result.write(options.output, force=True)
        if options.rejects:
            result.rejects.write.mode("overwrite").parquet(options.rejects)
        report = result.report()
    finally:
        result.release()
    return report.summary(output=options.output, rejects=options.rejects)


def _day(text: str, flag: str = "--as-of") -> Any:  # noqa: ANN401 - a datetime
    """--as-of's (or --since's) date (or date and time), in UTC."""
    from datetime import datetime, timezone

    from listclean.errors import UsageError

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r} is not a date", hint="give YYYY-MM-DD") from None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


def _import(spark: SparkSession, options: argparse.Namespace) -> dict[str, Any]:
    from listclean.importer import reading_options
    from listclean.spark.importing import import_files

    chosen = reading_options(on_bad_rows=options.on_bad_rows, date_order=options.date_order, default_country=options.default_country)
    result = import_files(spark, options.files, chosen)
    try:
        result.rows.write.mode("overwrite").parquet(options.output)
        if options.rejects:
            result.rejects.write.mode("overwrite").parquet(options.rejects)
    finally:
        result.release()
    return result.report.summary(output=options.output, rejects=options.rejects)


def _validate(spark: SparkSession, frame: SparkFrame, options: argparse.Namespace) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from listclean.email.reasons import STATUS_ORDER
    from listclean.spark import validate

    validate(frame, suppress=options.suppress, fix_typos=options.fix_typos).write.mode("overwrite").parquet(options.output)
    counts = dict(spark.read.parquet(options.output).groupBy("email_status").count().select("email_status", F.col("count")).collect())
    return {
        "command": "validate",
        "output": options.output,
        "rows_out": sum(counts.values()),
        "by_status": {status: counts.get(status, 0) for status in STATUS_ORDER},
    }


def _dedupe(spark: SparkSession, frame: SparkFrame, options: argparse.Namespace) -> dict[str, Any]:
    from listclean.spark.dedupe import PART_ROWS, dedupe
    from listclean.steps.dedupe import DedupeStepOptions

    chosen = DedupeStepOptions(
        match=options.match, trust=options.trust, threshold=options.threshold, max_block_size=options.max_block_size,
        model=options.model, save_model=options.save_model, labels=options.labels, review_threshold=options.review_threshold,
        against=options.against,
    )
    if options.against and options.against.rstrip("/") == options.output.rstrip("/"):
        from listclean.errors import UsageError  # Spark reads the master while it writes the output

        raise UsageError("OUTPUT is the --against master", hint="write the updated master to another path, then move it over the old one")
    result = dedupe(frame, chosen, explain=bool(options.explain), review=bool(options.review), part_rows=options.part_rows or PART_ROWS)
    try:
        result.golden.write.mode("overwrite").parquet(options.output)
        if options.clusters:
            result.clusters.write.mode("overwrite").parquet(options.clusters)
        if options.explain:
            result.pairs.write.mode("overwrite").parquet(options.explain)
        if options.review:
            _write_review(result, options.review, options.input)
    finally:
        result.release()
    report = result.step_report(spark.read.parquet(options.output).count(), options.save_model)  # rows out counted from what was written
    paths = {"output": options.output, "clusters": options.clusters, "explain": options.explain, "review": options.review}
    return {**report.summary(**paths), "parts": result.parts}


def _write_review(result: Any, path: str, source: str) -> None:  # noqa: ANN401 - a SparkDedupe
    """The review file, as `listclean dedupe --review` writes it (atomically, for people)."""
    from listclean.io.write import prepare_target
    from listclean.runtime import Runtime
    from listclean.steps.dedupe import write_review

    with Runtime() as runtime:
        write_review(runtime.file_sink(prepare_target(path, fmt=None, force=True, inputs=[source]), for_people=True), result.review_rows())


if __name__ == "__main__":
    sys.exit(main())
