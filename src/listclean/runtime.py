"""What a run needs besides its data and options, built once and passed down to every step.

The CLI builds one `Runtime` from its flags and environment; a test, a notebook or an
orchestrator builds its own (`Runtime()` has quiet, sensible defaults). Nothing in the
library reads the process's environment or the wall clock behind the runtime's back: chunk
size, memory budget, temporary files, clock and messages all come from here. (Data goes to
stdout only through an output target named "-"; summaries are the caller's to print.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from listclean.io.read import DEFAULT_CHUNK_ROWS, Workspace
from listclean.stream.budget import MemoryBudget
from listclean.stream.ledger import Ledger
from listclean.stream.spool import Spool

if TYPE_CHECKING:
    from collections.abc import Iterable

    from listclean.importer import ImportOptions, ImportStream
    from listclean.io.write import OutputSet, OutputTarget
    from listclean.stream.sink import FileSink

T = TypeVar("T")
S = TypeVar("S", bound=Spool)


class Progress(Protocol):
    """Progress within a phase: `message` on a live display; with `log`, also a -v log line;
    `done` of `total` (where known, else None) `unit`s ("rows", "parts" …) so far, for the
    count, rate and time left."""

    def __call__(self, message: str = "", *, log: bool = True, done: int | None = None, total: int | None = None, unit: str | None = None) -> None: ...


def no_progress(message: str = "", *, log: bool = True, done: int | None = None, total: int | None = None, unit: str | None = None) -> None:
    """A Progress that tells no one (the library's default)."""


class Reporter(Protocol):
    """Where a step's messages go: the CLI prints them on stderr; the default drops them."""

    def info(self, message: str) -> None: ...

    def detail(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def phase(self, doing: str) -> AbstractContextManager[Progress]:
        """A long phase ("Validating"): a context whose value reports its progress."""
        ...


class SilentReporter:
    """Says nothing: the library's default (a notebook reads the returned report instead)."""

    def info(self, message: str) -> None:
        pass

    def detail(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    @contextmanager
    def phase(self, doing: str) -> Iterator[Progress]:
        yield no_progress


AS_OF_RANGE = (date(1900, 1, 1), date(2999, 12, 31))  # a report date outside it is a typo (and overflows date arithmetic)


def parse_as_of(value: date | datetime | str | None, option: str = "--as-of") -> datetime | None:
    """A report date ("as of"): 'YYYY-MM-DD' or a date as midnight UTC of that day, a datetime
    as it is (UTC when naive); None when not given. What --as-of and a run file's as_of take.
    A date before 1900 or after 2999 is refused."""
    from listclean.errors import UsageError

    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    else:
        try:
            moment = datetime.strptime(str(value).strip(), "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            raise UsageError(f"{option} {value!r} is not a date", hint="write it as YYYY-MM-DD") from None
    first, last = AS_OF_RANGE
    if not first <= moment.date() <= last:
        raise UsageError(f"{option} {moment.date().isoformat()} is out of range", hint=f"give a date from {first.isoformat()} to {last.isoformat()}")
    return moment


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    """Chunk size, memory budget, work directory, outputs, clock and reporter of one run."""

    chunk_rows: int = DEFAULT_CHUNK_ROWS  # rows per chunk when a large input is streamed
    budget: MemoryBudget = field(default_factory=MemoryBudget)  # what spools may hold in memory
    workspace: Workspace = field(default_factory=Workspace)  # temporary files, removed by close()
    clock: Callable[[], datetime] = utc_now  # "now", wherever a step needs it and no --as-of is given
    reporter: Reporter = field(default_factory=SilentReporter)
    read_ahead: bool = True  # prepare the next chunk in a second thread while this one is worked on
    _spools: list[Spool] = field(default_factory=list, init=False, repr=False)  # made since the runtime began
    _temporary: list[Path] = field(default_factory=list, init=False, repr=False)  # files to remove at scope end
    _outputs: OutputSet | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        """Leaving a `with` block: the outputs are committed if it ended well, else discarded."""
        try:
            if kind is None:
                self.commit()
        finally:
            self.close()

    def close(self) -> None:
        """Remove the work directory and any output not committed (the previous files stay)."""
        try:
            self.outputs.discard()
        finally:
            self.workspace.close()

    @property
    def outputs(self) -> OutputSet:
        """The files this run writes, committed as a set (see io.write.OutputSet): each file sink
        writes its temporary file; `commit` renames them all into place at the step's end."""
        if self._outputs is None:
            from listclean.io.write import OutputSet

            self._outputs = OutputSet()
        return self._outputs

    def commit(self) -> list[str]:
        """Put every output written so far into place, together; the paths committed."""
        return self.outputs.commit() if self._outputs is not None else []

    @property
    def paths(self) -> Callable[[str], Any]:
        """A maker of fresh temporary paths (by suffix) in the work directory."""
        return self.workspace.path

    def spool(self, *, pieces: bool = False, index: str | None = None) -> Spool:
        """A spool under the run's budget; `pieces`: its frames are pieces of larger ones (held as
        copies); `index`: spilled sorted by that column, so a range of it is read alone."""
        return self._track(Spool(self.workspace.path, self.budget, pieces=pieces, index=index))

    def file_sink(self, target: OutputTarget, *, excel_safe: bool = False, for_people: bool = False, safe_header: bool = False) -> FileSink:
        """A sink writing `target`, committed with the runtime's other outputs (see `commit`);
        for_people: a file a person opens (rejects, review files), guarded against formulas."""
        from listclean.stream.sink import FileSink

        sink = FileSink(target, self.workspace.path, self.budget, excel_safe=excel_safe, for_people=for_people, safe_header=safe_header, outputs=self.outputs)
        return self._track(sink)

    def ledger(self) -> Ledger:
        ledger = Ledger(self.workspace.path, self.budget)
        self._track(ledger.spool)
        return ledger

    def temporary(self, path: Path) -> Path:
        """A work file to remove when the current scope ends (see `scope`)."""
        self._temporary.append(path)
        return path

    def _track(self, spool: S) -> S:
        self._spools.append(spool)
        return spool

    @contextmanager
    def scope(self) -> Iterator[None]:
        """One step's lifetime in a runtime that outlives it (the Python API with a caller's
        runtime): whatever the step made — spools, spilled parts, work files — is let go when
        it ends, failed or not, so the budget is whole again for the next step. Its output files
        are committed when it ends well and discarded when it fails."""
        spools, files = len(self._spools), len(self._temporary)
        try:
            yield
        except BaseException:
            self.outputs.discard()
            raise
        else:
            self.commit()
        finally:
            for spool in self._spools[spools:]:
                spool.release()
            for path in self._temporary[files:]:
                path.unlink(missing_ok=True)
            del self._spools[spools:], self._temporary[files:]

    def open_inputs(self, paths: list[str], reading: ImportOptions, names: dict[str, str] | None = None) -> ImportStream:
        """The inputs as a chunk source, cut into chunks of this runtime's size."""
        from listclean.importer import ImportStream

        reading.read.chunk_rows = self.chunk_rows
        if reading.clock is None:
            reading.clock = self.clock  # "today" for birth dates, as every step's "now"
        return ImportStream(paths, reading, self.workspace, names)

    def chunks(self, source: Iterable[T]) -> AbstractContextManager[Iterator[T]]:
        """The source's chunks, read ahead in a second thread (unless switched off)."""
        from listclean.stream.ahead import read_ahead

        return read_ahead(source) if self.read_ahead else nullcontext(iter(source))

    def now(self, as_of: datetime | None = None) -> datetime:
        """The date a step measures against: `as_of` when given, else the clock's now."""
        return as_of if as_of is not None else self.clock()
