"""At the terminal: every --help ends with real examples, names values plainly, keeps square
brackets; shell completion offers commands, options and the registries' values (#21)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
import typer.main
from typer._completion_classes import BashComplete
from typer.testing import CliRunner

from listclean.cli import app as cli
from listclean.cli.helptext import EXAMPLE_WIDTH, EXAMPLES_HEADING, example_commands

COMMANDS = ["", *cli.COMMANDS]  # "": listclean --help itself
SHELL_OPERATORS = {">", ">>", "|", "&&", ";", "2>"}
TYPE_LABELS = re.compile(r"<(?:bool|str|int|float|path|list\[[^>]*\]|int range|float range|[a-z_]+\|[a-z_|]+)>")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LISTCLEAN_", "_LISTCLEAN_")) and k not in {"FORCE_COLOR", "NO_COLOR"}}
    return {**environment, **extra}


def help_text(command: str, columns: int) -> str:
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(cli.app, args, env={"COLUMNS": str(columns), "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.stdout


def registered_examples(command: str) -> list:
    return cli.EXAMPLES if not command else cli.COMMANDS[command].EXAMPLES


def parse(line: str) -> tuple[str, dict]:
    """A `listclean …` line through Click's parser, as the shell would hand it over (no command runs)."""
    words = shlex.split(line)
    for index, word in enumerate(words):
        if word in SHELL_OPERATORS:
            words = words[:index]
            break
    assert words[0] == "listclean", line
    group = typer.main.get_command(cli.app)
    ctx = group.make_context("listclean", words[1:])
    name, command, rest = group.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
    assert command is not None, line
    sub = command.make_context(name, rest, parent=ctx)
    return name, sub.params


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_ends_with_examples_that_parse(command, columns):
    text = help_text(command, columns)
    assert EXAMPLES_HEADING in text, f"`listclean {command} --help` has no examples"
    block = text[text.rindex(EXAMPLES_HEADING) :]
    lines = [line.strip() for line in block.splitlines()[1:] if line.strip()]
    for previous, line in zip(["#"] + lines, lines):
        assert line.startswith(("# ", "listclean ")) or previous.endswith("\\"), f"not an example line: {line!r}"
    commands = example_commands(block)
    assert len(commands) >= 2
    # printed exactly as registered: Rich did not re-wrap or eat any of it, at either width
    assert commands == [" ".join(example.command.split()) for example in registered_examples(command)]
    for line in commands:
        name, _ = parse(line)
        if command:
            assert name == command, f"an example of {command} runs {name}: {line}"


def test_examples_fit_an_80_column_terminal_and_are_the_last_thing_in_help():
    for command in COMMANDS:
        text = help_text(command, 80)
        assert max(len(line) for line in text.splitlines()) <= 80
        tail = text[text.rindex(EXAMPLES_HEADING) :].splitlines()[1:]
        assert all(len(line.rstrip()) <= EXAMPLE_WIDTH + 1 for line in tail)  # + the one column of padding Rich adds
        assert all(line.strip() == "" or line.startswith("   ") for line in tail), f"{command}: something follows the examples"


def test_examples_parse_with_the_options_they_use():
    name, params = parse("listclean validate crm.csv -o out.csv --drop invalid --drop suppressed --rejects dropped.csv --fail-on 'invalid>5%'")
    assert name == "validate" and [status.value for status in params["drop"]] == ["invalid", "suppressed"] and params["fail_on"] == ["invalid>5%"]
    with pytest.raises(Exception, match="No such option"):
        parse("listclean validate crm.csv --no-such-flag")


def test_help_names_values_plainly_and_flags_not_at_all():
    for command in COMMANDS:
        for columns in (80, 200):
            text = help_text(command, columns)
            assert not TYPE_LABELS.search(text), f"`listclean {command} --help` shows {TYPE_LABELS.search(text)[0]}"
    validate = help_text("validate", 200)
    assert re.search(r"--fix-typos\s+Apply", validate)  # a flag: no value name between it and its help
    assert re.search(r"--help\s+-h\s+Show this message", validate)
    assert re.search(r"--output\s+-o\s+PATH\s", validate)
    assert "Usage: listclean validate [OPTIONS] INPUT..." in validate
    assert re.search(r"--on-bad-rows\s+\[error\|skip\|keep\]", validate)


