"""The README's Python API example runs as printed (from a copy of the repository's root)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md (Python API)", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["validated"].counts["rows_in"] == namespace["contacts"].height
    assert namespace["decay"].as_dict()["rows"] == namespace["labelled"].height
    assert (tmp_path / "klaviyo.csv").exists() and (tmp_path / "suppression.tsv").exists()
