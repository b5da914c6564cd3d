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


def pytest_xdist_make_scheduler(config, log):
    """The Spark tests (tests/spark) on one test worker, every other test wherever there is room.

    One worker, one JVM: two local Spark sessions would fight over the two cores. (Not with
    `--dist loadgroup` and an `xdist_group` mark: on pytest 9.2 xdist 3.8's group never reaches the
    scheduler, pytest-dev/pytest-xdist#1386, and the Spark tests were spread over both workers.)"""
    from xdist.scheduler import LoadScopeScheduling

    class SparkOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "spark" if nodeid.startswith("tests/spark/") else nodeid

    return SparkOnOneWorker(config, log)


def pytest_collection_modifyitems(config, items):
    """The Spark tests first: their worker starts on them at once, the other takes everything
    else, and the suite ends when the longer of the two does (not the Spark tests' time after
    half the suite)."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/spark/"))  # stable: each side in its order


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (two cores) for the Spark tests (tests/spark: one test worker starts
    it, once), set for lists of a few hundred rows, where a step's time is Spark's fixed cost per
    job and the JVM's compiling competes with the other test worker for the two cores: adaptive
    execution off (its re-planning doubled the jobs: 118 to 54 over four dedupes), no generated
    code and the JVM's quick compiler only (a fuzzy dedupe of 1,500 rows three times: 49 s and
    74 s of the JVM's CPU, now 40 s and 40 s). The results are the same either way."""
    from listclean.spark import session

    config = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    }
    spark = session("local[2]", config=config)
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()
