"""Folders of part files Spark writes: CSV as listclean writes it, the parts listed, a folder removed
(shared by export's files and its opt-out files on Spark)."""

from __future__ import annotations

from typing import Any

CSV_OPTIONS = {  # Spark's CSV as Polars writes it (quote_style="necessary"): quotes doubled, spaces kept
    "header": "true", "quote": '"', "escape": '"', "escapeQuotes": "true", "quoteAll": "false",
    "ignoreLeadingWhiteSpace": "false", "ignoreTrailingWhiteSpace": "false", "lineSep": "\n", "encoding": "UTF-8",
}  # fmt: skip


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

