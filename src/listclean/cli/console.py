"""Everything the CLI says goes through here: to stderr, coloured only where allowed.

Data never goes through the reporter; it is written by ``listclean.io.write``.
User-supplied text is never interpreted as Rich markup.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


@dataclass
class Settings:
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    no_color: bool = False
    log: str | None = None  # the append-only run log (--log / LISTCLEAN_LOG)


# The global options of the command being run: the app's callback keeps them on Click's root
# context, and `common.guarded` makes them current for the command's duration only (a context
# variable, reset afterwards), so two invocations in one process never see each other's.
_CURRENT: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("listclean_settings", default=None)


def current_settings() -> Settings:
    """The running command's global options, or the defaults outside a command."""
    return _CURRENT.get() or Settings()


@contextlib.contextmanager
def using(settings: Settings) -> Iterator[None]:
    token = _CURRENT.set(settings)
    try:
        yield
    finally:
        _CURRENT.reset(token)


class Reporter:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings = settings if settings is not None else current_settings()
        # NO_COLOR (any value, https://no-color.org) or --no-color: no colour, and no bold, dim
        # or cursor movement either — not one ANSI escape (a colour system of None writes none).
        self.plain = settings.no_color or "NO_COLOR" in os.environ
        self.console = Console(stderr=True, no_color=self.plain, color_system=None if self.plain else "auto", highlight=False, soft_wrap=True)
        if not self.console.is_terminal:
            self.console.width = 160  # logs and cron mail: no 80-column folding of file names

    def info(self, message: str) -> None:
        if not self.settings.quiet:
            self.console.print(escape(message))

    def detail(self, message: str) -> None:
        if self.settings.verbose and not self.settings.quiet:
            self.console.print(f"[dim]{escape(message)}[/dim]")

    def warn(self, message: str) -> None:
        if not self.settings.quiet:
            self.console.print(f"[yellow]warning:[/yellow] {escape(message)}")

    def error(self, message: str) -> None:
        self.console.print(f"[bold red]listclean: error:[/bold red] {escape(message)}")

    def table(self, table: Table) -> None:
        if not self.settings.quiet:
            self.console.print(table)

    def live(self) -> bool:
        """Whether progress is shown: an interactive stderr, and not -q."""
        return not self.settings.quiet and self.console.is_terminal

    @contextlib.contextmanager
    def phase(self, doing: str) -> Iterator[Callable[..., None]]:
        """A library step's phase. On a terminal, a transient line: what is being done, rows
        (or parts, pairs …) done of the total where known, the rate and the time left. Its
        messages are lines of their own with -v (unless log=False), and with -v the phase
        ends with a one-line summary (for cron logs)."""
        from listclean.cli.progress import Counts, PlainLine, RichLine

        counts = Counts(doing)
        display: PlainLine | RichLine | None = None
        if self.live():
            display = PlainLine(self.console.file) if self.plain else RichLine(self.console)

        def draw(force: bool = False) -> None:
            if isinstance(display, PlainLine):
                display.draw(counts.line(), force=force)
            elif display is not None:
                display.draw(counts)

        def say(message: str = "", *, log: bool = True, done: int | None = None, total: int | None = None, unit: str | None = None) -> None:
            if message:
                counts.message = message
            if done is not None:
                counts.done = done
            if total is not None:
                counts.total = total
            if unit is not None:
                counts.unit = unit
            if log and message:
                if isinstance(display, PlainLine):
                    display.clear()
                self.detail(message)
            draw(force=log)

        draw(force=True)
        try:
            yield say
        finally:
            if display is not None:
                display.clear()
        self.detail(counts.summary())


def summary_table(title: str, rows: list[tuple[str, ...]], *columns: str) -> Table:
    """A summary table; a column named "rows" or "share" is right-aligned, "means" folds."""
    table = Table(show_edge=False, header_style="bold", pad_edge=False, title=title, title_justify="left")
    for name in columns:
        table.add_column(name, justify="right" if name in ("rows", "share") else "left", overflow="fold" if name == "means" else "ellipsis")
    for row in rows:
        table.add_row(*row)
    return table


def print_json(summary: dict[str, Any]) -> None:
    from listclean.io.write import stdout_text

    stdout_text(json.dumps(summary, ensure_ascii=False, sort_keys=False, default=str) + "\n")


def write_json(summary: dict[str, Any], path: str, outputs: Any = None) -> None:  # noqa: ANN401 - an io.write.OutputSet
    """The summary as a JSON file (--report), atomically; with `outputs`, committed with that set.
    Whether it may replace a file was checked before the run (common.check_paths)."""
    from listclean.io.write import atomic_text

    atomic_text(path, json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n", outputs)
