"""Per-row comparison features: what blocking and scoring read, computed once, vectorised.

Row ``i`` of ``prepare(frame)`` describes row ``i`` of ``frame`` (column ``__id``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listclean.linkage.canonical import canonicalise
from listclean.linkage.comparisons import name_made
from listclean.linkage.names import fold_company, fold_name, given_name_key

if TYPE_CHECKING:
    import polars as pl

E164 = r"^\+[1-9]\d{6,14}$"  # a phone number fit to compare
SLIM_FEATURES = ("email_canonical", "__phone")  # what slim_features computes
SLIM_INPUTS = ("email", "email_normalized", "phone")  # the columns slim_features reads (where a frame has them)


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    import polars as pl

    return pl.col(name).cast(pl.String) if name in frame.columns else pl.lit(None, dtype=pl.String)


def normalized_emails(frame: pl.DataFrame) -> pl.Series:
    """email_normalized where validate already wrote it, else judged now (valid addresses only).

    Row by row: a validated list deduplicated with (or against) rows that were never validated
    has email_normalized only on its own rows, and the others must still be matched by address.
    """
    import polars as pl

    from listclean.email.syntax import judge_syntax

    given = frame["email_normalized"].cast(pl.String) if "email_normalized" in frame.columns else None
    if "email" not in frame.columns:
        return given if given is not None else pl.Series("email_normalized", [None] * frame.height, dtype=pl.String)
    typed = frame["email"].cast(pl.String).str.strip_chars()
    # Where validate wrote nothing (an invalid address, or a row it never saw), judge what was typed.
    unjudged = typed if given is None else typed.filter(given.is_null())
    judged = judge_syntax(unjudged).filter(pl.col("syntax_ok")).select("address", "normalized")
    joined = typed.to_frame("address").join(judged, on="address", how="left", maintain_order="left")["normalized"]
    return (joined if given is None else given.fill_null(joined)).alias("email_normalized")


def slim_features(frame: pl.DataFrame) -> pl.DataFrame:
    """Only prepare's canonical address and E.164 phone (SLIM_FEATURES), computed as prepare does
    but without folding a single name: a first pass over a large list whose keys read nothing else
    (partitioned.py) stays cheap."""
    import polars as pl

    address = canonicalise(normalized_emails(frame))["email_canonical"]
    phone = frame["phone"].cast(pl.String) if "phone" in frame.columns else pl.Series([None] * frame.height, dtype=pl.String)
    return pl.DataFrame({"email_canonical": address, "__phone": pl.select(pl.when(phone.str.contains(E164)).then(phone)).to_series()})


def _birth_date(frame: pl.DataFrame) -> pl.Expr:
    """The birth date as its eight digits (YYYYMMDD), compared for typos like any text: from
    birth_date (a date, or text import could not read), else the digits of birth_date_raw when
    they are a date's eight (a mistyped 19561909 still differs from 19560919 by one keystroke)."""
    import polars as pl

    digits = []
    for name in ("birth_date", "birth_date_raw"):
        if name in frame.columns:
            text = pl.col(name).cast(pl.String).str.replace_all(r"[^0-9]", "")
            digits.append(pl.when(text.str.len_bytes() == 8).then(text))
    return pl.coalesce(digits) if digits else pl.lit(None, dtype=pl.String)


def _birth_year(frame: pl.DataFrame) -> pl.Expr:
    import polars as pl

    if "birth_year" not in frame.columns:
        return pl.lit(None, dtype=pl.Int32)
    year = pl.col("birth_year").cast(pl.String).str.strip_chars().cast(pl.Int32, strict=False)
    return pl.when(year.is_between(1800, 2200)).then(year)


def _street(frame: pl.DataFrame) -> pl.Expr:
    """The first street-address line folded for comparison (linkage.address.fold_street)."""
    import polars as pl

    from listclean.linkage.address import fold_street
    from listclean.standardize import on_distinct, series_function

    if "address_line1" not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    return on_distinct(pl.col("address_line1").cast(pl.String), series_function(fold_street), pl.String)


