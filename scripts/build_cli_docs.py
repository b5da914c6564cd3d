"""The command-line reference, docs/cli.md, and the man page, docs/listclean.1, from the app itself.

Both are rendered from the Click commands Typer builds (their help texts, options, panels and
defaults), the commands' EXAMPLES and notes, and the registries behind the exit codes and the
environment variables — never from a terminal, so they do not depend on its width and hold no
colour codes. `--check` (the default) exits 1 when a committed file differs from the code;
`--write` rewrites them. tests/cli/test_cli_reference.py runs the same check.

    python scripts/build_cli_docs.py --write
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REGENERATE = "python scripts/build_cli_docs.py --write"

try:
    import listclean  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))


# --------------------------------------------------------------------------- the app, as data


@dataclass
class Option:
    names: list[str]  # long first: ["--output", "-o"], ["--header", "--no-header"]
    value: str  # the metavar ("" for a flag)
    help: str
    default: str | None
    variable: str | None  # the LISTCLEAN_* variable that sets it; None: command line only


@dataclass
class Argument:
    name: str  # INPUT...
    help: str
    required: bool


@dataclass
class Page:
    """One command (or the group: name '') as the reference shows it."""

    name: str
    help: str
    usage: str
    arguments: list[Argument]
    panels: dict[str, list[Option]]
    notes: list[str]
    examples: list[Any]
    commands: list[tuple[str, str]]  # the group's: name, first line of help


def pages() -> list[Page]:
    """The group's page, then every command's, in --help's order."""
    import typer.main

    from listclean.cli import app as cli

    group = typer.main.get_command(cli.app)
    root = group.context_class(group, info_name="listclean", **group.context_settings)
    commands = [(name, group.commands[name]) for name in cli.COMMANDS]  # type: ignore[attr-defined]
    found = [_page(group, root, "", cli.EXAMPLES, [])]
    found[0].commands = [(name, _first_paragraph(command.help or "")) for name, command in commands]
    for name, command in commands:
        module = cli.COMMANDS[name]
        notes = module.notes().split("\n\n") if hasattr(module, "notes") else []
        ctx = command.context_class(command, info_name=name, parent=root)
        found.append(_page(command, ctx, name, module.EXAMPLES, notes))
    return found


def _page(command: Any, ctx: Any, name: str, examples: list[Any], notes: list[str]) -> Page:  # noqa: ANN401
    from listclean.cli.app import option_variable
    from listclean.cli.helptext import immediate

    pieces = command.collect_usage_pieces(ctx)
    usage = " ".join(["listclean", *([name] if name else []), *pieces])
    arguments: list[Argument] = []
    panels: dict[str, list[Option]] = {}
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            arguments.append(Argument(param.display_name_raw, _plain(param.help or ""), param.required))
            continue
        longs = [opt for opt in [*param.opts, *param.secondary_opts] if opt.startswith("--")]
        shorts = [opt for opt in [*param.opts, *param.secondary_opts] if not opt.startswith("--")]
        panel = getattr(param, "rich_help_panel", None) or "Options"
        panels.setdefault(panel, []).append(
            Option(
                names=longs + shorts,
                value=param.metavar or "",
                help=_plain(param.help or ""),
                default=_default(param),
                variable=None if immediate(param) else option_variable(name, longs[0]),
            )
        )
    if "Options" in panels:  # the unnamed panel first, as --help shows it
        panels = {"Options": panels.pop("Options"), **panels}
    return Page(name, _plain(command.help or ""), usage, arguments, panels, notes, examples, [])


def _default(param: Any) -> str | None:  # noqa: ANN401 - a Click option
    if param.show_default is False:
        return None
    if isinstance(param.show_default, str):
        return param.show_default
    value = param.default
    if value is None or value is False or value == () or value == [] or param.is_flag:
        return None
    return str(value.value if isinstance(value, Enum) else value)


def _plain(text: str) -> str:
    """A help text as one paragraph a line (docstrings wrap lines inside paragraphs)."""
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in text.strip().split("\n\n"))


def _first_paragraph(text: str) -> str:
    return _plain(text).split("\n\n")[0]


