"""The decay measures: status mix, decay rate, survival, sunset rule and consent health."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from listclean.decay import DecayOptions, decay_report, kaplan_meier
from listdata import AS_OF, history_list


def test_kaplan_meier_matches_a_hand_computed_curve():
    # t: 1 lapse, 2 lapse + 2 censored... S = .8, .8*3/4 = .6, .6*1/2 = .3, then .3 (censored only)
    curve = kaplan_meier(pl.Series([1, 2, 2, 3, 4]), pl.Series([True, True, False, True, False]))
    assert curve["at_risk"].to_list() == [5, 4, 2, 1]
    assert curve["survival"].to_list() == pytest.approx([0.8, 0.6, 0.3, 0.3])


def test_every_contact_lands_in_exactly_one_status_by_precedence():
    frame = pl.DataFrame(
        {
            "email": ["a@x.org"] * 6,
            "consent_status": ["unsubscribed", "erased", "subscribed", "subscribed", "pending", None],
            "email_status": ["suppressed", "valid", "suppressed", "invalid", "risky", "valid"],
        }
    )
    report, _ = decay_report(frame, DecayOptions(as_of=AS_OF))
    assert report.status == {
        "mailable": 1, "pending": 0, "risky": 1, "invalid": 1, "bounced_or_cleaned": 0,
        "unsubscribed": 1, "complained": 0, "suppressed_or_erased": 2,
    }  # fmt: skip
    assert sum(report.status.values()) == frame.height


def test_observed_decay_is_churn_over_the_list_at_the_start_of_each_month():
    # 100 contacts from before the window; two unsubscribe in each month from January to October.
    rows = [{"signup_at": datetime(2024, 1, 1, tzinfo=timezone.utc), "consent_status": "subscribed", "consent_at": None} for _ in range(100)]
    for index in range(20):
        rows[index] = {**rows[index], "consent_status": "unsubscribed", "consent_at": datetime(2026, 1 + index // 2, 15, tzinfo=timezone.utc)}
    report, _ = decay_report(pl.DataFrame(rows), DecayOptions(as_of=datetime(2026, 11, 5, tzinfo=timezone.utc), months=11))
    months = report.monthly
    assert (months[0]["month"], months[0]["size_at_start"], months[0]["unsubscribed"]) == ("2026-01", 100, 2)
    assert (months[-1]["month"], months[-1]["size_at_start"], months[-1]["complete"]) == ("2026-11", 80, False)
    assert report.decay["months_measured"] == 10
    assert report.decay["observed_monthly_rate"] == pytest.approx(20 / 910, abs=1e-6)  # sizes 100, 98 ... 82
    assert report.decay["versus_benchmark"] == "above"
    assert report.decay["projected_lost_in_12_months"] == round(80 * (1 - (1 - 20 / 910) ** 12))


def test_sunset_ignores_opens_and_spares_new_signups():
    frame = pl.DataFrame(
        {
            "email": ["old-opener@x.org", "old-clicker@x.org", "new@x.org", "unsub@x.org"],
            "signup_at": [AS_OF - timedelta(days=400), AS_OF - timedelta(days=400), AS_OF - timedelta(days=20), AS_OF - timedelta(days=400)],
            "last_open_at": [AS_OF - timedelta(days=2), None, None, None],
            "last_click_at": [AS_OF - timedelta(days=300), AS_OF - timedelta(days=10), None, None],
            "consent_status": ["subscribed", "subscribed", "subscribed", "unsubscribed"],
        }
    )
    report, candidates = decay_report(frame, DecayOptions(as_of=AS_OF))
    assert candidates["email"].to_list() == ["old-opener@x.org"]
    assert candidates["sunset_reason"][0].startswith("sunset: mailable, no click or purchase in the last 180 days")
    assert report.engagement["opens_only_90d"] == 1
    assert report.engagement["buckets"]["too_new"] == 1


def test_implied_consent_expiry_and_unproven_express_consent():
    frame = pl.DataFrame(
        {
            "consent_status": ["subscribed"] * 5,
            "consent_source": ["purchase", "purchase", "web inquiry", "double opt-in form", None],
            "consent_at": [AS_OF - timedelta(days=800), AS_OF - timedelta(days=700), AS_OF - timedelta(days=100), AS_OF - timedelta(days=10), AS_OF],
        }
    )
    report, _ = decay_report(frame, DecayOptions(as_of=AS_OF))
    consent = report.consent
    assert (consent["implied"], consent["implied_expired"], consent["implied_expiring"], consent["express_unproven"]) == (3, 1, 1, 1)


def test_the_whole_report_on_a_known_history():
    report, candidates = decay_report(history_list(), DecayOptions(as_of=AS_OF))
    assert report.rows == 120 and sum(report.status.values()) == 120
    assert sum(report.engagement["buckets"].values()) == 120
    assert 0 < report.survival["s365"] <= report.survival["s180"] <= report.survival["s90"] <= 1
    assert candidates.height == report.sunset["candidates"] > 0
    assert [row["month"] for row in report.monthly][-1] == "2026-11"
