"""Provider-aware canonical addresses: one mailbox, one key.

Each rule is named, applies only to the providers that document the behaviour, and is
recorded (``email_canonical_rules``) so a merge can say why two addresses were one:

- ``lowercase``: the whole address is lower-cased. Every mainstream mailbox ignores the
  case of the local part (RFC 5321 allows otherwise; no provider we know of does it).
- ``googlemail_domain``: googlemail.com is gmail.com (Google serves both as one mailbox).
- ``apple_domain``: me.com and mac.com are icloud.com (Apple's documented aliases).
- ``gmail_dots``: dots in a Gmail local part are ignored by Gmail.
- ``plus_tag``: ``name+anything`` is delivered to ``name`` at Gmail, Outlook/Hotmail/Live/
  MSN, iCloud, FastMail, Proton, Yandex and Zoho.
Deliberately not applied: Yahoo's ``-`` disposable addresses (``name-keyword`` is a
different, user-created address, and plain hyphens are common in Yahoo names), dots at
any provider but Gmail, and ``+`` tags at unknown domains (a company server may treat
``+`` as an ordinary character).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

GMAIL = ("gmail.com", "googlemail.com")
APPLE = ("icloud.com", "me.com", "mac.com")
MICROSOFT = (
    "outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com",
    "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.es", "hotmail.it", "hotmail.com.br", "hotmail.ca",
    "hotmail.be", "hotmail.nl", "outlook.fr", "outlook.de", "outlook.es", "outlook.it", "outlook.co.uk",
    "outlook.com.br", "outlook.jp", "live.co.uk", "live.fr", "live.de", "live.nl", "live.it", "live.ca", "live.com.au",
)  # fmt: skip
FASTMAIL = ("fastmail.com", "fastmail.fm")
PROTON = ("proton.me", "protonmail.com", "protonmail.ch", "pm.me")
YANDEX = ("yandex.ru", "yandex.com", "ya.ru")
ZOHO = ("zoho.com", "zohomail.com")
PLUS_TAG_DOMAINS = (*GMAIL, *APPLE, *MICROSOFT, *FASTMAIL, *PROTON, *YANDEX, *ZOHO)

RULES = {
    "lowercase": "upper and lower case are one address",
    "googlemail_domain": "googlemail.com is gmail.com",
    "apple_domain": "me.com and mac.com are icloud.com",
    "gmail_dots": "Gmail ignores dots",
    "plus_tag": "the +tag is delivered to the same mailbox",
}


def canonicalise(addresses: pl.Series) -> pl.DataFrame:
    """`email_canonical` and `email_canonical_rules` for each address (row for row).

    Computed once per distinct address in staged columns (each intermediate is read by the
    next stage, not re-derived inside every expression that needs it). Null stays null.
    """
    import polars as pl

    values = addresses.cast(pl.String).alias("address")
    distinct = values.unique().drop_nulls().to_frame()
    staged = distinct.with_columns(pl.col("address").str.to_lowercase().alias("lowered"))
    staged = staged.with_columns(
        pl.col("lowered").str.extract(r"^(.*)@[^@]*$", 1).alias("local"),
        pl.col("lowered").str.extract(r"@([^@]*)$", 1).alias("domain"),
    )
    local, domain = pl.col("local"), pl.col("domain")
    staged = staged.with_columns(
        (domain.is_in(PLUS_TAG_DOMAINS) & local.str.contains("+", literal=True) & ~local.str.starts_with("+")).alias("plus"),
        domain.is_in(GMAIL).alias("gmail"),
        domain.is_in(("me.com", "mac.com")).alias("apple"),
    )
    staged = staged.with_columns(
        pl.when(pl.col("plus")).then(local.str.extract(r"^([^+]*)\+", 1)).otherwise(local).alias("untagged")
    )
    untagged = pl.col("untagged")
    dotted = pl.col("gmail") & untagged.str.contains(".", literal=True)
    final_local = pl.when(pl.col("gmail")).then(untagged.str.replace_all(".", "", literal=True)).otherwise(untagged)
    final_domain = (
        pl.when(domain == "googlemail.com").then(pl.lit("gmail.com")).when(pl.col("apple")).then(pl.lit("icloud.com")).otherwise(domain)
    )
    rules = pl.concat_str(
        [
            pl.when(pl.col("lowered") != pl.col("address")).then(pl.lit("lowercase")),
            pl.when(domain == "googlemail.com").then(pl.lit("googlemail_domain")),
            pl.when(pl.col("apple")).then(pl.lit("apple_domain")),
            pl.when(dotted).then(pl.lit("gmail_dots")),
            pl.when(pl.col("plus")).then(pl.lit("plus_tag")),
        ],
        separator=",",
        ignore_nulls=True,
    )
    table = staged.select(
        "address",
        pl.concat_str(final_local, pl.lit("@"), final_domain).alias("email_canonical"),
        rules.alias("email_canonical_rules"),
    )
    joined = values.to_frame().join(table, on="address", how="left", maintain_order="left")
    return joined.select("email_canonical", "email_canonical_rules")
