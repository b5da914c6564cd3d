"""Consent rules, as expressions every step shares.

- A source marked purchased, rented, scraped, harvested or bought (the `source` column) gave
  no consent: such rows are quarantined on import.
- Implied consent (consent_source mentions implied, purchase, customer, order, transaction,
  inquiry or quote) lasts `purchase_days` (2 years) after `consent_at`, `inquiry_days`
  (6 months) after an inquiry — CASL's rule, and a sensible default elsewhere. Expired
  implied consent is not exported; consent expiring within `warning_days` is flagged.
- "Express" consent (subscribed, not implied) without a `consent_at` or a `consent_source`
  cannot be proven: flagged, not excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

NO_CONSENT_SOURCE = r"(?i)purchas|\brent|rental|scrap|harvest|bought|list broker|data broker|appended"
IMPLIED_SOURCE = r"(?i)implied|purchase|customer|order|transaction|inquiry|enquiry|quote"
INQUIRY_SOURCE = r"(?i)inquiry|enquiry|quote"


@dataclass(frozen=True)
class ConsentRules:
    purchase_days: int = 730
    inquiry_days: int = 182
    warning_days: int = 60


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    import polars as pl

    return pl.col(name).cast(pl.String) if name in frame.columns else pl.lit(None, dtype=pl.String)


def no_consent_source(frame: pl.DataFrame) -> pl.Expr:
    """Rows whose source says the address was bought, rented or scraped."""
    return _text(frame, "source").str.contains(NO_CONSENT_SOURCE).fill_null(False)


def implied(frame: pl.DataFrame) -> pl.Expr:
    return (_text(frame, "consent_status") == "subscribed").fill_null(False) & _text(frame, "consent_source").str.contains(IMPLIED_SOURCE).fill_null(False)


def implied_expiry(frame: pl.DataFrame, rules: ConsentRules) -> pl.Expr:
    import polars as pl

    if "consent_at" not in frame.columns:
        return pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    lifetime = pl.when(_text(frame, "consent_source").str.contains(INQUIRY_SOURCE)).then(rules.inquiry_days).otherwise(rules.purchase_days)
    return pl.col("consent_at") + pl.duration(days=lifetime)


def implied_expired(frame: pl.DataFrame, as_of: datetime, rules: ConsentRules) -> pl.Expr:
    import polars as pl

    return implied(frame) & (implied_expiry(frame, rules) <= pl.lit(as_of)).fill_null(False)


def implied_expiring(frame: pl.DataFrame, as_of: datetime, rules: ConsentRules) -> pl.Expr:
    import polars as pl

    soon = implied_expiry(frame, rules) <= pl.lit(as_of) + pl.duration(days=rules.warning_days)
    return implied(frame) & ~implied_expired(frame, as_of, rules) & soon.fill_null(False)


def unproven(frame: pl.DataFrame) -> pl.Expr:
    """Subscribed, not implied, and missing the date or the source of the consent."""
    import polars as pl

    dated = pl.col("consent_at").is_not_null() if "consent_at" in frame.columns else pl.lit(False)
    sourced = _text(frame, "consent_source").is_not_null()
    return (_text(frame, "consent_status") == "subscribed").fill_null(False) & ~implied(frame) & ~(dated & sourced)
