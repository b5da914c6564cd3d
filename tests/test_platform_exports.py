"""Consent and fields read right from the platforms' own exports (issue #18): churn dated by its own
column, the opt-in kept beside it, no record-edit time taken for activity."""

from __future__ import annotations

from datetime import datetime, timezone

from conftest import load

UTC = timezone.utc


def test_mailchimp_churn_is_dated_by_unsub_and_clean_time_and_the_opt_in_is_kept(tmp_path):
    header = '"Email Address","First Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,LAST_CHANGED,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\n'
    path = tmp_path / "unsubscribed_members_export_3f2a.csv"
    path.write_text(header + '"ann@firma.pl","Ann",2,"2022-01-10 09:00:00",,"2022-01-10 09:05:00",,,,"2026-02-01 12:00:00","2025-06-01 08:30:00","Spring sale","too many emails"\n')
    row = load(path).frame.row(0, named=True)
    assert row["consent_status"] == "unsubscribed"
    assert row["consent_at"] == datetime(2025, 6, 1, 8, 30, tzinfo=UTC)  # the unsubscribe, not the opt-in
    assert row["confirmed_at"] == datetime(2022, 1, 10, 9, 5, tzinfo=UTC)
    assert row["last_activity_at"] is None  # LAST_CHANGED is when the record was edited, not activity

    cleaned = tmp_path / "cleaned_members_export_3f2a.csv"
    cleaned.write_text('"Email Address",OPTIN_TIME,CONFIRM_TIME,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE\n"bob@firma.pl","2021-01-01 00:00:00","2021-01-01 00:01:00","2024-02-02 10:00:00","Newsletter"\n')
    row = load(cleaned).frame.row(0, named=True)
    assert (row["consent_status"], row["consent_at"]) == ("cleaned", datetime(2024, 2, 2, 10, tzinfo=UTC))


def test_a_subscribers_consent_dates_from_the_confirmed_opt_in(tmp_path):
    path = tmp_path / "subscribed_members_export_3f2a.csv"
    path.write_text('"Email Address",OPTIN_TIME,CONFIRM_TIME\n"ann@firma.pl","2024-03-05 10:12:00","2024-03-05 10:15:00"\n')
    row = load(path).frame.row(0, named=True)
    assert (row["consent_status"], row["consent_at"]) == ("subscribed", datetime(2024, 3, 5, 10, 15, tzinfo=UTC))


def test_a_members_export_that_merely_has_an_unsub_time_column_keeps_its_active_members(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text('"Email Address",OPTIN_TIME,UNSUB_TIME\n"ann@firma.pl","2024-03-05 10:12:00",\n"bob@firma.pl","2023-01-01 00:00:00","2025-05-05 05:05:05"\n')
    frame = load(path).frame
    assert frame["consent_status"].to_list() == [None, "unsubscribed"]
    assert frame["consent_at"][1] == datetime(2025, 5, 5, 5, 5, 5, tzinfo=UTC)


def test_mailchimp_non_subscribed_contacts_have_unknown_consent_not_an_opt_out(tmp_path):
    path = tmp_path / "nonsubscribed_members_export_3f2a.csv"
    path.write_text('"Email Address"\n"ann@firma.pl"\n')
    assert load(path).frame["consent_status"].to_list() == [None]
