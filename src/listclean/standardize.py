"""Field standardisation: text in, canonical values out, as Polars expressions.

Every function here takes and returns ``pl.Expr`` (or a LazyFrame), so the whole
step stays lazy and vectorised. The only per-value Python is phone parsing, done
once per distinct (number, country) pair.

Rules (each documented in the README):
- every canonical text field: Unicode NFC, invisible characters removed, odd spaces
  made plain, whitespace collapsed, trimmed; empty becomes null;
- names (and city): case repaired only when the value is ALL CAPS or all lower;
- country: any ISO code or name in 18 languages -> ISO 3166-1 alpha-2;
- dates: ISO 8601, US and European numeric dates, month names, Unix epoch (s/ms),
  Excel serial numbers -> UTC datetimes;
- birth_date: the same date forms -> a date (a time part is dropped, the date as written kept);
  before 1900-01-01 or after today (the run's clock) -> null; a two-digit year in the future
  is read a century earlier (01/02/65 -> 1965); birth_year: a whole number 1900..this year,
  filled from birth_date's year where the row has a date and no year (or from a birth_date
  cell that holds only a year);
- consent: any common wording or yes/no -> the consent vocabulary; a wording the table does
  not know is read by the negative words it contains in many languages ("unsubscribed by
  admin", "consent withdrawn", "配信停止") or the wording it starts with; a date in the cell
  fills an empty consent_at (when the file has that column); a value still not understood is null, its text in
  consent_status_raw (unknown consent: never sent to a platform unless the user says so);
  an opt-out flag column that says yes makes the contact unsubscribed;
- numbers: currency symbols, thousands separators and decimal commas understood;
- tags: split on , ; | into a de-duplicated list.
A value that cannot be interpreted becomes null and its text is kept in `<field>_raw`.
Standardising an already standard file changes nothing (tested as a property).
"""

from __future__ import annotations

import functools
import threading

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from listclean import schema, vocabulary
from listclean.text import INVISIBLE, ODD_SPACES, as_text, fold_key_expr

if TYPE_CHECKING:
    import polars as pl

DateOrder = Literal["auto", "mdy", "dmy"]

_TIME_TAIL = (
    r"(?:[T\s,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?"
    r"\s*(?:(Z|UTC|GMT)|([+-]\d{2}):?(\d{2}))?$"
)
ISO_DATE = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME_TAIL
COMPACT_DATE = r"^((?:19|20)\d{2})(\d{2})(\d{2})$"
NUMERIC_DATE = r"^(\d{1,2})([-/.])(\d{1,2})[-/.](\d{4}|\d{2})" + _TIME_TAIL
DAY_MONTH_NAME = r"^(\d{1,2})(?:st|nd|rd|th)?\.?[\s-]+([^\W\d_]{3,10})\.?,?[\s-]+(\d{4})" + _TIME_TAIL
MONTH_NAME_DAY = r"^([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME_TAIL
_WEEKDAY = r"(?i)^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+"

# First three letters of month names in English, German, French, Spanish, Italian, Portuguese, Dutch.
MONTHS = {
    "jan": 1, "ene": 1, "gen": 1, "janv": 1,
    "feb": 2, "fev": 2, "fév": 2, "feb.": 2,
    "mar": 3, "mär": 3, "maa": 3,
    "apr": 4, "avr": 4, "abr": 4,
    "may": 5, "mai": 5, "mei": 5, "mag": 5, "mayo": 5,
    "jun": 6, "giu": 6,
    "jul": 7, "lug": 7,
    "aug": 8, "ago": 8, "aoû": 8, "aou": 8,
    "sep": 9, "set": 9,
    "oct": 10, "okt": 10, "ott": 10, "out": 10,
    "nov": 11,
    "dec": 12, "dez": 12, "déc": 12, "dic": 12,
}


@dataclass
class StandardizeOptions:
    date_order: dict[str, str] = field(default_factory=dict)  # field -> "mdy" | "dmy" for ambiguous numeric dates
    default_country: str | None = None  # ISO alpha-2 used to read national phone numbers
    source_name: str | None = None  # fills `source` where a row has none
    today: date | None = None  # the latest plausible birth date (None: today's UTC date when standardising)

    def today_or_now(self) -> date:
        from datetime import datetime, timezone

        return self.today if self.today is not None else datetime.now(timezone.utc).date()


# --------------------------------------------------------------------------- text


def clean_text(expr: pl.Expr) -> pl.Expr:
    """NFC, invisible and control characters dropped, any whitespace run made one space, trimmed; '' -> null."""
    import polars as pl

    cleaned = (
        expr.str.normalize("NFC")
        .str.replace_all(f"[{INVISIBLE}]", "")
        .str.replace_all(r"[\x00-\x08\x0e-\x1b\x7f]", "")  # control characters (tabs and newlines become spaces below)
        .str.replace_all(r"[\x1c-\x1f]", " ")  # information separators: Python counts them as spaces
        .str.replace_all(rf"[\s{ODD_SPACES}]+", " ")
        .str.strip_chars()
    )
    return pl.when(cleaned.str.len_bytes() > 0).then(cleaned)


