"""The segment step: label contacts with rule-based segments, RFM scores and lifecycle stages; count them.

Two passes over the list, so that a list larger than memory streams. The first reads every
chunk (keeping the three RFM inputs of every row, since quintiles rank the whole list, and the
rows themselves for the second pass); the second labels a chunk at a time into the sink and
the per-segment split sinks. listclean's own Parquet is read again for the second pass
instead of being kept: a read is cheaper than spooling its rows to disk and back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from listclean.stream.source import expected_rows
from listclean.errors import OutputError, UsageError

if TYPE_CHECKING:
    import polars as pl

    from listclean.runtime import Progress, Runtime
    from listclean.segmentation import LifecycleSettings, Rules
    from listclean.store import SuppressionStore
    from listclean.stream.sink import Sink
    from listclean.stream.spool import Spool
    from listclean.stream.source import ChunkSource
    from listclean.suppression import SuppressionList


@dataclass
class SegmentStepOptions:
    """What to label; the defaults are the command's. Checked when made (see `check`)."""

    rules: str | None = None  # a TOML file of named segments (see listclean.segment)
    where: str | None = None  # an ad-hoc segment: an SQL expression over the columns
    name: str = "selected"  # the name of the `where` segment
    multi: bool = False  # every matching segment (segment becomes a list), not only the first
    rfm: bool = False  # add rfm_recency, rfm_frequency, rfm_monetary and rfm_segment
    lifecycle: bool = False  # add lifecycle_stage
    new_days: int = 30  # lifecycle: signed up within this many days and not yet active = new
    active_days: int = 90  # engaged within this many days = active
    at_risk_days: int = 180  # ... within this many (beyond active) = at risk
    dormant_days: int = 365  # ... within this many (beyond at risk) = dormant; beyond = lost
    as_of: datetime | None = None  # "today" for relative dates, RFM recency and lifecycle; default: the runtime's clock
    include_unmailable: bool = False  # also segment unsubscribed, bounced, complained, erased, suppressed and invalid contacts
    store: str | None = None  # the suppression store: its people are never written to a split file
    suppress: list[str] = field(default_factory=list)  # suppression lists (addresses or hashes): never written to a split file
    _definitions: tuple[Rules | None] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        if not (self.rules or self.where or self.rfm or self.lifecycle):
            raise UsageError("nothing to do", hint="give --rules FILE, --where EXPR, --rfm or --lifecycle")
        if not (0 < self.active_days < self.at_risk_days < self.dormant_days) or self.new_days < 0:
            raise UsageError("lifecycle thresholds must grow: --active-days < --at-risk-days < --dormant-days")

    def definitions(self) -> Rules | None:
        """The segments: the rules file's, then the `where` one; None without either. The
        rules file is read (and its errors raised) on the first call only."""
        if self._definitions is None:
            self._definitions = (self._load(),)
        return self._definitions[0]

    def _load(self) -> Rules | None:
        from listclean import segmentation as seg

        definitions = seg.load_rules(self.rules) if self.rules else None
        if self.where:
            extra = seg.Segment(name=self.name, where=self.where)
            definitions = seg.Rules([*(definitions.segments if definitions else []), extra], definitions.mode if definitions else "first")
        if definitions and self.multi:
            definitions.mode = "all"
        return definitions

    def settings(self) -> LifecycleSettings:
        from listclean.segmentation import LifecycleSettings

        return LifecycleSettings(new_days=self.new_days, active_days=self.active_days, at_risk_days=self.at_risk_days, dormant_days=self.dormant_days)


def split_paths(definitions: Rules | None, folder: str, fmt: str) -> Iterator[tuple[str, str]]:
    """Each segment's file in `folder` (--split-dir), as (segment name, path), in the rules' order.

    Checked as they are named: the folder must exist, there must be segments, and no two may
    share a file (two names with one slug). Lazy, so a caller checking each file as it comes
    (e.g. that it does not exist yet) reports the first problem in the rules' order.
    """
    from listclean.segmentation import slug

    directory = Path(folder)
    if not directory.is_dir():
        raise OutputError(f"--split-dir {folder}: not a directory", hint="create it first")
    if not definitions:
        raise UsageError("--split-dir needs segments", hint="give --rules FILE or --where EXPR")
    named: set[str] = set()
    for definition in definitions.segments:
        path = str(directory / f"{slug(definition.name)}.{fmt}")
        if path in named:
            raise UsageError(f"segments {definition.name!r} and another one would both be written to {path}", hint="rename one of them")
        named.add(path)
        yield definition.name, path


