"""How every command's help looks: value names, plain-text help, examples — decided once, here.

Typer renders help with Rich, which would read any `[...]` in a help text as markup and drop it
(`[run]`, `[default: …]`), show `<bool>` beside flags and `<list[str]>` beside values. The command
classes below keep the help texts plain text where they are written (so the CLI reference in docs/
and error messages read them as they are) and adapt them only while `--help` is rendered:

- every option gets a value name (its metavar): none for a flag, the one its declaration gives
  (PATH, DATE, RULE …), else TEXT, INTEGER, FLOAT or its choices `[a|b|c]`;
- help texts and epilogs are escaped for Rich markup, so square brackets print as written;
- options that act instead of the command (--help, --version, --install-completion,
  --show-completion) are never read from LISTCLEAN_* variables (see `immediate`), and per-option
  `[env var: …]` lines are left to the README and docs/cli.md (one pattern, not one line per option).

A command's epilog ends with its examples (`Example`), written once in its cmd_*.py module and
also rendered into docs/cli.md and the man page by scripts/build_cli_docs.py.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

# An example line (indent included) fits an 80-column terminal inside Rich's one-column padding.
EXAMPLE_WIDTH = 76
EXAMPLES_HEADING = "Examples:"


@dataclass(frozen=True)
class Example:
    """One real invocation and what it does, as a user types it in a POSIX shell."""

    says: str  # one short line: what it does
    command: str  # starting with "listclean "; quoted as for sh


def examples_block(examples: Sequence[Example]) -> str:
    """The Examples paragraph of an epilog: a comment line and the command, wrapped for 80 columns.

    It starts with Click's \\b marker, so Click's plain formatter keeps its lines as they are."""
    import textwrap

    lines = ["\b", EXAMPLES_HEADING]
    for example in examples:
        lines += textwrap.wrap(example.says, EXAMPLE_WIDTH, initial_indent="  # ", subsequent_indent="  # ", break_on_hyphens=False)
        lines += [f"  {line}" for line in wrap_command(example.command)]
    return "\n".join(lines)


def epilog(*paragraphs: str, examples: Sequence[Example] = ()) -> str:
    """A command's epilog: its notes (paragraphs of plain text), then its examples."""
    parts = [paragraph for paragraph in paragraphs if paragraph]
    if examples:
        parts.append(examples_block(examples))
    return "\n\n".join(parts)