@functools.cache
def plain_text_pattern() -> str:
    """Words separated by single ASCII spaces, holding no other space, no control or invisible
    character and no character NFC could change (data/nfc_unsafe.txt): text that clean_text
    returns unchanged, in any script. Most cells of a list look like this; recognising them is
    one regex pass, where the cleaning chain (NFC above all) costs ten times as much."""
    from importlib import resources

    unsafe = []
    for line in resources.files("listclean.data").joinpath("nfc_unsafe.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            first, last = line.split()
            unsafe.append(f"\\x{{{first}}}-\\x{{{last}}}")
    word = rf"[^\s\x00-\x1f\x7f{INVISIBLE}{ODD_SPACES}{''.join(unsafe)}]+"
    return rf"^{word}(?: {word})*$"


def clean_text_values(values: pl.Series) -> pl.Series:
    """`clean_text` of a Series, running the cleaning chain only on values it could change."""
    import polars as pl

    plain = values.str.contains(plain_text_pattern()).fill_null(False)
    if plain.all():
        return values
    rows = (~plain).arg_true()
    cleaned = values.gather(rows).to_frame("v").select(clean_text(pl.col("v"))).to_series()
    # Scattered into a new column: Series.scatter writes in place, and `values` is the caller's.
    others = pl.repeat(None, values.len(), dtype=pl.String, eager=True).scatter(rows, cleaned)
    return values.zip_with(plain, others)


_PARTICLES = ("van", "von", "der", "den", "de", "da", "di", "du", "del", "della", "dos", "das", "la", "le", "ten", "ter")


def repair_case(expr: pl.Expr) -> pl.Expr:
    """Title-case a value that is ALL CAPS or all lower; leave mixed case alone.

    Keeps name particles lower-case inside a name ("VAN DER BERG" -> "Van der Berg")
    and repairs the Mc prefix ("mcdonald" -> "McDonald").
    """
    import polars as pl

    has_case = expr.str.to_uppercase() != expr.str.to_lowercase()
    one_case = (expr == expr.str.to_uppercase()) | (expr == expr.str.to_lowercase())
    # Twice: a few letters title-case into a caseless mark plus a capital ("ŉ" -> "ʼN") that a
    # second pass settles; without it repairing a repaired name could change it again.
    titled = expr.str.to_titlecase().str.to_titlecase()
    particles_in = [f" {word.title()} " for word in _PARTICLES]
    particles_out = [f" {word} " for word in _PARTICLES]
    # replace_many does not overlap matches: run twice so "Van Der Berg" gets both particles.
    titled = titled.str.replace_many(particles_in, particles_out).str.replace_many(particles_in, particles_out)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    titled = titled.str.replace_many([f"Mc{ch}" for ch in letters], [f"Mc{ch.upper()}" for ch in letters])
    titled = titled.str.normalize("NFC")  # title-casing can decompose (Greek iota subscript); keep NFC
    return pl.when(has_case & one_case).then(titled).otherwise(expr)


# --------------------------------------------------------------------------- dates


def _pad(expr: pl.Expr, width: int) -> pl.Expr:
    import polars as pl

    return expr.cast(pl.String).str.zfill(width)


def _assemble(year: pl.Expr, month: pl.Expr, day: pl.Expr, parts: pl.Expr, first_time_group: int) -> pl.Expr:
    """Build a UTC datetime from integer date parts and the shared time tail's groups."""
    import polars as pl

    g = first_time_group
    hour = parts.struct.field(str(g)).cast(pl.Int32, strict=False).fill_null(0)
    minute = parts.struct.field(str(g + 1)).cast(pl.Int32, strict=False).fill_null(0)
    second = parts.struct.field(str(g + 2)).cast(pl.Int32, strict=False).fill_null(0)
    meridiem = parts.struct.field(str(g + 3)).str.to_lowercase().str.replace_all(r"\.", "")
    hour = (
        pl.when(meridiem == "pm")
        .then(pl.when(hour < 12).then(hour + 12).otherwise(hour))
        .when(meridiem == "am")
        .then(pl.when(hour == 12).then(0).otherwise(hour))
        .otherwise(hour)
    )
    valid_meridiem = meridiem.is_null() | ((hour >= 0) & (hour <= 23))
    offset_hours = parts.struct.field(str(g + 5)).cast(pl.Int32, strict=False)
    offset_minutes = parts.struct.field(str(g + 6)).cast(pl.Int32, strict=False).fill_null(0)
    offset = (
        pl.when(offset_hours.is_null())
        .then(0)
        .otherwise(offset_hours * 60 + pl.when(offset_hours < 0).then(-offset_minutes).otherwise(offset_minutes))
    )
    text = pl.concat_str(
        _pad(year, 4), pl.lit("-"), _pad(month, 2), pl.lit("-"), _pad(day, 2), pl.lit(" "),
        _pad(hour, 2), pl.lit(":"), _pad(minute, 2), pl.lit(":"), _pad(second, 2),
    )
    naive = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    shifted = naive - pl.duration(minutes=offset)
    return pl.when(valid_meridiem).then(shifted).dt.replace_time_zone("UTC")


def _prepare_date_text(expr: pl.Expr) -> pl.Expr:
    """Bring CJK and Korean date spellings, RFC 2822 weekdays and Go's time format (listmonk:
    `2024-03-05 10:12:00.482913 +0000 UTC`, a zone name after the offset) to plain forms."""
    return (
        # NFKC: full-width digits (２０２４-03-05) are digits the parts can be read from.
        expr.str.normalize("NFKC")
        .str.replace(r"(\s[+-]\d{2}:?\d{2})\s+[A-Z]{3,4}$", "${1}")
        .str.replace_all(r"[年년]\s*", "-")
        .str.replace_all(r"[月월]\s*", "-")
        .str.replace_all(r"[日일]", "")
        .str.replace(r"^(\d{4})\.\s*(\d{1,2})\.\s*(\d{1,2})\.?", "${1}-${2}-${3}")
        .str.replace(_WEEKDAY, "")
        .str.strip_chars()
    )


def parse_datetime(expr: pl.Expr, order: str = "mdy") -> pl.Expr:
    """Text -> Datetime(us, UTC); null where the text is not a recognisable date.

    ``order`` decides numeric dates whose day and month could be swapped
    (03/04/2024); a dotted date (03.04.2024) is always day-first.
    (On large frames `standardize` materialises the pattern groups first, see
    `date_groups`; the result is the same.)
    """
    return datetime_from_groups(date_groups(expr), order)


def date_groups(expr: pl.Expr) -> dict[str, pl.Expr]:
    """The text and each date pattern's capture groups: what datetime_from_groups reads.

    Worth materialising as columns before parsing: every group is read several times,
    and Polars does not share the work across the nested expressions (6x slower).
    """
    text = _prepare_date_text(expr)
    return {
        "text": text,
        "iso": text.str.extract_groups(ISO_DATE),
        "compact": text.str.extract_groups(COMPACT_DATE),
        "numeric": text.str.extract_groups(NUMERIC_DATE),
        "dmn": text.str.extract_groups(DAY_MONTH_NAME),
        "mnd": text.str.extract_groups(MONTH_NAME_DAY),
    }


def datetime_from_groups(groups: dict[str, pl.Expr], order: str = "mdy") -> pl.Expr:
    import polars as pl

    text = groups["text"]
    iso = groups["iso"]
    iso_value = _assemble(
        iso.struct.field("1").cast(pl.Int32), iso.struct.field("2").cast(pl.Int32), iso.struct.field("3").cast(pl.Int32), iso, 4
    )

    compact = groups["compact"]
    compact_value = pl.concat_str(compact.struct.field("1"), compact.struct.field("2"), compact.struct.field("3")).str.strptime(
        pl.Datetime("us"), "%Y%m%d", strict=False
    ).dt.replace_time_zone("UTC")

    numeric = groups["numeric"]
    first = numeric.struct.field("1").cast(pl.Int32)
    second = numeric.struct.field("3").cast(pl.Int32)
    year = numeric.struct.field("4").cast(pl.Int32)
    year = pl.when(year < 100).then(pl.when(year < 70).then(year + 2000).otherwise(year + 1900)).otherwise(year)
    # A dotted date is day-first; a part over 12 settles a single value whatever the column's order.
    day_first = (numeric.struct.field("2") == ".") | (first > 12) | (pl.lit(order == "dmy") & ~(second > 12))
    numeric_value = _assemble(
        year,
        pl.when(day_first).then(second).otherwise(first),
        pl.when(day_first).then(first).otherwise(second),
        numeric,
        5,
    )

    month_keys = list(MONTHS)
    month_values = [MONTHS[key] for key in month_keys]

    def month_number(name: pl.Expr) -> pl.Expr:
        lowered = name.str.to_lowercase()
        full = lowered.replace_strict(month_keys, month_values, default=None, return_dtype=pl.Int32)
        return full.fill_null(lowered.str.slice(0, 3).replace_strict(month_keys, month_values, default=None, return_dtype=pl.Int32))

    dmn = groups["dmn"]
    dmn_value = _assemble(
        dmn.struct.field("3").cast(pl.Int32), month_number(dmn.struct.field("2")), dmn.struct.field("1").cast(pl.Int32), dmn, 4
    )
    mnd = groups["mnd"]
    mnd_value = _assemble(
        mnd.struct.field("3").cast(pl.Int32), month_number(mnd.struct.field("1")), mnd.struct.field("2").cast(pl.Int32), mnd, 4
    )

    digits = text.str.contains(r"^\d+$")
    number = text.cast(pl.Int64, strict=False)
    epoch_seconds = pl.when(digits & text.str.len_chars().is_between(9, 10)).then(pl.from_epoch(number, time_unit="s"))
    epoch_millis = pl.when(digits & text.str.len_chars().is_between(12, 13)).then(pl.from_epoch(number, time_unit="ms"))
    serial = text.str.extract(r"^(\d{5}(?:\.\d+)?)$").cast(pl.Float64, strict=False)
    excel = pl.when(serial.is_between(20_000, 80_000)).then(
        # Excel stores days since 1899-12-30 as a float; round to the second it was typed with.
        pl.datetime(1899, 12, 30) + pl.duration(seconds=(serial * 86_400).round(0).cast(pl.Int64))
    )
    return pl.coalesce(
        iso_value,
        compact_value,
        numeric_value,
        dmn_value,
        mnd_value,
        epoch_seconds.dt.replace_time_zone("UTC"),
        epoch_millis.dt.replace_time_zone("UTC"),
        excel.dt.cast_time_unit("us").dt.replace_time_zone("UTC"),
    ).cast(pl.Datetime("us", "UTC"))


def infer_date_orders(frame: pl.LazyFrame, columns: dict[str, str]) -> dict[str, str | None]:
    """For each field's source column: "dmy", "mdy", or None when its dates never tell.

    A numeric date with a first part over 12 proves day-first; a second part over 12
    proves month-first. One streamed query over the file reads the distinct values that can tell.
    """
    import polars as pl

    if not columns:
        return {}
    # Only a date with a slash, dot or dash between numbers, not year first, can be day- or
    # month-first: the others (ISO, Mailchimp's 2024-03-05 10:12:00) need none of the matching.
    # One streamed pass collects the distinct such values of every column (as column, value
    # pairs: a million rows hold a few thousand days) and the matching runs on those. Held in
    # memory, five timestamp columns of a 10M-row export were 2 GB before any filter; matched
    # row by row, a million dotted dates took seconds.
    def orderable(column: str) -> pl.Expr:
        text = pl.col(column).cast(pl.String)
        return pl.when(text.str.contains(r"\d\s*[/.\-]\s*\d") & ~text.str.contains(r"^\s*\d{4}\s*[/.\-]")).then(text)

    distinct = (
        frame.select(orderable(column).alias(target) for target, column in columns.items())
        .unpivot(variable_name="column", value_name="v")
        .filter(pl.col("v").is_not_null())
        .unique()
        .collect(engine="streaming")
    )
    orders: dict[str, str | None] = {}
    for target in columns:
        values = distinct.filter(pl.col("column") == target).select("v")
        # The pattern groups are a column of their own first: written as one expression per
        # aggregate, the cleaning and matching would be evaluated three times over.
        groups = values.select(_prepare_date_text(clean_text(pl.col("v"))).str.extract_groups(NUMERIC_DATE))
        slash = pl.col("v").struct.field("2") != "."
        row = groups.select(
            day=(slash & (pl.col("v").struct.field("1").cast(pl.Int32) > 12)).any(),
            month=(slash & (pl.col("v").struct.field("3").cast(pl.Int32) > 12)).any(),
            numeric=slash.any(),
        ).row(0, named=True)
        day, month, numeric = row["day"], row["month"], row["numeric"]
        if day and not month:
            orders[target] = "dmy"
        elif month and not day:
            orders[target] = "mdy"
        elif numeric:
            orders[target] = None  # ambiguous (or contradictory): the caller decides and says so
        else:
            orders[target] = "mdy"  # no numeric dates at all: the order never matters
    return orders


# --------------------------------------------------------------------------- birth dates

# A time of day and its offset after a date: dropped from a birth date, so the date as written
# is kept (shifting 1990-05-01T23:30-05:00 to UTC would make it the 2nd).
_BIRTH_TIME_OFFSET = r"(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})$"
_TWO_DIGIT_YEAR = r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}(?:\D|$)"


