"""Candidate pairs: only rows that share a blocking key are ever compared.

Each key is a cheap exact value; two rows become a candidate pair when any key is equal.
A block (rows sharing one key value) larger than ``max_block`` would cost quadratic work
and is almost always a common name or a shared role mailbox, so it is not compared as a
whole: an address block is split by given name first, and what is still too large is
skipped and reported. Work is therefore at most rows x max_block / 2 pairs per key.

Keys (``KEYS``; ``match`` levels choose among them):
  email         the canonical address (exact and provider-aware)
  phone         the E.164 number
  local         the mailbox name without dots, dashes or +tag (same name at another or a mistyped domain)
  name          given-name group and surname, order-free (catches swapped first/last)
  surname_initial  surname and first initial (a typo in the given name)
  surname_postal   surname and postcode (a different given-name spelling at the same address)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

EXACT_KEYS = ("email",)
CANONICAL_KEYS = ("email", "phone")
FUZZY_KEYS = ("email", "phone", "local", "name", "surname_initial", "surname_postal")
KEYS = {"exact": EXACT_KEYS, "canonical": CANONICAL_KEYS, "fuzzy": FUZZY_KEYS}


@dataclass
class BlockingReport:
    pairs: int = 0
    by_key: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)  # key -> blocks too large to compare
    skipped_rows: dict[str, int] = field(default_factory=dict)


def _generic_locals() -> list[str]:
    from listclean.email.lists import ROLE_GENERIC, ROLE_NO_REPLY, ROLE_STANDARD

    return sorted({*ROLE_GENERIC, *ROLE_NO_REPLY, *ROLE_STANDARD, "mail", "email", "test", "user", "contact"})


def key_expressions(keys: tuple[str, ...]) -> dict[str, pl.Expr]:
    import polars as pl

    first = pl.col("__first_key").str.slice(0, 4)
    last = pl.col("__last").str.slice(0, 4)
    both = pl.col("__first_key").is_not_null() & pl.col("__last").is_not_null()
    low = pl.when(first < last).then(first).otherwise(last)
    high = pl.when(first < last).then(last).otherwise(first)
    local = pl.col("__mailbox")
    exprs = {
        "email": pl.col("email_canonical"),
        "phone": pl.col("__phone"),
        "local": pl.when((local.str.len_chars() >= 5) & ~local.is_in(_generic_locals())).then(local),
        "name": pl.when(both).then(pl.concat_str(low, pl.lit("|"), high)),
        "surname_initial": pl.concat_str(pl.col("__last"), pl.lit("|"), pl.col("__first").str.slice(0, 1)),
        "surname_postal": pl.concat_str(pl.col("__last"), pl.lit("|"), pl.col("__postal")),
    }
    return {name: exprs[name] for name in keys}


def candidate_pairs(
    features: pl.DataFrame, keys: tuple[str, ...], max_block: int, too_large: dict[str, pl.DataFrame] | None = None
) -> tuple[pl.DataFrame, BlockingReport]:
    """Distinct (left, right) row-id pairs, left < right, with the first key that proposed them.

    `too_large` names key values whose blocks are too large in a wider list than these rows
    (per key other than email, a frame of value and len, as count_skipped takes it): they are
    skipped as if all those rows were here (see against.py and partitioned.py), and left out of
    the report's skipped blocks (the caller counts them once).
    """
    import polars as pl

    report = BlockingReport()
    found: list[pl.DataFrame] = []
    for name, expr in key_expressions(keys).items():
        keyed = features.select("__id", expr.alias("__key"), pl.col("__first_key")).drop_nulls("__key")
        sizes = keyed.group_by("__key").len()
        if too_large and name in too_large:
            sizes = sizes.with_columns(pl.when(pl.col("__key").is_in(too_large[name]["value"].implode())).then(max_block + 1).otherwise(pl.col("len")).alias("len"))
        keyed = keyed.join(sizes, on="__key")
        if name == "email":
            # A shared address: compare within each given name (and with rows that have none).
            big = keyed.filter(pl.col("len") > max_block)
            refined = big.with_columns(pl.concat_str(pl.col("__key"), pl.lit("|"), pl.col("__first_key").fill_null("")).alias("__key"))
            refined = refined.drop("len").join(refined.group_by("__key").len(), on="__key")
            keyed = pl.concat([keyed.filter(pl.col("len") <= max_block), refined])
        oversized = keyed.filter(pl.col("len") > max_block)
        if too_large and name in too_large:
            oversized = oversized.filter(~pl.col("__key").is_in(too_large[name]["value"].implode()))
        if oversized.height:
            report.skipped_blocks[name] = oversized["__key"].n_unique()
            report.skipped_rows[name] = oversized.height
        blocks = keyed.filter((pl.col("len") >= 2) & (pl.col("len") <= max_block)).select("__id", "__key")
        pairs = (
            blocks.join(blocks, on="__key", suffix="_r")
            .filter(pl.col("__id") < pl.col("__id_r"))
            .select(pl.col("__id").alias("left"), pl.col("__id_r").alias("right"), pl.lit(name).alias("key"))
        )
        report.by_key[name] = pairs.height
        found.append(pairs)
    if not found:
        return pl.DataFrame(schema={"left": pl.UInt32, "right": pl.UInt32, "key": pl.String}), report
    pairs = pl.concat(found).unique(subset=["left", "right"], keep="first", maintain_order=True)
    report.pairs = pairs.height
    return pairs, report


def count_skipped(report: BlockingReport, blocks: dict[str, pl.DataFrame]) -> None:
    """Count blocks known to be too large in a wider list (per key: value, len) into the report,
    once: the parts that skipped them left them out (see candidate_pairs' `too_large`)."""
    for name, sizes in blocks.items():
        report.skipped_blocks[name] = report.skipped_blocks.get(name, 0) + sizes.height
        report.skipped_rows[name] = report.skipped_rows.get(name, 0) + int(sizes["len"].sum())
