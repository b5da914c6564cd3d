"""listclean.spark.decay_report: the single machine's report and sunset candidates, from any partitioning."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from listclean import api
from test_spark_validate import _canonical_parquet
from listclean.email.validate import with_alternates
from listclean.schema import column_order

sys.path.insert(0, str(Path(__file__).parents[1] / "decay"))
from listdata import AS_OF, history_list  # noqa: E402

pytestmark = pytest.mark.xdist_group("spark")


@pytest.mark.parametrize("partitions", [1, 6])
def test_the_report_and_the_sunset_candidates_are_the_single_machines(spark, tmp_path, partitions):
    from listclean.decay import DecayOptions
    from listclean.spark import decay_report

    contacts, _ = api.read(history_list(600))
    path = Path(_canonical_parquet(tmp_path, contacts))
    single = api.decay_report(str(path), as_of=AS_OF)
    report, candidates = decay_report(spark.read.parquet(str(path)).repartition(partitions), DecayOptions(as_of=AS_OF))
    assert report.as_dict() == single.measured.as_dict()
    expected = with_alternates(single.sunset_candidates)
    expected = expected.select(column_order(expected.columns)).sort("_source_row")
    found = pl.from_arrow(candidates.toArrow()).sort("_source_row")
    assert found.height == report.sunset["candidates"] > 0
    assert found.select(expected.columns).equals(expected)
