from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from listclean.cli.app import app
from listclean.importer import ImportOptions, ImportResult, import_sources
from listclean.io.read import ReadOptions, Workspace

from hypothesis import settings as hypothesis_settings

# The suite replays the same examples every run, so a red run is reproducible and a commit's
# result does not depend on luck. Hunting for new failures is a separate, deliberate run:
#   HYPOTHESIS_PROFILE=explore HARDENING_EXAMPLES=500 .venv/bin/python -m pytest tests/cli/test_hardening.py
# and whatever it finds becomes an @example in the test.
hypothesis_settings.register_profile("replay", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "replay"))

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI in-process; stdout and stderr separately, env cleaned of LISTCLEAN_*."""
    for name in list(os.environ):
        if name.startswith("LISTCLEAN_") or name == "NO_COLOR":
            monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(args: Sequence[str], input: bytes | str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, env=env, catch_exceptions=False)

    return invoke


def load(path: Path | str, **read_options) -> ImportResult:
    options = ImportOptions(read=ReadOptions(**read_options))
    with Workspace() as workspace:
        return import_sources([str(path)], options, workspace)


def frame_of(text: str) -> pl.DataFrame:
    """A one-column-per-key frame from 'a,b\\n1,2' style text (all strings)."""
    import io

    return pl.read_csv(io.StringIO(text), infer_schema=False)


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (two cores) for the Spark tests (tests/spark, xdist group "spark": one
    test worker starts it, once)."""
    from listclean.spark import session

    spark = session("local[2]", config={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2", "spark.ui.showConsoleProgress": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()
