"""The memory that spools may hold between them, as an explicit object.

One budget is made per run (by the `Runtime`) and handed to every spool of that run, so
that export's three spools or dedupe's part shuffle share one limit. Bytes are reserved
when a frame is held and released when it is handed out or dropped (`Spool.release`) —
explicitly, never in a finaliser, so the count is exact whatever the garbage collector does.
"""

from __future__ import annotations

import threading

DEFAULT_SPOOL_BYTES = 256 << 20


class MemoryBudget:
    """Bytes every spool of a run may hold in memory together before they spill to disk."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = DEFAULT_SPOOL_BYTES if limit is None else limit
        self.held = 0
        # Spools are filled from two threads when chunks are read ahead.
        self._lock = threading.Lock()

    def try_reserve(self, size: int, *, always: bool = False) -> bool:
        """Reserve `size` bytes if they fit (or `always`); whether they were reserved."""
        with self._lock:
            if not always and self.held + size > self.limit:
                return False
            self.held += size
            return True

    def release(self, size: int) -> None:
        with self._lock:
            self.held -= size
