"""Export profiles: the columns, value vocabularies and file limits each email platform imports.

A profile maps canonical columns to the platform's import headers, turns values into its
vocabulary (consent, tags), and splits the output into parts that stay under its limits.
Limits marked "published" are the platform's documented import limits; the others are
listclean's conservative defaults (override with --max-rows / --max-mb).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Profile:
    name: str
    columns: dict[str, str]  # canonical column -> platform header, in output order
    email_header: str
    max_rows: int | None
    max_mb: int | None
    limits_note: str
    values: dict[str, Callable[[pl.Expr], pl.Expr]] = field(default_factory=dict)  # canonical column -> value mapping
    note: str = ""


def _joined_tags(expr: pl.Expr) -> pl.Expr:
    return expr.list.join(",")


def _consent_words(subscribed: str, otherwise: str) -> Callable[[pl.Expr], pl.Expr]:
    """A platform's two consent words: `subscribed` for subscribed contacts, `otherwise` for the rest.

    Only mailable contacts are exported, so the rest is an unconfirmed (pending) or unknown
    consent, which is not a subscription."""

    def words(expr: pl.Expr) -> pl.Expr:
        import polars as pl

        return pl.when(expr.cast(pl.String) == "subscribed").then(pl.lit(subscribed)).otherwise(pl.lit(otherwise))

    return words


PROFILES: dict[str, Profile] = {
    "mailchimp": Profile(
        name="mailchimp",
        columns={"email": "Email Address", "first_name": "First Name", "last_name": "Last Name", "phone": "Phone Number",
                 "company": "Company", "city": "City", "country": "Country", "postal_code": "Zip", "tags": "Tags"},
        email_header="Email Address",
        max_rows=None, max_mb=None,
        limits_note="no split by default (Mailchimp imports large CSVs; pass --max-rows to split)",
        values={"tags": _joined_tags},
        note="Tags: one cell, comma-separated (Mailchimp's import maps a Tags column to tags).",
    ),  # fmt: skip
    "klaviyo": Profile(
        name="klaviyo",
        columns={"email": "Email", "first_name": "First Name", "last_name": "Last Name", "phone": "Phone Number",
                 "company": "Organization", "city": "City", "country": "Country", "postal_code": "Zip Code",
                 "consent_status": "Email Marketing Consent", "tags": "Tags"},
        email_header="Email",
        max_rows=None, max_mb=None,
        limits_note="no split by default",
        values={"consent_status": _consent_words("SUBSCRIBED", "NEVER_SUBSCRIBED"), "tags": _joined_tags},
        note="Email Marketing Consent: SUBSCRIBED for subscribed contacts, NEVER_SUBSCRIBED otherwise (pending or unknown); phones in E.164.",
    ),  # fmt: skip
    "sendgrid": Profile(
        name="sendgrid",
        columns={"email": "email", "first_name": "first_name", "last_name": "last_name", "phone": "phone_number",
                 "address_line1": "address_line_1", "address_line2": "address_line_2", "city": "city", "region": "state_province_region", "postal_code": "postal_code", "country": "country"},
        email_header="email",
        max_rows=1_000_000, max_mb=5_000,
        limits_note="published: up to 1,000,000 contacts or 5 GB per CSV upload",
        note="Headers use only letters, digits and underscores; comma-separated only.",
    ),  # fmt: skip
    "brevo": Profile(
        name="brevo",
        columns={"email": "EMAIL", "first_name": "FIRSTNAME", "last_name": "LASTNAME", "phone": "SMS"},
        email_header="EMAIL",
        max_rows=None, max_mb=8,
        limits_note="8 MB parts: Brevo's API takes files of up to 10 MB and recommends about 8",
        note="SMS is the phone number in E.164.",
    ),  # fmt: skip
    "hubspot": Profile(
        name="hubspot",
        columns={"email": "Email", "first_name": "First Name", "last_name": "Last Name", "phone": "Phone Number",
                 "company": "Company Name", "job_title": "Job Title", "address_line1": "Street Address", "city": "City",
                 "region": "State/Region",
                 "postal_code": "Postal Code", "country": "Country/Region", "consent_status": "Marketing contact status"},
        email_header="Email",
        max_rows=None, max_mb=None,
        limits_note="no split by default",
        values={"consent_status": _consent_words("Subscribed", "Not subscribed")},
        note="Marketing contact status: Subscribed for subscribed contacts, Not subscribed otherwise (pending or unknown).",
    ),  # fmt: skip
}

PLAIN = "csv"  # export --to csv: listclean's own columns, no profile
# What export --to accepts: listclean's own CSV or a profile. A new profile is one entry above.
EXPORT_TARGETS: tuple[str, ...] = (PLAIN, *PROFILES)


def empty_columns(frame: pl.DataFrame | pl.LazyFrame, profile: Profile) -> set[str]:
    """The profile's canonical columns the rows leave empty (or lack): left out of the file."""
    import polars as pl

    present = [name for name in profile.columns if name in frame.collect_schema().names()]
    counts = frame.lazy().select(pl.len().alias("__rows"), *(pl.col(name).null_count() for name in present)).collect().row(0, named=True)
    rows = counts.pop("__rows")
    return {name for name in profile.columns if name not in present or (rows > 0 and counts[name] == rows)}


