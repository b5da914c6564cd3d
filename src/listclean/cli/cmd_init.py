"""listclean init: a starter listclean.toml and nightly run file for the files at hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from listclean.cli.common import cli_runtime, emit_summary, guarded
from listclean.cli.console import Reporter, summary_table
from listclean.cli.helptext import Example

if TYPE_CHECKING:
    from listclean.importer import InputPlan

Inputs = Annotated[Optional[list[str]], typer.Argument(metavar="INPUT", help="The exports the nightly run will read (default: the readable files in this directory).", show_default=False)]
ConfigPath = Annotated[str, typer.Option("--config", metavar="PATH", help="The configuration file to write.")]
RunFile = Annotated[str, typer.Option("--run-file", metavar="PATH", help="The run file to write.")]
Workdir = Annotated[str, typer.Option("--workdir", metavar="DIR", help="The run's work directory (relative to the run file).")]
Force = Annotated[bool, typer.Option("--force", help="Replace the two files if they exist.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print what was found and written as one JSON object on stdout.")]

EXAMPLES = [
    Example("a starter configuration and nightly run file for this week's exports", "listclean init exports/*.csv exports/*.xlsx"),
    Example("the run file elsewhere, its work directory beside it, replacing earlier files", "listclean init crm.csv shop.xlsx --run-file jobs/nightly.toml --workdir clean --force"),
]
NO_ARGS_IS_HELP = False  # with no inputs, init offers the readable files in the current directory

# What `init` offers as inputs when none are named: files import reads, by their ending.
INPUT_ENDINGS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods", ".parquet", ".ndjson", ".jsonl", ".json", ".gz")


@guarded
def command(
    inputs: Inputs = None,
    config: ConfigPath = "listclean.toml",
    run_file: RunFile = "nightly.toml",
    workdir: Workdir = "clean",
    force: Force = False,
    json: JsonFlag = False,  # noqa: A002
) -> None:
    """Write a commented listclean.toml and a nightly run file for the files at hand.

    Reads each input's header (and a sample), shows how every column would be mapped and how the
    file would be read (encoding, delimiter, date order, the platform recognised), then writes
    both files with every option of every step present and commented. Nothing is imported.
    Refuses to replace either file without --force.
    """
    from listclean.cli.starter import config_text, run_text
    from listclean.errors import UsageError
    from listclean.importer import ImportOptions, describe_inputs
    from listclean.io.write import atomic_text, check_distinct, prepare_target

    reporter = Reporter()
    paths = list(inputs or _files_here(exclude={config, run_file}))
    if not paths:
        raise UsageError("no input files here", hint="name the exports: listclean init exports/*.csv")
    check_distinct([("--config", config), ("--run-file", run_file)], paths)
    for path in (config, run_file):
        prepare_target(path, fmt=None, force=force, inputs=paths)
    with cli_runtime(reporter) as runtime:
        plans = describe_inputs(paths, ImportOptions(), runtime.workspace)
        for plan in plans:
            _show(reporter, plan)
        atomic_text(config, config_text(plans), runtime.outputs, force=force)
        atomic_text(run_file, run_text(plans, paths, run_file, workdir), runtime.outputs, force=force)
        summary = _summary(plans, config, run_file)
        emit_summary(summary, json_summary=json, report=None, inputs=paths, runtime=runtime)
    reporter.info(f"wrote {config} (every option, commented) and {run_file} ({len(paths)} input(s)); next: listclean run {run_file} --dry-run")


def _files_here(exclude: set[str]) -> list[str]:
    import os

    return sorted(name for name in os.listdir(".") if os.path.isfile(name) and name.lower().endswith(INPUT_ENDINGS) and name not in exclude and not name.startswith("."))


def _show(reporter: Reporter, plan: InputPlan) -> None:
    """One input: how it is read, then each column and the field it becomes."""
    how = [plan.format]
    if plan.encoding:
        how.append(plan.encoding)
    if plan.delimiter:
        how.append("tab-separated" if plan.delimiter == "\t" else f"delimiter {plan.delimiter!r}")
    if plan.sheet:
        how.append(f"sheet {plan.sheet!r}")
    if plan.profile:
        how.append(f"recognised as a {plan.profile}")
    by_column = {column: field for field, column in plan.mapping.fields.items()}
    rows = []
    for column in plan.header:
        if column in by_column:
            field = by_column[column]
            note = "recognised from its values" if field in plan.mapping.by_content else ""
            if field in plan.ambiguous_dates:
                note = "day or month first? read month-first: set date_order"
            rows.append((column, field, note))
        elif column in plan.mapping.opt_out:
            rows.append((column, "(opt-out flag)", "its yes rows become unsubscribed"))
        elif column in plan.mapping.carried:
            rows.append((column, column, "carried from an earlier run"))
        else:
            rows.append((column, plan.mapping.renamed.get(column, column), "kept as it is"))
    reporter.table(summary_table(f"{plan.name} — {', '.join(how)}", rows, "column", "becomes", "note"))
    for notice in plan.notices:
        reporter.warn(f"{plan.name}: {notice}")
    if plan.national_phones is not None and plan.national_phones >= 0.2:
        reporter.warn(f"{plan.name}: {plan.national_phones:.0%} of the phone numbers have no country code and no column says the country: set default_country")


def _summary(plans: list[InputPlan], config: str, run_file: str) -> dict[str, Any]:
    return {
        "command": "init",
        "config": config,
        "run_file": run_file,
        "inputs": [
            {
                "file": plan.name, "format": plan.format, "encoding": plan.encoding, "delimiter": plan.delimiter, "sheet": plan.sheet,
                "profile": plan.profile, "mapping": plan.mapping.as_dict(), "ambiguous_dates": plan.ambiguous_dates,
                "national_phones": plan.national_phones, "notices": plan.notices,
            }  # fmt: skip
            for plan in plans
        ],
    }