def plausible_birth_date(value: pl.Expr, today: date) -> pl.Expr:
    """The date where it can be a living person's birth date (1900-01-01 .. today), else null."""
    import polars as pl

    return pl.when(value.is_between(pl.lit(date(schema.EARLIEST_BIRTH_YEAR, 1, 1)), pl.lit(today))).then(value)


def parse_birth_date(expr: pl.Expr, order: str = "mdy", today: date | None = None) -> pl.Expr:
    """Cleaned text -> Date: every form `parse_datetime` reads (ISO, 09/09/1956, 9.9.1956,
    Sep 9 1956, 19560909, Excel serials …), a time part dropped. A two-digit year that would be
    in the future is read a century earlier; a date before 1900 or after `today` is null."""
    return birth_date_from_groups(date_groups(_birth_text(expr)), order, today)


def _birth_text(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace(_BIRTH_TIME_OFFSET, "${1}")


def birth_date_from_groups(groups: dict[str, pl.Expr], order: str, today: date | None) -> pl.Expr:
    from datetime import datetime, timezone

    import polars as pl

    today = today if today is not None else datetime.now(timezone.utc).date()
    value = datetime_from_groups(groups, order).dt.replace_time_zone(None).dt.date()
    two_digit = groups["text"].str.contains(_TWO_DIGIT_YEAR)
    value = pl.when(two_digit & (value > pl.lit(today))).then(value.dt.offset_by("-100y")).otherwise(value)
    return plausible_birth_date(value, today)


def parse_birth_year(expr: pl.Expr, today: date | None = None) -> pl.Expr:
    """A whole number from the earliest plausible birth year to this year, else null."""
    from datetime import datetime, timezone

    import polars as pl

    latest = (today if today is not None else datetime.now(timezone.utc).date()).year
    year = parse_integer(expr)
    return pl.when(year.is_between(schema.EARLIEST_BIRTH_YEAR, latest)).then(year)


# --------------------------------------------------------------------------- numbers, lists, vocabularies


def parse_decimal(expr: pl.Expr) -> pl.Expr:
    """'$1,234.50', '1.234,50 €', '1 234,50', '(12.00)' -> float; null if not a number.

    Written so each intermediate is referenced once or twice: the expression tree of a
    when/then chain is evaluated branch by branch, and a shared sub-expression repeated
    in every branch made this the slowest column of an import.
    """
    import polars as pl

    digits = expr.str.replace_all(r"[^\d.,]", "")
    # The last separator is a decimal comma unless the commas group thousands (1,234,567).
    comma_decimal = digits.str.contains(r",\d*$") & ~digits.str.contains(r"^\d{1,3}(,\d{3})+$")
    several_dots = digits.str.contains(r"\..*\.")
    normalised = (
        pl.when(comma_decimal)
        .then(digits.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(several_dots)
        .then(digits.str.replace_all(".", "", literal=True))
        .otherwise(digits.str.replace_all(",", "", literal=True))
    )
    # A number, and not "1." or "1.2.3" (cast alone would accept the first).
    value = pl.when(~normalised.str.ends_with(".")).then(normalised.cast(pl.Float64, strict=False))
    sign = pl.when(expr.str.contains(r"^\s*\(.*\)\s*$|^\s*-|-\s*$")).then(-1.0).otherwise(1.0)
    return value * sign


# A currency written beside an amount, longest symbols first: ISO 4217 where the symbol says
# which ("US$", "zł", "€"), else the symbol itself ("$", "¥", "kr" are several currencies' —
# kept apart from each other and from every code, so no two different currencies are added).
CURRENCY_SYMBOLS = (
    ("US$", "USD"), ("CA$", "CAD"), ("C$", "CAD"), ("AU$", "AUD"), ("A$", "AUD"), ("NZ$", "NZD"), ("R$", "BRL"), ("HK$", "HKD"),
    ("S$", "SGD"), ("MX$", "MXN"), ("CN¥", "CNY"), ("JP¥", "JPY"), ("€", "EUR"), ("£", "GBP"), ("zł", "PLN"), ("₩", "KRW"),
    ("₽", "RUB"), ("₹", "INR"), ("₺", "TRY"), ("₴", "UAH"), ("₪", "ILS"), ("฿", "THB"), ("₫", "VND"), ("₱", "PHP"),
    ("円", "JPY"), ("元", "CNY"), ("Kč", "CZK"), ("Ft", "HUF"), ("¥", "¥"), ("$", "$"), ("kr", "kr"),
)  # fmt: skip
ISO_CURRENCIES = (
    "USD", "EUR", "GBP", "PLN", "CHF", "JPY", "CNY", "KRW", "RUB", "INR", "CAD", "AUD", "NZD", "BRL", "MXN", "SEK", "NOK", "DKK",
    "CZK", "HUF", "RON", "BGN", "TRY", "UAH", "ILS", "ZAR", "SGD", "HKD", "TWD", "THB", "VND", "PHP", "IDR", "MYR", "AED", "SAR",
    "ARS", "CLP", "COP", "PEN", "EGP", "NGN", "KES", "ISK",
)  # fmt: skip


def currency_of(expr: pl.Expr) -> pl.Expr:
    """The currency an amount's text names: an ISO 4217 code in it ("120.50 EUR", "usd 5"), else
    its symbol as CURRENCY_SYMBOLS reads it; null when it names none."""
    import polars as pl

    text = expr.cast(pl.String)
    code = text.str.to_uppercase().str.extract(r"(?:^|[^A-Z])(" + "|".join(ISO_CURRENCIES) + r")(?:[^A-Z]|$)", 1)
    symbols = [pl.when(text.str.contains(symbol, literal=True)).then(pl.lit(name)) for symbol, name in CURRENCY_SYMBOLS]
    return pl.coalesce(code, *symbols)


def parse_integer(expr: pl.Expr) -> pl.Expr:
    import polars as pl

    # One batch function so the decimal parse is evaluated once, not once per comparison side.
    return parse_decimal(expr).map_batches(_whole_numbers, return_dtype=pl.Int64, is_elementwise=True)


def _whole_numbers(values: pl.Series) -> pl.Series:
    import polars as pl

    whole = values.cast(pl.Int64, strict=False)
    return pl.select(pl.when(whole.cast(pl.Float64) == values).then(whole)).to_series()


def parse_list(expr: pl.Expr) -> pl.Expr:
    """'a, b; c|a' or '["a","b"]' -> ["a", "b", "c"] (order kept, duplicates dropped)."""
    import polars as pl

    items = (
        expr.str.replace_all(r"^\s*\[|\]\s*$", "")
        .str.replace_all(r"[;|]", ",")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars().str.strip_chars("\"'").str.strip_chars().filter(pl.element().str.len_chars() > 0))
        .list.unique(maintain_order=True)
    )
    return pl.when(items.list.len() > 0).then(items)


def map_consent(expr: pl.Expr) -> pl.Expr:
    """The consent vocabulary's status of each wording: the table's exact wordings first, then
    (once per distinct value the table does not know) `read_consent_wording`. Null: not understood."""
    import polars as pl

    return expr.map_batches(_consent_series, return_dtype=pl.String, is_elementwise=True)


def _consent_series(values: pl.Series) -> pl.Series:
    import polars as pl

    lookup = vocabulary.consent_lookup()
    exact = values.to_frame("v").select(fold_key_expr(pl.col("v")).replace_strict(list(lookup), list(lookup.values()), default=None, return_dtype=pl.String))
    exact = exact.to_series()
    unknown = values.filter(exact.is_null() & values.is_not_null()).unique()
    if unknown.len() == 0:
        return exact.alias(values.name)
    table = pl.DataFrame({"v": unknown, "status": [read_consent_wording(value) for value in unknown.to_list()]}, schema={"v": pl.String, "status": pl.String})
    found = values.to_frame("v").join(table, on="v", how="left", maintain_order="left")["status"]
    return exact.fill_null(found).alias(values.name)


_CONSENT_DATE = (
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
)


def read_consent_wording(text: str) -> str | None:
    """A wording the table does not know: without its date and bracketed notes, the strongest
    negative stem it contains ("unsubscribed by admin", "consent withdrawn", "配信停止しました"), a
    negation with a positive word ("not subscribed"), or the table's wording it starts with
    ("Subscribed via web form"). None: not understood."""
    import re

    from listclean.text import fold_key

    bare = re.sub(_CONSENT_DATE, " ", text)
    folded = fold_key(bare)
    if not folded or folded in vocabulary.no_consent_keys():
        return None  # "never subscribed": no consent either way, not an opt-out (see vocabulary.NO_CONSENT_WORDS)
    for stem, status in vocabulary.consent_stems():
        if stem in folded:
            return status
    lookup = vocabulary.consent_lookup()
    words = [word for word in re.split(r"[\W_]+", bare.lower()) if word]
    stripped = fold_key(re.sub(r"[(\[{].*?[)\]}]", " ", bare))
    if stripped in lookup:
        return lookup[stripped]
    found = next((lookup[fold_key("".join(words[:k]))] for k in range(len(words), 0, -1) if fold_key("".join(words[:k])) in lookup), None)
    if found is not None and any(fold_key(word) in vocabulary.NEGATIONS for word in words[1:]) and found in ("subscribed", "pending"):
        return "unsubscribed"
    if found is None and any(fold_key(word) in vocabulary.NEGATIONS for word in words):
        positive = any(fold_key(word) in lookup and lookup[fold_key(word)] == "subscribed" for word in words)
        return "unsubscribed" if positive else None
    return found


def consent_date(expr: pl.Expr) -> pl.Expr:
    """The date written in a consent_status cell ("Unsubscribed (2024-05-01)"), as a UTC datetime."""
    return parse_datetime(expr.str.extract(f"({_CONSENT_DATE})", 1), "mdy")


def map_country(expr: pl.Expr) -> pl.Expr:
    import polars as pl

    lookup = vocabulary.country_lookup()
    return fold_key_expr(expr).replace_strict(list(lookup), list(lookup.values()), default=None, return_dtype=pl.String)


def normalise_language(expr: pl.Expr) -> pl.Expr:
    """'EN_us' -> 'en-US', 'Deutsch' -> 'de'; anything else kept as written."""
    import polars as pl

    lookup = vocabulary.language_lookup()
    named = fold_key_expr(expr).replace_strict(list(lookup), list(lookup.values()), default=None, return_dtype=pl.String)
    code = expr.str.extract_groups(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|\d{3}|[A-Za-z]{4}))?$")
    language = code.struct.field("1").str.to_lowercase()
    region = code.struct.field("2")
    region = pl.when(region.str.len_chars() == 4).then(region.str.to_titlecase()).otherwise(region.str.to_uppercase())
    coded = pl.when(region.is_null()).then(language).otherwise(pl.concat_str(language, pl.lit("-"), region))
    is_two_letter_name = expr.str.len_chars() > 3  # "english" is a name, "eng" an ISO 639-2 code
    return pl.coalesce(pl.when(is_two_letter_name).then(named), coded, named, expr)


