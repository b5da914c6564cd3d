"""Write frames to files or stdout, atomically and without ever replacing an input.

A file is written to a temporary sibling and renamed into place only once it is
complete, so a reader (or a crash) never sees half a file. A command's outputs are
committed as a set (`OutputSet`): each is written to its temporary sibling, and only when
all of them are complete are they renamed into place, one after the other with SIGINT and
SIGTERM held off, the main output last. The checks that can fail (exists, is an input, is
another output, no directory) run before any work is done.

A target that is not a regular file — /dev/null, a FIFO, a terminal, `>(…)` — is written
in place: it is never replaced by a rename. /dev/stdout is stdout.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from listclean.errors import OutputError, UsageError
from listclean.schema import LIST_SEPARATOR

if TYPE_CHECKING:
    import polars as pl

STDOUT = "-"
WRITE_FORMATS = ("csv", "tsv", "ndjson", "parquet", "xlsx")
# Parquet outputs: zstd at its fastest level. Level 1 writes a million contacts in about 0.43 s
# instead of 0.51 s (the default level) for files about 6 % larger; a nightly job writes more
# often than it archives.
_PARQUET = {"compression": "zstd", "compression_level": 1, "statistics": True}
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384  # A to XFD: a column past it would be left out without a word
# A cell a spreadsheet would evaluate (OWASP CSV injection): it starts with = + - @, a tab or a
# CR, or their full-width forms (＝ ＋ － ＠), which some spreadsheets read as the ASCII ones.
FORMULA_START = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
_FORMULA_START = r"^[=+\-@\t\r\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"
# ...unless it is plainly a number: a signed amount or an E.164 phone must survive unchanged.
_PLAIN_NUMBER = r"^[+-]?[0-9][0-9 ]*([.,][0-9]+)?$"
# Paths that name this process's stdout: written as stdout, never opened (and truncated) again.
STDOUT_ALIASES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")
DATETIME_TEXT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class OutputTarget:
    path: str  # a file path, or "-" for stdout
    format: str
    force: bool = False
    bom: bool = False  # UTF-8 byte-order mark, for Excel opening a CSV by double-click
    inputs: Sequence[str] = field(default_factory=tuple)
    primary: bool = False  # the command's main output: renamed into place last (see OutputSet)
    in_place: bool = False  # not a regular file (/dev/null, a FIFO, a terminal): written, never replaced
    staged: str | None = field(default=None, init=False)  # the temporary file that holds it until committed
    notices: list[str] = field(default_factory=list, init=False)  # what a person should know about what was written (see OutputWarning)

    @property
    def is_stdout(self) -> bool:
        return self.path == STDOUT

    @property
    def streamed(self) -> bool:
        """Written as a stream (stdout, a pipe, a device): not seekable, never read back."""
        return self.is_stdout or self.in_place

    @property
    def display(self) -> str:
        return "<stdout>" if self.is_stdout else self.path

    @property
    def written(self) -> str:
        """Where the content is now: the temporary file until the set is committed, then the path."""
        return self.staged or self.path


# Commits so far in this process (the CLI says whether an interrupt came before or after them).
_commits = 0
# Set by the CLI's signal handler: an interrupt arrived during this command. Even if the
# KeyboardInterrupt it raised was swallowed somewhere (a Python function called back from Polars),
# no set is committed afterwards — the outputs may be built on a half-done computation.
_interrupted = False


def commits() -> int:
    return _commits


def note_interrupt(seen: bool = True) -> None:
    """Record that SIGINT/SIGTERM arrived (or, with False, start a command with none seen)."""
    global _interrupted
    _interrupted = seen


def interrupted() -> bool:
    return _interrupted


class OutputSet:
    """A command's outputs, committed together: all the new ones, or (on failure) all the old.

    Each output is written completely to a temporary sibling (flushed and fsynced) and
    registered here; `commit` then renames them into place one after the other — side files
    first, the main output(s) last — with SIGINT and SIGTERM held off until the last rename is
    done (a signal that came meanwhile is raised right after). `discard` removes the temporary
    files and leaves every previous output as it was. What is not guaranteed: a power cut or
    SIGKILL in the microseconds between two renames leaves the files renamed so far new and the
    others old (the main output is then still the old one, as it is renamed last).
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, OutputTarget]] = []
        self._stale: list[str] = []  # files of an earlier run the new set replaces (a split export's extra parts)

    def __len__(self) -> int:
        return len(self._pending)

    def remove_at_commit(self, path: str) -> None:
        """A file that belongs to the previous set but not to this one (an earlier export's
        extra part): removed when this set is committed, kept when it is discarded."""
        self._stale.append(path)

    def add(self, temporary: str, target: OutputTarget) -> None:
        target.staged = temporary
        self._pending.append((temporary, target))

    def commit(self) -> list[str]:
        """Rename every pending output into place; the paths committed."""
        global _commits
        pending, self._pending = sorted(self._pending, key=lambda item: item[1].primary), []
        stale, self._stale = self._stale, []
        try:
            if _interrupted:  # an interrupt someone swallowed: never commit what it may have cut short
                raise KeyboardInterrupt
            for _, target in pending:  # checked first: a late refusal must not leave half a set
                final = Path(target.path)
                if final.exists() and not target.force:
                    raise OutputError(f"{target.path}: appeared while writing", hint="pass --force to replace it")
            check_distinct([("output", target.path) for _, target in pending])  # two outputs never land on one file
        except BaseException:
            self._pending = pending
            self.discard()
            raise
        with _signals_held():
            for number, (temporary, target) in enumerate(pending):
                try:
                    os.replace(temporary, target.path)
                except OSError as exc:
                    self._pending = pending[number:]
                    self.discard()
                    done = [t.path for _, t in pending[:number]]
                    raise OutputError(
                        f"{target.path}: cannot write ({exc.strerror or exc})"
                        + (f"; already replaced: {', '.join(done)}" if done else "; no output was replaced")
                    ) from None
                target.staged = None
            for path in stale:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            _commits += 1
        for directory in sorted({str(Path(target.path).parent) for _, target in pending}):
            _sync_directory(directory)
        return [target.path for _, target in pending]

    def discard(self) -> None:
        """Remove every pending temporary file: the previous outputs stay as they were."""
        pending, self._pending = self._pending, []
        self._stale = []
        for temporary, target in pending:
            target.staged = None
            with contextlib.suppress(OSError):
                os.unlink(temporary)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, then act as they would have (in the main
    thread: Python runs signal handlers there, whichever thread the signal reached)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        for number in arrived[:1]:
            signal.raise_signal(number)  # now handled as it would have been