@dataclass
class SegmentCounts:
    """Rows per label, one table per kind ("segment counts", "rfm_segment counts",
    "lifecycle_stage counts"), every label listed (with 0) in a fixed order."""

    tables: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: pl.DataFrame, definitions: Rules | None, rfm: bool, lifecycle: bool) -> SegmentCounts:
        """The counts of one labelled chunk."""
        from listclean import segmentation as seg

        tables: dict[str, dict[str, int]] = {}
        if definitions:
            column = frame["segment"]
            labels = column.explode() if definitions.mode == "all" else column  # a list per row in multi-label mode
            found = dict(labels.drop_nulls().value_counts().iter_rows())
            rows = {definition.name: int(found.get(definition.name, 0)) for definition in definitions.segments}
            rows["(no segment)"] = int(column.is_null().sum())
            tables["segment counts"] = rows
        if rfm:
            found = dict(frame["rfm_segment"].drop_nulls().value_counts().iter_rows())
            rows = {name: int(found.get(name, 0)) for name in seg.RFM_SEGMENTS}
            rows["(no purchases)"] = int(frame["rfm_segment"].is_null().sum())
            tables["rfm_segment counts"] = rows
        if lifecycle:
            found = dict(frame["lifecycle_stage"].value_counts().iter_rows())
            tables["lifecycle_stage counts"] = {stage: int(found.get(stage, 0)) for stage in seg.LIFECYCLE_STAGES}
        return cls(tables)

    @classmethod
    def combined(cls, parts: Iterable[SegmentCounts]) -> SegmentCounts:
        """The counts of several chunks together (every chunk's tables have the same labels)."""
        tables: dict[str, dict[str, int]] = {}
        for part in parts:
            tables = {title: {label: tables.get(title, {}).get(label, 0) + count for label, count in labels.items()} for title, labels in part.tables.items()}
        return cls(tables)


@dataclass
class SegmentReport:
    counts: dict[str, int]  # rows_in, rows_out, rejected, merged
    as_of: datetime  # the date every relative measure was taken against
    labels: SegmentCounts
    replayed: bool = False  # the second pass read the inputs again instead of keeping their rows
    split_suppressed: int = 0  # rows of a split's segment kept out of its file: the address is suppressed somewhere
    notes: list[str] = field(default_factory=list)  # what the scores leave out or cannot tell apart, with counts

    def summary(self, *, output: str | None = None, split_files: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "command": "segment",
            "output": output,
            **self.counts,
            "as_of": self.as_of.isoformat(),
            "counts": self.labels.tables,
            "split_files": split_files or {},
            "split_suppressed": self.split_suppressed,
            "notes": self.notes,
        }


