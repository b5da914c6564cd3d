"""decay-report and segment stay truthful on messy lists (issue #19): what the figures cannot say
is said, with its count; future dates are unknown; months, sizes, cohorts and survival are
defined once and consistently."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

from listclean.decay import DecayOptions, decay_report

UTC = timezone.utc
AS_OF = datetime(2026, 11, 30, tzinfo=UTC)
GOLDEN = Path(__file__).parent.parent / "golden" / "decay_notes"


def ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


def contacts(rows: list[dict]) -> pl.DataFrame:
    columns = ("email", "signup_at", "consent_status", "consent_at", "last_click_at", "last_purchase_at", "last_open_at", "source")
    return pl.DataFrame(
        [{name: row.get(name) for name in columns} for row in rows],
        schema={name: (pl.Datetime("us", "UTC") if name.endswith("_at") else pl.String) for name in columns},
    )


def report(rows: list[dict], **options):
    return decay_report(contacts(rows), DecayOptions(as_of=AS_OF, **options))[0]


# Each case plants one problem; its note (and only the notes it should raise) is the golden file.
CASES = {
    "undated_churn": [
        *({"email": f"s{i}@x.pl", "signup_at": ago(400), "consent_status": "subscribed", "last_click_at": ago(10)} for i in range(40)),
        *({"email": f"u{i}@x.pl", "signup_at": ago(400), "consent_status": "unsubscribed"} for i in range(15)),
        {"email": "d@x.pl", "signup_at": ago(400), "consent_status": "unsubscribed", "consent_at": ago(40)},
    ],
    "future_dates": [
        {"email": "a@x.pl", "signup_at": ago(-30), "consent_status": "subscribed", "last_click_at": ago(-3)},
        {"email": "b@x.pl", "signup_at": ago(200), "consent_status": "subscribed", "last_click_at": ago(5), "last_open_at": ago(-1)},
    ],
    "churn_before_signup": [
        {"email": "a@x.pl", "signup_at": ago(100), "consent_status": "unsubscribed", "consent_at": ago(300), "last_click_at": ago(150)},
        {"email": "b@x.pl", "signup_at": ago(300), "consent_status": "subscribed", "last_click_at": ago(5)},
    ],
    "no_engagement_dates": [
        {"email": "a@x.pl", "signup_at": ago(400), "consent_status": "subscribed"},
        {"email": "b@x.pl", "signup_at": ago(300), "consent_status": "subscribed"},
    ],
    "no_signup_dates": [
        {"email": "a@x.pl", "consent_status": "subscribed", "last_click_at": ago(5)},
        {"email": "b@x.pl", "signup_at": ago(300), "consent_status": "subscribed", "last_click_at": ago(5)},
    ],
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_ambiguous_input_gets_a_note_with_its_count(case):
    notes = [note for note in report(CASES[case]).notes if not note.startswith("no email_status column")]
    golden = GOLDEN / f"{case}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(notes, indent=1) + "\n", encoding="utf-8")
    assert notes == json.loads(golden.read_text(encoding="utf-8"))


def test_undated_churn_gives_a_range_and_no_verdict_the_data_cannot_support():
    decay = report(CASES["undated_churn"]).decay
    assert decay["undated_churn"] == 15
    assert decay["observed_monthly_rate"] < decay["benchmark_monthly_rate"] < decay["monthly_rate_with_undated_churn"]
    assert decay["versus_benchmark"] == "uncertain"
    dated = report([row for row in CASES["undated_churn"] if row["email"][0] != "u"]).decay
    assert dated["versus_benchmark"] == "at or below" and dated["monthly_rate_with_undated_churn"] == dated["observed_monthly_rate"]


def test_a_date_after_the_report_date_is_unknown_not_recent():
    result = report(CASES["future_dates"])
    buckets = result.engagement["buckets"]
    assert buckets["0-30"] == 1 and buckets["never"] + buckets["too_new"] == 1  # the future click is not a click
    assert result.cohorts == [{"cohort": ago(200).strftime("%Y-%m"), "size": 1, "mailable": 1.0, "engaged_90d": 1.0, "unsubscribed": 0.0, "bounced_or_cleaned": 0.0, "period": "month"}]


def test_a_month_counts_once_it_has_ended_and_later_events_are_not_counted():
    rows = [
        {"email": "a@x.pl", "signup_at": datetime(2026, 1, 1, tzinfo=UTC), "consent_status": "subscribed", "last_click_at": ago(3)},
        {"email": "b@x.pl", "signup_at": datetime(2026, 1, 1, tzinfo=UTC), "consent_status": "unsubscribed", "consent_at": datetime(2026, 12, 5, tzinfo=UTC)},
    ]
    result = report(rows)
    november = next(row for row in result.monthly if row["month"] == "2026-11")
    assert not november["complete"]  # 30 November is the report day: November has not ended
    assert november["unsubscribed"] == 0 and result.decay["observed_monthly_rate"] == 0.0
    # Sizes never subtract a churn dated before the contact's own signup: every month after b's
    # signup starts with b on the list, also those between a's (misdated) churn and a's signup.
    months = report(CASES["churn_before_signup"]).monthly
    after_b = [row["size_at_start"] for row in months if row["month"] > ago(300).strftime("%Y-%m")]
    assert after_b and min(after_b) == 1


def test_every_cohort_is_shown_old_years_as_a_row_each():
    rows = [{"email": f"p{i}@x.pl", "signup_at": ago(30 * i + 1), "consent_status": "subscribed", "last_click_at": ago(5)} for i in range(60)]
    cohorts = report(rows).cohorts
    assert sum(row["size"] for row in cohorts) == 60
    months = [row for row in cohorts if row["period"] == "month"]
    years = [row for row in cohorts if row["period"] == "year"]
    assert len(months) == 24 and years and all(len(row["cohort"]) == 4 for row in years)


def test_survival_lapses_everyone_lapse_days_after_their_last_engagement_or_signup():
    rows = [
        {"email": "never@x.pl", "signup_at": ago(1000), "consent_status": "subscribed"},  # lapsed at day 180
        {"email": "once@x.pl", "signup_at": ago(1000), "consent_status": "subscribed", "last_click_at": ago(700)},  # lapsed at 300 + 180
        {"email": "now@x.pl", "signup_at": ago(100), "consent_status": "subscribed"},  # censored at day 100
    ]
    survival = report(rows, lapse_days=180).survival
    assert (survival["contacts"], survival["lapsed"]) == (3, 2)
    assert survival["s180"] == pytest.approx(0.5) and survival["median_days"] == 180


def test_the_sunset_age_test_is_exact_not_in_whole_days():
    rows = [
        {"email": "in@x.pl", "signup_at": ago(90.5), "consent_status": "subscribed"},
        {"email": "out@x.pl", "signup_at": ago(89.5), "consent_status": "subscribed"},
        {"email": "click@x.pl", "signup_at": ago(500), "consent_status": "subscribed", "last_click_at": ago(3)},
    ]
    assert report(rows).sunset["candidates"] == 1
    assert "active" in report(rows).sunset["versus_lifecycle"]


def test_breakdowns_by_source_and_domain_and_the_deliverability_basis():
    rows = [
        {"email": "a@gmail.com", "signup_at": ago(10), "consent_status": "subscribed", "source": "form"},
        {"email": "b@gmail.com", "signup_at": ago(10), "consent_status": "unsubscribed", "consent_at": ago(2), "source": "form"},
        {"email": "c@firma.pl", "signup_at": ago(10), "consent_status": "subscribed", "source": "shop"},
    ]
    result = report(rows)
    assert [row["source"] for row in result.by_source] == ["form", "shop"]
    assert result.by_source[0]["unsubscribed_share"] == 0.5 and result.by_domain[0]["domain"] == "gmail.com"
    assert "proxy" in result.deliverability["basis"]


def test_segment_date_literals_mean_the_whole_day_and_future_dates_are_not_recent():
    from listclean.segmentation import condition_expr, lifecycle

    frame = pl.DataFrame({"d": [datetime(2026, 6, 30, 15, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC), ago(-2)]})
    def hits(condition):  # noqa: E306
        return frame.select(condition_expr({"field": "d", **condition}, frame.schema, AS_OF, "t")).to_series().to_list()

    assert hits({"between": ["2026-01-01", "2026-06-30"]}) == [True, True, False]
    assert hits({"lte": "2026-06-30"}) == [True, True, False]
    assert hits({"after": "2026-06-01"}) == [True, False, True]
    assert hits({"equals": "2026-06-30"}) == [True, False, False]
    assert hits({"within_days": 30}) == [False, False, False]  # a date in the future is not "within 30 days"
    stages = pl.DataFrame({"signup_at": [ago(-5)], "last_click_at": [ago(-1)]}).select(lifecycle(pl.DataFrame({"signup_at": [ago(-5)], "last_click_at": [ago(-1)]}), AS_OF))
    assert stages["lifecycle_stage"].to_list() == ["lost"]  # neither new nor active on dates that have not happened


def test_rfm_ties_score_alike_whatever_the_row_order_and_unmailable_buyers_push_nobody_down():
    from listclean.segmentation import rfm, rfm_notes

    rows = {
        "email": [f"b{i}@x.pl" for i in range(12)],
        "last_purchase_at": [ago(10)] * 4 + [ago(100 + 10 * i) for i in range(8)],
        "purchase_count": [3, 3, 3, 3, 1, 2, None, 4, 5, 1, 2, 9],
        "total_spend": [50.0] * 4 + [10.0, 20.0, 30.0, 40.0, 60.0, 70.0, 80.0, 5000.0],
        "consent_status": ["subscribed"] * 11 + ["unsubscribed"],
    }
    frame = pl.DataFrame(rows)
    scored = rfm(frame, AS_OF)
    twins = scored.head(4).select("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment").unique()
    assert twins.height == 1  # four identical buyers, one label
    for seed in (1, 2, 3):
        shuffled = rfm(frame.sample(fraction=1.0, shuffle=True, seed=seed), AS_OF)
        assert dict(shuffled.select("email", "rfm_segment").iter_rows()) == dict(scored.select("email", "rfm_segment").iter_rows())
    by_email = {row["email"]: row for row in scored.iter_rows(named=True)}
    assert by_email["b11@x.pl"]["rfm_segment"] is None  # unsubscribed: not ranked
    assert by_email["b6@x.pl"]["rfm_frequency"] is not None and by_email["b6@x.pl"]["rfm_segment"] is not None  # no count: one purchase
    notes = rfm_notes(frame, AS_OF)
    assert any("1 buyer(s) may not be mailed" in note for note in notes) and any("no purchase_count" in note for note in notes)


def test_within_90_days_means_the_same_everywhere():
    from listclean.segmentation import condition_expr, lifecycle

    rows = [{"email": "a@x.pl", "signup_at": ago(400), "consent_status": "subscribed", "last_click_at": ago(90.5)}]
    assert report(rows).engagement["buckets"]["91-180"] == 1
    frame = pl.DataFrame({"signup_at": [ago(400)], "last_click_at": [ago(90.5)]})
    assert frame.select(lifecycle(frame, AS_OF))["lifecycle_stage"].to_list() == ["at_risk"]
    assert frame.select(condition_expr({"field": "last_click_at", "within_days": 90}, frame.schema, AS_OF, "t")).item() is False


def test_a_missing_value_equals_nothing_in_every_rule_operator():
    from listclean.segmentation import condition_expr

    frame = pl.DataFrame({"country": ["PL", None, "DE"]})
    def hits(condition):  # noqa: E306
        return frame.select(condition_expr({"field": "country", **condition}, frame.schema, AS_OF, "t")).to_series().to_list()

    assert hits({"not_equals": "PL"}) == [False, True, True]
    assert hits({"not_in": ["PL"]}) == [False, True, True]


def test_segment_says_how_many_rows_it_left_unsegmented_because_they_may_not_be_mailed(cli, tmp_path):
    source = tmp_path / "list.csv"
    source.write_text("email,country,consent_status\na@x.pl,PL,subscribed\nb@x.pl,PL,unsubscribed\nc@x.pl,PL,bounced\n")
    result = cli(["segment", source, "--where", "country = 'PL'", "-o", tmp_path / "out.csv", "--json"])
    notes = json.loads(result.stdout)["notes"]
    assert notes == ["2 row(s) may not be mailed (unsubscribed, bounced, complained, erased, suppressed or invalid): in no segment (--include-unmailable segments them)"]
    assert "2 row(s) may not be mailed" in result.stderr


def test_review_findings_stay_fixed():
    """Same-day dates are today, not the future; a misdated churn counts nowhere; ties in RFM land
    in the middle; dashed day-first dates are seen; the date fast path reads only exact shapes."""
    from listclean.segmentation import lifecycle, rfm
    from listclean.standardize import _careful_datetimes, _parse_datetimes, infer_date_orders

    today = [{"email": "new@x.pl", "signup_at": AS_OF + timedelta(hours=10), "consent_status": "subscribed"}]
    result = report(today)
    assert result.sunset["candidates"] == 0 and result.engagement["buckets"]["too_new"] == 1 and not any("date(s) after the report day" in n for n in result.notes)
    frame = pl.DataFrame({"signup_at": [AS_OF + timedelta(hours=9)], "last_click_at": [AS_OF + timedelta(hours=10)]})
    assert frame.select(lifecycle(frame, AS_OF))["lifecycle_stage"].to_list() == ["active"]
    rows = [*({"email": f"p{i}@x.pl", "signup_at": datetime(2026, 1, 1, tzinfo=UTC), "consent_status": "subscribed", "last_click_at": ago(3)} for i in range(9)),
            {"email": "h@x.pl", "signup_at": datetime(2026, 10, 20, tzinfo=UTC), "consent_status": "unsubscribed", "consent_at": datetime(2026, 9, 15, tzinfo=UTC)}]  # fmt: skip
    september = next(row for row in report(rows, months=3).monthly if row["month"] == "2026-09")
    assert september["unsubscribed"] == 0
    buyers = pl.DataFrame({"last_purchase_at": [AS_OF] * 100, "purchase_count": [1] * 80 + [2] * 10 + [5] * 10})
    scores = rfm(buyers, AS_OF)["rfm_frequency"].to_list()
    assert set(scores[:80]) == {3}  # 80 one-time buyers: the middle, not the top
    assert infer_date_orders(pl.LazyFrame({"d": ["25-12-2024", "05-03-2024"]}), {"d": "d"}) == {"d": "dmy"}
    values = pl.Series("v", [f"2024-03-05 10:{m:02d}:{s:02d}" for m in range(50) for s in range(60)] + ["2024-03-05 10:5:00", "2024-03-0510:12:00", "+2024-03-05 10:12:00"])
    assert _parse_datetimes(values, "mdy").eq_missing(_careful_datetimes(values, "mdy")).all()
