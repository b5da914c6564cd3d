"""Consent rules, as expressions every step shares.

- A source that says the addresses were bought, rented, scraped, harvested or appended (the
  `source` column, by the explicit phrases of BOUGHT_SOURCE_PHRASES as whole words — "purchased
  list", "list broker", "scraped" — never a word such as "purchase", "rental" or "scrapbooking"
  that a real customer's source holds) gave no consent: such rows are quarantined on import.
  The phrases are configurable (ImportOptions.quarantine_sources, --quarantine-source).
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

# Phrases (regular expressions, matched case-insensitively as whole words) of a source that gave
# no consent. Explicit on purpose: "purchase" (signed up at checkout), "post-purchase popup",
# "car rental customers", "Harvest Festival", "scrapbooking" and "Parental consent form" are real
# customers' sources, and quarantining them silently lost a fifth of a realistic export.
BOUGHT_SOURCE_PHRASES: tuple[str, ...] = (
    r"(purchased|bought|rented|leased) (e-?mail |mailing |contact |lead |marketing |prospect |b2b )?(list|lists|data|database|contacts|leads|addresses|records)",
    r"list (rental|purchase|broker|vendor)s?",
    r"(data|lead|list) (broker|vendor)s?",
    r"(e-?mail|data) append(ed|ing)?",
    r"appended",
    r"scraped|scraping|web ?scrap(e|er|ing)",
    r"harvested|(e-?mail|address) harvest(ing|er)?",
)
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


def source_pattern(phrases: tuple[str, ...] | None = None) -> str | None:
    """One case-insensitive regular expression of the phrases (None: BOUGHT_SOURCE_PHRASES), each
    a whole word or phrase; None when there are no phrases (nothing is quarantined)."""
    phrases = BOUGHT_SOURCE_PHRASES if phrases is None else phrases
    if not phrases:
        return None
    # A space in a phrase is any run of spaces, hyphens or underscores ("rented-list", "list_broker").
    gap = r"[\s_-]+"
    joined = "|".join("(?:" + phrase.replace(" ", gap) + ")" for phrase in phrases)
    return r"(?i)(?:^|[^\w])(?:" + joined + r")(?:[^\w]|$)"


def no_consent_source(frame: pl.DataFrame, phrases: tuple[str, ...] | None = None) -> pl.Expr:
    """Rows whose source says the address was bought, rented or scraped (see source_pattern)."""
    import polars as pl

    pattern = source_pattern(phrases)
    if pattern is None:
        return pl.lit(False)
    return _text(frame, "source").str.contains(pattern).fill_null(False)


def check_source_phrases(phrases: tuple[str, ...]) -> None:
    """A UsageError naming the first phrase that is not a regular expression polars reads."""
    import polars as pl

    from listclean.errors import UsageError

    for phrase in phrases:
        try:
            pl.select(pl.lit("").str.contains(f"(?i){phrase}"))
        except Exception as error:  # noqa: BLE001 - polars' regex errors have no common type
            raise UsageError(f"--quarantine-source {phrase!r} is not a regular expression: {str(error).splitlines()[0]}", hint="escape ( ) [ ] . * + ? with a backslash to match them as text") from None


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
