"""listclean init: a commented listclean.toml and nightly run file for the files at hand."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

EXAMPLES = Path(__file__).parents[2] / "examples"


def _listclean(args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_") and k != "NO_COLOR"}
    env.update({"COLUMNS": "200", "NO_COLOR": "1"})
    return subprocess.run([sys.executable, "-m", "listclean", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def _exports(tmp_path):
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLES, folder)
    return sorted(folder.iterdir())


def test_init_shows_each_columns_field_and_writes_both_files(tmp_path):
    files = _exports(tmp_path)
    result = _listclean(["init", *files], tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"E-Mail-Adresse\s+│\s+email", result.stderr)  # the German shop's header, mapped
    assert re.search(r"Unsubscribed from all email\s+│\s+\(opt-out flag\)", result.stderr)
    assert "recognised as a Mailchimp audience export" in result.stderr
    assert "decoded as cp1252" in result.stderr  # what a person should check
    assert (tmp_path / "listclean.toml").is_file() and (tmp_path / "nightly.toml").is_file()
    assert "listclean run nightly.toml --dry-run" in result.stderr


def test_the_files_load_and_every_listed_option_exists(tmp_path):
    from listclean.cli.app import _option, _options_by_command, load_config

    files = _exports(tmp_path)
    assert _listclean(["init", *files], tmp_path).returncode == 0
    config = tmp_path / "listclean.toml"
    assert all(table == {} for table in load_config(str(config)).values())  # everything commented out: the defaults stand
    options = _options_by_command()
    table, listed = None, 0
    for line in config.read_text().splitlines():
        if line.startswith("["):
            table = line.strip("[]")
            continue
        found = re.match(r"# (\w+) = ", line)
        if found:
            assert _option(options[table], found.group(1)) is not None, (table, found.group(1))
            listed += 1
    assert listed > 60  # every step's options, not a handful
    # Uncommenting a default value is still a valid configuration.
    uncommented = re.sub(r"^# (fix_typos|match|max_block_size|on_bad_rows) = ", r"\1 = ", config.read_text(), flags=re.M)
    config.write_text(uncommented)
    loaded = load_config(str(config))
    assert loaded["validate"]["fix_typos"] is False and loaded["dedupe"]["match"] == "fuzzy"

    run = tomllib.loads((tmp_path / "nightly.toml").read_text())["run"]
    assert run["inputs"] == [f"exports/{path.name}" for path in files]  # relative to the run file
    dry = _listclean(["run", "nightly.toml", "--dry-run"], tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "listclean import" in dry.stdout + dry.stderr and "shop_kunden_cp1252.csv" in dry.stdout + dry.stderr


def test_init_refuses_to_replace_its_files_without_force(tmp_path):
    files = _exports(tmp_path)
    (tmp_path / "nightly.toml").write_text("# my own run file\n")
    result = _listclean(["init", *files], tmp_path)
    assert result.returncode == 3 and "nightly.toml: already exists" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "nightly.toml").read_text() == "# my own run file\n"
    assert not (tmp_path / "listclean.toml").exists()  # both checked before either is written
    assert _listclean(["init", *files, "--force"], tmp_path).returncode == 0
    assert "[run]" in (tmp_path / "nightly.toml").read_text()


def test_init_says_what_the_data_leaves_open(tmp_path):
    (tmp_path / "form.csv").write_text(
        "email,phone,Signup Date\nann@example.com,0171 2345678,03/04/2024\nbob@example.com,030 1234567,05/06/2024\n"
    )
    result = _listclean(["init", "--json"], tmp_path)  # no inputs named: the readable files here
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert [item["file"] for item in summary["inputs"]] == ["form.csv"]
    assert summary["inputs"][0]["ambiguous_dates"] == ["signup_at"]
    assert "no country code" in result.stderr
    config = " ".join(line.lstrip("# ") for line in (tmp_path / "listclean.toml").read_text().splitlines())  # comments are wrapped
    assert "day- or month-first" in config and "form.csv: Signup Date" in config
    assert "phone numbers without a country code" in config


def test_init_with_nothing_to_read_is_a_usage_error(tmp_path):
    result = _listclean(["init"], tmp_path)
    assert result.returncode == 2 and "no input files here" in result.stderr
