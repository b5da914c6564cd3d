"""LISTCLEAN_* variables: options read from the environment, the ones that act instead of the
command never, and the README's list of them is the code's (#21)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from listclean import __version__
from listclean.cli import app as cli
from listclean.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
ROWS = "email,first_name\nann@firma.pl,Ann\n"


def run(args: list[str], cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LISTCLEAN_", "_LISTCLEAN_"))}
    environment.update(variables, HOME=str(cwd))
    return subprocess.run([sys.executable, "-m", "listclean", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    (tmp_path / "x.csv").write_text(ROWS)
    return tmp_path


def test_listclean_version_set_does_not_turn_a_command_into_a_silent_version_print(rows):
    result = run(["validate", "x.csv", "-o", "out.csv"], rows, LISTCLEAN_VERSION="1")
    assert result.returncode == 0, result.stderr
    assert f"listclean {__version__}" not in result.stdout
    assert "email_status" in (rows / "out.csv").read_text()  # the command did its work
    piped = run(["validate", "x.csv"], rows, LISTCLEAN_VERSION="0.1.0")  # a version pin of the user's own
    assert piped.stdout.startswith("email,") and __version__ not in piped.stdout.splitlines()[0]


@pytest.mark.parametrize("variable", ["LISTCLEAN_HELP", "LISTCLEAN_VALIDATE_HELP", "LISTCLEAN_INSTALL_COMPLETION", "LISTCLEAN_SHOW_COMPLETION"])
def test_the_other_immediate_options_are_not_read_from_the_environment_either(rows, variable):
    result = run(["validate", "x.csv", "-o", "out.csv"], rows, **{variable: "1"})
    assert result.returncode == 0, result.stderr
    assert "Usage:" not in result.stdout and "complete" not in result.stdout
    assert (rows / "out.csv").exists()
    assert not (rows / ".bashrc").exists() and not (rows / ".bash_completions").exists()


def test_the_command_line_still_has_them(rows):
    assert run(["--version"], rows, LISTCLEAN_VERSION="").stdout.strip() == f"listclean {__version__}"
    assert run(["--version"], rows, LISTCLEAN_IMPORT_BOGUS="1").returncode == 0  # whatever the configuration
    assert "Usage: listclean validate" in run(["validate", "--help"], rows).stdout


def test_a_typo_in_a_variable_is_still_an_error_and_a_global_option_still_reads_its_variable(rows):
    typo = run(["validate", "x.csv", "-o", "out.csv"], rows, LISTCLEAN_VALIDATE_FIX_TYPO="1")
    assert typo.returncode == 2 and "LISTCLEAN_VALIDATE_FIX_TYPO" in typo.stderr and "names no option" in typo.stderr
    quiet = run(["validate", "x.csv", "-o", "out.csv"], rows, LISTCLEAN_QUIET="1")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_an_immediate_option_in_listclean_toml_is_an_unknown_key(rows):
    (rows / "listclean.toml").write_text("[validate]\nhelp = true\n")
    result = run(["validate", "x.csv", "-o", "out.csv"], rows)
    assert result.returncode == 2
    assert "[validate] help: unknown key" in result.stderr and "Usage:" not in result.stdout
    assert "help" not in result.stderr.split("options:")[1]  # not offered as a key either


def test_config_from_environment_ignores_only_the_immediate_options():
    ignored = {name: "1" for name in ("LISTCLEAN_VERSION", "LISTCLEAN_HELP", "LISTCLEAN_DEDUPE_HELP", "LISTCLEAN_INSTALL_COMPLETION", "LISTCLEAN_SHOW_COMPLETION")}
    assert cli.config_from_environment(ignored) == {}
    assert cli.config_from_environment({"LISTCLEAN_IMPORT_MAP": "A=email; B=first_name"}) == {"import": {"mapping": ["A=email", "B=first_name"]}}
    with pytest.raises(ConfigError, match="LISTCLEAN_VERSIONS"):
        cli.config_from_environment({"LISTCLEAN_VERSIONS": "1"})


# --------------------------------------------------------------------------- the README's list


def _readme_variables() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Global options, configuration and exit codes") :]
    match = re.search(r"<!-- environment-variables -->(.*?)<!-- /environment-variables -->", section, re.S)
    assert match, "README.md: the environment-variables list is missing from 'Global options, configuration and exit codes'"
    rows = [line for line in match[1].splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`(_?LISTCLEAN_[A-Z_<>]+)`", row.split(" | ")[0])]


def test_the_readme_lists_exactly_the_variables_the_code_reads():
    expected = [
        cli.OPTION_VARIABLES,
        *cli.global_variables(),
        *cli.OTHER_VARIABLES,
        *cli.ignored_variables(),
        cli.COMPLETE_VARIABLE,
    ]
    listed = _readme_variables()
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert set(listed) == set(expected), f"README.md lists {sorted(set(listed) - set(expected))} that the code does not read and misses {sorted(set(expected) - set(listed))}"


def test_every_listclean_variable_named_in_the_source_is_in_a_registry():
    """A new LISTCLEAN_* read somewhere in src/ must join OTHER_VARIABLES (and so the README), or be an option's."""
    names = set()
    for path in (ROOT / "src" / "listclean").rglob("*.py"):
        names |= set(re.findall(r"(?<![A-Za-z_{])LISTCLEAN_[A-Z][A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    ignored = set(cli.ignored_variables())
    for name in sorted(names - set(cli.OTHER_VARIABLES) - ignored):
        try:
            cli.config_from_environment({name: ""})
        except ConfigError as error:
            assert "names no option" not in str(error), f"{name} is read in src/ but is neither an option's variable nor in app.OTHER_VARIABLES"
