"""Address syntax: email-validator's verdict and normalised form, decided mostly in Polars.

email-validator (with deliverability checks off and its default options) is the
reference: for every address this module returns the same verdict and the same
`normalized` string as `email_validator.validate_email(address, check_deliverability=False)`.
A differential test holds it to that on a large generated corpus.

Most real addresses are plain ASCII dot-atoms at ASCII host names; for those the
verdict and the normalised form follow from a few vectorised expressions (the
rules below restate email-validator's for that case, using its own constants).
Only the distinct addresses the fast path cannot decide — Unicode, quotes,
punycode, odd lengths, anything unusual — are passed to email-validator, once each.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

# RFC 5322 atext, as email-validator's rfc_constants.ATEXT (the '-' escaped for the Rust regex class).
_ATEXT = r"A-Za-z0-9_!#$%&'*+/=?^`{|}~\-"
_LOCAL = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# At least two labels; the last ends with a letter (email-validator: "all TLDs end with a letter").
_TOP = r"(?:[A-Za-z0-9][A-Za-z0-9-]*)?[A-Za-z]"
FAST_ADDRESS = rf"^{_LOCAL}@(?:{_LABEL}\.)+{_TOP}$"
_LONG_LABEL = r"[A-Za-z0-9-]{64,}"

# Output columns of judge_syntax.
COLUMNS = ("address", "syntax_ok", "normalized", "ascii_domain", "local_part", "syntax_reason")

# email-validator's messages -> our stable codes (first match wins; the message text is
# the library's, so this table is checked by the differential test's reason coverage).
_MESSAGE_CODES = (
    (re.compile(r"must have an @-sign|at-sign|commercial at"), "no_at_sign"),
    (re.compile(r"something before the @-sign"), "empty_local_part"),
    (re.compile(r"something after the @-sign"), "empty_domain"),
    (re.compile(r"too long|so many characters"), "too_long"),
    (re.compile(r"should have a period"), "domain_without_dot"),
    (re.compile(r"special-use or reserved"), "reserved_domain"),
    (re.compile(r"period|hyphen"), "misplaced_dot"),
    (re.compile(r"Quoting the part before"), "quoted_local_part"),
    (re.compile(r"bracket"), "domain_literal"),
    (re.compile(r"IDNA|top-level domain|two letters followed by two dashes|is invalid \("), "invalid_domain"),
    (re.compile(r"character|Internationalized"), "invalid_characters"),
)


def reason_for(message: str) -> str:
    for pattern, code in _MESSAGE_CODES:
        if pattern.search(message):
            return code
    return "syntax"


def _special_use_domains() -> list[str]:
    import email_validator

    return list(email_validator.SPECIAL_USE_DOMAIN_NAMES)


def _case_insensitive_mailboxes() -> list[str]:
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    return list(CASE_INSENSITIVE_MAILBOX_NAMES)


def fast_path(addresses: pl.LazyFrame) -> pl.LazyFrame:
    """Add `decided`, `syntax_ok`, `normalized`, `ascii_domain`, `local_part` where a rule can decide.

    `decided` is true for plain ASCII addresses the rules settle (valid, or clearly without an
    @-sign); the rest need email-validator.
    """
    import polars as pl

    address = pl.col("address")
    special = _special_use_domains()
    # Staged: each intermediate is a column read by the next stage (nested re-use is not shared).
    staged = addresses.with_columns(
        address.str.extract(r"^(.*)@", 1).alias("__local"),
        address.str.extract(r"@([^@]*)$", 1).str.to_lowercase().alias("__domain"),
        (address.str.contains(FAST_ADDRESS) & (address.str.len_bytes() <= 254)).alias("__shape"),
        (~address.str.contains("@", literal=True)).alias("__no_at"),
    )
    domain = pl.col("__domain")
    is_special = domain.is_in(special) | domain.str.contains(r"\.(?:" + "|".join(map(re.escape, special)) + r")$")
    staged = staged.with_columns(
        (
            pl.col("__shape")
            & (domain.str.len_bytes() <= 253)
            & ~domain.str.contains("--")  # R-LDH and punycode labels: email-validator decides
            & ~domain.str.contains(_LONG_LABEL)
            & ~is_special
        ).alias("__plain"),
        pl.when(pl.col("__local").str.to_lowercase().is_in(_case_insensitive_mailboxes()))
        .then(pl.col("__local").str.to_lowercase())
        .otherwise(pl.col("__local"))
        .alias("__folded"),
    )
    plain, no_at = pl.col("__plain"), pl.col("__no_at")
    return staged.with_columns(
        decided=plain | no_at,
        syntax_ok=pl.when(plain).then(True).when(no_at).then(False),
        normalized=pl.when(plain).then(pl.concat_str(pl.col("__folded"), pl.lit("@"), domain)),
        ascii_domain=pl.when(plain).then(domain),
        local_part=pl.when(plain).then(pl.col("__folded")),
        syntax_reason=pl.when(no_at & ~plain).then(pl.lit("no_at_sign")),
    ).drop("__local", "__domain", "__shape", "__no_at", "__plain", "__folded")


def slow_path(addresses: list[str]) -> dict[str, list]:
    """email-validator on each address (distinct values only): the columns of judge_syntax."""
    from email_validator import EmailNotValidError, validate_email

    out: dict[str, list] = {name: [] for name in COLUMNS}
    for address in addresses:
        try:
            result = validate_email(address, check_deliverability=False)
        except EmailNotValidError as error:
            row = (address, False, None, None, None, reason_for(str(error)))
        else:
            row = (address, True, result.normalized, result.ascii_domain, result.local_part, None)
        for name, value in zip(COLUMNS, row):
            out[name].append(value)
    return out


def judge_syntax(addresses: pl.Series) -> pl.DataFrame:
    """One row per distinct non-null address: verdict, normalised form, ASCII domain, reason,
    and `fast`: whether the vectorised rules decided it (else email-validator did)."""
    import polars as pl

    distinct = pl.DataFrame({"address": addresses.cast(pl.String)}).drop_nulls().unique(maintain_order=True)
    judged = fast_path(distinct.lazy()).collect()
    undecided = judged.filter(~pl.col("decided"))["address"].to_list()
    decided = judged.filter(pl.col("decided")).select(COLUMNS)
    slow = pl.DataFrame(slow_path(undecided), schema=decided.schema)
    return pl.concat(
        [decided.with_columns(fast=pl.lit(True)), slow.with_columns(fast=pl.lit(False))],
        how="vertical",
    )