def segment_step(
    source: ChunkSource,
    options: SegmentStepOptions,
    sink: Sink,
    runtime: Runtime,
    *,
    rejects: Sink | None = None,
    splits: dict[str, Sink] | None = None,
) -> SegmentReport:
    """Label every row into `sink` (every row is kept), and each segment's rows into `splits[name]`."""
    import polars as pl

    from listclean import segmentation as seg

    definitions = options.definitions()
    if splits and not definitions:
        raise UsageError("--split-dir needs segments", hint="give --rules FILE or --where EXPR")
    when = runtime.now(options.as_of).replace(microsecond=0)
    settings = options.settings()
    ledger = runtime.ledger()
    guard = _SplitGuard.opened(options, runtime) if splits else None
    total = expected_rows(source)
    with runtime.reporter.phase("Segmenting") as progress:
        rows, types, rfm_inputs = _first_pass(source, options.rfm, runtime, progress, guard, total)
        ledger.read(source)
        columns = source.columns()
        if rows is None:
            runtime.reporter.detail("listclean's own Parquet: read again for the second pass, not kept")
        scores = seg.rfm_scores(rfm_inputs, when, options.include_unmailable) if rfm_inputs is not None else None
        notes = seg.rfm_notes(rfm_inputs, when, options.include_unmailable) if rfm_inputs is not None else []
        del rfm_inputs

        parts: list[SegmentCounts] = []
        unsegmented = 0  # rows left out of every rule segment because they may not be mailed
        offset = 0  # of the chunk in the list (its rows' RFM scores)
        with _second_pass(source, rows, runtime) as chunks:
            for chunk in chunks:
                # Every chunk with the whole list's columns, as one frame of the whole list would have them.
                frame = chunk.select(pl.col(c).cast(types[c]) if c in chunk.columns else pl.lit(None, dtype=types[c]).alias(c) for c in columns)
                if definitions:
                    frame = seg.apply_rules(frame, definitions, when, options.include_unmailable, origin=options.rules or "--where")
                    if not options.include_unmailable:
                        unsegmented += int(frame.select((~seg.mailable(dict(frame.schema))).sum()).item())
                if scores is not None:
                    frame = pl.concat([frame, scores.slice(offset, frame.height)], how="horizontal")
                if options.lifecycle:
                    frame = frame.with_columns(seg.lifecycle(frame, when, settings))
                offset += frame.height
                parts.append(SegmentCounts.of(frame, definitions, options.rfm, options.lifecycle))
                sink.add(frame)
                if guard is not None:
                    mailable = guard.mailable(frame)
                    guard.kept_out += int(frame.select(in_a_split(definitions, list(splits or {})) & ~mailable).to_series().sum())
                for name, split in (splits or {}).items():
                    # A split file is a mailing list: no address suppressed anywhere (another row, another
                    # input, the store, a --suppress list) is ever written to one, whatever its labels.
                    split.add(frame.filter(split_member(definitions, name) & mailable))
                progress("labelling", log=False, done=sink.rows, total=total)
                del chunk, frame
    sink.finish()
    if unsegmented:
        notes.append(seg.unsegmented_note(unsegmented))
    ledger.write(rejects)
    for split in (splits or {}).values():
        split.finish()
    return SegmentReport(
        counts=ledger.balance(sink.rows), as_of=when, labels=SegmentCounts.combined(parts), replayed=rows is None,
        split_suppressed=guard.kept_out if guard is not None else 0, notes=notes,
    )  # fmt: skip


def split_member(definitions: Rules, name: str) -> pl.Expr:
    """Whether a row is labelled with segment `name`: its split file's rows, before the guard."""
    import polars as pl

    member = pl.col("segment").list.contains(name) if definitions.mode == "all" else pl.col("segment") == name
    return member.fill_null(False)


def in_a_split(definitions: Rules, names: list[str]) -> pl.Expr:
    """Whether a row is labelled with any of the split files' segments (split_suppressed counts
    those of them the guard keeps out: rows that would otherwise have been written to one)."""
    import polars as pl

    return pl.any_horizontal([split_member(definitions, name) for name in names]) if names else pl.lit(False)