def _sync_directory(directory: str) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(directory or ".", os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def format_for(path: str, explicit: str | None, default: str = "csv") -> str:
    if explicit:
        wanted = {"jsonl": "ndjson", "json": "ndjson", "excel": "xlsx", "pq": "parquet"}.get(explicit.lower(), explicit.lower())
        if wanted not in WRITE_FORMATS:
            raise UsageError(f"unknown output format {explicit!r}", hint=f"use one of {', '.join(WRITE_FORMATS)}")
        return wanted
    if path == STDOUT:
        return default
    return _EXTENSIONS.get(Path(path).suffix.lower(), default)


def is_stdout_path(path: str) -> bool:
    """'-' or a path naming this process's stdout (/dev/stdout …)."""
    return path == STDOUT or path in STDOUT_ALIASES


def in_place(path: str) -> bool:
    """Whether the path is written where it is instead of replaced: it exists and is not a
    regular file or directory (a character device such as /dev/null, a FIFO, a socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def prepare_target(
    path: str, *, fmt: str | None, force: bool, inputs: Sequence[str], bom: bool = False, primary: bool = False
) -> OutputTarget:
    """Validate an output before any work: not an input, not existing unless --force, directory present."""
    if path in STDOUT_ALIASES:
        path = STDOUT
    target = OutputTarget(path, format_for(path, fmt), force=force, bom=bom, inputs=tuple(inputs), primary=primary)
    if target.is_stdout:
        return target
    named = _EXTENSIONS.get(Path(path).suffix.lower())
    if fmt and named and Path(path).suffix.lower() != ".txt" and named != target.format:
        # out.parquet holding CSV would fail whatever reads it next, far from here.
        raise UsageError(
            f"{path}: the file name says {named}, but the output is {target.format} (--format, or --to PLATFORM / --hash, which write CSV)",
            hint=f"name it {Path(path).stem}.{target.format if target.format != 'ndjson' else 'ndjson'} or drop --format",
        )
    out = Path(path)
    if os.path.realpath(path) == os.devnull:  # written and forgotten, as often as asked
        target.in_place = True
        return target
    for source in inputs:
        if source == "-":
            continue
        if _same_file(out, Path(source)):
            raise OutputError(f"{path}: refusing to overwrite an input file", hint="choose another output path")
    if in_place(path):  # /dev/null, a FIFO: written as it is, nothing to replace
        target.in_place = True
        return target
    if out.is_dir():
        raise OutputError(f"{path}: is a directory", hint="give a file name")
    if out.exists() and not force:
        raise OutputError(f"{path}: already exists", hint="pass --force to replace it")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: directory {str(parent)!r} does not exist", hint="create it first")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: no permission to write in {str(parent)!r}")
    return target


def _same_file(a: Path, b: Path) -> bool:
    return bool(_identities(str(a)) & _identities(str(b)))


def _identities(path: str) -> set[tuple[object, ...]]:
    """What makes two paths the same file: the device and inode where the file exists (a
    symlink or hard link), and the resolved path (also for a file yet to be written)."""
    found: set[tuple[object, ...]] = {("path", os.path.realpath(path))}
    with contextlib.suppress(OSError, ValueError):
        info = os.stat(path)
        found.add(("inode", info.st_dev, info.st_ino))
    return found


def check_distinct(outputs: Sequence[tuple[str, str | None]], inputs: Sequence[str] = ()) -> None:
    """Refuse, before any work, an output that is an input or the same file as another output
    (by path, symlink or hard link). `outputs` are (what it is, e.g. "--rejects", path) pairs;
    stdout ("-") may be only one of them; /dev/null may be any number."""
    seen: list[tuple[str, str, set[tuple[object, ...]]]] = []
    to_stdout: list[str] = []
    for label, path in outputs:
        if path is None:
            continue
        if is_stdout_path(path):
            to_stdout.append(label)
            continue
        if os.path.realpath(path) == os.devnull:
            continue
        identities = _identities(path)
        for source in inputs:
            if source != STDOUT and identities & _identities(source):
                raise OutputError(f"{label} {path}: is an input file ({source}); refusing to overwrite it", hint="choose another output path")
        for other_label, other_path, other in seen:
            if identities & other:
                raise OutputError(f"{label} {path}: is the same file as {other_label} {other_path}", hint="give each output its own path")
        seen.append((label, path, identities))
    if len(to_stdout) > 1:
        raise UsageError(f"{' and '.join(to_stdout)} both write to stdout", hint="give all but one a file path")


def for_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists joined and datetimes as ISO 8601 UTC text: how text formats hold them."""
    import polars as pl

    exprs = []
    for title, dtype in frame.schema.items():
        column = pl.col(title)
        if isinstance(dtype, pl.List):
            exprs.append(column.list.join(LIST_SEPARATOR).alias(title))
        elif isinstance(dtype, pl.Datetime):
            utc = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
            exprs.append(utc.dt.to_string(DATETIME_TEXT).alias(title))
        elif isinstance(dtype, pl.Struct):
            exprs.append(column.struct.json_encode().alias(title))
        else:
            exprs.append(column)
    return frame.select(exprs)


def excel_safe(frame: pl.DataFrame, keep: Sequence[str] = ()) -> pl.DataFrame:
    """Prefix text a spreadsheet would run as a formula with an apostrophe (OWASP's advice):
    cells starting with = + - @, a tab or a CR, or ＝ ＋ － ＠; plain numbers (a signed amount,
    an E.164 phone) stay as they are. Recoverable: strip one leading apostrophe. The columns
    in `keep` are left alone (a platform file's address column: an address is never altered).
    Header cells are guarded when the file is written (`guard_header`)."""
    import polars as pl

    def guard(column: pl.Expr) -> pl.Expr:
        risky = column.str.contains(_FORMULA_START) & ~column.str.contains(_PLAIN_NUMBER)
        return pl.when(risky).then(pl.concat_str(pl.lit("'"), column)).otherwise(column)

    exprs = []
    for title, dtype in frame.schema.items():
        if title in keep:
            continue
        if dtype == pl.String:
            exprs.append(guard(pl.col(title)).alias(title))
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            exprs.append(pl.col(title).list.eval(guard(pl.element())).alias(title))
    return frame.with_columns(exprs) if exprs else frame


def risky_cell(text: str) -> bool:
    """Whether a spreadsheet would evaluate this cell (see excel_safe): the per-value form."""
    import re

    return bool(text) and text[0] in FORMULA_START and re.fullmatch(r"[+-]?[0-9][0-9 ]*([.,][0-9]+)?", text) is None


def guard_header(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with header cells a spreadsheet would evaluate prefixed with an apostrophe."""
    renamed = {name: "'" + name for name in frame.columns if risky_cell(name) and "'" + name not in frame.columns}
    return frame.rename(renamed) if renamed else frame


def write_frame(frame: pl.DataFrame, target: OutputTarget, outputs: OutputSet | None = None) -> None:
    """Write the frame in the target's format; atomically when it is a file (renamed into
    place now, or with the rest of `outputs` when that set is committed)."""
    if target.format == "xlsx" and frame.height >= EXCEL_MAX_ROWS:
        raise OutputError(
            f"{target.display}: {frame.height:,} rows do not fit in one Excel sheet ({EXCEL_MAX_ROWS - 1:,} at most)",
            hint="write csv or parquet instead",
        )
    if target.format == "xlsx" and frame.width > EXCEL_MAX_COLUMNS:
        raise OutputError(
            f"{target.display}: {frame.width:,} columns do not fit in one Excel sheet ({EXCEL_MAX_COLUMNS:,} at most)",
            hint="write csv or parquet instead, or keep fewer columns",
        )
    with writing(target, outputs) as handle:
        serialise(frame, target, handle)


@contextlib.contextmanager
def writing(target: OutputTarget, outputs: OutputSet | None = None) -> Iterator[IO[bytes]]:
    """The target opened for writing (atomically when a file: see `_open_target`); OS errors become listclean's."""
    with output_errors(target), _open_target(target, outputs) as handle:
        yield handle


@contextlib.contextmanager
def output_errors(target: OutputTarget) -> Iterator[None]:
    """OS errors met while writing the target (Python's or Polars' own) as listclean's OutputError;
    a reader that left a pipe as BrokenPipeError."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        if target.streamed and (exc.errno == errno.EPIPE or "Broken pipe" in str(exc)):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe") from None  # the reader left: not our error
        raise OutputError(f"{target.display}: cannot write ({exc.strerror or exc})") from None
    except Exception as exc:
        # Polars' writers report an OS error as their own (ComputeError: "… No space left on device (os error 28)").
        reason = re.search(r"([A-Z][^:()]*?) \(os error (\d+)\)", str(exc))
        if reason is None or type(exc).__module__.split(".")[0] != "polars":
            raise
        if target.streamed and int(reason.group(2)) == errno.EPIPE:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe") from None
        raise OutputError(f"{target.display}: cannot write ({reason.group(1)})") from None


def parquet_options(frame_schema: pl.Schema) -> dict[str, Any]:
    """How listclean writes Parquet: zstd level 1, statistics, and the mark of its own typed
    output (see schema.CANONICAL_MARK) when the columns are canonical."""
    from listclean import __version__, schema

    marked = schema.is_canonical_schema(frame_schema)
    return {**_PARQUET, "metadata": {schema.CANONICAL_MARK: __version__} if marked else None}


def sink_parquet(lazy: pl.LazyFrame, target: OutputTarget, handle: IO[bytes], paths: Callable[[str], Path]) -> None:
    """Stream a lazy frame into a Parquet output (marked as listclean's own when canonical);
    stdout is not seekable, so Parquet bound there is staged at a path from `paths` first."""
    options = parquet_options(lazy.collect_schema())
    if not target.streamed:
        lazy.sink_parquet(handle, **options)
        return
    staged = paths(".out.parquet")
    lazy.sink_parquet(staged, **options)
    with open(staged, "rb") as source:
        shutil.copyfileobj(source, handle, 1 << 20)


@contextlib.contextmanager
def _open_target(target: OutputTarget, outputs: OutputSet | None = None) -> Iterator[IO[bytes]]:
    """Stdout as it is; a device or FIFO opened where it is (never replaced); a file written to a
    temporary sibling, then renamed into place — now, or by `outputs.commit()` with the rest."""
    if target.is_stdout:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if target.in_place:
        flags = os.O_WRONLY | (os.O_TRUNC if os.path.isfile(target.path) else 0)
        with os.fdopen(os.open(target.path, flags), "wb") as handle:
            yield handle
        return
    final = Path(target.path)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent or ".")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_name, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual mode
        single = outputs if outputs is not None else OutputSet()
        single.add(temp_name, target)
        if outputs is None:
            single.commit()
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def serialise(frame: pl.DataFrame, target: OutputTarget, handle: IO[bytes], header: bool = True, safe_header: bool = False) -> None:
    """Write the frame; header=False continues a text output already begun (a later chunk);
    safe_header guards header cells a spreadsheet would evaluate (see excel_safe)."""
    fmt = target.format
    if safe_header:
        frame = guard_header(frame)
    if fmt in ("csv", "tsv"):
        if target.bom and header:
            handle.write(b"\xef\xbb\xbf")
        for_text(frame).write_csv(handle, separator="," if fmt == "csv" else "\t", quote_style="necessary", include_header=header)
    elif fmt == "ndjson":
        _datetimes_as_text(frame).write_ndjson(handle)
    elif fmt == "parquet":
        options = parquet_options(frame.schema)
        if target.streamed:
            buffer = io.BytesIO()
            frame.write_parquet(buffer, **options)
            handle.write(buffer.getvalue())
        else:
            frame.write_parquet(handle, **options)
    elif fmt == "xlsx":
        _write_xlsx(frame, target, handle)
    else:  # pragma: no cover - format_for only returns known formats
        raise UsageError(f"unknown output format {fmt!r}")


def _datetimes_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return frame.with_columns(
        pl.col(title).dt.convert_time_zone("UTC").dt.to_string(DATETIME_TEXT)
        if dtype.time_zone  # type: ignore[union-attr]
        else pl.col(title).dt.to_string(DATETIME_TEXT)
        for title, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    )


class OutputWarning(UserWarning):
    """Something a person should know about an output that was written all the same (text cut to
    fit an Excel cell). Also kept on the target (`OutputTarget.notices`)."""


def _write_xlsx(frame: pl.DataFrame, target: OutputTarget, handle: IO[bytes]) -> None:
    """The frame as a workbook (see io.write_xlsx); cells cut to fit are reported, never silently."""
    import warnings

    from listclean.io.write_xlsx import write_xlsx

    cuts = write_xlsx(frame, handle, seekable=not target.streamed)
    for message in cuts.messages():
        notice = f"{target.display}: {message}"
        target.notices.append(notice)
        # One line on stderr wherever nobody routes it elsewhere (module "listclean", no source line).
        warnings.warn_explicit(notice, OutputWarning, "listclean", 0, module="listclean.io.write")


def stdout_text(text: str) -> None:
    """Text on stdout, as UTF-8 where stdout's own encoding cannot hold it (a Windows pipe in a
    legacy code page): a JSON summary or a report with a name in another script never crashes."""
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def atomic_text(path: str, text: str, outputs: OutputSet | None = None, *, force: bool = True) -> None:
    """Write a small text file (a report) atomically; '-' writes to stdout. With `outputs`, it is
    renamed into place when that set is committed."""
    if is_stdout_path(path):
        stdout_text(text)
        return
    target = OutputTarget(path, "text", force=force, in_place=in_place(path))
    with writing(target, outputs) as handle:
        handle.write(text.encode("utf-8"))


def write_text(text: str, target: OutputTarget, outputs: OutputSet | None = None) -> None:
    """Write a prepared text output (an HTML report) atomically, honouring --force; with `outputs`,
    renamed into place when that set is committed."""
    with writing(target, outputs) as handle:
        handle.write(text.encode("utf-8"))
