"""listclean run: the whole nightly job from one declarative file (see listclean.run for the format)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from listclean.cli.common import cli_runtime, emit_summary, guarded
from listclean.cli.console import Reporter
from listclean.cli.helptext import Example
from listclean.errors import ListcleanError

if TYPE_CHECKING:
    from listclean.run import PlannedStep, StepResult

ConfigPath = Annotated[str, typer.Argument(metavar="RUN_FILE", help="The run file (TOML with a [run] table).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the run's summary (every step's) as one JSON object on stdout.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the commands the run would execute, one line each quoted for a POSIX shell (with --json: each step's arguments as a list), and stop.")]
Engine = Annotated[str, typer.Option("--engine", help="Where the steps run: local (this process) or spark (listclean.spark's steps in a Spark session; needs the spark extra).", metavar="local|spark")]
SparkMaster = Annotated[Optional[str], typer.Option("--spark-master", help="The Spark master for --engine spark, e.g. local[4] or yarn (default: what spark-submit or SPARK_* settings say).")]

EXAMPLES = [
    Example("the nightly job, its summary as JSON, every run in an audit log", "listclean --log logs/runs.jsonl run nightly.toml --json"),
    Example("print the commands the run would execute, and stop", "listclean run nightly.toml --dry-run"),
    Example("the same run on Spark (Parquet datasets and part files instead of files)", "listclean run nightly.toml --engine spark --spark-master local[4] --json"),
]


@guarded
def command(config: ConfigPath, json: JsonFlag = False, dry_run: DryRun = False, engine: Engine = "local", spark_master: SparkMaster = None) -> None:  # noqa: A002
    """Run the nightly pipeline described in a TOML file: import, validate, dedupe, segment, export, decay report.

    Stops at the first step that fails or crosses a threshold, with that step's exit code; a lock keeps two runs apart.
    """
    from listclean import run

    reporter = Reporter()
    if reporter.settings.log:
        from listclean.runlog import check_log

        check_log(reporter.settings.log)
    if dry_run:
        _print_plan(config, json_summary=json)
        return

    def started(step: PlannedStep) -> None:
        reporter.info(f"[{step.name}] {step.command_line()}")

    def finished(step: PlannedStep, result: StepResult) -> None:
        if isinstance(result.error, ListcleanError):
            reporter.error(str(result.error))
        elif result.error is not None:
            reporter.error(f"internal error: {type(result.error).__name__}: {result.error} (run with --debug for the traceback and report it)")
        elif result.report is not None:
            _render(reporter, step, result)
        if result.exit_code != 0:
            if result.error is None and result.summary and result.summary.get("thresholds_crossed"):
                reporter.error("threshold crossed: " + "; ".join(result.summary["thresholds_crossed"]))
            reporter.error(f"step {step.name} ended with exit code {result.exit_code}; later steps were not run")

    outcome = run.run_pipeline(
        config, runtime_factory=lambda: cli_runtime(reporter), on_start=started, on_step=finished, reraise=reporter.settings.debug,
        also_writes=[("--log", reporter.settings.log)], engine=engine, spark_master=spark_master,
    )  # fmt: skip
    emit_summary(outcome.summary(), json_summary=json, report=None)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def _print_plan(config: str, *, json_summary: bool) -> None:
    """--dry-run: the lines a POSIX shell runs (run.shell_lines); with --json, each step's
    argument list, for any other shell or a program."""
    import json

    from listclean import __version__, run
    from listclean.io.write import stdout_text

    steps, workdir = run.plan(config)
    if json_summary:
        planned = [{"step": step.name, "argv": ["listclean", *step.argv()], "replaces": step.replaces, "shell": step.shell_line()} for step in steps]
        plan = {"listclean": __version__, "command": "run", "config": config, "dry_run": True, "workdir": str(workdir), "steps": planned}
        text = json.dumps(plan, ensure_ascii=False) + "\n"
    else:
        text = "\n".join(run.shell_lines(steps, workdir)) + "\n"
    stdout_text(text)  # UTF-8 where stdout's code page cannot hold a name (a Windows pipe)


def _render(reporter: Reporter, step: PlannedStep, result: StepResult) -> None:
    """What the step's own command would print about it."""
    import importlib

    module = importlib.import_module(f"listclean.cli.{_MODULES[step.command]}")
    render = getattr(module, "render_step", None)
    if render is not None:
        render(reporter, result.report, result.summary or {})
    elif result.summary and "rows_in" in result.summary:
        counts: dict[str, Any] = result.summary
        reporter.info(f"{counts['rows_in']:,} rows in = {counts['rows_out']:,} out + {counts['rejected']:,} rejected → {counts.get('output')}")
    if reporter.settings.log and result.summary is not None:
        from listclean.runlog import record

        record(reporter.settings.log, result.summary, step.inputs)


_MODULES = {
    "import": "cmd_import",
    "validate": "cmd_validate",
    "dedupe": "cmd_dedupe",
    "segment": "cmd_segment",
    "export": "cmd_export",
    "decay-report": "cmd_decay",
}
