"""A long phase's progress at a terminal: counts, rate and time left, on one transient line.

Only on an interactive stderr and without -q (a pipe, a cron job or a log file gets none of
it). With colour, Rich draws a live bar; with NO_COLOR or --no-color the line is plain text
redrawn with a carriage return, so not one ANSI escape reaches the terminal. With -v every
phase also ends with one summary line (rows, seconds, rows a second), which is what a cron
log keeps.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

REDRAW_SECONDS = 0.1  # the plain line is redrawn at most this often


@dataclass
class Counts:
    """What a phase has said about itself so far."""

    doing: str
    message: str = ""
    done: int | None = None
    total: int | None = None
    unit: str = "rows"
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rate(self) -> float | None:
        elapsed = self.elapsed()
        return self.done / elapsed if self.done and elapsed > 0.5 else None

    def known_total(self) -> int | None:
        """The total, unless there is none or the count has passed it (a text file's row count
        is an estimate from its size)."""
        return self.total if self.total and (self.done or 0) <= self.total else None

    def left(self) -> float | None:
        """Seconds left at the rate so far (None: no total, or nothing done yet)."""
        rate, total = self.rate(), self.known_total()
        if rate is None or total is None or self.done is None:
            return None
        return (total - self.done) / rate

    def line(self) -> str:
        """The phase in words: what, how far, how fast, how long still."""
        parts = [f"{self.doing}: {self.message}" if self.message else self.doing]
        if self.done is not None:
            total = self.known_total()
            count = f"{self.done:,}" + (f" / {total:,}" if total else "") + f" {self.unit}"
            if total:
                count += f" ({100 * self.done // total}%)"
            parts.append(count)
        rate = self.rate()
        if rate is not None:
            parts.append(f"{rate:,.0f} {self.unit}/s")
        left = self.left()
        if left is not None:
            parts.append(f"{duration(left)} left")
        return " · ".join(parts)

    def summary(self) -> str:
        """One line for a log once the phase is over."""
        text = f"{self.doing}: "
        if self.done is not None:
            text += f"{self.done:,} {self.unit} in {duration(self.elapsed())}"
            rate = self.rate()
            return text + (f" ({rate:,.0f} {self.unit}/s)" if rate is not None else "")
        return text + f"done in {duration(self.elapsed())}"


def duration(seconds: float) -> str:
    """3.2 s, 4 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class PlainLine:
    """The phase on one line of plain text, redrawn in place with a carriage return (no ANSI)."""

    def __init__(self, stream=None) -> None:  # noqa: ANN001 - a text stream
        self.stream = stream or sys.stderr
        self._width = 0
        self._drawn = 0.0

    def draw(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < REDRAW_SECONDS:
            return
        self._drawn = now
        text = text[: max(20, _columns() - 1)]
        self.stream.write("\r" + text + " " * max(0, self._width - len(text)))
        self.stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((100, 20)).columns


class RichLine:
    """The phase as a Rich live line: spinner, text, and a bar once a total is known."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        self.progress = Progress(
            SpinnerColumn("dots"),
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=24),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("", total=None)
        self.progress.start()

    def draw(self, counts: Counts) -> None:
        total = counts.known_total() if counts.done is not None else None
        self.progress.update(self.task, description=counts.line(), total=total, completed=counts.done or 0)

    def clear(self) -> None:
        self.progress.stop()
