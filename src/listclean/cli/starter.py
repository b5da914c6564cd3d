"""The starter files `listclean init` writes: a listclean.toml with every command's options, and a
nightly run file for the inputs at hand — each option present, commented, with its help.

Both are made from the app's own options (registries, not copies): a new option appears in
them by itself, and a test loads both files back through the same readers the commands use.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listclean.importer import InputPlan

WIDTH = 100
# Commands whose options listclean.toml lists (run and init take none worth a default).
CONFIGURED = ("import", "validate", "dedupe", "segment", "export", "decay-report", "erase")
# Options a configuration file has no business setting: where data goes, what is replaced, how
# the summary is printed — the command line or the run decides those.
NOT_CONFIGURED = {"output", "force", "json", "report", "help", "inputs", "addresses"}
NOTE = "# Written by `listclean init`: every option is listed, commented out; uncomment what you need."


def _options(command: str) -> list[Any]:  # Click options
    """The options of one of the running app's commands (from Click's context: the app imports
    this module's command, so this module does not import the app)."""
    from typer._click.globals import get_current_context  # Typer's own Click (as common._configured_origin)

    group = get_current_context().find_root().command
    found = group.commands[command]  # type: ignore[attr-defined]
    return [param for param in found.params if param.param_type_name == "option" and param.name not in NOT_CONFIGURED and not param.hidden]


def _key(param: Any) -> str:  # noqa: ANN401 - a Click option
    long = [opt for opt in param.opts if opt.startswith("--")]
    return (long[0][2:] if long else param.name).replace("-", "_")


def toml_value(value: Any) -> str:  # noqa: ANN401
    """A value as TOML writes it (a text value as a basic string: JSON's escapes are TOML's)."""
    import enum

    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _placeholder(param: Any) -> str:  # noqa: ANN401
    """What an unset option's commented line shows: its default, else an empty value of its kind."""
    default = param.default
    many = param.multiple or param.nargs == -1
    if default is None or (many and not default) or callable(default):
        if many:
            return "[]"
        if param.is_flag:
            return "true" if default is None else "false"  # --header/--no-header: unset decides by itself
        kind = param.type_descriptor.annotation
        return {int: "0", float: "0.0", bool: "false"}.get(kind, '""')
    return toml_value(list(default) if many else default)


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(" ".join(text.split()), WIDTH - len(indent) - 2, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ") if text else []


def _options_block(command: str, notes: dict[str, list[str]], prefix: str = "", skip: Iterable[str] = ()) -> list[str]:
    """Every option of `command` (but those in `skip`): its help as a comment, `notes` about it,
    then `# key = default` — nothing is set: the defaults (and each file's own detection) stand."""
    lines: list[str] = []
    skipped = set(skip)
    for param in _options(command):
        key = _key(param)
        if key in skipped or param.name in skipped:
            continue
        lines += _comment((param.help or "").replace("[", "(").replace("]", ")"), prefix)
        for note in notes.get(key, []):
            lines += _comment(f"▶ {note}", prefix)
        lines.append(f"{prefix}# {key} = {_placeholder(param)}")
    return lines


def _import_advice(plans: Iterable[InputPlan]) -> dict[str, list[str]]:
    """What the inputs say about import's options, as notes beside the options they concern."""
    plans = list(plans)
    notes: dict[str, list[str]] = {}
    encodings = {plan.encoding for plan in plans if plan.encoding}
    if encodings:
        notes["encoding"] = [f"detected: {', '.join(sorted(encodings))} — each file's own is found by itself; set this only if one is misread"]
    delimiters = {plan.delimiter for plan in plans if plan.delimiter}
    if delimiters:
        shown = ", ".join(sorted(repr(d) if d != "\t" else "tab" for d in delimiters))
        notes["delimiter"] = [f"detected: {shown} — sniffed per file"]
    ambiguous = [f"{plan.name}: {', '.join(plan.mapping.fields[f] for f in plan.ambiguous_dates)}" for plan in plans if plan.ambiguous_dates]
    if ambiguous:
        notes["date_order"] = [f"dates that could be day- or month-first (read month-first unless you set dmy): {'; '.join(ambiguous)}"]
    national = [plan.name for plan in plans if plan.national_phones is not None and plan.national_phones >= 0.2]
    if national:
        notes["default_country"] = [f"phone numbers without a country code and no country column in: {', '.join(national)} — set the country they are from (ISO code, e.g. \"DE\") to read them"]
    return notes


def config_text(plans: list[InputPlan]) -> str:
    """listclean.toml: a table per command, every option commented, with advice from the inputs."""
    lines = [NOTE, "# Settings: flags > LISTCLEAN_<COMMAND>_<OPTION> environment variables > this file > defaults.", ""]
    advice = {"import": _import_advice(plans)}
    for command in CONFIGURED:
        lines += [f"[{command}]", *_options_block(command, advice.get(command, {})), ""]
    return "\n".join(lines).rstrip() + "\n"


def run_text(plans: list[InputPlan], inputs: list[str], run_file: str, workdir: str) -> str:
    """The nightly run file: the inputs, the work directory and each step's options, commented."""
    from listclean.run import RESERVED

    base = os.path.dirname(os.path.abspath(run_file))
    relative = [os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/") for path in inputs]
    lines = [
        NOTE,
        "# Run it with `listclean run " + os.path.basename(run_file) + "` (add --dry-run to see the commands first).",
        "",
        "[run]",
        f"inputs = {toml_value(relative)}",
        f"workdir = {toml_value(workdir)}                # contacts, validated, golden records, merges, reports",
        '# store = "suppression/store.tsv"   # import, validate, segment and export use the suppression store',
        '# suppress = ["suppression/*.txt"]  # validate, segment and export use these lists',
        '# as_of = "2026-01-31"              # the date of segment, export and decay-report (default: now)',
        "",
    ]
    notes = _import_advice(plans)
    for step in ("import", "validate", "dedupe"):
        block = _options_block(step, notes if step == "import" else {}, skip={*RESERVED, "against"})
        if step == "dedupe":
            block = _comment("against = true: after the first night, match into the work directory's golden.parquet") + ["# against = false", *block]
        lines += [f"[run.{step}]", *block, ""]
    lines += ["# Segments: uncomment the table (and the options you want) to label the golden records.", "# [run.segment]"]
    lines += [*_options_block("segment", {}, "# ", skip=RESERVED), ""]
    lines += ["# An export per platform or file: uncomment a table, set `to` and `output`.", "# [[run.export]]", '# output = "outbox/mailchimp.csv"']
    lines += [*_options_block("export", {}, "# ", skip=RESERVED), ""]
    lines += ["[run.decay-report]", f"html = {toml_value(workdir.rstrip('/') + '/decay.html')}"]
    lines += _options_block("decay-report", {}, skip={*RESERVED, "html"})
    return "\n".join(lines).rstrip() + "\n"
