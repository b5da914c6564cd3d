"""Golden records: birth dates and street address lines survive as groups."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import polars as pl

from listclean.linkage import dedupe

FIELDS = ("email", "address_line1", "address_line2", "city", "postal_code", "country")


def contacts(*rows: dict) -> pl.DataFrame:
    records = [{name: row.get(name) for name in FIELDS} | {k: v for k, v in row.items() if k not in FIELDS} for row in rows]
    frame = pl.DataFrame(records, infer_schema_length=None)
    frame = frame.with_columns(pl.col(name).cast(pl.String) for name in FIELDS)
    if "birth_date" in frame.columns:
        frame = frame.with_columns(pl.col("birth_date").cast(pl.Date))
    if "birth_year" in frame.columns:
        frame = frame.with_columns(pl.col("birth_year").cast(pl.Int64))
    return frame.with_columns(pl.lit("list.csv").alias("_source_file"), pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_source_row"))


def golden(*rows: dict) -> dict:
    result = dedupe(contacts(*rows))
    assert result.frame.height == 1
    return result.frame.row(0, named=True)


def day(d: int) -> datetime:
    return datetime(2025, 1, d, tzinfo=timezone.utc)


def test_street_lines_travel_with_their_place():
    record = golden(
        # the best row (latest activity) has a city but no street: its whole place wins
        {"email": "a@firma.pl", "city": "Kraków", "last_activity_at": day(20)},
        {"email": "a@firma.pl", "address_line1": "ul. Długa 5", "address_line2": "m. 3", "city": "Warszawa", "postal_code": "00-950", "last_activity_at": day(2)},
    )
    assert (record["address_line1"], record["address_line2"], record["city"], record["postal_code"]) == (None, None, "Kraków", None)


def test_a_street_alone_carries_the_place_group():
    record = golden(
        {"email": "a@firma.pl", "address_line1": "Hauptstr. 5", "last_activity_at": day(20)},
        {"email": "a@firma.pl", "address_line1": "ul. Długa 5", "address_line2": "m. 3", "city": "Warszawa", "last_activity_at": day(2)},
    )
    assert (record["address_line1"], record["address_line2"], record["city"]) == ("Hauptstr. 5", None, None)
    sources = json.loads(record["field_sources"])
    assert sources["address_line1"] == "list.csv:1"


def test_the_best_row_with_a_birth_date_wins_with_its_year():
    record = golden(
        {"email": "a@firma.pl", "birth_year": 1970, "last_activity_at": day(20)},
        {"email": "a@firma.pl", "birth_date": date(1971, 3, 4), "birth_year": 1971, "last_activity_at": day(5)},
        # Day and month swapped: a typo of the same date (two different dates are two people).
        {"email": "a@firma.pl", "birth_date": date(1971, 4, 3), "birth_year": 1971, "last_activity_at": day(2)},
    )
    assert (record["birth_date"], record["birth_year"]) == (date(1971, 3, 4), 1971)
    sources = json.loads(record["field_sources"])
    assert sources["birth_date"] == sources["birth_year"] == "list.csv:2"


def test_a_birth_year_alone_is_taken_when_nobody_has_a_date():
    record = golden(
        {"email": "a@firma.pl", "birth_date": None, "last_activity_at": day(20)},
        {"email": "a@firma.pl", "birth_year": 1980, "last_activity_at": day(5)},
        {"email": "a@firma.pl", "birth_year": 1981, "last_activity_at": day(2)},
    )
    assert (record["birth_date"], record["birth_year"]) == (None, 1980)
    assert json.loads(record["field_sources"])["birth_date"] is None
