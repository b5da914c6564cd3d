"""docs/cli.md and docs/listclean.1 are the app's own help, generated, and up to date (#21)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_cli_docs.py"
FIX = "run `python scripts/build_cli_docs.py --write` and commit docs/"


def _load_script():
    spec = importlib.util.spec_from_file_location("build_cli_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


docs = _load_script()


@pytest.mark.parametrize("name", list(docs.FILES))
def test_the_committed_reference_is_the_app(name):
    committed = ROOT / "docs" / name
    assert committed.exists(), f"docs/{name} is missing: {FIX}"
    assert committed.read_text(encoding="utf-8") == docs.FILES[name](), f"docs/{name} differs from the app: {FIX}"


def test_the_reference_does_not_depend_on_the_terminal(monkeypatch):
    rendered = {name: render() for name, render in docs.FILES.items()}
    for columns in ("40", "300"):
        monkeypatch.setenv("COLUMNS", columns)
        monkeypatch.setenv("FORCE_COLOR", "1")
        assert {name: render() for name, render in docs.FILES.items()} == rendered
    for text in rendered.values():
        assert "\x1b" not in text and "\r" not in text


def test_the_reference_has_every_command_option_and_example():
    import typer.main

    from listclean.cli import app as cli

    markdown, man = docs.markdown(), docs.man()
    group = typer.main.get_command(cli.app)
    for name in cli.COMMANDS:
        assert f"\n## listclean {name}\n" in markdown and f'.SS "listclean {name.replace("-", chr(92) + "-")} ' in man
        for param in group.commands[name].params:
            if param.param_type_name == "option" and not param.hidden:
                assert f"`{param.opts[0]}" in markdown, f"{name} {param.opts[0]} is not in docs/cli.md"
                assert f"\\fB{param.opts[0].replace('-', chr(92) + '-')}\\fR" in man
        for example in cli.COMMANDS[name].EXAMPLES:
            assert example.says in markdown
    assert "(TOML with a [run] table)" in markdown.replace("\\[", "[").replace("\\]", "]")
    assert "<bool>" not in markdown and "<str>" not in markdown


def test_check_names_the_stale_file_and_the_command_that_regenerates_it(tmp_path):
    for name in docs.FILES:
        shutil.copy(ROOT / "docs" / name, tmp_path / name)
    (tmp_path / "cli.md").write_text("# out of date\n", encoding="utf-8")
    check = subprocess.run([sys.executable, str(SCRIPT), "--check", "--docs", str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 1
    assert "cli.md differs from the app" in check.stderr and "listclean.1" not in check.stderr
    assert "python scripts/build_cli_docs.py --write" in check.stderr
    write = subprocess.run([sys.executable, str(SCRIPT), "--write", "--docs", str(tmp_path)], capture_output=True, text=True)
    assert write.returncode == 0, write.stderr
    assert (tmp_path / "cli.md").read_text(encoding="utf-8") == (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("man") is None, reason="no man(1) here")
def test_the_man_page_renders_without_warnings(tmp_path):
    result = subprocess.run(["man", "--warnings", "-l", str(ROOT / "docs" / "listclean.1")], capture_output=True, text=True, env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "listclean import [OPTIONS] INPUT..." in result.stdout
