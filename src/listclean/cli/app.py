"""The Typer application: global options, command registry, entry point."""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from typing import Annotated, Any, Optional

import typer

from listclean import __version__
from listclean.cli import cmd_decay, cmd_dedupe, cmd_erase, cmd_export, cmd_import, cmd_init, cmd_run, cmd_segment, cmd_validate
from listclean.cli.console import Reporter, Settings
from listclean.cli.helptext import Command, Example, Group, epilog, hanging, immediate
from listclean.errors import EXIT_CODE_MEANINGS, ConfigError, ExitCode

CONFIG_FILE = "listclean.toml"

app = typer.Typer(
    name="listclean",
    cls=Group,
    help="Keep subscriber and contact lists clean: import, validate, dedupe, report, segment, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion: bash, zsh, fish, PowerShell
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)

EXAMPLES = [
    Example("read messy exports into one canonical file", "listclean import examples/* -o out/contacts.csv --rejects out/rejects.csv"),
    Example("judge every address; exit 1 over 5% invalid", "listclean validate out/contacts.csv -o out/validated.csv --fail-on 'invalid>5%'"),
    Example("the whole nightly job from one TOML file, with an audit log", "listclean --log logs/runs.jsonl run nightly.toml --json"),
]


def _version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        print(f"listclean {__version__}")
        raise typer.Exit(0)


def exit_codes_epilog() -> str:
    """The exit codes and what they mean (errors.EXIT_CODE_MEANINGS), one a line, for --help."""
    lines = [hanging(f"{int(code):>3} {meaning.replace('`', '')}", indent=4) for code, meaning in EXIT_CODE_MEANINGS.items()]
    return "\b\nExit codes:\n" + "\n".join(lines)  # \b: Click keeps the lines as they are


ENVIRONMENT_NOTE = (
    "Every option can also be set as LISTCLEAN_<COMMAND>_<OPTION> (LISTCLEAN_IMPORT_DEFAULT_COUNTRY=DE; "
    "global ones as LISTCLEAN_<OPTION>) or in ./listclean.toml; the command line wins. "
    "Shell completion: listclean --install-completion. Every command and option: docs/cli.md (man page: docs/listclean.1)."
)


@app.callback(epilog=epilog(exit_codes_epilog(), ENVIRONMENT_NOTE, examples=EXAMPLES))
def global_options(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print more detail on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for internal errors.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour on stderr (NO_COLOR is honoured too).")] = False,
    log: Annotated[
        Optional[str],
        typer.Option("--log", metavar="PATH", help="Append one JSON line per run (command, input hashes, counts; no data values) to this audit log."),
    ] = None,
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """listclean: offline, auditable contact-list cleaning."""
    ctx.obj = Settings(quiet=quiet, verbose=verbose, debug=debug, no_color=no_color, log=log)


# The commands, in the order --help lists them: name -> module. A module gives `command` (the
# function), `EXAMPLES` (shown at the end of its --help and in docs/cli.md) and, optionally,
# `notes()` (paragraphs shown before the examples). A new command is one line here.
COMMANDS = {
    "import": cmd_import,
    "validate": cmd_validate,
    "dedupe": cmd_dedupe,
    "decay-report": cmd_decay,
    "segment": cmd_segment,
    "export": cmd_export,
    "erase": cmd_erase,
    "run": cmd_run,
    "init": cmd_init,
}


def _register(name: str, module: Any) -> None:  # noqa: ANN401 - a cmd_* module
    notes = module.notes() if hasattr(module, "notes") else ""
    app.command(name, cls=Command, no_args_is_help=getattr(module, "NO_ARGS_IS_HELP", True), epilog=epilog(notes, examples=module.EXAMPLES))(module.command)


for _name, _module in COMMANDS.items():
    _register(_name, _module)


ENV_PREFIX = "LISTCLEAN_"
COMPLETE_VARIABLE = "_LISTCLEAN_COMPLETE"  # set by the completion scripts (--show-completion) when they ask
# LISTCLEAN_* variables that are not a command's option: read by the library or the runtime
# (the README's environment table lists these and the option patterns; a test holds them together).
OTHER_VARIABLES = {
    "LISTCLEAN_CHUNK_ROWS": "rows per chunk when a large input is streamed (default 250,000)",
    "LISTCLEAN_WORKERS": "processes judging the addresses only email-validator can (a number, or auto; 1: none)",
}

OPTION_VARIABLES = "LISTCLEAN_<COMMAND>_<OPTION>"  # e.g. LISTCLEAN_IMPORT_DEFAULT_COUNTRY for import --default-country


def option_variable(command: str, option: str) -> str:
    """The variable that sets a command's option ('' for a global one): --default-country of
    import is LISTCLEAN_IMPORT_DEFAULT_COUNTRY."""
    parts = [command, option.lstrip("-")] if command else [option.lstrip("-")]
    return ENV_PREFIX + "_".join(parts).upper().replace("-", "_")


def global_variables() -> dict[str, str]:
    """LISTCLEAN_<OPTION> for each global option the environment may set, with the option."""
    options = _options_by_command()[""]
    return {option_variable("", _long(param)): _long(param) for param in options.values() if not immediate(param)}


def ignored_variables() -> list[str]:
    """The variables named after options that act instead of the command: never read (see
    config_from_environment), so neither an error nor a setting."""
    options = _options_by_command()[""]
    return [*(option_variable("", _long(param)) for param in options.values() if immediate(param)), option_variable("<COMMAND>", "--help")]


def _long(param: Any) -> str:  # noqa: ANN401 - a Click option
    return next(opt for opt in [*param.opts, *param.secondary_opts] if opt.startswith("--"))


def load_config(path: str = CONFIG_FILE) -> dict[str, Any]:
    """listclean.toml -> Click default_map: one table per command, keys named like the options
    (or their parameter), each checked: an unknown table or key, or a value of the wrong kind,
    is a ConfigError naming the file and key."""
    import os
    import tomllib

    if not os.path.exists(path):
        return {}
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (invalid byte at offset {error.start})", hint="save the file as UTF-8") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}", hint="fix or remove the file") from None
    commands = _options_by_command()
    config: dict[str, Any] = {}
    for command, values in data.items():
        if command not in commands:
            known = ", ".join(f"[{name}]" for name in commands if name)
            raise ConfigError(f"{path}: unknown table [{command}]", hint=f"tables are named like the commands: {known}")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: '{command}' must be a table like [{command}]")
        table: dict[str, Any] = {}
        for key, value in values.items():
            param = _option(commands[command], key)
            where = f"{path}: [{command}] {key}"
            if param is None or immediate(param):
                raise ConfigError(f"{where}: unknown key", hint=f"the keys of [{command}] are its options: {', '.join(sorted(_names(commands[command])))}")
            table[param.name] = _checked_value(param, value, where)
        config[command] = table
    return config


