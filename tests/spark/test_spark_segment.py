"""listclean.spark.segment: rule segments and lifecycle stages as the single machine labels them."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from listclean import api
from test_spark_validate import _canonical_parquet

sys.path.insert(0, str(Path(__file__).parents[1] / "decay"))
from listdata import AS_OF, history_list  # noqa: E402

pytestmark = pytest.mark.xdist_group("spark")

RULES = """
mode = "all"

[[segment]]
name = "Subscribed"
where = "consent_status = 'subscribed'"

[[segment]]
name = "Recent"
any = [{ field = "signup_at", within_days = 365 }, { field = "last_click_at", within_days = 90 }]

[[segment]]
name = "From a purchase"
where = "source = 'purchase'"
"""


@pytest.mark.parametrize("partitions", [1, 5])
def test_rules_and_lifecycle_are_the_single_machines_labels(spark, tmp_path, partitions):
    from listclean.spark import segment
    from listclean.steps.segment import SegmentStepOptions

    rules = tmp_path / "segments.toml"
    rules.write_text(RULES, encoding="utf-8")
    contacts, _ = api.validate(history_list(400))
    path = Path(_canonical_parquet(tmp_path, contacts))
    single, _ = api.segment(str(path), rules=str(rules), lifecycle=True, as_of=AS_OF)
    options = SegmentStepOptions(rules=str(rules), lifecycle=True, as_of=AS_OF)
    spread = pl.from_arrow(segment(spark.read.parquet(str(path)).repartition(partitions), options).toArrow())
    assert spread.columns == single.columns
    assert spread.sort("_source_row").equals(single.sort("_source_row"))
    assert spread["lifecycle_stage"].n_unique() > 2 and spread["segment"].list.len().max() >= 2


def test_rfm_is_refused_rather_than_ranked_per_partition(spark):
    from listclean.errors import UsageError
    from listclean.spark import segment
    from listclean.steps.segment import SegmentStepOptions

    with pytest.raises(UsageError, match="RFM scores are not available on Spark yet"):
        segment(spark.createDataFrame([("ann@example.org",)], "email string"), SegmentStepOptions(rfm=True))
