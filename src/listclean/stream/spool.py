"""Frames kept in order for a later pass, in bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from listclean.stream.budget import MemoryBudget

if TYPE_CHECKING:
    import polars as pl

PathMaker = Callable[[str], Path]  # a workspace's maker of fresh temporary paths, by suffix
INDEXED_ROW_GROUP = 16_384  # rows per row group of a spool spilled sorted by its index: what a range read skips by


class Spool:
    """Frames kept in order for a later pass, in bounded memory.

    Frames are held in memory while the run's spools hold at most `budget.limit` bytes
    between them (a spool's first frame always is); once a frame would not fit, the spool
    spills every frame to a Parquet file made by `paths` and reads them back one at a time.
    A list of a million rows or so never touches the disk; a larger one costs at most the
    budget more than holding one chunk per spool.

    Memory is given back to the budget when frames are handed out by `drain`, or all at once
    by `release` (a spool whose frames are no longer needed).
    """

    def __init__(self, paths: PathMaker, budget: MemoryBudget, *, pieces: bool = False, index: str | None = None) -> None:
        self._paths = paths
        self.budget = budget
        # The frames added are pieces of larger ones (partition_by parts, filtered rows): each is
        # held as a copy of its own, or it would keep its whole parent alive (see _compacted).
        self._pieces = pieces
        # Spilled frames are written sorted by this column, in small row groups with statistics:
        # a filter on a range of it (lazy().filter(...)) then reads only the row groups in range.
        self._index = index
        self._held: list[tuple[pl.DataFrame, int]] = []  # frames and their sizes as counted
        self._held_bytes = 0
        self._parts: list[Path] = []
        self.rows = 0

    def add(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        size = frame.estimated_size()
        if not self._parts and self.budget.try_reserve(size, always=not self._held):
            self._held.append((_compacted(frame) if self._pieces else frame, size))
            self._held_bytes += size
            return
        for held, _ in self._held:  # held frames come first: spill them before this one
            self._spill(held)
        self._held = []
        self._give_back()
        self._spill(frame)

    def _give_back(self) -> None:
        self.budget.release(self._held_bytes)
        self._held_bytes = 0

    def _spill(self, frame: pl.DataFrame) -> None:
        part = self._paths(".part.parquet")
        if self._index is None:
            frame.write_parquet(part, compression="lz4", statistics=False)
        else:
            frame.sort(self._index).write_parquet(part, compression="lz4", statistics=True, row_group_size=INDEXED_ROW_GROUP)
        self._parts.append(part)

    @property
    def spilled(self) -> bool:
        return bool(self._parts)

    def __iter__(self) -> Iterator[pl.DataFrame]:
        import polars as pl

        for frame, _ in self._held:
            yield frame
        for part in self._parts:
            yield pl.read_parquet(part, glob=False)

    def drain(self) -> Iterator[pl.DataFrame]:
        """Every frame in order, each let go as it is handed out: the memory a pass reads from
        is free for the spool it writes to. The spool is empty afterwards."""
        import polars as pl

        while self._held:
            frame, size = self._held.pop(0)
            self._held_bytes -= size
            self.budget.release(size)
            yield frame
            del frame
        while self._parts:  # one at a time, so a pass abandoned half-way leaves the rest to `release`
            part = self._parts.pop(0)
            frame = pl.read_parquet(part, glob=False)
            part.unlink(missing_ok=True)
            yield frame
            del frame

    def release(self) -> None:
        """Forget every frame (held or spilled): the spool is empty and its memory free."""
        self._held = []
        self._give_back()
        parts, self._parts = self._parts, []
        for part in parts:
            part.unlink(missing_ok=True)

    def lazy(self) -> pl.LazyFrame:
        """Every frame as one lazy frame (columns a frame lacks are null)."""
        import polars as pl

        frames = [held.lazy() for held, _ in self._held] + [pl.scan_parquet(part, glob=False) for part in self._parts]
        if not frames:
            raise ValueError("nothing spooled")
        return pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]


def _compacted(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame in buffers of its own. A slice or a `partition_by` piece is made of views into
    its parent's buffers (text above all), so holding a small piece would keep the whole parent
    alive: the budget would count the piece, the process would hold the parent (a list deduped
    in parts grew by a part's worth of golden records per part). An in-memory Arrow IPC round
    trip copies just the piece's values. (Only for spools of pieces: copying whole chunks held by
    an output sink cost validate a second on a 1M-row list, and saved nothing.)"""
    import io

    import polars as pl

    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    buffer.seek(0)
    return pl.read_ipc(buffer)