def environment() -> list[tuple[str, str]]:
    """Every LISTCLEAN_* variable (or pattern) and what it does, from the app's registries."""
    from listclean.cli import app as cli

    rows = [(cli.OPTION_VARIABLES, "the command's option of that name (LISTCLEAN_IMPORT_DEFAULT_COUNTRY=DE for import --default-country); "
             "a repeatable option takes its values separated by blank space, --map its entries by ';'")]  # fmt: skip
    rows += [(variable, f"the global option {option}") for variable, option in cli.global_variables().items()]
    rows += list(cli.OTHER_VARIABLES.items())
    rows += [(", ".join(cli.ignored_variables()), "not read: --help, --version and the completion options are command-line only")]
    rows += [(cli.COMPLETE_VARIABLE, "set by the shell-completion scripts when they ask for completions")]
    return rows


# --------------------------------------------------------------------------- Markdown


def _md(text: str, table: bool = False) -> str:
    """Plain text in Markdown: what Markdown would read as markup is escaped (an underscore only
    where it could start or end emphasis; a pipe only in a table)."""
    text = re.sub(r"([\\<*`\[\]])", r"\\\1", text)
    text = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)
    return text.replace("|", "\\|") if table else text


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def markdown() -> str:
    from listclean.errors import EXIT_CODE_MEANINGS

    found = pages()
    out = [
        "# listclean command-line reference",
        "",
        f"<!-- Generated from the app by `{REGENERATE}`; edit the help texts in src/listclean/cli/, not this file. -->",
        "",
        "Every command, option and example of `listclean --help`, in one page. Run `listclean COMMAND --help` for the same",
        "at the terminal; shell completion: `listclean --install-completion` (see the README).",
        "",
        "Commands: " + " · ".join(f"[{page.name}](#listclean-{page.name})" for page in found[1:]),
        "",
    ]
    for page in found:
        out += _markdown_page(page)
        if not page.name:
            out += ["### Exit codes", "", "| exit code | meaning |", "| --- | --- |"]
            out += [f"| {int(code)} | {meaning.replace('|', chr(92) + '|')} |" for code, meaning in EXIT_CODE_MEANINGS.items()]
            out += ["", "### Environment", "", "| variable | what it does |", "| --- | --- |"]
            out += [f"| {_code(name)} | {_md(meaning, table=True)} |" for name, meaning in environment()]
            out += [""]
        out += _markdown_examples(page)
    return "\n".join(out).rstrip("\n") + "\n"


def _markdown_page(page: Page) -> list[str]:
    title = f"listclean {page.name}".strip()
    out = [f"## {title}", "", *(f"{_md(paragraph)}\n" for paragraph in page.help.split("\n\n")), "```text", page.usage, "```", ""]
    if page.arguments:
        out += ["### Arguments", ""]
        out += [f"- {_code(argument.name)}{' (required)' if argument.required else ''} — {_md(argument.help)}" for argument in page.arguments]
        out += [""]
    for panel, options in page.panels.items():
        out += [f"### {panel}" if page.name or panel != "Options" else "### Global options", ""]
        out += [_markdown_option(option) for option in options]
        out += [""]
    if page.commands:
        out += ["### Commands", "", *(f"- [{_code(name)}](#listclean-{name}) — {_md(text)}" for name, text in page.commands), ""]
    for note in page.notes:
        out += [_md(note), ""]
    return out


def _markdown_option(option: Option) -> str:
    names = ", ".join(option.names)
    text = f"- {_code(names + (' ' + option.value if option.value else ''))} — {_md(option.help)}"
    extras = []
    if option.default is not None:
        extras.append(f"Default: {_code(option.default)}.")
    extras.append(f"Env: {_code(option.variable)}." if option.variable else "Command line only.")
    return " ".join([text, *extras])


def _markdown_examples(page: Page) -> list[str]:
    from listclean.cli.helptext import wrap_command

    if not page.examples:
        return []
    out = ["### Examples", "", "```sh"]
    for index, example in enumerate(page.examples):
        out += ([""] if index else []) + [f"# {example.says}", *wrap_command(example.command)]
    return [*out, "```", ""]


# --------------------------------------------------------------------------- man page (roff)


# Characters a terminal without UTF-8 (man under LANG=C) has no glyph for, as roff spells them.
_ROFF_CHARACTERS = {"…": "...", "—": "\\(em", "–": "\\(en", "→": "\\(->", "·": "\\(md", "≥": "\\(>=", "≤": "\\(<="}


