"""Folders of part files Spark writes: CSV as listclean writes it (its options and cells), the parts
listed, a folder removed (shared by export's files, its opt-out files and run --engine spark's outputs)."""

from __future__ import annotations

from typing import Any

CSV_OPTIONS = {  # Spark's CSV as Polars writes it (quote_style="necessary"): quotes doubled, spaces kept
    "header": "true", "quote": '"', "escape": '"', "escapeQuotes": "true", "quoteAll": "false",
    "ignoreLeadingWhiteSpace": "false", "ignoreTrailingWhiteSpace": "false", "lineSep": "\n", "encoding": "UTF-8",
}  # fmt: skip


def text_cells(frame: Any, excel_safe: bool = False) -> Any:  # noqa: ANN401 - Spark frames
    """The rows as listclean's CSV writes their cells (io.write.for_text: lists joined, timestamps
    as ISO text; every value as text) and headers (guarded with excel_safe). A platform's or an
    audience's rows are text already: only their headers are renamed, without a pass through Python."""
    import polars as pl
    from pyspark.sql.types import StringType

    from listclean.io.write import for_text, guard_header
    from listclean.spark.arrow import map_chunks

    def text(rows: pl.DataFrame) -> pl.DataFrame:
        rows = for_text(rows)
        rows = rows.with_columns(pl.col(name).cast(pl.String) for name, dtype in rows.schema.items() if dtype != pl.String)
        return guard_header(rows) if excel_safe else rows

    if all(isinstance(column.dataType, StringType) for column in frame.schema.fields):
        headers = guard_header(pl.DataFrame(schema={name: pl.String for name in frame.columns})).columns if excel_safe else frame.columns
        return frame.toDF(*headers)
    return map_chunks(frame, text)


def listed_files(spark: Any, path: str) -> list[str]:
    """The data files Spark wrote at `path` (part-*), sorted; local files as plain paths (no file: scheme)."""
    jvm = spark.sparkContext._jvm
    folder = jvm.org.apache.hadoop.fs.Path(path)
    system = folder.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    names = [status.getPath().toString() for status in system.listStatus(folder)]
    return sorted(name.removeprefix("file:") for name in names if name.rsplit("/", 1)[-1].startswith("part-"))


def remove(spark: Any, path: str) -> None:
    """Remove the folder at `path` (any path Spark writes) with everything in it."""
    jvm = spark.sparkContext._jvm
    folder = jvm.org.apache.hadoop.fs.Path(path)
    folder.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(folder, True)

