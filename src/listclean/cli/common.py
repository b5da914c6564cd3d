"""Glue shared by the commands: error handling, outputs, reading, summaries."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from listclean import __version__
from listclean.cli.console import Reporter, Settings, current_settings, print_json, using, write_json
from listclean.errors import ExitCode, ListcleanError, UsageError

if TYPE_CHECKING:
    from listclean.cli.options import ReadingChoices, WritingChoices
    from listclean.importer import ImportOptions, ImportStream
    from listclean.io.write import OutputTarget
    from listclean.runtime import Runtime
    from listclean.stream.sink import Sink

F = TypeVar("F", bound=Callable[..., Any])


def guarded(function: F) -> F:
    """Turn every failure into one line on stderr and a documented exit code.

    The command also gets this invocation's global options (see console.current_settings):
    the wrapper takes Click's context as a hidden first parameter and makes them current."""

    @functools.wraps(function)
    def wrapper(ctx: typer.Context, *args: Any, **kwargs: Any) -> Any:
        found = ctx.find_root().obj
        try:
            with using(found if isinstance(found, Settings) else Settings()):
                return _guarded_call(_naming_configuration(ctx, function), *args, **kwargs)
        except KeyboardInterrupt:  # a signal in the last instant, after the command's own handling
            Reporter().error("interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    signature = inspect.signature(function, eval_str=True)
    parameters = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context), *signature.parameters.values()]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper  # type: ignore[return-value]


