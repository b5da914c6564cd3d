"""Glue shared by the commands: error handling, outputs, reading, summaries."""

from __future__ import annotations

import functools
import inspect
import signal
import sys
from collections.abc import Callable
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
        with using(found if isinstance(found, Settings) else Settings()):
            return _guarded_call(function, *args, **kwargs)

    signature = inspect.signature(function, eval_str=True)
    parameters = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context), *signature.parameters.values()]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper  # type: ignore[return-value]


def _guarded_call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    reporter = Reporter()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        # SIGTERM (cron, systemd, kill) unwinds like Ctrl-C, so temp files are removed.
        signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread (some test runners)
        previous = None
    try:
        return function(*args, **kwargs)
    except ListcleanError as error:
        reporter.error(str(error))
        raise typer.Exit(int(error.exit_code)) from None
    except KeyboardInterrupt:
        reporter.error("interrupted; no output was written")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(int(ExitCode.BROKEN_PIPE)) from None
    except typer.Exit:
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if reporter.settings.debug:
            raise
        reporter.error(f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback and report it)")
        raise typer.Exit(int(ExitCode.INTERNAL)) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
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
    if output is None:
        if sys.stdout.isatty():
            raise UsageError("no output given", hint="pass -o PATH, or -o - to write to stdout")
        output = "-"
    if output == "-" and json_summary:
        raise UsageError("--json prints to stdout, where the data goes too", hint="write the data with -o PATH, or use --report PATH")
    return output


def prepare_outputs(inputs: list[str], writing: WritingChoices, reading: ReadingChoices) -> OutputTarget:
    """Check inputs and outputs before any work, so a run never fails after reading for an hour."""
    from listclean.cli.options import OnBadRows
    from listclean.io.write import prepare_target

    if inputs.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")
    if reading.on_bad_rows is OnBadRows.skip and writing.rejects is None:
        raise UsageError("--on-bad-rows skip needs --rejects PATH, so skipped rows are kept somewhere")
    output = decide_output(writing.output, json_summary=writing.json)
    target = prepare_target(output, fmt=writing.format, force=writing.force, inputs=inputs, bom=writing.bom)
    if writing.rejects is not None:
        prepare_target(writing.rejects, fmt=None, force=writing.force, inputs=[*inputs, output])
    return target


def emit_summary(summary: dict[str, Any], *, json_summary: bool, report: str | None, inputs: list[str] | None = None) -> None:
    summary = {"listclean": __version__, **summary}
    log = current_settings().log
    if log:
        from listclean.runlog import record

        record(log, summary, inputs or [])
    if report:
        write_json(summary, report)
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
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} is not a whole number", hint="e.g. LISTCLEAN_CHUNK_ROWS=500000") from None
    if rows < 1:
        raise UsageError(f"LISTCLEAN_CHUNK_ROWS={text!r} must be at least 1")
    return rows


def cli_runtime(reporter: Reporter) -> Runtime:
    """The runtime of one command run from the shell: its reporter, chunk size from the environment."""
    from listclean.runtime import Runtime

    return Runtime(chunk_rows=chunk_rows_from_env(), reporter=reporter)


def open_inputs(inputs: list[str], reading: ReadingChoices, runtime: Runtime, source_name: str | None = None) -> ImportStream:
    """The inputs as a chunk source, read the way the reading options say."""
    return runtime.open_inputs(inputs, import_options(reading, runtime, source_name))


def import_options(reading: ReadingChoices, runtime: Runtime, source_name: str | None = None) -> ImportOptions:
    from listclean.importer import reading_options

    return reading_options(
        delimiter=reading.delimiter,
        encoding=reading.encoding,
        sheet=reading.sheet,
        header=reading.header,
        on_bad_rows=reading.on_bad_rows.value,
        mapping=reading.mapping or [],
        date_order=reading.date_order.value,
        default_country=reading.default_country,
        source_name=source_name,
    )


def rejects_sink(writing: WritingChoices, inputs: list[str], runtime: Runtime) -> Sink | None:
    """The --rejects file as a sink (None without --rejects)."""
    from listclean.io.write import prepare_target

    if writing.rejects is None:
        return None
    return runtime.file_sink(prepare_target(writing.rejects, fmt=None, force=writing.force, inputs=inputs))


def rows_line(counts: dict[str, int], where: str, extra: str = "") -> str:
    """The summary's accounting line: rows in = out + rejected, and where they went."""
    return f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} out + {counts['rejected']:,} rejected{extra} → {where}"