def truthy(expr: pl.Expr) -> pl.Expr:
    return fold_key_expr(expr).is_in(vocabulary.truthy_keys())


def normalise_postal_code(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_uppercase()


# --------------------------------------------------------------------------- phones


def _e164_batch(values: pl.Series, default_country: str | None) -> pl.Series:
    """E.164 for each (phone, country) struct; the cleaned text where it is not a valid number."""
    import polars as pl

    from listclean import phones

    pairs = values.struct.unnest()
    pairs.columns = ["text", "region"]
    if default_country:
        pairs = pairs.with_columns(pl.col("region").fill_null(default_country))
    return phones.e164(pairs)


def phone_e164(phone: pl.Expr, country: pl.Expr, default_country: str | None) -> pl.Expr:
    import polars as pl

    cleaned = phone.str.replace(r"(?i)^tel:", "").str.strip_chars()
    return pl.struct(cleaned.alias("phone"), country.alias("country")).map_batches(
        lambda batch: _e164_batch(batch, default_country), return_dtype=pl.String
    )


# --------------------------------------------------------------------------- the step


def standardize(frame: pl.LazyFrame, options: StandardizeOptions | None = None) -> pl.LazyFrame:
    """Type and clean every canonical column present; add `<field>_raw` for uninterpretable values.

    Expects canonical columns as text (or already typed: they are re-read as text
    first, which makes the step idempotent). Columns it does not know pass through.
    """
    import polars as pl

    options = options or StandardizeOptions()
    names = frame.collect_schema()
    present = [name for name in schema.CANONICAL if name in names]
    # Pass 1 cleans the text in place; pass 2 interprets it and, in the same projection,
    # keeps the cleaned text of every value it could not interpret.
    # Cleaning, too, runs once per distinct value (a city or a status repeats thousands of times).
    cleaned = [on_distinct(as_text(pl.col(name), names[name]), clean_text_values, pl.String).alias(name) for name in present]
    if "email" in present:
        # What was typed, kept beside the cleaned address so email_raw compares the two columns
        # (not a second cleaning of the typed text).
        frame = frame.with_columns(as_text(pl.col("email"), names["email"]).alias("__typed_email"))
    frame = frame.with_columns(cleaned)
    if "email" in present:
        typed = pl.col("__typed_email")
        changed = pl.when(typed.str.strip_chars().str.len_bytes() > 0).then(pl.when(pl.col("email").fill_null("") != typed).then(typed))
        frame = frame.with_columns(_keep_raw("email", changed, names)).drop("__typed_email")

    out: list[pl.Expr] = []
    for name in present:
        text = pl.col(name)
        interpret = _interpreter(name, options)
        dtype = schema.polars_dtype(schema.CANONICAL_TYPES[name])
        value = text if interpret is None else on_distinct(text, interpret, dtype)
        out.append(value.alias(name))
        if name == "total_spend":  # the amount's own currency, before the number drops it
            out.append(currency_of(text).alias("__spend_currency"))
        if name == "consent_status" and "consent_at" in present:
            # A status with its date in one cell ("Unsubscribed (2024-05-01)"): the date fills an empty consent_at.
            out.append(on_distinct(text, series_function(consent_date), schema.polars_dtype("datetime")).alias("__consent_date"))
        if name in schema.INTERPRETED_FIELDS:
            out.append(_keep_raw(name, pl.when(text.is_not_null() & value.is_null()).then(text), names))
    frame = frame.with_columns(out)
    if "consent_status" in present and "consent_at" in present:
        frame = frame.with_columns(pl.coalesce("consent_at", "__consent_date").alias("consent_at")).drop("__consent_date")
    if "total_spend" in present or "currency" in present:
        given = currency_of(pl.col("currency")).fill_null(pl.col("currency")) if "currency" in present else pl.lit(None, dtype=pl.String)
        spent = pl.col("__spend_currency") if "total_spend" in present else pl.lit(None, dtype=pl.String)
        frame = frame.with_columns(pl.coalesce(given, spent).alias("currency"))
        if "total_spend" in present:
            frame = frame.drop("__spend_currency")
    if "optin_at" in present:  # an opt-in is a signup: cohorts and ages count from it when nothing else says
        signup = pl.col("signup_at") if "signup_at" in present else pl.lit(None, dtype=schema.polars_dtype("datetime"))
        frame = frame.with_columns(signup.fill_null(pl.col("optin_at")).alias("signup_at"))
    opt_ins = [pl.col(name) for name in ("confirmed_at", "optin_at") if name in present]
    if opt_ins:
        # consent_at is when the current status began: a subscriber's (or a contact's without a
        # status) is their confirmed opt-in, else their opt-in. A churned contact's is the churn
        # (UNSUB_TIME, CLEAN_TIME), never the opt-in: that would date the unsubscribe years early.
        status = pl.col("consent_status") if "consent_status" in present else pl.lit(None, dtype=pl.String)
        given = pl.col("consent_at") if "consent_at" in present else pl.lit(None, dtype=schema.polars_dtype("datetime"))
        opted_in = status.is_null() | status.is_in(["subscribed", "pending"])
        frame = frame.with_columns(pl.when(given.is_null() & opted_in).then(pl.coalesce(opt_ins)).otherwise(given).alias("consent_at"))

    derived: list[pl.Expr] = []
    if "phone" in present:
        country = pl.col("country") if "country" in present else pl.lit(None, dtype=pl.String)
        derived.append(phone_e164(pl.col("phone"), country, options.default_country).alias("phone"))
    if options.source_name:
        given = pl.col("source") if "source" in present else pl.lit(None, dtype=pl.String)
        derived.append(given.fill_null(pl.lit(options.source_name)).alias("source"))
    if "first_name" in present or "last_name" in present:
        first = pl.col("first_name") if "first_name" in present else pl.lit(None, dtype=pl.String)
        last = pl.col("last_name") if "last_name" in present else pl.lit(None, dtype=pl.String)
        given = pl.col("full_name") if "full_name" in present else pl.lit(None, dtype=pl.String)
        derived.append(given.fill_null(_full_name(first, last)).alias("full_name"))
    if "birth_date" in present:
        # A list with dates and no years (or some rows without a year) still compares on years;
        # a birth-date cell that holds only a year ("1956": not a date, kept in birth_date_raw) gives it too.
        given = pl.col("birth_year") if "birth_year" in present else pl.lit(None, dtype=pl.Int64)
        year_only = parse_birth_year(pl.col("birth_date_raw").str.extract(r"^(\d{4})$", 1), options.today_or_now())
        derived.append(given.fill_null(pl.col("birth_date").dt.year().cast(pl.Int64)).fill_null(year_only).alias("birth_year"))
    if derived:
        frame = frame.with_columns(derived)

    typed_derived = []
    for name, kind in schema.DERIVED_TYPES.items():
        if name in names and names[name] == pl.String and kind != "str":
            column = clean_text(pl.col(name))
            if kind == "list[str]":
                typed_derived.append(parse_list(column).alias(name))
            elif kind == "bool":
                typed_derived.append(truthy(column).alias(name))
            elif kind == "int":
                typed_derived.append(parse_integer(column).alias(name))
    if typed_derived:
        frame = frame.with_columns(typed_derived)

    return frame


def _interpreter(name: str, options: StandardizeOptions) -> Callable[[pl.Series], pl.Series] | None:
    """The cleaned-text -> value function of one canonical field (None: the text is the value)."""
    if name in schema.DATETIME_FIELDS:
        order = options.date_order.get(name) or "mdy"
        return lambda values: _parse_datetimes(values, order)
    if name in schema.DATE_FIELDS:
        order, today = options.date_order.get(name) or "mdy", options.today_or_now()
        return lambda values: _parse_birth_dates(values, order, today)
    if name == "birth_year":
        today = options.today_or_now()
        return series_function(lambda expr: parse_birth_year(expr, today))
    kind = (
        repair_case if name in schema.NAME_FIELDS or name == "city"
        else normalise_postal_code if name == "postal_code"
        else normalise_language if name == "language"
        else parse_integer if name in schema.INTEGER_FIELDS
        else parse_decimal if name in schema.DECIMAL_FIELDS
        else parse_list if name in schema.LIST_FIELDS
        else map_consent if name == "consent_status"
        else map_country if name == "country"
        else None
    )  # fmt: skip
    return None if kind is None else series_function(kind)


def series_function(build: Callable[[pl.Expr], pl.Expr]) -> Callable[[pl.Series], pl.Series]:
    """An expression builder (Expr -> Expr) as a Series -> Series function, for `on_distinct`."""

    def apply(values: pl.Series) -> pl.Series:
        import polars as pl

        return values.to_frame("v").select(build(pl.col("v"))).to_series()

    return apply


# Formats Polars' own parser reads a hundred times faster than the careful parser: the shapes
# exports write (Mailchimp's "2024-03-05 10:12:00", ISO with T and Z, HubSpot's "03/05/2024 10:12 AM").
# Day/month order decides the slashed ones; dotted dates are always day-first, as the careful parser reads them.
NATIVE_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
)  # fmt: skip
NATIVE_ORDERED_FORMATS = {
    "mdy": ("%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"),
    "dmy": ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"),
}
NATIVE_SAMPLE = 2_000  # distinct values a format is checked on against the careful parser