def config_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The LISTCLEAN_<COMMAND>_<OPTION> variables Click does not read itself, as a default_map
    (those named after an option whose parameter has another name, e.g. LISTCLEAN_IMPORT_MAP for
    --map). A LISTCLEAN_* variable that names no option is a ConfigError naming it (a typo must
    not pass for a setting). One named after an option that acts instead of the command
    (LISTCLEAN_VERSION, LISTCLEAN_HELP, LISTCLEAN_<COMMAND>_HELP, LISTCLEAN_INSTALL_COMPLETION,
    LISTCLEAN_SHOW_COMPLETION) is ignored: those options are command-line only, and such a
    variable is likely the user's own (a version pin), so it neither acts nor stops the run."""
    if not any(variable.startswith(ENV_PREFIX) and variable not in OTHER_VARIABLES for variable in environ):
        return {}
    commands = _options_by_command()
    config: dict[str, Any] = {}
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable in OTHER_VARIABLES:
            continue
        rest = variable[len(ENV_PREFIX) :]
        found = None
        # the longest command name first: DECAY_REPORT_… is decay-report's, not a command "decay"
        for command in sorted(commands, key=len, reverse=True):
            prefix = command.upper().replace("-", "_") + "_" if command else ""
            if rest.startswith(prefix):
                param = _option(commands[command], rest[len(prefix) :].lower())
                if param is not None:
                    found = command, param
                    break
        if found is None:
            raise ConfigError(
                f"environment variable {variable}: names no option",
                hint="use LISTCLEAN_<COMMAND>_<OPTION>, e.g. LISTCLEAN_IMPORT_DEFAULT_COUNTRY, or unset it",
            )
        command, param = found
        if immediate(param):
            continue  # command-line only (see above)
        if rest.lower().removeprefix(command.replace("-", "_") + "_" if command else "") == param.name:
            continue  # Click reads LISTCLEAN_<COMMAND>_<PARAMETER> itself
        value: Any = environ[variable]
        if param.multiple or param.nargs == -1:
            value = [part.strip() for part in value.replace("\n", ";").split(";") if part.strip()]
        (config.setdefault(command, {}) if command else config)[param.name] = _checked_value(param, value, f"environment variable {variable}")
    return config


def _options_by_command() -> dict[str, dict[str, Any]]:
    """Every command's options by their names ('' for the global options), --help included."""
    import typer.main

    group = typer.main.get_command(app)
    root = group.context_class(group, info_name="listclean", **group.context_settings)
    options: dict[str, dict[str, Any]] = {"": _options(group, root)}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        options[name] = _options(command, command.context_class(command, info_name=name, parent=root))
    return options


def _options(command: Any, ctx: Any) -> dict[str, Any]:  # noqa: ANN401 - Click objects
    return {param.name: param for param in command.get_params(ctx) if param.param_type_name == "option"}


def _names(options: dict[str, Any]) -> set[str]:
    return {opt.lstrip("-").replace("-", "_") for param in options.values() if not immediate(param) for opt in param.opts if opt.startswith("--")}


