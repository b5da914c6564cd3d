"""Golden records: which value survives, field by field, and where it came from."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import polars as pl

from helpers import contacts
from listclean.linkage import DedupeOptions, dedupe
from listclean.linkage.survivorship import SurvivorshipSettings


def day(d: int) -> datetime:
    return datetime(2025, 1, d, tzinfo=timezone.utc)


def golden(*rows: dict, options: DedupeOptions | None = None) -> dict:
    result = dedupe(contacts(*rows), options)
    assert result.frame.height == 1, result.pairs.to_dicts()
    return result.frame.row(0, named=True)


def test_the_most_restrictive_consent_wins_with_its_date_and_source():
    record = golden(
        {"email": "a@firma.pl", "consent_status": "subscribed", "consent_at": day(20), "consent_source": "form"},
        {"email": "a@firma.pl", "consent_status": "unsubscribed", "consent_at": day(2), "consent_source": "esp"},
        {"email": "a@firma.pl", "consent_status": "bounced", "consent_at": day(9), "consent_source": "esp"},
    )
    assert (record["consent_status"], record["consent_at"], record["consent_source"]) == ("unsubscribed", day(2), "esp")


def test_engagement_takes_the_latest_and_signup_the_earliest():
    record = golden(
        {"email": "a@firma.pl", "signup_at": day(5), "last_click_at": day(10), "last_open_at": None},
        {"email": "a@firma.pl", "signup_at": day(3), "last_click_at": day(7), "last_open_at": day(30)},
    )
    assert (record["signup_at"], record["last_click_at"], record["last_open_at"]) == (day(3), day(10), day(30))


def test_counts_add_up_but_one_record_seen_in_two_files_counts_once():
    rows = contacts(
        {"email": "a@firma.pl", "purchase_count": 2, "total_spend": 50.0, "source": "shop"},
        {"email": "a@firma.pl", "purchase_count": 3, "total_spend": 70.0, "source": "crm"},
    )
    again = rows.head(1).with_columns(pl.lit("shop_copy.csv").alias("_source_file"))
    result = dedupe(pl.concat([rows, again]))
    record = result.frame.row(0, named=True)
    assert (record["purchase_count"], record["total_spend"], record["merged_rows"]) == (5, 120.0, 3)


def test_tags_are_unioned_and_names_prefer_more_than_an_initial():
    record = golden(
        {"email": "a@firma.pl", "first_name": "J.", "last_name": "Kowalski", "tags": ["vip", "b2b"]},
        {"email": "a@firma.pl", "first_name": "Jan", "last_name": None, "tags": ["b2b", "newsletter"]},
    )
    assert record["tags"] == ["b2b", "newsletter", "vip"]
    assert (record["first_name"], record["last_name"]) == ("Jan", "Kowalski")


def test_the_trusted_source_wins_and_provenance_says_which_row_gave_each_field():
    rows = (
        {"email": "a@firma.pl", "first_name": "Anna", "city": "Kraków", "source": "web", "last_activity_at": day(30)},
        {"email": "a@firma.pl", "first_name": "Ania", "city": "Warszawa", "source": "crm", "company": "Firma"},
    )
    default = golden(*rows)
    assert default["first_name"] == "Anna"  # the most recently active row
    trusted = golden(*rows, options=DedupeOptions(survivorship=SurvivorshipSettings(trusted_sources=("crm",))))
    assert (trusted["first_name"], trusted["city"], trusted["_source_row"]) == ("Ania", "Warszawa", 2)
    sources = json.loads(trusted["field_sources"])
    assert sources["first_name"] == "list.csv:2" and sources["last_activity_at"] == "list.csv:1"
    assert trusted["merged_from"] == ["list.csv:1", "list.csv:2"]


def test_address_and_place_fields_come_together_from_one_row():
    record = golden(
        {"email": "a@firma.pl", "first_name": "Jan", "city": "Kraków", "postal_code": "30-001", "phone": "+48600100200"},
        {"email": "A@firma.pl", "first_name": "Jan", "city": "Berlin", "country": "DE", "phone": "+48600100200", "last_activity_at": day(1)},
    )
    assert (record["city"], record["country"], record["postal_code"]) == ("Berlin", "DE", None)
    assert record["email"] == "A@firma.pl"


def test_unknown_columns_survive_from_the_best_row_that_has_them():
    record = golden({"email": "a@firma.pl", "Loyalty ID": None}, {"email": "a@firma.pl", "Loyalty ID": "L-77"})
    assert record["Loyalty ID"] == "L-77"
