"""Read any supported input into a LazyFrame of text columns, plus what went wrong.

Every column comes back as text (``pl.String``): typing is the standardiser's job,
so leading zeros and ``+`` signs in phones and postcodes survive. Each row carries
``_source_row`` (1-based data row). Rows that cannot be read are never dropped
silently: they raise an ``InputError`` naming file and line, or, with
``on_bad_rows`` = skip/keep, are listed in ``Source.bad_rows``.

Delimited text takes a fast path (Polars' CSV reader) after a vectorised
structural check of the whole file; only a file that fails the check is re-read
by Python's csv module, which then decides and explains every bad row.

This module is the package's public surface. Behind it: ``registry`` (the formats and
`read_source`, which dispatches to them), one module per format (``delimited`` with
``structure`` and ``careful``, ``jsonl``, ``parquet``, ``excel``, ``compressed``
(gzip/bzip2/xz/zstd, read through) and ``refused`` (binary formats named and refused)), ``source`` (the
records every reader returns) and ``workspace``. A format is added by writing a module
that calls ``registry.register`` and importing it below. No module here imports Polars
before a file is read: the CLI keeps `--help` free of it.
"""

from listclean.io.read.registry import Format, format_names, lookup, read_column, read_source, register, sniff_format
from listclean.io.read.source import (
    BAD_ROW,
    EXTRA_FIELDS,
    PROVENANCE_COLUMNS,
    ROW,
    STDIN,
    STDIN_NAME,
    BadRow,
    OnBadRows,
    ReadOptions,
    Source,
    display_name,
)
from listclean.io.read.workspace import DEFAULT_CHUNK_ROWS, Workspace

# Each format module registers its formats as it is imported; this order is the order
# their names are listed in (sniffing does not depend on it).
from listclean.io.read import delimited, jsonl, parquet, excel, compressed, refused  # noqa: F401 - imported to register their formats
from listclean.io.read.parquet import is_listclean_parquet

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "BAD_ROW",
    "EXTRA_FIELDS",
    "PROVENANCE_COLUMNS",
    "ROW",
    "STDIN",
    "STDIN_NAME",
    "BadRow",
    "Format",
    "OnBadRows",
    "ReadOptions",
    "Source",
    "Workspace",
    "display_name",
    "format_names",
    "is_listclean_parquet",
    "lookup",
    "read_column",
    "read_source",
    "register",
    "sniff_format",
]
