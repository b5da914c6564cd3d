"""What a step reads: a source of standardised chunks that accounts for every row it read.

`listclean.importer.ImportStream` is the one implementation over files; the Python API
turns a Polars frame into one (see `listclean.api`). A step iterates the chunks once (or,
when `replayable`, again), then asks for the counts and rejects the ledger needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import polars as pl


class ChunkSource(Protocol):
    def __iter__(self) -> Iterator[pl.DataFrame]:
        """Standardised chunks in input order (each with _source_file and _source_row)."""
        ...

    @property
    def rows_in(self) -> int:
        """Rows read (after the last chunk)."""
        ...

    @property
    def rejected(self) -> int:
        """Rows the source kept out of its chunks: unreadable, empty or quarantined."""
        ...

    def rejects(self) -> pl.DataFrame:
        """Those rows, as rejects-table rows."""
        ...

    def columns(self) -> list[str]:
        """The chunks' columns in listclean's order (after the last chunk)."""
        ...

    def output_columns(self, seen: list[str]) -> list[str]:
        """A step's output columns (`seen` over its chunks), less `_raw` columns no chunk used."""
        ...

    def replayable(self) -> bool:
        """Whether `again` can read the same chunks a second time cheaply."""
        ...

    def again(self) -> ChunkSource: ...


def expected_rows(source: object) -> int | None:
    """About how many rows a source will yield, for a progress display (None: unknown): the
    source's own estimate where it has one (ImportStream.expected_rows)."""
    estimate = getattr(source, "expected_rows", None)
    return estimate() if callable(estimate) else None