# (format, order) pairs whose native reading has been checked against the careful parser in this
# process: a format's agreement with it is a property of the format, not of one chunk's values, so
# the next chunk (or the next column of the same shape) does not pay for the check again.
_VERIFIED_FORMATS: set[tuple[str, str]] = set()
# Columns are standardised side by side, each in a Polars thread; checking formats runs the
# careful parser (many small queries). One column at a time checks, the others then find their
# formats checked: five at once wait on each other for the interpreter and the thread pool
# (a 1M-row export's five timestamp columns took seconds more).
_VERIFYING = threading.Lock()


def _parse_datetimes(values: pl.Series, order: str) -> pl.Series:
    """Text -> Datetime(us, UTC), as parse_datetime reads it. The column's own formats are found
    on a sample of its distinct values — each format kept only if Polars' native parser gives
    exactly the careful parser's answer on every sampled value it reads (checked once per format
    and date order) — and the column is parsed natively with them; only the values no kept
    format reads go to the careful parser."""
    import polars as pl

    text = values.cast(pl.String)
    # From the first rows (values arrive distinct or mostly so): a format that only appears later
    # is read by the careful parser (slower, as right).
    sample = text.head(4 * NATIVE_SAMPLE).drop_nulls().unique(maintain_order=True).head(NATIVE_SAMPLE)
    if sample.len() == 0:
        return _careful_datetimes(text, order)
    candidates = (*NATIVE_DATE_FORMATS, *NATIVE_ORDERED_FORMATS.get(order, ()))
    natives: dict[str, pl.Series] = {}

    def native(fmt: str) -> pl.Series:
        if fmt not in natives:
            natives[fmt] = _native(sample, fmt)
        return natives[fmt]

    with _VERIFYING:
        kept = _kept_formats(sample, order, candidates, native)
    if not kept:
        return _careful_datetimes(text, order)
    fast = pl.select(pl.coalesce([_native(text, fmt) for fmt in kept])).to_series() if len(kept) > 1 else _native(text, kept[0])
    rest = fast.is_null() & text.is_not_null()
    if not rest.any():
        return fast.alias(values.name)
    slow = _careful_datetimes(text.filter(rest), order)
    return fast.scatter(rest.arg_true(), slow).alias(values.name)


