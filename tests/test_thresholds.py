"""--fail-on thresholds."""

from __future__ import annotations

import pytest

from listclean.errors import UsageError
from listclean.thresholds import crossed, parse_thresholds

KNOWN = ["invalid", "risky", "disposable"]


def test_percent_and_count_thresholds():
    thresholds = parse_thresholds(["invalid>5%", "risky>=10, disposable>0"], KNOWN)
    counts = {"invalid": 6, "risky": 9, "disposable": 0}
    assert crossed(thresholds, counts, total=100) == ["invalid is 6.00% (invalid>5%)"]
    assert crossed(thresholds, counts, total=1000) == []
    assert crossed(thresholds, {"risky": 10}, total=1000) == ["risky is 10 (risky>=10)"]


def test_empty_input_crosses_no_percentage():
    assert crossed(parse_thresholds(["invalid>0%"], KNOWN), {}, total=0) == []


@pytest.mark.parametrize("text", ["invalid", "invalid>>5", "invalid>five", "5%>invalid"])
def test_malformed_threshold_is_a_usage_error(text):
    with pytest.raises(UsageError, match="not a threshold"):
        parse_thresholds([text], KNOWN)


def test_unknown_counter_lists_the_known_ones():
    with pytest.raises(UsageError, match="disposable, invalid, risky"):
        parse_thresholds(["invlaid>5%"], KNOWN)