class _SplitGuard:
    """What keeps suppressed people out of the split files: export's rule (a row's own status,
    the store, the --suppress lists, and any other row with the same suppression key)."""

    def __init__(self, store: SuppressionStore | None = None, listed: SuppressionList | None = None) -> None:
        self.store, self.listed = store, listed
        self.blocked: set[str] = set()
        self._blocked_keys: pl.Series | None = None
        self.kept_out = 0  # rows labelled with a split's segment but kept out of its file (counted by the caller)

    @classmethod
    def opened(cls, options: SegmentStepOptions, runtime: Runtime) -> _SplitGuard:
        """The guard of the options' store and --suppress lists, read now."""
        store = listed = None
        if options.store:
            from listclean.store import SuppressionStore

            store = SuppressionStore.open(options.store)
        if options.suppress:
            from listclean.suppression import load_suppression

            listed = load_suppression(options.suppress, runtime.workspace)
        return cls(store, listed)

    def observe(self, chunk: pl.DataFrame) -> None:
        """First pass: learn every suppressed address of the list (a row's own status, the store,
        the --suppress lists), each chunk's suppression keys computed once."""
        from listclean.export_rules import KEY_COLUMN, with_key

        chunk = with_key(chunk)
        self.blocked |= set(chunk[KEY_COLUMN].filter(self.suppressing(chunk)).drop_nulls().to_list())

    def suppressing(self, chunk: pl.DataFrame) -> pl.Series:
        """The rows that suppress their address in every row of the list: their own status, the
        store, a --suppress list (listclean.spark.segment finds the blocked keys with this too)."""
        from listclean.export_rules import suppressed_mask

        return suppressed_mask(chunk) | self._listed(chunk)

    def _listed(self, chunk: pl.DataFrame) -> pl.Series:
        import polars as pl

        from listclean.export_rules import address_key, address_source

        hit = pl.repeat(False, chunk.height, dtype=pl.Boolean, eager=True)
        if self.store is not None:
            hit = hit | self.store.reasons(chunk, address_key(chunk), address_source(chunk)).is_not_null()
        if self.listed is not None:
            hit = hit | chunk.select(self.listed.matches(chunk, address_source(chunk))).to_series()
        return hit

    def mailable(self, frame: pl.DataFrame) -> pl.Series:
        """Second pass: the rows that may go to a split file. The first pass saw these same rows,
        so a row the store or a list suppresses has its key among the blocked ones already.

        Where the frame has export_rules.ELSEWHERE_COLUMN / steps.export.CELL_BLOCKED_COLUMN, the
        caller found beyond this frame (Spark, across partitions) that another row blocks the
        row's key / another address of its cell: read as the blocked keys are."""
        import polars as pl

        from listclean.export_rules import ELSEWHERE_COLUMN, address_key, another_address_suppressed, suppressed_mask
        from listclean.steps.export import CELL_BLOCKED_COLUMN

        if self._blocked_keys is None:  # the whole list's, known once the first pass is over
            self._blocked_keys = pl.Series("key", sorted(self.blocked), dtype=pl.String)
        keys = frame.select(address_key(frame).alias("k"))["k"]
        blocked = keys.is_in(self._blocked_keys.implode()).fill_null(False)
        if ELSEWHERE_COLUMN in frame.columns:
            blocked = blocked | frame[ELSEWHERE_COLUMN].fill_null(False)
        other = another_address_suppressed(frame, self._blocked_keys, self.store, self.listed)  # "a@x; b@y": b too
        if CELL_BLOCKED_COLUMN in frame.columns:
            other = other | frame[CELL_BLOCKED_COLUMN].fill_null(False)
        return ~(suppressed_mask(frame) | blocked) & ~other


def _first_pass(
    source: ChunkSource, rfm: bool, runtime: Runtime, progress: Progress, guard: _SplitGuard | None = None, total: int | None = None
) -> tuple[Spool | None, pl.Schema, pl.DataFrame | None]:
    """Read every chunk once: the rows kept for the second pass (None: the source reads them
    again), the whole list's column types, and the RFM inputs of every row (with `rfm`); the
    guard (with split files) learns every suppressed address. `total`: the rows expected (progress)."""
    import polars as pl

    from listclean.segmentation import RFM_INPUTS

    rows = None if source.replayable() else runtime.spool()
    rfm_inputs: list[pl.DataFrame] = []
    shapes: list[pl.DataFrame] = []  # each chunk's columns and types (no rows)
    read = 0
    with runtime.chunks(source) as chunks:
        for chunk in chunks:
            if rows is not None:
                rows.add(chunk)
            shapes.append(chunk.head(0))
            if guard is not None:
                guard.observe(chunk)
            if rfm:
                rfm_inputs.append(chunk.select(c for c in RFM_INPUTS if c in chunk.columns))
            read += chunk.height
            progress("reading", log=False, done=read, total=total)
            del chunk
    types = pl.concat(shapes, how="diagonal_relaxed").schema  # the whole list's, as one frame of it would have
    return rows, types, pl.concat(rfm_inputs, how="diagonal_relaxed") if rfm else None


def _second_pass(source: ChunkSource, rows: Spool | None, runtime: Runtime) -> Any:  # noqa: ANN401 - a context of chunks
    """The chunks again: from the spool (each let go as it is labelled), or read again."""
    from contextlib import nullcontext

    return nullcontext(rows.drain()) if rows is not None else runtime.chunks(source.again())
