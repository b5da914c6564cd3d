"""Where a run keeps its temporary files, and the default size of a chunk of a large input.

Both outlive a single read: a run's `Runtime` owns one Workspace for all its inputs (and its
outputs' spools), and cuts every streamed input to its `chunk_rows` (ReadOptions.chunk_rows;
the CLI takes it from LISTCLEAN_CHUNK_ROWS). They are here, apart from the readers, because
they are not about any file format.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from listclean.errors import UsageError

DEFAULT_CHUNK_ROWS = 250_000  # rows a streaming step holds at a time (about 1-3 KB a row while worked on)


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
