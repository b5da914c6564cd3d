"""Segments from rules, RFM scores and lifecycle stages."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from listclean import segmentation as seg

AS_OF = datetime(2026, 11, 24, tzinfo=timezone.utc)


def ago(days: int) -> datetime:
    return AS_OF - timedelta(days=days)


def contacts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "email": ["us-new@x.com", "us-old@x.com", "pl-b2b@x.pl", "pl-quiet@x.pl", "vip@x.de", "gone@x.com"],
            "country": ["US", "US", "PL", "PL", "DE", "US"],
            "company": [None, None, "Firma", "Firma", None, None],
            "signup_at": [ago(30), ago(400), ago(200), ago(200), ago(50), ago(20)],
            "last_click_at": [None, None, ago(10), ago(300), None, None],
            "total_spend": [0.0, 250.0, 80.0, 10.0, 1200.0, 50.0],
            "tags": [["newsletter"], [], ["b2b"], ["b2b"], ["VIP", "b2b"], []],
            "consent_status": ["subscribed", "subscribed", "subscribed", "subscribed", "subscribed", "unsubscribed"],
        }
    )


RULES = {
    "segment": [
        {"name": "US recent", "all": [{"field": "country", "equals": "us"}, {"field": "signup_at", "within_days": 182}]},
        {"name": "Engaged B2B PL", "where": "country = 'PL' AND company IS NOT NULL", "any": [{"field": "last_click_at", "within_days": 90}]},
        {"name": "Big spenders", "all": [{"field": "total_spend", "gte": 200}], "none": [{"field": "tags", "has": "vip"}]},
        {"name": "B2B", "all": [{"field": "tags", "has_any": ["b2b"]}]},
    ]
}


def labels(frame: pl.DataFrame) -> dict[str, object]:
    return dict(frame.select("email", "segment").iter_rows())


def test_first_match_mode_labels_each_contact_once_and_skips_the_unmailable():
    out = seg.apply_rules(contacts(), seg.parse_rules(RULES), AS_OF)
    assert labels(out) == {
        "us-new@x.com": "US recent", "us-old@x.com": "Big spenders", "pl-b2b@x.pl": "Engaged B2B PL",
        "pl-quiet@x.pl": "B2B", "vip@x.de": "B2B", "gone@x.com": None,
    }  # fmt: skip


def test_multi_label_mode_gives_every_match_and_unmailable_can_be_included():
    rules = seg.parse_rules({**RULES, "mode": "all"})
    out = seg.apply_rules(contacts(), rules, AS_OF, include_unmailable=True)
    got = labels(out)
    assert got["pl-b2b@x.pl"] == ["Engaged B2B PL", "B2B"]
    assert got["gone@x.com"] == ["US recent"]
    assert got["us-old@x.com"] == ["Big spenders"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "country", "in": ["pl", "DE"]}, {"pl-b2b@x.pl", "pl-quiet@x.pl", "vip@x.de"}),
        ({"field": "company", "is_empty": False}, {"pl-b2b@x.pl", "pl-quiet@x.pl"}),
        ({"field": "email", "contains": "@x.pl"}, {"pl-b2b@x.pl", "pl-quiet@x.pl"}),
        ({"field": "signup_at", "before": "2026-01-01"}, {"us-old@x.com"}),
        ({"field": "signup_at", "between": ["2026-05-01", "2026-10-31"]}, {"us-new@x.com", "pl-b2b@x.pl", "pl-quiet@x.pl", "vip@x.de"}),
        ({"field": "last_click_at", "not_within_days": 90}, {"us-new@x.com", "us-old@x.com", "pl-quiet@x.pl", "vip@x.de", "gone@x.com"}),
        ({"field": "tags", "has_all": ["vip", "B2B"]}, {"vip@x.de"}),
        ({"field": "total_spend", "lt": 50}, {"us-new@x.com", "pl-quiet@x.pl"}),
    ],
)
def test_each_operator(condition, expected):
    rules = seg.parse_rules({"segment": [{"name": "s", "all": [condition]}]})
    out = seg.apply_rules(contacts(), rules, AS_OF, include_unmailable=True)
    assert {email for email, label in labels(out).items() if label == "s"} == expected


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"segment": [{"name": "x", "all": [{"field": "nope", "equals": 1}]}]}, "segment 'x', all condition #1: unknown column 'nope'"),
        ({"segment": [{"name": "x", "all": [{"field": "country", "resembles": "US"}]}]}, "needs exactly one operator"),
        ({"segment": [{"name": "x", "all": [{"field": "country", "within_days": 3}]}]}, "needs a date column"),
        ({"segment": [{"name": "x", "where": "country = "}]}, "segment 'x', where"),
        ({"segment": [{"name": "x", "where": "(SELECT 1) = 1"}]}, "must be an expression, not a query"),
        ({"segment": [{"name": "x", "where": "read_csv('/etc/passwd') IS NULL"}]}, "cannot be used"),
        ({"segment": [{"name": "x"}, {"name": "x"}]}, "defined twice"),
        ({"mode": "some", "segment": [{"name": "x"}]}, "mode must be"),
    ],
)
def test_bad_rules_name_the_segment_and_condition(rules, message):
    with pytest.raises(seg.SegmentError) as error:
        seg.apply_rules(contacts(), seg.parse_rules(rules), AS_OF)
    assert message in str(error.value)


def test_every_rfm_score_combination_maps_to_exactly_one_named_segment():
    seen = set()
    for recency, frequency, monetary in itertools.product(range(1, 6), repeat=3):
        fm = int((frequency + monetary) / 2 + 0.5)
        name = seg.rfm_segment_for(recency, fm)
        assert name in seg.RFM_SEGMENTS
        seen.add(name)
    assert seen == set(seg.RFM_SEGMENTS)  # and every named segment is reachable


def test_rfm_scores_are_quintiles_with_recency_reversed_and_deterministic_ties():
    frame = pl.DataFrame(
        {
            "last_purchase_at": [ago(d) for d in (1, 10, 20, 40, 80, 160, 320, 640, 900, 1000)] + [None],
            "purchase_count": [9, 8, 7, 6, 5, 4, 3, 2, 1, 1, None],
            "total_spend": [900.0, 800, 700, 600, 500, 400, 300, 200, 100, 100, None],
        }
    )
    out = seg.rfm(frame, AS_OF)
    assert out["rfm_recency"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, None]
    assert out["rfm_frequency"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, None]
    assert out["rfm_segment"][0] == "Champions" and out["rfm_segment"][-2] == "Lost" and out["rfm_segment"][-1] is None
    assert seg.rfm(frame, AS_OF).equals(out)


def test_rfm_without_spend_uses_recency_and_frequency_only():
    frame = pl.DataFrame({"last_purchase_at": [ago(1), ago(500)], "purchase_count": [10, 1]})
    out = seg.rfm(frame, AS_OF)
    assert out["rfm_monetary"].to_list() == [None, None]
    # Two buyers: the better one scores 5, the other ceil(5 * 1 / 2) = 3.
    assert out["rfm_segment"].to_list() == ["Champions", "Need Attention"]


def test_lifecycle_stages_follow_engagement_and_signup():
    frame = pl.DataFrame(
        {
            "signup_at": [ago(10), ago(10), ago(400), ago(400), ago(400), ago(400)],
            "last_click_at": [None, ago(5), ago(60), ago(150), ago(300), None],
        }
    )
    stages = frame.select(seg.lifecycle(frame, AS_OF)).to_series().to_list()
    assert stages == ["new", "active", "active", "at_risk", "dormant", "lost"]