def _kept_formats(sample: pl.Series, order: str, candidates: tuple[str, ...], native: Callable[[str], pl.Series]) -> list[str]:
    """The native formats that read the sample, each checked against the careful parser once."""
    import polars as pl

    kept: list[str] = []
    covered = pl.Series([False] * sample.len(), dtype=pl.Boolean)
    # Formats already checked first; the careful parser only reads what they leave.
    for fmt in candidates:
        if (fmt, order) in _VERIFIED_FORMATS and not covered.all():
            read = native(fmt).is_not_null() & ~covered
            if read.any():
                kept.append(fmt)
                covered = covered | read
    if not covered.all():
        unread = ~covered
        expected = pl.repeat(None, sample.len(), dtype=pl.Datetime("us", "UTC"), eager=True).scatter(
            unread.arg_true(), _careful_datetimes(sample.filter(unread), order)
        )
        for fmt in candidates:
            if (fmt, order) in _VERIFIED_FORMATS:
                continue
            read = native(fmt).is_not_null() & ~covered
            if not read.any():
                continue
            if (native(fmt).filter(read) == expected.filter(read)).all() and expected.filter(read).null_count() == 0:
                _VERIFIED_FORMATS.add((fmt, order))
                kept.append(fmt)
                covered = covered | read
                if covered.all():
                    break  # every sampled value has its format
    return kept


