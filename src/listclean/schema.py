"""The canonical contact: column names, their types and the closed vocabularies.

Types are given as short names (not Polars objects) so importing this module
stays cheap; ``polars_dtype()`` turns them into Polars dtypes on demand.
"""

from __future__ import annotations

from typing import Final

# Order matters: it is the column order of every file listclean writes.
IDENTITY: Final = (
    "email",
    "first_name",
    "last_name",
    "full_name",
    "birth_date",
    "birth_year",
    "phone",
    "company",
    "job_title",
    "address_line1",
    "address_line2",
    "country",
    "region",
    "city",
    "postal_code",
    "language",
)
LIFECYCLE: Final = (
    "source",
    "signup_at",
    "consent_status",
    "consent_at",  # when the current status began: the opt-in of a subscriber, the unsubscribe or bounce of a churned contact
    "optin_at",  # when the person opted in (Mailchimp OPTIN_TIME), whatever their status now
    "confirmed_at",  # when they confirmed a double opt-in (Mailchimp CONFIRM_TIME)
    "consent_source",
    "last_open_at",
    "last_click_at",
    "last_activity_at",
    "last_purchase_at",
    "purchase_count",
    "total_spend",
    "currency",  # total_spend's currency (ISO 4217 where the text says which; else its symbol): amounts of two never add up
    "bounce_count",
    "tags",
)
PROVENANCE: Final = ("_source_file", "_source_row")
CANONICAL: Final = IDENTITY + LIFECYCLE

# Columns added by later steps; known here so every reader re-types them the same way.
DERIVED_TYPES: Final[dict[str, str]] = {
    "email_normalized": "str",
    "email_canonical": "str",
    "email_status": "str",
    "email_reasons": "list[str]",
    "email_suggestion": "str",
    "email_alternates": "list[str]",
    "cluster_id": "str",
    "is_survivor": "bool",
    "merge_reason": "str",
    "merged_rows": "int",
    "merged_from": "list[str]",
    "field_sources": "str",
    "segment": "str",
}

DATETIME_FIELDS: Final = (
    "signup_at",
    "consent_at",
    "optin_at",
    "confirmed_at",
    "last_open_at",
    "last_click_at",
    "last_activity_at",
    "last_purchase_at",
)
# Dates without a time of day (a birthday is not a moment: no time zone).
DATE_FIELDS: Final = ("birth_date",)
INTEGER_FIELDS: Final = ("birth_year", "purchase_count", "bounce_count")
DECIMAL_FIELDS: Final = ("total_spend",)
LIST_FIELDS: Final = ("tags",)
NAME_FIELDS: Final = ("first_name", "last_name", "full_name")

CANONICAL_TYPES: Final[dict[str, str]] = {
    **{name: "str" for name in CANONICAL},
    **{name: "datetime" for name in DATETIME_FIELDS},
    **{name: "date" for name in DATE_FIELDS},
    **{name: "int" for name in INTEGER_FIELDS},
    **{name: "float" for name in DECIMAL_FIELDS},
    **{name: "list[str]" for name in LIST_FIELDS},
    "_source_file": "str",
    "_source_row": "int",
}

# Identifying fields for dedupe (birth_date, birth_year, the street address lines): a birth
# date or year outside 1900-01-01 .. today is not a birth date (null, its text in `<field>_raw`);
# birth_year is filled from birth_date's year where a row has a date and no year.
BIRTH_FIELDS: Final = ("birth_date", "birth_year")
EARLIEST_BIRTH_YEAR: Final = 1900
ADDRESS_FIELDS: Final = ("address_line1", "address_line2")

# Fields whose text is interpreted (parsed or mapped onto a vocabulary). A value that
# cannot be interpreted becomes null and its original text is kept in `<field>_raw`,
# so nothing typed in a source file is ever lost.
INTERPRETED_FIELDS: Final = DATE_FIELDS + DATETIME_FIELDS + INTEGER_FIELDS + DECIMAL_FIELDS + ("country", "consent_status")
# The email cell is cleaned (spaces, invisible characters) on import; when that changed it,
# the text as typed is kept in `email_raw` so `validate` can report the repair.
RAW_FIELDS: Final = INTERPRETED_FIELDS + ("email",)

RAW_SUFFIX: Final = "_raw"

CONSENT_STATUSES: Final = (
    "subscribed",
    "unsubscribed",
    "pending",
    "cleaned",
    "bounced",
    "complained",
    "erased",
)
# Statuses that must never be mailed again.
SUPPRESSING_STATUSES: Final = frozenset({"unsubscribed", "cleaned", "bounced", "complained", "erased"})
# How restrictive each status is: where two sources disagree about one person, the stronger wins
# (the store over an old export, a bounce signal over a consent column, survivorship over rows).
CONSENT_STRENGTH: Final = {"erased": 7, "complained": 6, "unsubscribed": 5, "bounced": 4, "cleaned": 3, "pending": 2, "subscribed": 1}

EMAIL_STATUSES: Final = ("valid", "risky", "invalid", "unknown")

# Separator used when a list column is written to a text format (CSV/TSV/XLSX).
LIST_SEPARATOR: Final = ", "


def polars_dtype(kind: str):  # -> pl.DataType
    import polars as pl

    return {
        "str": pl.String,
        "int": pl.Int64,
        "float": pl.Float64,
        "bool": pl.Boolean,
        "date": pl.Date,
        "datetime": pl.Datetime("us", "UTC"),
        "list[str]": pl.List(pl.String),
    }[kind]


def column_types() -> dict[str, str]:
    """Every column name listclean gives a meaning to, with its type."""
    return {**CANONICAL_TYPES, **DERIVED_TYPES}


def column_order(columns: list[str]) -> list[str]:
    """The order listclean writes columns in: canonical fields, their `_raw` originals,
    columns added by steps, the source's other columns in their order, provenance last."""
    canonical = [name for name in CANONICAL if name in columns]
    raw = [f"{name}{RAW_SUFFIX}" for name in CANONICAL if f"{name}{RAW_SUFFIX}" in columns]
    derived = [name for name in DERIVED_TYPES if name in columns]
    fixed = set(canonical) | set(raw) | set(derived) | set(PROVENANCE)
    rest = [name for name in columns if name not in fixed]
    return canonical + raw + derived + rest + [name for name in PROVENANCE if name in columns]


# Parquet key-value metadata listclean writes on files whose canonical columns are already
# standard and typed; reading such a file back skips re-standardising (see importer).
CANONICAL_MARK: Final = "listclean.canonical"


def is_canonical_schema(columns) -> bool:  # (Mapping[str, pl.DataType]) -> bool
    """Every canonical column present with its canonical type: a frame listclean standardised."""
    return all(name in columns and columns[name] == polars_dtype(CANONICAL_TYPES[name]) for name in CANONICAL)