_SHELL_WORD = re.compile(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""")


def wrap_command(command: str, width: int = EXAMPLE_WIDTH - 2) -> list[str]:
    """A command as lines of at most `width` characters, continued with ` \\` (never inside quotes)."""
    words = _SHELL_WORD.findall(command)
    lines: list[str] = []
    line = ""
    for index, word in enumerate(words):
        candidate = f"{line} {word}" if line else word
        rest = " ".join([candidate, *words[index + 1 :]])
        if line and len(candidate) + 2 > width and len(rest) > width:  # room for " \\"
            lines.append(line + " \\")
            line = "    " + word
        else:
            line = candidate
    return [*lines, line]


def hanging(text: str, indent: int, width: int = EXAMPLE_WIDTH) -> str:
    """A line wrapped to `width`, its continuation lines indented under its text."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, subsequent_indent=" " * indent, break_on_hyphens=False))


def example_commands(text: str) -> list[str]:
    """The commands of an Examples block as printed (continuation lines joined), for tests and docs."""
    commands: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if pending:
            pending += " " + line.removesuffix("\\").strip()
        elif line.startswith("listclean "):
            pending = line.removesuffix("\\").strip()
        else:
            continue
        if not line.endswith("\\"):
            commands.append(pending)
            pending = ""
    return commands


# --------------------------------------------------------------------------- parameters


def immediate(param: Any) -> bool:  # noqa: ANN401 - a Click parameter
    """An option that acts instead of the command (prints help, the version, a completion script)
    rather than setting it: command-line only, never from the environment or listclean.toml."""
    return isinstance(param, TyperOption) and (param.is_eager or not param.expose_value)


def value_name(param: TyperOption) -> str:
    """What an option's value is called in help when its declaration names none."""
    if param.is_flag or param.count:
        return ""
    descriptor = param.type_descriptor
    if descriptor.is_choice and descriptor.choices is not None:
        return "[" + "|".join(str(getattr(choice, "value", choice)) for choice in descriptor.choices) + "]"
    annotation = descriptor.annotation
    inner = getattr(annotation, "__args__", None)
    kind = inner[0] if inner and getattr(annotation, "__origin__", None) is list else annotation
    return {int: "INTEGER", float: "FLOAT", bool: ""}.get(kind, "TEXT")


class Argument(TyperArgument):
    """An argument named by its metavar (INPUT...), in usage and help; its type is not shown."""

    @property
    def display_name_raw(self) -> str:
        name = self.metavar or self.name.upper()
        return name + "..." if self.nargs != 1 else name

    def display_type_rich(self, ctx: Any) -> str | None:  # noqa: ANN401
        return None

    def _rich_display_name(self) -> str:
        return self.display_name_raw

    def _usage_display_name(self) -> str:
        return self.display_name_raw if self.required else f"[{self.display_name_raw}]"


def present(param: Any) -> Any:  # noqa: ANN401 - a Click parameter
    """A parameter as listclean shows it (idempotent; see the module's docstring)."""
    if isinstance(param, TyperOption):
        param.show_envvar = False
        if immediate(param):
            param.allow_from_autoenv = False
        if param.metavar is None:
            param.metavar = value_name(param)
    elif type(param) is TyperArgument:
        param.__class__ = Argument
    return param


# --------------------------------------------------------------------------- rendering


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _unwrapped(text: str) -> str:
    """Single line breaks inside a paragraph of a docstring are not meant: Rich would keep them."""
    return re.sub(r"(?<=\S)\n(?=\S)", " ", text)


def _epilog_for_rich(text: str) -> str:
    # "\b" is Click's keep-these-lines marker, which Rich keeps anyway (and would print as a blank
    # line); the leading newline stops Typer's cleandoc from removing the examples' indent.
    return "\n" + _escape(text.replace("\b\n", ""))


@contextlib.contextmanager
def rich_safe(command: Any, ctx: Any) -> Iterator[None]:  # noqa: ANN401 - Click objects
    """While `--help` renders: help texts and epilogs escaped for Rich markup, then restored."""
    saved: list[tuple[Any, str, str]] = []

    def swap(obj: Any, attribute: str, transform: Any) -> None:  # noqa: ANN401
        value = getattr(obj, attribute, None)
        if isinstance(value, str):
            saved.append((obj, attribute, value))
            setattr(obj, attribute, transform(value))

    swap(command, "help", lambda text: _escape(_unwrapped(text)))
    swap(command, "epilog", _epilog_for_rich)
    for param in command.get_params(ctx):
        swap(param, "help", _escape)
    for sub in getattr(command, "commands", {}).values():
        swap(sub, "help", lambda text: _escape(_unwrapped(text)))
        swap(sub, "short_help", _escape)
    try:
        yield
    finally:
        for obj, attribute, value in reversed(saved):
            setattr(obj, attribute, value)


class _Presented:
    """What listclean's command and group share: presented parameters, Rich-safe help."""

    def get_params(self, ctx: Any) -> list[Any]:  # noqa: ANN401
        return [present(param) for param in super().get_params(ctx)]  # type: ignore[misc]

    def format_help(self, ctx: Any, formatter: Any) -> None:  # noqa: ANN401
        with rich_safe(self, ctx):
            super().format_help(ctx, formatter)  # type: ignore[misc]


class Command(_Presented, TyperCommand):
    """A listclean command (see the module's docstring)."""


class Group(_Presented, TyperGroup):
    """The listclean command group (see the module's docstring)."""