def _option(options: dict[str, Any], key: str) -> Any:  # noqa: ANN401 - a Click parameter
    key = key.replace("-", "_")
    if key in options:
        return options[key]
    for param in options.values():
        if any(opt.startswith("--") and opt[2:].replace("-", "_") == key for opt in [*param.opts, *param.secondary_opts]):
            return param
    return None


def _checked_value(param: Any, value: Any, where: str) -> Any:  # noqa: ANN401
    """A configured value, refused (naming where it came from) when the option cannot take it."""
    import typing

    annotation = param.type_descriptor.annotation
    many = param.multiple or param.nargs == -1
    if many:
        values = value if isinstance(value, list) else [value]
        inner = typing.get_args(annotation)[0] if typing.get_args(annotation) else str
        return [_checked_value_of(inner, item, where) for item in values]
    if isinstance(value, list):
        raise ConfigError(f"{where}: takes one value, not a list")
    return _checked_value_of(annotation, value, where)


def _checked_value_of(kind: Any, value: Any, where: str) -> Any:  # noqa: ANN401
    import enum

    if isinstance(value, str) and not isinstance(kind, type):
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.strip().lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"{where}: must be true or false, not {value!r}")
    if kind is int or kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{where}: must be a number, not {value!r}")
        try:
            return kind(value) if not (kind is int and isinstance(value, float)) else _whole(value, where)
        except ValueError:
            raise ConfigError(f"{where}: must be a {'whole ' if kind is int else ''}number, not {value!r}") from None
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        choices = [str(member.value) for member in kind]
        if not isinstance(value, str) or value not in choices:
            raise ConfigError(f"{where}: must be one of {', '.join(choices)}, not {value!r}")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be text (in quotes), not {value!r}")
    return value


def _whole(value: float, where: str) -> int:
    if not value.is_integer():
        raise ConfigError(f"{where}: must be a whole number, not {value!r}")
    return int(value)


def main(argv: list[str] | None = None) -> None:
    """Entry point: flags > LISTCLEAN_<COMMAND>_<OPTION> env > listclean.toml > defaults."""
    import os

    # The command line's main module is guarded: validate may judge addresses in worker processes.
    os.environ.setdefault("LISTCLEAN_WORKERS", "auto")
    _hold_closed_standard_streams()
    if COMPLETE_VARIABLE in os.environ:  # the shell asks for completions: no configuration, no error lines
        app(args=argv, prog_name="listclean", complete_var=COMPLETE_VARIABLE)
        return
    try:
        default_map = load_config()
        for command, values in config_from_environment(os.environ).items():
            if isinstance(values, dict):
                default_map.setdefault(command, {}).update(values)
            else:
                default_map[command] = values
    except ConfigError as error:
        arguments = sys.argv[1:] if argv is None else argv
        if not {"--version", "--help", "-h", "--install-completion", "--show-completion"} & set(arguments):  # those work whatever the configuration
            Reporter().error(str(error))
            sys.exit(int(ExitCode.USAGE))
        default_map = {}
    import signal

    from listclean.cli.common import interrupts_raise
    from listclean.io.write import interrupted, note_interrupt

    note_interrupt(False)
    # A Ctrl-C that lands in Click's own code (before or after the command) is turned by Click
    # into "Aborted!" and exit 1; recorded by the same handler the commands use, it is exit 130.
    with interrupts_raise((signal.SIGINT,)):
        try:
            app(args=argv, prog_name="listclean", auto_envvar_prefix="LISTCLEAN", default_map=default_map)
        except BrokenPipeError:  # pragma: no cover - stdout closed while Click itself wrote
            sys.exit(int(ExitCode.BROKEN_PIPE))
        except SystemExit as exit_:
            if interrupted() and exit_.code in (None, 0, 1):
                sys.exit(int(ExitCode.INTERRUPTED))
            raise
        if interrupted():
            sys.exit(int(ExitCode.INTERRUPTED))


class _ClosedStream(io.TextIOBase):
    """Stands for stdout when the process was started without it (`>&-`): writing to it is
    writing to a closed pipe (BrokenPipeError: exit 141), as to a reader that went away."""

    def __init__(self) -> None:
        self.buffer = _ClosedRaw()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "stdout is closed")

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # writers that take a file number (Polars) must come through write()
        raise io.UnsupportedOperation("stdout is closed")


class _ClosedRaw(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:  # noqa: ANN401
        raise BrokenPipeError(32, "stdout is closed")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("stdout is closed")


def _hold_closed_standard_streams() -> None:
    """A process started with fd 0, 1 or 2 closed: /dev/null holds the number (so no file the
    run opens becomes 'stdout'), stdin reads as empty, stderr goes nowhere, stdout is a closed pipe."""
    import os

    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        held = os.open(os.devnull, os.O_RDWR)
        if held != fd:
            os.dup2(held, fd)
            os.close(held)
        if name == "stdin":
            sys.stdin = open(fd, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as the process
        elif name == "stderr":
            sys.stderr = open(fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        else:
            sys.stdout = _ClosedStream()
