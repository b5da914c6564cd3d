"""Identifying fields for dedupe: birth_date, birth_year, address_line1, address_line2."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from conftest import load
from listclean import schema
from listclean.columns import map_columns
from listclean.standardize import StandardizeOptions, parse_birth_date, parse_birth_year, standardize

TODAY = dt.date(2026, 11, 30)


def test_the_fields_have_their_place_and_types_in_the_schema():
    assert schema.IDENTITY == (
        "email", "first_name", "last_name", "full_name", "birth_date", "birth_year", "phone", "company", "job_title",
        "address_line1", "address_line2", "country", "region", "city", "postal_code", "language",
    )  # fmt: skip
    types = schema.CANONICAL_TYPES
    assert (types["birth_date"], types["birth_year"], types["address_line1"], types["address_line2"]) == ("date", "int", "str", "str")
    assert schema.polars_dtype("date") == pl.Date
    assert {"birth_date", "birth_year"} <= set(schema.INTERPRETED_FIELDS)
    assert not {"address_line1", "address_line2"} & set(schema.INTERPRETED_FIELDS)


@pytest.mark.parametrize(
    "header, field",
    [
        ("Date of birth", "birth_date"),  # HubSpot
        ("Birthdate", "birth_date"),  # Salesforce
        ("BIRTHDAY", "birth_date"),  # Mailchimp
        ("DOB", "birth_date"),
        ("date_of_birth", "birth_date"),
        ("Geburtsdatum", "birth_date"),
        ("Date de naissance", "birth_date"),
        ("Fecha de nacimiento", "birth_date"),
        ("Data urodzenia", "birth_date"),
        ("Data de nascimento", "birth_date"),
        ("Data di nascita", "birth_date"),
        ("Geboortedatum", "birth_date"),
        ("生年月日", "birth_date"),
        ("出生日期", "birth_date"),
        ("생년월일", "birth_date"),
        ("Year of birth", "birth_year"),
        ("YOB", "birth_year"),
        ("Birth Year", "birth_year"),
        ("Geburtsjahr", "birth_year"),
        ("Année de naissance", "birth_year"),
        ("Año de nacimiento", "birth_year"),
        ("Rok urodzenia", "birth_year"),
        ("Address", "address_line1"),  # Mailchimp ADDRESS, Klaviyo
        ("Address 1", "address_line1"),
        ("Address1", "address_line1"),  # Shopify/Klaviyo
        ("Address Line 1", "address_line1"),
        ("address_line_1", "address_line1"),  # SendGrid
        ("Street", "address_line1"),
        ("Street Address", "address_line1"),  # HubSpot
        ("MailingStreet", "address_line1"),  # Salesforce
        ("Mailing Street", "address_line1"),
        ("Default Address Address1", "address_line1"),  # Shopify
        ("Address 1 - Street", "address_line1"),  # Google Contacts
        ("Straße", "address_line1"),
        ("Strasse", "address_line1"),
        ("Adresse", "address_line1"),
        ("Rue", "address_line1"),
        ("Dirección", "address_line1"),
        ("Calle", "address_line1"),
        ("Ulica", "address_line1"),
        ("Adres", "address_line1"),
        ("Endereço", "address_line1"),
        ("Morada", "address_line1"),
        ("Indirizzo", "address_line1"),
        ("Via", "address_line1"),
        ("Straat", "address_line1"),
        ("住所", "address_line1"),
        ("地址", "address_line1"),
        ("주소", "address_line1"),
        ("Address 2", "address_line2"),
        ("Address2", "address_line2"),
        ("Address Line 2", "address_line2"),
        ("Default Address Address2", "address_line2"),  # Shopify
        ("Apartment", "address_line2"),
        ("Suite", "address_line2"),
        ("Unit", "address_line2"),
        ("Adresszusatz", "address_line2"),
        ("Complément d'adresse", "address_line2"),
        ("Complemento", "address_line2"),
        ("建物名", "address_line2"),
        ("상세주소", "address_line2"),
    ],
)
def test_identity_headers_map_to_the_new_fields(header, field):
    mapping = map_columns([header, "Other"])
    assert mapping.fields.get(field) == header
    assert mapping.passthrough == ["Other"]


@pytest.mark.parametrize(
    "header, field",
    [
        ("Email Address", "email"),
        ("E-mail Address", "email"),
        ("mail", "email"),
        ("Adresse e-mail", "email"),
        ("Dirección de correo", "email"),
        ("Indirizzo email", "email"),
        ("Adres e-mail", "email"),
        ("Address 1 - City", "city"),
        ("Address 1 - Country", "country"),
        ("Address 1 - Region", "region"),
        ("Address 1 - Postal Code", "postal_code"),
        ("Default Address City", "city"),
        ("Default Address Zip", "postal_code"),
    ],
)
def test_new_aliases_take_no_header_another_field_claims(header, field):
    assert map_columns([header]).fields == {field: header}


def test_an_ip_address_column_stays_unmapped():
    mapping = map_columns(["Email", "IP Address"])
    assert mapping.passthrough == ["IP Address"]


def test_the_most_specific_street_header_wins():
    mapping = map_columns(["Address", "Street Address", "Address 2"])
    assert mapping.fields == {"address_line1": "Street Address", "address_line2": "Address 2"}
    assert mapping.passthrough == ["Address"]


def test_an_address_column_of_email_addresses_is_the_email_column(tmp_path):
    source = tmp_path / "list.csv"
    source.write_text("Name,Address\nAnn,ann@example.com\nBob,bob@example.com\n", encoding="utf-8")
    result = load(source)
    assert result.frame["email"].to_list() == ["ann@example.com", "bob@example.com"]
    assert result.frame["address_line1"].to_list() == [None, None]


def birth_dates(values: list[str | None], order: str = "mdy", today: dt.date | None = TODAY) -> list[dt.date | None]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(parse_birth_date(pl.col("v"), order, today)).to_series().to_list()


@pytest.mark.parametrize(
    "text", ["1956-09-09", "09/09/1956", "9.9.1956", "Sep 9 1956", "September 9, 1956", "9 Sep 1956", "19560909", "1956/09/09", "1956年9月9日"]
)
def test_birth_dates_in_common_forms(text):
    assert birth_dates([text]) == [dt.date(1956, 9, 9)]


def test_birth_date_order_follows_the_date_order_option():
    assert birth_dates(["03/04/1980"], "mdy") == [dt.date(1980, 3, 4)]
    assert birth_dates(["03/04/1980"], "dmy") == [dt.date(1980, 4, 3)]
    assert birth_dates(["03.04.1980"], "mdy") == [dt.date(1980, 4, 3)]  # dotted: day first


def test_a_time_part_is_dropped_and_the_date_as_written_kept():
    assert birth_dates(["1990-05-01T23:30:00-05:00", "1990-05-01 10:00", "1990-05-01T00:30:00+02:00"]) == [dt.date(1990, 5, 1)] * 3


def test_implausible_birth_dates_are_null():
    assert birth_dates(["1899-12-31", "1900-01-01", "2026-11-30", "2026-12-01", "2030-01-01", "1990-02-30", "1956"]) == [
        None, dt.date(1900, 1, 1), TODAY, None, None, None, None,
    ]  # fmt: skip


def test_a_two_digit_year_in_the_future_is_read_a_century_back():
    assert birth_dates(["01/02/65", "01/02/05", "01/02/45"]) == [dt.date(1965, 1, 2), dt.date(2005, 1, 2), dt.date(1945, 1, 2)]


def test_without_a_date_today_is_the_clock_date():
    assert birth_dates(["2000-01-01", "2999-01-01"], today=None) == [dt.date(2000, 1, 1), None]


def test_birth_years_are_whole_plausible_years():
    frame = pl.DataFrame({"v": ["1956", "1956.0", " 1980 ", "1899", "2027", "abc", "1956-09-09", None]})
    assert frame.select(parse_birth_year(pl.col("v"), TODAY)).to_series().to_list() == [1956, 1956, 1980, None, None, None, None, None]


def test_standardize_keeps_uninterpretable_birth_text_and_fills_the_year_from_the_date():
    frame = pl.LazyFrame(
        {
            "birth_date": ["09/09/1956", "1850-01-01", None, "soon", "1970-01-01", " 1961 ", "1850"],
            "birth_year": [None, None, "1980", "abc", "1969", None, None],
            "address_line1": ["  12   Main\tSt.  ", "ul. Długa 5", None, "", "Hauptstr. 5", None, None],
            "address_line2": ["Apt  4", None, None, None, "  ", None, None],
        }
    )
    out = standardize(frame, StandardizeOptions(today=TODAY)).collect()
    assert out["birth_date"].to_list() == [dt.date(1956, 9, 9), None, None, None, dt.date(1970, 1, 1), None, None]
    assert out["birth_date_raw"].to_list() == [None, "1850-01-01", None, "soon", None, "1961", "1850"]
    assert out["birth_year"].to_list() == [1956, None, 1980, None, 1969, 1961, None]  # a given year is kept; a year alone fills it
    assert out["birth_year_raw"].to_list() == [None, None, None, "abc", None, None, None]
    assert out["address_line1"].to_list() == ["12 Main St.", "ul. Długa 5", None, None, "Hauptstr. 5", None, None]
    assert out["address_line2"].to_list() == ["Apt 4", None, None, None, None, None, None]
    assert out.schema["birth_date"] == pl.Date and out.schema["birth_year"] == pl.Int64
    again = standardize(out.lazy(), StandardizeOptions(today=TODAY)).collect()
    assert again.equals(out)


def test_a_list_with_only_dates_gets_years(tmp_path):
    source = tmp_path / "list.csv"
    source.write_text("Email,Date of Birth\nann@example.com,13/02/1990\nbob@example.com,01/03/1985\n", encoding="utf-8")
    result = load(source)
    assert result.frame["birth_date"].to_list() == [dt.date(1990, 2, 13), dt.date(1985, 3, 1)]  # the column proves day-first
    assert result.frame["birth_year"].to_list() == [1990, 1985]
    assert result.sources[0].mapping.fields["birth_date"] == "Date of Birth"


def test_import_measures_birth_dates_against_the_runs_clock(tmp_path):
    from listclean.importer import ImportOptions
    from listclean.runtime import Runtime

    source = tmp_path / "list.csv"
    source.write_text("Email,DOB\nann@example.com,2020-06-01\n", encoding="utf-8")
    clock = lambda: dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)  # noqa: E731
    with Runtime(clock=clock) as runtime:
        frame = pl.concat(list(runtime.open_inputs([str(source)], ImportOptions())))
    assert frame["birth_date"].to_list() == [None]
    assert frame["birth_date_raw"].to_list() == ["2020-06-01"]


def test_birth_dates_survive_a_round_trip_through_csv(tmp_path, cli):
    source = tmp_path / "list.csv"
    source.write_text("Email,Birthday,Address,Address 2\nann@example.com,1956-09-09,1  Main St,Apt 4\n", encoding="utf-8")
    first, second = tmp_path / "once.csv", tmp_path / "twice.csv"
    assert cli(["import", source, "-o", first]).exit_code == 0
    assert cli(["import", first, "-o", second]).exit_code == 0
    assert first.read_text().splitlines()[1].startswith("ann@example.com,,,,1956-09-09,1956,,,,1 Main St,Apt 4,")
    assert load(first).frame.drop("_source_file").equals(load(second).frame.drop("_source_file"))