def _naming_configuration(ctx: typer.Context, function: Callable[..., Any]) -> Callable[..., Any]:
    """The command, whose errors about an option set in listclean.toml or a LISTCLEAN_* variable
    say where it was set (the flag was never typed)."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ListcleanError as error:
            origin = _configured_origin(ctx, error.message)
            if origin is not None:
                error.message = f"{error.message} [set by {origin}]"
                error.args = (error.message,)
            raise

    return call


def _configured_origin(ctx: typer.Context, message: str) -> str | None:
    """Where the option an error message names was set, when not on the command line."""
    from typer._click.core import ParameterSource

    command = ctx.info_name or ""
    for param in ctx.command.params:
        if param.name is None:
            continue
        source = ctx.get_parameter_source(param.name)
        if source not in (ParameterSource.DEFAULT_MAP, ParameterSource.ENVIRONMENT):
            continue
        flags = [opt for opt in getattr(param, "opts", []) if opt.startswith("--")]
        if not any(flag in message for flag in flags) and not message.startswith(f"{param.name} "):
            continue
        key = flags[0][2:].replace("-", "_") if flags else param.name
        if source is ParameterSource.ENVIRONMENT:
            return f"LISTCLEAN_{command.upper().replace('-', '_')}_{param.name.upper()}"
        variable = f"LISTCLEAN_{command.upper().replace('-', '_')}_{key.upper()}"  # read into the map by the app (--map)
        return variable if variable in os.environ else f"listclean.toml [{command}] {key}"
    return None


@contextlib.contextmanager
def _output_warnings_to(reporter: Reporter) -> Iterator[None]:
    """What the writers warn about an output written all the same (io.write.OutputWarning: text
    cut to fit an Excel cell) is said by the reporter, as every other warning (-q hides it)."""
    import warnings

    from listclean.io.write import OutputWarning

    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, OutputWarning):
            reporter.warn(str(message))
        else:
            shown(message, category, *args, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("always", OutputWarning)
        warnings.showwarning = show
        yield


def _guarded_call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    from listclean.io.write import commits, interrupted, note_interrupt

    reporter = Reporter()
    committed = commits()
    note_interrupt(False)
    try:
        with interrupts_raise(), _output_warnings_to(reporter):
            result = function(*args, **kwargs)
        if interrupted():  # the KeyboardInterrupt was swallowed on the way: still an interrupted run
            raise KeyboardInterrupt
        return result
    except ListcleanError as error:
        reporter.error(str(error))
        raise typer.Exit(int(error.exit_code)) from None
    except KeyboardInterrupt:
        # Never exit 0 after an interrupt: the outputs are either all the old ones (nothing was
        # committed yet) or all the new ones (the signal was held off until the commit ended).
        written = commits() != committed
        reporter.error("interrupted after the outputs were written" if written else "interrupted; no output was written")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(int(ExitCode.BROKEN_PIPE)) from None
    except typer.Exit:
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if interrupted():  # an interrupt that surfaced as another exception (e.g. through Polars)
            reporter.error("interrupted after the outputs were written" if commits() != committed else "interrupted; no output was written")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        if reporter.settings.debug:
            raise
        reporter.error(f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback and report it)")
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


@contextlib.contextmanager
def interrupts_raise(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> Iterator[None]:
    """SIGINT and SIGTERM (cron, systemd, kill) unwind as KeyboardInterrupt for the command's
    duration, so temporary files are removed and the exit code is 130, and are recorded
    (io.write.interrupted) even where the KeyboardInterrupt is swallowed; the previous handlers
    come back afterwards (a signal while they are being put back still unwinds)."""
    previous: dict[int, Any] = {}
    try:
        for number in signals:
            previous[number] = signal.getsignal(number)
            signal.signal(number, _raise_interrupt)
    except ValueError:  # not the main thread (some test runners)
        pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


def _raise_interrupt(signum: int, frame: object) -> None:
    from listclean.io.write import note_interrupt

    note_interrupt()
    raise KeyboardInterrupt


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def decide_output(output: str | None, *, json_summary: bool) -> str:
    """The output path: as given, else stdout when it is a pipe, else a usage error."""
    from listclean.io.write import is_stdout_path

    if output is None:
        if sys.stdout.isatty():
            raise UsageError("no output given", hint="pass -o PATH, or -o - to write to stdout")
        output = "-"
    if is_stdout_path(output) and json_summary:
        raise UsageError("--json prints to stdout, where the data goes too", hint="write the data with -o PATH, or use --report PATH")
    return output


def check_paths(inputs: Sequence[str], outputs: Sequence[tuple[str, str | None]], *, report: str | None = None, force: bool = False) -> None:
    """Before any work: no output (nor --report, nor --log) is an input or the same file as another
    (by path, symlink or hard link), and --report replaces an existing file only with --force.
    The run log is appended to, never replaced, but never appended to an input either."""
    from listclean.io.write import check_distinct, prepare_target

    log = current_settings().log
    check_distinct([*outputs, ("--report", report), ("--log", log)], inputs)
    if report is not None:
        prepare_target(report, fmt=None, force=force, inputs=inputs)
    if log is not None:
        from listclean.runlog import check_log

        check_log(log, force=force)


def prepare_outputs(
    inputs: list[str], writing: WritingChoices, reading: ReadingChoices, *,
    outputs: Sequence[tuple[str, str | None]] = (), reads: Sequence[str] = (),
) -> OutputTarget:  # fmt: skip
    """Check inputs and outputs before any work, so a run never fails after reading for an hour.

    `outputs` are the command's other files ("--clusters", path), checked with -o, --rejects,
    --report and --log against the inputs (and `reads`: files read besides the inputs, e.g. a
    store only read) and against each other."""
    from listclean.cli.options import OnBadRows
    from listclean.io.write import prepare_target

    if inputs.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")
    if reading.on_bad_rows is OnBadRows.skip and writing.rejects is None:
        raise UsageError("--on-bad-rows skip needs --rejects PATH, so skipped rows are kept somewhere")
    output = decide_output(writing.output, json_summary=writing.json)
    sources = [*inputs, *reads]
    check_paths(sources, [("-o", output), ("--rejects", writing.rejects), *outputs], report=writing.report, force=writing.force)
    target = prepare_target(output, fmt=writing.format, force=writing.force, inputs=sources, bom=writing.bom, primary=True)
    if writing.rejects is not None:
        prepare_target(writing.rejects, fmt=None, force=writing.force, inputs=[*sources, output])
    return target


def emit_summary(
    summary: dict[str, Any], *, json_summary: bool, report: str | None, inputs: list[str] | None = None, runtime: Runtime | None = None
) -> None:
    """The end of a command: --report joins the runtime's outputs, which are committed together
    (all the new files, or on failure none); then the run log's line and --json's summary."""
    summary = {"listclean": __version__, **summary}
    quarantined = summary.get("quarantined") or 0
    if quarantined and runtime is not None and summary.get("command") != "import":  # import says it itself
        runtime.reporter.warn(
            f"{quarantined:,} input row(s) quarantined: their source says the addresses were bought, rented or scraped "
            "(reason quarantined_source in --rejects; --quarantine-source sets the phrases)"
        )
    if report:
        write_json(summary, report, runtime.outputs if runtime is not None else None)
    if runtime is not None:
        runtime.commit()
    log = current_settings().log
    if log:
        from listclean.runlog import record

        record(log, summary, inputs or [])
    if json_summary:
        print_json(summary)


def chunk_rows_from_env() -> int:
    """Rows per chunk when a large input is streamed: LISTCLEAN_CHUNK_ROWS, else the default."""
    import os

    from listclean.io.read import DEFAULT_CHUNK_ROWS

    text = os.environ.get("LISTCLEAN_CHUNK_ROWS", "")
    try:
        rows = int(text) if text.strip() else DEFAULT_CHUNK_ROWS
    except ValueError:
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} is not a whole number", hint="e.g. LISTCLEAN_CHUNK_ROWS=250000") from None
    if rows < 1:
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} must be at least 1")
    return rows


def cli_runtime(reporter: Reporter) -> Runtime:
    """The runtime of one command run from the shell: its reporter, chunk size from the environment."""
    from listclean.runtime import Runtime

    return Runtime(chunk_rows=chunk_rows_from_env(), reporter=reporter)


def open_inputs(inputs: list[str], reading: ReadingChoices, runtime: Runtime, source_name: str | None = None) -> ImportStream:
    """The inputs as a chunk source, read the way the reading options say."""
    return runtime.open_inputs(inputs, import_options(reading, source_name))


def import_options(reading: ReadingChoices, source_name: str | None = None) -> ImportOptions:
    from listclean.importer import reading_options

    return reading_options(
        delimiter=reading.delimiter,
        encoding=reading.encoding,
        sheet=reading.sheet,
        header=reading.header,
        skip_lines=reading.skip_lines,
        on_bad_rows=reading.on_bad_rows.value,
        mapping=reading.mapping or [],
        date_order=reading.date_order.value,
        default_country=reading.default_country,
        source_name=source_name,
        quarantine_sources=reading.quarantine_source,
    )


def rejects_sink(writing: WritingChoices, inputs: list[str], runtime: Runtime) -> Sink | None:
    """The --rejects file as a sink (None without --rejects): a file for people, so cells a
    spreadsheet would evaluate are guarded (see io.write.excel_safe)."""
    from listclean.io.write import prepare_target

    if writing.rejects is None:
        return None
    return runtime.file_sink(prepare_target(writing.rejects, fmt=None, force=writing.force, inputs=inputs), for_people=True)


def rows_line(counts: dict[str, int], where: str, extra: str = "") -> str:
    """The summary's accounting line: rows in = out + rejected, and where they went."""
    return f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} out + {counts['rejected']:,} rejected{extra} → {where}"