def test_square_brackets_in_help_texts_are_printed_as_written():
    assert "(TOML with a [run] table)" in help_text("run", 200)
    for command in COMMANDS:
        text = help_text(command, 200)
        assert "[/" not in text and "\\[" not in text  # nothing read as markup, no escape left over


def test_help_without_color_has_no_colour_codes_but_the_same_examples(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "listclean", "run", "--help"], capture_output=True, text=True, cwd=tmp_path,
        env=_environment(COLUMNS="80", NO_COLOR="1", FORCE_COLOR="1"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7])(?:;[0-9]+)*m", result.stdout)  # no foreground colour
    assert example_commands(ANSI.sub("", result.stdout)) == [example.command for example in cli.COMMANDS["run"].EXAMPLES]


# --------------------------------------------------------------------------- completion


@pytest.fixture(scope="module")
def complete():
    completer = BashComplete(typer.main.get_command(cli.app), {}, "listclean", cli.COMPLETE_VARIABLE)

    def values(*words: str) -> list[str]:
        *args, incomplete = words
        return [item.value for item in completer.get_completions(list(args), incomplete)]

    return values


def test_completion_offers_commands_options_and_registry_values(complete):
    from listclean.email.reasons import REASONS, STATUS_ORDER
    from listclean.io.write import WRITE_FORMATS
    from listclean.linkage.blocking import MATCH_LEVELS
    from listclean.platforms import EXPORT_TARGETS
    from listclean.steps.decay import MEASURES
    from listclean.steps.validate import DROPPABLE

    assert complete("de") == ["dedupe", "decay-report"]
    assert "--fix-typos" in complete("validate", "--fi")
    assert complete("export", "--to", "mai") == ["mailchimp"]
    assert complete("export", "--to", "") == list(EXPORT_TARGETS)
    assert complete("dedupe", "--match", "f") == ["fuzzy"]
    assert complete("dedupe", "--match", "") == list(MATCH_LEVELS)
    assert complete("validate", "--drop", "") == list(DROPPABLE)
    assert complete("validate", "--fail-on", "") == [*STATUS_ORDER, *REASONS]
    assert complete("validate", "--fail-on", "dis") == ["disposable"]
    assert complete("decay-report", "--fail-on", "") == list(MEASURES)
    assert complete("decay-report", "--fail-on", "monthly") == ["monthly_decay"]
    assert complete("import", "--format", "") == list(WRITE_FORMATS)
    assert complete("export", "--consent-policy", "subscribed+p") == ["subscribed+pending", "subscribed+pending+unknown"]
    assert complete("import", "--on-bad-rows", "s") == ["skip"]
    assert complete("--version", "import", "--to", "") == []  # completing never acts on --version


def test_the_completion_protocol_answers_a_shell_without_configuration_or_polars(tmp_path):
    (tmp_path / "listclean.toml").write_text("[import\n")  # broken: completion must not print errors
    probe = (
        "import sys\nfrom listclean.cli.app import main\ntry:\n    main()\nexcept SystemExit as exit_:\n    code = exit_.code\n"
        "print('polars' in sys.modules, code, file=sys.stderr)"
    )
    environment = _environment(**{cli.COMPLETE_VARIABLE: "complete_bash", "COMP_WORDS": "listclean export --to mai", "COMP_CWORD": "3", "LISTCLEAN_BOGUS": "1"})
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=environment)
    assert result.stdout.split() == ["mailchimp"]
    assert result.stderr.strip() == "False 0"
    environment.update(COMP_WORDS="listclean dedupe --match f")
    result = subprocess.run([sys.executable, "-m", "listclean"], capture_output=True, text=True, cwd=tmp_path, env=environment)
    assert result.stdout.split() == ["fuzzy"] and result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_a_completion_script_for_every_shell(tmp_path, shell):
    environment = _environment(**{cli.COMPLETE_VARIABLE: f"source_{shell}"})
    result = subprocess.run([sys.executable, "-m", "listclean"], capture_output=True, text=True, cwd=tmp_path, env=environment)
    assert result.returncode == 0, result.stderr
    assert cli.COMPLETE_VARIABLE in result.stdout and "listclean" in result.stdout


def test_completion_options_are_offered_in_help():
    text = help_text("", 200)
    assert "--install-completion" in text and "--show-completion" in text
