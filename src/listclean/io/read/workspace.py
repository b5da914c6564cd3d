"""Where a read keeps its temporary files, and how many rows a chunk of a large input holds.

Both outlive a single read: a command opens one Workspace for all its inputs (and its
outputs' spools), and every streamed input is cut to the same chunk_rows(). They are
here, apart from the readers, because they are not about any file format.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from listclean.errors import UsageError

DEFAULT_CHUNK_ROWS = 500_000


def chunk_rows() -> int:
    """Rows per chunk when a large input is streamed (LISTCLEAN_CHUNK_ROWS, default 500,000)."""
    text = os.environ.get("LISTCLEAN_CHUNK_ROWS", "")
    try:
        rows = int(text) if text.strip() else DEFAULT_CHUNK_ROWS
    except ValueError:
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} is not a whole number", hint="e.g. LISTCLEAN_CHUNK_ROWS=500000") from None
    if rows < 1:
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} must be at least 1")
    return rows


class Workspace:
    """A temporary directory for spooled stdin and transcoded copies, removed at exit."""

    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._counter = 0
        self._lock = threading.Lock()  # chunks are read ahead in a second thread (importer.read_ahead)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def path(self, suffix: str) -> Path:
        with self._lock:
            if self._dir is None:
                self._dir = tempfile.TemporaryDirectory(prefix="listclean-")
            self._counter += 1
            return Path(self._dir.name) / f"{self._counter}{suffix}"

    def close(self) -> None:
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
