"""The import step: messy exports in, canonical contacts out, every row accounted for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listclean.importer import ImportStream, SourceReport
    from listclean.runtime import Runtime
    from listclean.stream.sink import Sink


@dataclass
class ImportStepOptions:
    store: str | None = None  # a suppression store: erased people are dropped, unsubscribed ones marked


@dataclass
class ImportReport:
    counts: dict[str, int]  # rows_in, rows_out, rejected, merged
    columns: list[str]
    sources: list[SourceReport]
    erased: int = 0  # rows of erased people dropped (counted in rejected)
    quarantined: int = 0  # rows from bought, rented or scraped sources (counted in rejected)
    source_rejected: int = 0  # rows the reading itself rejected (empty, unreadable, quarantined)

    def summary(self, *, output: str | None = None, rejects: str | None = None) -> dict[str, Any]:
        return {
            "command": "import",
            "output": output,
            "rejects": rejects,
            **self.counts,
            "columns": self.columns,
            "inputs": [source.as_dict() for source in self.sources],
        }


def import_step(source: ImportStream, options: ImportStepOptions, sink: Sink, runtime: Runtime, *, rejects: Sink | None = None) -> ImportReport:
    """Read, map and standardise every input a chunk at a time into `sink`."""
    from listclean.importer import rows_with_action
    from listclean.stream.source import expected_rows

    ledger = runtime.ledger()
    store = None
    if options.store:
        from listclean.store import SuppressionStore, apply_store

        store = SuppressionStore.open(options.store)
    total = expected_rows(source)
    with runtime.reporter.phase("Importing") as progress:
        for chunk in source:  # a chunk at a time: a file larger than memory streams through
            if store is not None:
                chunk, erased, _ = apply_store(chunk, store)
                ledger.remove(erased)
            sink.add(chunk)
            progress(log=False, done=sink.rows, total=total)
            del chunk  # before the next chunk is read, not after
    columns = source.columns()
    sink.finish(columns)
    ledger.read(source)
    erased = ledger.removed
    ledger.write(rejects)
    return ImportReport(
        counts=ledger.balance(sink.rows),
        columns=columns,
        sources=source.sources,
        erased=erased,
        quarantined=rows_with_action(source.rejects(), "quarantined"),
        source_rejected=source.rejected,
    )
