"""stream.read_ahead: chunks prepared in a second thread arrive in order, errors reach the caller."""

from __future__ import annotations

import threading
import time

import pytest

from listclean.stream.ahead import read_ahead


def test_chunks_arrive_in_order_each_prepared_while_the_previous_is_worked_on():
    prepared_in: list[str] = []

    def chunks():
        for number in range(5):
            prepared_in.append(threading.current_thread().name)
            yield number

    with read_ahead(chunks()) as ahead:
        assert list(ahead) == [0, 1, 2, 3, 4]
    assert all(name.startswith("listclean-read") for name in prepared_in)


def test_an_error_while_preparing_a_chunk_surfaces_in_the_caller_after_the_chunks_before_it():
    def chunks():
        yield 1
        raise ValueError("row 7: bad")

    seen = []
    with pytest.raises(ValueError, match="row 7"), read_ahead(chunks()) as ahead:
        for chunk in ahead:
            seen.append(chunk)
    assert seen == [1]


def test_leaving_early_waits_for_the_chunk_being_prepared():
    finished = threading.Event()

    def chunks():
        yield 1
        time.sleep(0.2)  # the next chunk is still being prepared when the caller leaves
        finished.set()
        yield 2

    with pytest.raises(RuntimeError), read_ahead(chunks()) as ahead:
        for _ in ahead:
            raise RuntimeError("the caller's own failure")
    assert finished.is_set()  # nothing runs on after the block (the work directory goes next)


# ------------------------------------------------------------------ mapped_ahead: two chunks standardised at once


def test_mapped_results_arrive_in_order_with_two_worked_on_at_once():
    from listclean.stream.ahead import mapped_ahead

    running, most = 0, 0
    lock = threading.Lock()

    def work(number: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02 * (5 - number))  # later items finish first: order must not follow finishing
        with lock:
            running -= 1
        return number * 10

    with mapped_ahead(work, range(5)) as results:
        assert list(results) == [0, 10, 20, 30, 40]
    assert most == 2


def test_a_mapped_error_surfaces_after_the_results_before_it():
    from listclean.stream.ahead import mapped_ahead

    def work(number: int) -> int:
        if number == 2:
            raise ValueError("row 7: bad")
        return number

    seen = []
    with pytest.raises(ValueError, match="row 7"), mapped_ahead(work, range(5)) as results:
        for result in results:
            seen.append(result)
    assert seen == [0, 1]