def _native(text: pl.Series, fmt: str) -> pl.Series:
    """Polars' native parse of one format (null where the text is not in it), to the second in UTC, as the careful parser gives it."""
    import polars as pl

    # Staged: an eager select evaluates a repeated sub-expression once per use.
    value = text.str.strip_chars().to_frame("text")
    # Only values of the format's exact shape (two-digit fields, as written): chrono also reads
    # "10:5:00" or "2024-03-0510:12", which the careful parser does not.
    parsed = value.select(
        pl.when(pl.col("text").str.contains(_shape_of(fmt))).then(pl.col("text").str.to_datetime(fmt, strict=False, time_unit="us", exact=True, cache=False))
    ).to_series()
    # %Y reads "24" as the year 24: a year the careful parser would read otherwise goes to it.
    in_range = parsed.to_frame("v").select(pl.when(pl.col("v").dt.year().is_between(1900, 2199)).then(pl.col("v"))).to_series()
    if "%.f" in fmt:  # to the second, as the careful parser reads a fraction
        in_range = in_range.dt.truncate("1s")
    return in_range.dt.replace_time_zone("UTC").cast(pl.Datetime("us", "UTC")).alias(text.name)


_SHAPES = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}", "%H": r"\d{2}", "%I": r"\d{2}", "%M": r"\d{2}", "%S": r"\d{2}", "%p": r"(?:AM|PM|am|pm)", "%.f": r"\.\d{1,9}"}


