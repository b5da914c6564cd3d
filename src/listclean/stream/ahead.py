"""Read-ahead: the next chunks are prepared in other threads while the caller works on this one."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


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


@contextlib.contextmanager
def mapped_ahead(function: Callable[[T], R], items: Iterable[T], workers: int = 2) -> Iterator[Iterator[R]]:
    """`function` of each item, in the items' order, `workers` of them worked on at once in other
    threads while the caller takes the results.

    For work that is Polars expressions with some Python between them (standardising a chunk):
    one chunk at a time kept two cores about 150 % busy, two at a time fill the gaps. Items are
    drawn in the caller's thread; at most `workers` results are pending, so memory is that of
    `workers` chunks more. An error surfaces in the caller after the results before it; leaving
    the block early waits for the work in progress.
    """
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="listclean-chunk") as pool:
        pending: deque[Future[R]] = deque()

        def results() -> Iterator[R]:
            for item in items:
                pending.append(pool.submit(function, item))
                del item  # the worker's reference is the only one left
                if len(pending) >= workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

        try:
            yield results()
        finally:
            for future in pending:
                future.cancel()
