"""Read-ahead: the next chunk is prepared in a second thread while the caller works on this one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def read_ahead(chunks: Iterable[T]) -> Iterator[Iterator[T]]:
    """The chunks, each next one prepared in a second thread while the caller works on this one.

    Reading and standardising a chunk and the caller's work on the previous one (validating,
    writing) are mostly Polars work, which runs without the GIL: on two cores the two overlap.
    Order is kept, one chunk at most waits in memory, and an error in either thread surfaces
    in the caller. Leaving the block waits for the chunk being prepared before the caller's
    work directory is removed.
    """
    from concurrent.futures import ThreadPoolExecutor

    end = object()
    iterator = iter(chunks)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="listclean-read") as pool:

        def ahead() -> Iterator[T]:
            pending = pool.submit(next, iterator, end)
            while (chunk := pending.result()) is not end:
                pending = pool.submit(next, iterator, end)
                yield chunk
                del chunk  # the caller's reference is the only one left

        yield ahead()
