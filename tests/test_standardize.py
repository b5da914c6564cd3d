"""Field standardisation: examples for every rule, properties for the normalisers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listclean import schema
from listclean.standardize import (
    StandardizeOptions,
    apply_opt_out,
    clean_text,
    clean_text_values,
    infer_date_orders,
    map_consent,
    map_country,
    normalise_language,
    parse_datetime,
    parse_decimal,
    parse_integer,
    parse_list,
    repair_case,
    standardize,
)
from listclean.text import INVISIBLE, ODD_SPACES


def apply(expr_fn, values, dtype=pl.String):
    frame = pl.DataFrame({"v": values}, schema={"v": dtype})
    return frame.select(expr_fn(pl.col("v")).alias("out"))["out"].to_list()


UTC = dt.timezone.utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-03-05", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05T10:20:30Z", dt.datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),
        ("2024-03-05 10:20:30+02:00", dt.datetime(2024, 3, 5, 8, 20, 30, tzinfo=UTC)),
        ("2024-03-05T10:20:30.000+0000", dt.datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),  # Salesforce
        ("03/05/2024", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("3/5/24 2:15 PM", dt.datetime(2024, 3, 5, 14, 15, tzinfo=UTC)),
        ("12/05/2024 12:30 AM", dt.datetime(2024, 12, 5, 0, 30, tzinfo=UTC)),
        ("13/05/2024", dt.datetime(2024, 5, 13, tzinfo=UTC)),  # day > 12 settles it
        ("05.03.2024", dt.datetime(2024, 3, 5, tzinfo=UTC)),  # dotted: always day first
        ("Mar 5, 2024", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("5 March 2024", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("05-Mar-2024", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 10:00:00 +0000", dt.datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("5. Mai 2024", dt.datetime(2024, 5, 5, tzinfo=UTC)),
        ("1709633000", dt.datetime(2024, 3, 5, 10, 3, 20, tzinfo=UTC)),
        ("1709633000000", dt.datetime(2024, 3, 5, 10, 3, 20, tzinfo=UTC)),
        ("45356.416666667", dt.datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),  # Excel serial
        ("2024年3月5日", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024/3/5", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024. 3. 5.", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("20240305", dt.datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-02-30", None),
        ("31/31/2024", None),
        ("soon", None),
        ("", None),
    ],
)
def test_dates_in_common_formats(text, expected):
    assert apply(lambda c: parse_datetime(clean_text(c), "mdy"), [text]) == [expected]


def test_date_order_decides_ambiguous_dates():
    assert apply(lambda c: parse_datetime(c, "dmy"), ["03/05/2024"]) == [dt.datetime(2024, 5, 3, tzinfo=UTC)]


def test_date_order_is_inferred_per_column():
    frame = pl.LazyFrame({"eu": ["01/02/2024", "25/12/2023"], "us": ["01/02/2024", "12/25/2023"], "iso": ["2024-01-02", None], "both": ["01/02/2024", None]})
    orders = infer_date_orders(frame, {"eu": "eu", "us": "us", "iso": "iso", "both": "both"})
    assert orders == {"eu": "dmy", "us": "mdy", "iso": "mdy", "both": None}


@settings(max_examples=120, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(lambda d: d.replace(microsecond=0)),
    st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%d.%m.%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%d %b %Y %H:%M:%S", "%b %d, %Y %H:%M:%S"]),
)
def test_property_formatted_datetimes_parse_back(moment, fmt):
    text = moment.strftime(fmt)
    assert apply(lambda c: parse_datetime(c, "mdy"), [text]) == [moment.replace(tzinfo=UTC)]


@settings(max_examples=120, deadline=None)
@given(st.dates(min_value=dt.date(1971, 1, 1), max_value=dt.date(2099, 12, 31)), st.sampled_from(["mdy", "dmy"]))
def test_property_numeric_dates_follow_the_given_order(day, order):
    text = day.strftime("%m/%d/%Y" if order == "mdy" else "%d/%m/%Y")
    expected = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert apply(lambda c: parse_datetime(c, order), [text]) == [expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("$1,234.50", 1234.5),
        ("1.234,50 €", 1234.5),
        ("1 234,50", 1234.5),
        ("1'234.50", 1234.5),
        ("(12.00)", -12.0),
        ("-4.5", -4.5),
        ("12,5", 12.5),
        ("1,234", 1234.0),
        ("1.234.567", 1234567.0),
        ("PLN 99", 99.0),
        ("abc", None),
        ("", None),
    ],
)
def test_money_in_many_notations(text, expected):
    assert apply(lambda c: parse_decimal(clean_text(c)), [text]) == [expected]


def test_counts_must_be_whole_numbers():
    assert apply(parse_integer, ["3", "3.0", "1,000", "3.5", "x"]) == [3, 3, 1000, None, None]


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False), st.sampled_from(["us", "eu", "plain"]))
def test_property_amounts_round_trip_in_any_locale(amount, style):
    us = f"{abs(amount):,.2f}"
    text = {"us": us, "eu": us.replace(",", " ").replace(".", ",").replace(" ", "."), "plain": f"{abs(amount):.2f}"}[style]
    if amount < 0:
        text = "-" + text
    assert apply(parse_decimal, [text]) == [pytest.approx(float(amount))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("JOHN", "John"),
        ("mary-jane", "Mary-Jane"),
        ("o'neil", "O'Neil"),
        ("VAN DER BERG", "Van der Berg"),
        ("mcdonald", "McDonald"),
        ("McDonald", "McDonald"),
        ("DeShawn", "DeShawn"),
        ("ÉMILE", "Émile"),
        ("山田", "山田"),
    ],
)
def test_name_case_is_repaired_only_when_all_caps_or_all_lower(text, expected):
    assert apply(repair_case, [text]) == [expected]


def test_clean_text_removes_invisible_and_odd_spaces():
    assert apply(clean_text, ["  Ann\u200b\u00a0 Smith\ufeff ", "\u3000", "e\u0301"]) == ["Ann Smith", None, "é"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list(INVISIBLE + ODD_SPACES)), max_size=40))
def test_property_clean_text_is_idempotent_and_leaves_no_invisible_characters(text):
    once = apply(clean_text, [text])[0]
    assert apply(clean_text, [once]) == [once]
    if once is not None:
        assert once == once.strip()
        assert not any(ch in once for ch in INVISIBLE + ODD_SPACES)
        assert "  " not in once


_UNICODE_EDGES = "ab @.\t\x1f\x7f\u00a0\u200be\u0301\u3000\u2028\u0085\u212b\uf900\u1100\u1161\u11a8\uac00\u0958\u0915\u093c\u0378Ωаи山"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | st.text(alphabet=st.sampled_from(_UNICODE_EDGES) | st.characters(codec="utf-8"), max_size=12), max_size=8))
def test_property_cleaning_a_column_skips_only_values_the_chain_would_not_change(values):
    # Import cleans whole columns through clean_text_values, which leaves alone the text (in any
    # script) that holds nothing NFC or the chain could change: combining marks, Hangul jamo,
    # singletons (Angstrom sign, compatibility ideographs), composition exclusions, unassigned.
    column = pl.Series("v", values, dtype=pl.String)
    assert clean_text_values(column).to_list() == apply(clean_text, values)
    assert column.to_list() == values  # the caller's column is not written over


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Lu", "Ll"]) | st.sampled_from(" -'"), max_size=30))
def test_property_repair_case_is_idempotent(text):
    once = apply(lambda c: repair_case(clean_text(c)), [text])[0]
    assert apply(lambda c: repair_case(clean_text(c)), [once]) == [once]


@pytest.mark.parametrize(
    "text, expected",
    [("Deutschland", "DE"), ("USA", "US"), ("pl", "PL"), ("POL", "PL"), ("Polska", "PL"), ("日本", "JP"), ("대한민국", "KR"),
     ("Côte d'Ivoire", "CI"), ("United Kingdom", "GB"), ("england", "GB"), ("España", "ES"), ("中国", "CN"), ("Narnia", None)],
)
def test_countries_in_many_languages_become_iso_codes(text, expected):
    assert apply(map_country, [text]) == [expected]


def test_every_iso_country_code_and_english_name_maps_to_itself():
    pycountry = pytest.importorskip("pycountry")
    codes = [country.alpha_2 for country in pycountry.countries]
    names = [country.name for country in pycountry.countries]
    assert apply(map_country, codes) == codes
    assert apply(map_country, names) == codes


@pytest.mark.parametrize(
    "text, expected",
    [("Subscribed", "subscribed"), ("UNSUBSCRIBED", "unsubscribed"), ("yes", "subscribed"), ("no", "unsubscribed"),
     ("Tak", "subscribed"), ("nein", "unsubscribed"), ("はい", "subscribed"), ("いいえ", "unsubscribed"), ("cleaned", "cleaned"),
     ("NEVER_SUBSCRIBED", None), ("Non-Subscribed", None), ("transactional", None), ("hard bounce", "bounced"), ("spam complaint", "complained"), ("pending", "pending"),
     ("Opted-In", "subscribed"), ("maybe", None)],
)
def test_consent_wording_maps_onto_the_vocabulary(text, expected):
    assert apply(map_consent, [text]) == [expected]


def test_opt_out_flag_unsubscribes_but_never_softens_a_stronger_status():
    frame = pl.LazyFrame({"consent_status": ["subscribed", None, "bounced", "subscribed"], "flag": ["true", "1", "yes", "false"]})
    assert apply_opt_out(frame, ["flag"]).collect()["consent_status"].to_list() == ["unsubscribed", "unsubscribed", "bounced", "subscribed"]


def test_tags_are_split_trimmed_and_deduplicated():
    assert apply(parse_list, ["a, b; c|a", '["x","y"]', '"tag one","tag two"', "", None]) == [
        ["a", "b", "c"], ["x", "y"], ["tag one", "tag two"], None, None,
    ]


def test_languages_become_bcp47_codes():
    assert apply(normalise_language, ["EN_us", "Deutsch", "pl", "zh-hant", "日本語", "Klingon"]) == ["en-US", "de", "pl", "zh-Hant", "ja", "Klingon"]


def raw_contacts() -> pl.LazyFrame:
    frame = pl.LazyFrame(
        {
            "email": [" ann@example.com\u200b", "BOB@EXAMPLE.COM"],
            "first_name": ["ANN", "bob"],
            "last_name": ["NOWAK", "van der berg"],
            "full_name": [None, None],
            "phone": ["600 123 456", "(415) 555-2671"],
            "country": ["Polska", "USA"],
            "signup_at": ["05.03.2024", "not a date"],
            "consent_status": ["tak", "whatever"],
            "total_spend": ["1.234,50 zł", "$10"],
            "purchase_count": ["3", "2.5"],
            "tags": ["vip; b2b", None],
            "Notes": ["keep me  ", None],
        }
    )
    missing = [name for name in schema.CANONICAL if name not in frame.collect_schema().names()]
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in missing)


def test_standardize_types_every_field_and_keeps_what_it_cannot_read():
    out = standardize(raw_contacts(), StandardizeOptions(default_country="PL")).collect()
    row = out.row(0, named=True)
    assert row["email"] == "ann@example.com"
    assert (row["first_name"], row["last_name"], row["full_name"]) == ("Ann", "Nowak", "Ann Nowak")
    assert row["phone"] == "+48600123456"
    assert row["country"] == "PL"
    assert row["signup_at"] == dt.datetime(2024, 3, 5, tzinfo=UTC)
    assert row["consent_status"] == "subscribed"
    assert row["total_spend"] == 1234.5
    assert row["tags"] == ["vip", "b2b"]
    assert row["Notes"] == "keep me  "  # unknown columns pass through untouched
    second = out.row(1, named=True)
    assert second["last_name"] == "Van der Berg"
    assert second["phone"] == "+14155552671"
    assert second["signup_at"] is None and second["signup_at_raw"] == "not a date"
    assert second["consent_status"] is None and second["consent_status_raw"] == "whatever"
    assert second["purchase_count"] is None and second["purchase_count_raw"] == "2.5"
    assert out.schema["signup_at"] == pl.Datetime("us", "UTC")
    assert out.schema["tags"] == pl.List(pl.String)


def test_standardize_is_idempotent():
    once = standardize(raw_contacts(), StandardizeOptions(default_country="PL")).collect()
    twice = standardize(once.lazy(), StandardizeOptions(default_country="PL")).collect()
    assert twice.equals(once)


_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%m/%d/%Y %I:%M %p", "%d.%m.%Y", "%m/%d/%y", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%b %d, %Y")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.datetimes(min_value=dt.datetime(1890, 1, 1), max_value=dt.datetime(2210, 1, 1)), st.sampled_from(_FORMATS)).map(lambda pair: pair[0].strftime(pair[1])),
            st.text(alphabet="0123456789-/.: TZapm", max_size=20),
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["mdy", "dmy"]),
)
def test_property_the_native_date_fast_path_answers_exactly_what_the_careful_parser_does(texts, order):
    from listclean.standardize import _careful_datetimes, _parse_datetimes

    values = pl.Series("v", texts, dtype=pl.String)
    assert _parse_datetimes(values, order).eq_missing(_careful_datetimes(values, order)).all()


def test_a_date_format_checked_once_is_not_checked_again_and_reads_the_same(monkeypatch):
    """A 1M-row export's five timestamp columns, and every chunk after the first, reuse the formats
    the careful parser confirmed: it is then called only for values no confirmed format reads."""
    from listclean import standardize as module

    values = pl.Series("v", ["2024-03-05 10:12:00", "2023-12-31 23:59:59", "05.03.2024", "March 5, 2024", None])
    monkeypatch.setattr(module, "_VERIFIED_FORMATS", set())
    fresh = module._parse_datetimes(values, "dmy")
    assert ("%Y-%m-%d %H:%M:%S", "dmy") in module._VERIFIED_FORMATS
    calls = []
    careful = module._careful_datetimes
    monkeypatch.setattr(module, "_careful_datetimes", lambda texts, order: calls.append(texts.to_list()) or careful(texts, order))
    assert module._parse_datetimes(values, "dmy").equals(fresh)
    assert calls == [["March 5, 2024"], ["March 5, 2024"]]  # the sample's unread value, then the column's


@pytest.mark.parametrize(
    "name, code",
    [("Russland", "RU"), ("Rosja", "RU"), ("Россия", "RU"), ("Rusia", "RU"), ("Niemcy", "DE"), ("Германия", "DE"), ("Suomi", "FI"),
     ("Magyarország", "HU"), ("Ελλάδα", "GR"), ("ישראל", "IL"), ("مصر", "EG"), ("भारत", "IN"), ("UK", "GB"), ("Holland", "NL")],
)
def test_country_names_in_every_language_cldr_knows_map_to_their_code(name, code):
    assert apply(map_country, [name]) == [code]


def test_an_amounts_currency_is_kept_and_never_added_to_another_ones():
    from datetime import datetime, timezone

    from listclean.linkage.engine import DedupeOptions, dedupe
    from listclean.segmentation import rfm
    from listclean.standardize import StandardizeOptions, standardize

    raw = pl.LazyFrame({"email": ["ann@firma.pl", "ANN@firma.pl", "bob@firma.pl"], "total_spend": ["$1,234.50", "¥12,000", "120.50 EUR"], "_source_row": [1, 2, 3]})
    frame = standardize(raw, StandardizeOptions()).collect()
    assert frame["currency"].to_list() == ["$", "¥", "EUR"]
    golden = dedupe(frame.with_columns(pl.lit("shop.csv").alias("_source_file")), DedupeOptions(match="exact")).frame
    ann = golden.filter(pl.col("email").str.to_lowercase() == "ann@firma.pl").row(0, named=True)
    assert (ann["total_spend"], ann["currency"]) == (1234.5, "$")  # ¥12,000 is not added to $1,234.50
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    buyers = pl.DataFrame({"last_purchase_at": [now] * 4, "purchase_count": [1] * 4, "total_spend": [100.0, 200.0, 10_000.0, 20_000.0], "currency": ["USD", "USD", "JPY", "JPY"]})
    assert rfm(buyers, now)["rfm_monetary"].to_list() == [3, 5, 3, 5]  # ranked within each currency


def test_full_width_digits_in_a_date_are_read_not_an_error():
    from listclean.standardize import _parse_datetimes

    assert _parse_datetimes(pl.Series("v", ["２０２４-03-05", "２０２４/０３/０５"]), "mdy").dt.strftime("%Y-%m-%d").to_list() == ["2024-03-05", "2024-03-05"]
