"""The Typer application: global options, command registry, entry point."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from listclean import __version__
from listclean.cli import cmd_decay, cmd_dedupe, cmd_erase, cmd_export, cmd_import, cmd_run, cmd_segment, cmd_validate
from listclean.cli.console import Reporter, Settings
from listclean.errors import EXIT_CODE_MEANINGS, ConfigError, ExitCode

CONFIG_FILE = "listclean.toml"

app = typer.Typer(
    name="listclean",
    help="Keep subscriber and contact lists clean: import, validate, dedupe, report, segment, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        print(f"listclean {__version__}")
        raise typer.Exit(0)


def exit_codes_epilog() -> str:
    """The exit codes and what they mean (errors.EXIT_CODE_MEANINGS), one a line, for --help."""
    lines = [f"{int(code):>3} {meaning.replace('`', '')}" for code, meaning in EXIT_CODE_MEANINGS.items()]
    return "\b\nExit codes:\n" + "\n".join(lines)  # \b: Click keeps the lines as they are


@app.callback(epilog=exit_codes_epilog())
def global_options(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print more detail on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for internal errors.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour on stderr (NO_COLOR is honoured too).")] = False,
    log: Annotated[
        Optional[str], typer.Option("--log", help="Append one JSON line per run (command, input hashes, counts; no data values) to this audit log.")
    ] = None,
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """listclean: offline, auditable contact-list cleaning."""
    ctx.obj = Settings(quiet=quiet, verbose=verbose, debug=debug, no_color=no_color, log=log)


app.command("import", no_args_is_help=True)(cmd_import.command)
app.command("validate", no_args_is_help=True, epilog=cmd_validate.reasons_epilog())(cmd_validate.command)
app.command("dedupe", no_args_is_help=True, epilog=cmd_dedupe.rules_epilog())(cmd_dedupe.command)
app.command("decay-report", no_args_is_help=True)(cmd_decay.command)
app.command("segment", no_args_is_help=True)(cmd_segment.command)
app.command("export", no_args_is_help=True)(cmd_export.command)
app.command("erase", no_args_is_help=True)(cmd_erase.command)
app.command("run", no_args_is_help=True)(cmd_run.command)


def load_config(path: str = CONFIG_FILE) -> dict[str, Any]:
    """listclean.toml -> Click default_map: one table per command, keys named like the options."""
    import os
    import tomllib

    if not os.path.exists(path):
        return {}
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}", hint="fix or remove the file") from None
    config: dict[str, Any] = {}
    for command, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: '{command}' must be a table like [{command}]")
        config[command] = {key.replace("-", "_"): value for key, value in values.items()}
    return config


def main(argv: list[str] | None = None) -> None:
    """Entry point: flags > LISTCLEAN_<COMMAND>_<OPTION> env > listclean.toml > defaults."""
    try:
        default_map = load_config()
    except ConfigError as error:
        Reporter().error(str(error))
        sys.exit(int(ExitCode.USAGE))
    try:
        app(args=argv, prog_name="listclean", auto_envvar_prefix="LISTCLEAN", default_map=default_map)
    except BrokenPipeError:  # pragma: no cover - stdout closed while Click itself wrote
        sys.exit(int(ExitCode.BROKEN_PIPE))