def _shape_of(fmt: str) -> str:
    """The regular expression of the exact text a strftime format writes."""
    import re

    parts = re.split(r"(%\.f|%[A-Za-z])", fmt)
    return "^" + "".join(_SHAPES[part] if part in _SHAPES else re.escape(part) for part in parts) + "$"


def _careful_datetimes(values: pl.Series, order: str) -> pl.Series:
    import polars as pl

    # Pattern groups as temporary columns first (see date_groups).
    parts = date_groups(pl.col("v"))
    grouped = values.to_frame("v").select(expr.alias(part) for part, expr in parts.items())
    return grouped.select(datetime_from_groups({part: pl.col(part) for part in parts}, order)).to_series()


def _parse_birth_dates(values: pl.Series, order: str, today: date) -> pl.Series:
    import polars as pl

    parts = date_groups(_birth_text(pl.col("v")))
    grouped = values.to_frame("v").select(expr.alias(part) for part, expr in parts.items())
    return grouped.select(birth_date_from_groups({part: pl.col(part) for part in parts}, order, today)).to_series()


def on_distinct(column: pl.Expr, interpret: Callable[[pl.Series], pl.Series], dtype: pl.DataType) -> pl.Expr:
    """`interpret` applied once per distinct value of the column, in vectorised batches.

    Dates, countries, consent wordings, names repeat heavily in a contact list (a million
    rows hold a few thousand signup days), so interpreting the distinct values and joining
    the answers back is several times faster than evaluating the expressions row by row.
    On a batch that is mostly distinct the values are interpreted directly.
    """
    import polars as pl

    def apply(values: pl.Series) -> pl.Series:
        # Judge the cardinality on a sample first: finding every distinct value of a column
        # that is mostly distinct (addresses, phones) costs more than it saves.
        sample = values.head(20_000)
        if sample.n_unique() * 2 > sample.len():
            return interpret(values).alias(values.name)
        distinct = values.unique()
        if distinct.len() * 2 > values.len():
            return interpret(values).alias(values.name)
        table = pl.DataFrame({"__key": distinct, "__value": interpret(distinct)})
        joined = values.to_frame("__key").join(table, on="__key", how="left", nulls_equal=True, maintain_order="left")
        return joined["__value"].alias(values.name)

    return column.map_batches(apply, return_dtype=dtype, is_elementwise=True)


def _keep_raw(name: str, fresh: pl.Expr, names) -> pl.Expr:  # names: the frame's schema
    """`<name>_raw`: the original text kept by an earlier run (re-reading our own output), else `fresh`."""
    import polars as pl

    raw_name = f"{name}{schema.RAW_SUFFIX}"
    return (pl.coalesce(pl.col(raw_name).cast(pl.String), fresh) if raw_name in names else fresh).alias(raw_name)


def _full_name(first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """'Anna' + 'Nowak' -> 'Anna Nowak'; for CJK names family name first, no space ('山田太郎')."""
    import polars as pl

    cjk = r"^[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]+$"
    both_cjk = first.str.contains(cjk) & last.str.contains(cjk)
    western = pl.concat_str(first, last, separator=" ", ignore_nulls=True)
    eastern = pl.concat_str(last, first, ignore_nulls=True)
    joined = pl.when(both_cjk).then(eastern).otherwise(western)
    return pl.when(first.is_not_null() | last.is_not_null()).then(joined)


def apply_opt_out(frame: pl.LazyFrame, columns: Iterable[str]) -> pl.LazyFrame:
    """A yes in any opt-out flag column makes consent_status "unsubscribed"."""
    import polars as pl

    flags = [truthy(clean_text(pl.col(column).cast(pl.String))).fill_null(False) for column in columns]
    if not flags:
        return frame
    status = pl.col("consent_status")
    # Only a status that would allow mailing is overridden: "bounced" or "erased" say more than "unsubscribed".
    weaker = status.is_null() | status.is_in(["subscribed", "pending"])
    return frame.with_columns(
        pl.when(pl.any_horizontal(flags) & weaker).then(pl.lit("unsubscribed")).otherwise(status).alias("consent_status")
    )
