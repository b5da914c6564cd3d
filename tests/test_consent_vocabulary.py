"""Consent wording no table lists in full is still read (issue #16 point 1)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from listclean.standardize import map_consent, standardize


def read(values):
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(map_consent(pl.col("v")))["v"].to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Unsubscribed (2024-05-01)", "unsubscribed"), ("unsubscribed by admin", "unsubscribed"), ("consent withdrawn", "unsubscribed"),
        ("gdpr erased", "erased"), ("blocklisted", "unsubscribed"), ("do not contact", "unsubscribed"), ("opted out", "unsubscribed"),
        ("abgemeldet", "unsubscribed"), ("désinscrit", "unsubscribed"), ("wypisany", "unsubscribed"), ("配信停止", "unsubscribed"),
        ("配信停止しました", "unsubscribed"), ("Désabonné le 3 mai", "unsubscribed"), ("not subscribed", "unsubscribed"),
        ("no longer opted in", "unsubscribed"), ("Hard bounce 2023-01-01", "bounced"), ("marked as spam by user", "complained"),
        ("pending (sent 2024-02-01)", "pending"), ("Subscribed via web form", "subscribed"), ("subscribed 2024-01-01", "subscribed"),
        ("maybe", None), ("whatever", None), ("recommended", None),
    ],
)  # fmt: skip
def test_wording_is_read_by_its_words(text, expected):
    assert read([text]) == [expected]


def test_a_date_in_the_status_cell_fills_an_empty_consent_at():
    frame = pl.LazyFrame({"consent_status": ["Unsubscribed (2024-05-01)", "subscribed 2023-02-03"], "consent_at": [None, "2020-01-01"]})
    out = standardize(frame).collect()
    assert out["consent_status"].to_list() == ["unsubscribed", "subscribed"]
    assert [value.date() for value in out["consent_at"].to_list()] == [dt.date(2024, 5, 1), dt.date(2020, 1, 1)]


def test_a_status_not_understood_is_null_with_its_text_kept():
    out = standardize(pl.LazyFrame({"consent_status": ["whatever", "yes"]})).collect()
    assert out["consent_status"].to_list() == [None, "subscribed"]
    assert out["consent_status_raw"].to_list() == ["whatever", None]