def _roff(text: str) -> str:
    """Plain text as roff: backslashes and hyphens escaped, no line read as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    for character, spelled in _ROFF_CHARACTERS.items():
        text = text.replace(character, spelled)
    text = "".join(character if ord(character) < 128 else f"\\[u{ord(character):04X}]" for character in text)
    return "\n".join(("\\&" + line) if line[:1] in (".", "'") else line for line in text.split("\n"))


def man() -> str:
    from listclean.errors import EXIT_CODE_MEANINGS

    found = pages()
    group, commands = found[0], found[1:]
    out = [
        f'.\\" Generated from the app by {REGENERATE}; do not edit.',
        '.TH LISTCLEAN 1 "" "listclean" "User Commands"',
        ".SH NAME",
        f"listclean \\- {_roff(_lowered(_first_paragraph(group.help)))}",
        ".SH SYNOPSIS",
        ".B listclean",
        "[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIINPUT\\fR ...]",
        ".SH DESCRIPTION",
        "Reads messy contact exports, judges, merges, segments and exports them, offline; every removed row is accounted for.",
        "Data goes to standard output only; messages, progress and reports go to standard error.",
        f"Run \\fBlistclean\\fR \\fICOMMAND\\fR \\fB{_roff('--help')}\\fR for a command's options at the terminal.",
        ".SH GLOBAL OPTIONS",
        *_man_options([option for options in group.panels.values() for option in options]),
        ".SH COMMANDS",
    ]
    for page in commands:
        out += [f'.SS "{_roff(page.usage)}"', "\n.PP\n".join(_roff(paragraph) for paragraph in page.help.split("\n\n"))]
        for argument in page.arguments:
            out += [".TP", f"\\fI{_roff(argument.name)}\\fR", _roff(argument.help)]
        out += _man_options([option for options in page.panels.values() for option in options])
        for note in page.notes:
            out += [".PP", _roff(note)]
        out += _man_examples(page)
    out += [".SH EXIT STATUS"]
    for code, meaning in EXIT_CODE_MEANINGS.items():
        out += [".TP", f"\\fB{int(code)}\\fR", _roff(meaning.replace("`", ""))]
    out += [".SH ENVIRONMENT"]
    for name, meaning in environment():
        out += [".TP", f"\\fB{_roff(name)}\\fR", _roff(meaning)]
    out += [
        ".SH FILES",
        ".TP",
        "\\fI./listclean.toml\\fR",
        "Settings, one table per command, keys named like the options; flags and LISTCLEAN_* variables win.",
        ".SH EXAMPLES",
        *_man_examples(group, heading=False),
        ".SH SEE ALSO",
        "docs/cli.md and README.md in the listclean source.",
    ]
    return "\n".join(out) + "\n"


def _lowered(text: str) -> str:
    return text[:1].lower() + text[1:].rstrip(".")


def _man_options(options: list[Option]) -> Iterator[str]:
    for option in options:
        names = ", ".join(f"\\fB{_roff(name)}\\fR" for name in option.names)
        value = f" \\fI{_roff(option.value)}\\fR" if option.value else ""
        extras = [f"Default: {option.default}."] if option.default is not None else []
        extras.append(f"Env: {option.variable}." if option.variable else "Command line only.")
        yield from (".TP", names + value, _roff(" ".join([option.help, *extras])))


def _man_examples(page: Page, heading: bool = True) -> list[str]:
    from listclean.cli.helptext import wrap_command

    out = [".PP", "Examples:"] if heading else []
    for example in page.examples:
        out += [".PP", _roff(example.says) + ":", ".RS", ".nf", *(_roff(line) for line in wrap_command(example.command, width=64)), ".fi", ".RE"]
    return out


# --------------------------------------------------------------------------- files

FILES = {"cli.md": markdown, "listclean.1": man}


def stale(directory: Path = DOCS) -> list[str]:
    """The files of `directory` that differ from what the code renders now."""
    return [name for name, render in FILES.items() if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != render()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render docs/cli.md and docs/listclean.1 from the listclean app.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="rewrite the files")
    action.add_argument("--check", action="store_true", help="exit 1 when a file differs from the code (default)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="the directory of the files (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.write:
        args.docs.mkdir(parents=True, exist_ok=True)
        for name, render in FILES.items():
            (args.docs / name).write_text(render(), encoding="utf-8")
    problems = stale(args.docs)
    for name in problems:
        print(f"{args.docs.name}/{name} differs from the app", file=sys.stderr)
    if problems:
        print(f"run: {REGENERATE}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