def prepare(frame: pl.DataFrame, match: str = "fuzzy") -> pl.DataFrame:
    """The comparison features of every row. Only `--match fuzzy` compares birth dates, streets,
    regions, companies, phone digits and mailboxes (FUZZY_ONLY): the other levels skip them."""
    import polars as pl

    from listclean.standardize import on_distinct, series_function

    fuzzy = match == "fuzzy"

    def folded(name: str, fold=fold_name) -> pl.Expr:  # noqa: ANN001
        # Names, cities and companies repeat: fold each distinct value once.
        return on_distinct(_text(frame, name), series_function(fold), pl.String)

    normalized = normalized_emails(frame)
    canonical = canonicalise(normalized)
    first, last, full = (folded(name) for name in ("first_name", "last_name", "full_name"))
    work = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("__id"),
        normalized.alias("__normalized"),
        first.alias("__first_given"),
        last.alias("__last_given"),
        full.alias("__full"),
        _text(frame, "phone").alias("__phone_text"),
        _text(frame, "postal_code").str.to_uppercase().str.replace_all(r"[\s\-]", "").alias("__postal"),
        folded("city").alias("__city"),
        _text(frame, "country").str.to_uppercase().alias("__country"),
        *(
            (
                folded("company", fold_company).alias("__company"),
                folded("region").alias("__region"),
                _street(frame).alias("__street"),
                _birth_date(frame).alias("__dob"),
                _birth_year(frame).alias("__birth_year"),
            )
            if fuzzy
            else ()
        ),
        pl.concat_str(_text(frame, "_source_file").fill_null("?"), pl.lit(":"), _text(frame, "_source_row").fill_null("?")).alias("__ref"),
    )
    # A full name stands in for missing first and last names: first word and last word.
    no_parts = pl.col("__first_given").is_null() & pl.col("__last_given").is_null()
    work = work.with_columns(
        pl.when(no_parts).then(pl.col("__full").str.extract(r"^(\S+)\s", 1)).otherwise(pl.col("__first_given")).alias("__first"),
        pl.when(no_parts).then(pl.col("__full").str.extract(r"(\S+)$", 1)).otherwise(pl.col("__last_given")).alias("__last"),
        canonical["email_canonical"],
        canonical["email_canonical_rules"],
        pl.when(pl.col("__phone_text").str.contains(E164)).then(pl.col("__phone_text")).alias("__phone"),
    )
    if fuzzy:
        # The number as it ends, whatever the prefix it was written with (0x / +61 x): the last
        # eight digits, compared for typos; a number too short to mean anything is left out.
        digits = pl.col("__phone_text").str.replace_all(r"[^0-9]", "").str.slice(-8)
        work = work.with_columns(
            pl.when(digits.str.len_bytes() >= 6).then(digits).alias("__phone_digits"),
            pl.coalesce(pl.col("__birth_year"), pl.col("__dob").str.slice(0, 4).cast(pl.Int32, strict=False)).alias("__birth_year"),
        )
    work = work.with_columns(given_name_key(pl.col("__first")).alias("__first_key"))
    if fuzzy:
        work = work.with_columns(
            # The mailbox name as a person would say it: no dots, dashes, underscores or +tag, so
            # anna.nowak@gmail.com (canonical annanowak) and anna.nowak@firma.pl compare as one name.
            pl.col("email_canonical").str.extract(r"^([^+@]*)", 1).str.replace_all(r"[._\-]", "").alias("__mailbox"),
            pl.col("email_canonical").str.replace_all(r"[^0-9]", "").alias("__email_digits"),
            pl.col("email_canonical").str.extract(r"@([^@]*)$", 1).alias("__domain"),
            # The mailbox as written (lower case, without +tag): anna.nowak and anna_nowak are two.
            pl.col("__normalized").str.to_lowercase().str.extract(r"^([^+@]*)", 1).alias("__local"),
            pl.col("__normalized").str.to_lowercase().alias("__written"),
        ).with_columns(
            # Whether the mailbox says no more than the row's own name (comparisons.name_made).
            name_made(pl.col("__local"), pl.col("__first"), pl.col("__last")).alias("__name_made"),
        )
    return work.drop("__first_given", "__last_given", "__full", "__phone_text")