def apply_profile(frame: pl.DataFrame, profile: Profile, empty: set[str] | None = None) -> pl.DataFrame:
    """The platform's columns (those the input fills, see `empty_columns`; email always), its headers and values."""
    import polars as pl

    empty = empty_columns(frame, profile) if empty is None else empty
    exprs = []
    for canonical, header in profile.columns.items():
        if canonical not in frame.columns or (canonical in empty and canonical != "email"):
            if canonical == "email":
                exprs.append(pl.lit(None, dtype=pl.String).alias(header))
            continue
        column = pl.col(canonical)
        mapper = profile.values.get(canonical)
        if mapper is not None:
            column = mapper(column)
        elif frame.schema[canonical] != pl.String:
            column = column.cast(pl.String)
        exprs.append(column.alias(header))
    return frame.select(exprs)


def hashed_audience(frame: pl.DataFrame) -> pl.DataFrame:
    """One column, email_sha256: hex SHA-256 of each address as validate normalises it — repaired
    (mailto:, display names, invisible characters, full-width @, trailing dots), trimmed, lower-cased —
    the ad platforms' rule applied to the address, not to what was typed.

    Hashed once per distinct address; rows without an address are left out (nothing to match)."""
    import polars as pl

    from listclean.suppression import normalised_address, sha256_of

    typed = pl.col("email").cast(pl.String)
    given = pl.col("email_normalized").cast(pl.String).str.to_lowercase() if "email_normalized" in frame.columns else pl.lit(None, dtype=pl.String)
    addresses = frame.select(pl.coalesce(given, normalised_address(typed)).alias("address")).drop_nulls()
    addresses = addresses.filter(pl.col("address").str.len_bytes() > 0)
    distinct = addresses.unique(maintain_order=True)
    hashed = [sha256_of(value) for value in distinct["address"].to_list()]
    table = distinct.with_columns(pl.Series("email_sha256", hashed, dtype=pl.String))
    return addresses.join(table, on="address", how="left", maintain_order="left").select("email_sha256")


def rows_per_part(sample: pl.DataFrame, total: int, max_rows: int | None, max_mb: int | None) -> int:
    """Rows a file may hold: max_rows, and about max_mb megabytes of CSV judged from the sample's rows."""
    limit = max(1, max_rows or total)
    if max_mb and sample.height:
        # Estimate bytes a row from the CSV of a sample; keep a 10 % margin.
        sample = sample.head(10_000)
        per_row = max(1, len(sample.write_csv().encode("utf-8")) / sample.height)
        limit = min(limit, max(1, int(max_mb * 1_000_000 * 0.9 / per_row)))
    return limit


def part_paths(path: str, count: int) -> list[str]:
    """`out.csv` for one part; `out-001.csv`, `out-002.csv`… for several."""
    if count == 1:
        return [path]
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        stem, suffix = path, ""
    return [f"{stem}-{index:03d}{'.' + suffix if suffix else ''}" for index in range(1, count + 1)]
