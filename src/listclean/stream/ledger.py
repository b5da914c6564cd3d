"""Where every row a step read went: the output, the rejects, or a merge.

Every step keeps one ledger. Rejects come from two places: the input sources (rows that
could not be read, empty rows, quarantined sources — known once a source is read to its end)
and the step itself (suppressed, dropped, erased rows, as it meets them). The rejects file
lists the sources' first, then the step's, in the order they were met; the summary's
`rows in = rows out + rejected + merged` line is `balance`, which refuses to lie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from listclean.stream.budget import MemoryBudget
from listclean.stream.spool import PathMaker, Spool

if TYPE_CHECKING:
    import polars as pl

    from listclean.stream.sink import Sink

REJECT_COLUMNS = ("_source_file", "_source_row", "_source_line", "reason", "detail", "action", "raw")


class Ledger:
    def __init__(self, paths: PathMaker, budget: MemoryBudget) -> None:
        self.rows_in = 0
        self.source_rejected = 0  # unreadable, empty or quarantined input rows
        self.quarantined = 0  # ... of them from a bought, rented or scraped source (never silent: in every summary)
        self.removed = 0  # rows the step took out of its output (each with a reject row)
        self.merged = 0  # rows folded into another row's golden record
        self._source_rejects: list[pl.DataFrame] = []
        # The step's rejects, in order (the sources' come first): rows filtered out of chunks,
        # held as copies of their own so they do not keep their chunks alive.
        self.spool = Spool(paths, budget, pieces=True)

    def read(self, source: Any) -> None:
        """Count a chunk source read to its end: its rows and its rejects (see ChunkSource)."""
        self.rows_in += source.rows_in
        self.source_rejected += source.rejected
        rejects = source.rejects()
        self.quarantined += rows_with_action(rejects, "quarantined")
        self._source_rejects.append(rejects)

    def remove(self, rejects: pl.DataFrame) -> None:
        """Rows the step kept out of its output, as rejects-table rows (see rows_as_rejects)."""
        if rejects.height:
            self.removed += rejects.height
            self.spool.add(rejects)

    @property
    def rejected(self) -> int:
        return self.source_rejected + self.removed

    def balance(self, rows_out: int) -> dict[str, int]:
        """rows_in = rows_out + rejected + merged, as the summary's counts; a bug if it does not hold."""
        if self.rows_in != rows_out + self.rejected + self.merged:  # pragma: no cover - guarded by tests
            raise AssertionError(
                f"row accounting broken: {self.rows_in} in != {rows_out} out + {self.rejected} rejected + {self.merged} merged"
            )
        return {"rows_in": self.rows_in, "rows_out": rows_out, "rejected": self.rejected, "merged": self.merged, "quarantined": self.quarantined}

    def write(self, sink: Sink | None) -> None:
        """Every reject, the sources' first, into `sink` (nothing happens without one)."""
        if sink is None:
            self.spool.release()
            return
        for part in self._source_rejects:
            if part.height:
                sink.add(part)
        for part in self.spool.drain():
            sink.add(part)
        sink.finish(list(REJECT_COLUMNS), empty=empty_rejects())

    def rejects(self) -> pl.DataFrame:
        """Every reject as one frame (the Python API's view; a CLI run streams them to a file)."""
        import polars as pl

        parts = [part for part in [*self._source_rejects, *self.spool] if part.height]
        return pl.concat(parts, how="vertical") if parts else empty_rejects()


def reject_schema() -> dict[str, pl.DataType]:
    import polars as pl

    return {
        "_source_file": pl.String,
        "_source_row": pl.Int64,
        "_source_line": pl.Int64,
        "reason": pl.String,
        "detail": pl.String,
        "action": pl.String,
        "raw": pl.String,
    }


def empty_rejects() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema=reject_schema())


def rows_with_action(rejects: pl.DataFrame, *actions: str) -> int:
    """Rejects rows taken out of the output ("skipped", "quarantined"), or repaired ("kept")."""
    return rejects.filter(rejects["action"].is_in(list(actions))).height if rejects.height else 0


def rows_as_rejects(rows: pl.DataFrame, reason: pl.Expr, detail: pl.Expr) -> pl.DataFrame:
    """Rows a step kept out of its output, as rejects-table rows (provenance, reason, detail, the email)."""
    import polars as pl

    def column(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name).cast(dtype) if name in rows.columns else pl.lit(None, dtype=dtype).alias(name)

    return rows.select(
        column("_source_file", pl.String),
        column("_source_row", pl.Int64),
        pl.lit(None, dtype=pl.Int64).alias("_source_line"),
        reason.alias("reason"),
        detail.alias("detail"),
        pl.lit("skipped").alias("action"),
        column("email", pl.String).fill_null("").alias("raw"),
    )
