"""Candidate pairs: only rows that share a blocking key are ever compared.

Each key is a cheap exact value; two rows become a candidate pair when any key is equal.
A block (rows sharing one key value) larger than ``max_block`` would cost quadratic work
and is almost always a common name or a shared role mailbox, so it is not compared as a
whole: a block of a key that splits by given name (the address) is split by given name
first, and what is still too large is skipped and reported. Work is therefore at most
rows x max_block / 2 pairs per key.

The keys are one registry, ``BLOCKING_KEYS``: one ``BlockingKey`` record per key, read by the
engine (which keys a ``--match`` level blocks on, and how), by dedupe in parts
(partitioned.py: which keys keep their rows in one part) and by ``--against`` (against.py:
which master rows are taken whole), by ``engine.row_identity`` (what a cluster id is made
from) and by the model's estimation (training.py: a pair is learned from once per key it shares,
without the fields the key agrees on). Adding a key is adding a record.

Under ``--match fuzzy`` the keys are chosen so that typos do not hide a duplicate: several
independent keys (the mailbox's head and tail, the surname's sound, birth date with an initial
or postcode, given name with postcode, house number with postcode …), so that a surname typo
and a new address still leave one in common, while every block stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

MATCH_LEVELS = ("exact", "canonical", "fuzzy")


@dataclass(frozen=True)
class BlockingKey:
    """One blocking key and everything engine, parts and --against need to know about it."""

    name: str  # as reported: blocks_too_large, by_key, an explained pair's `key`
    expression: Callable[[], pl.Expr]  # builds the key's value over features.prepare's columns (null: no key)
    levels: tuple[str, ...]  # the --match levels that block on it
    # Rows sharing it always end up in one part, whatever the block's size (its blocks are never
    # sized or skipped for partitioning). Required of a key that splits by given name (its large
    # blocks are compared, so they must be whole) and of an identity (a shared identity is told
    # apart by source row only when both clusters are seen together).
    always_links: bool = False
    # A block too large is compared within each given-name group (with rows that have none)
    # instead of being skipped; --against therefore takes every master row sharing it.
    splits_by_given_name: bool = False
    # The tag of a cluster id made from this key (engine.row_identity: a row's identity is its
    # first identity key, in registry order, else its source row); "": not an identity. A level
    # that does not block on an identity key still links, in parts, the rows it is the identity of.
    identity: str = ""
    # The comparisons (comparisons.py) every pair this key proposes agrees on by construction:
    # left out of that pair's likelihood when the model learns its weights (model.estimate_m).
    agrees_on: tuple[str, ...] = ()


def _generic_locals() -> list[str]:
    from listclean.email.lists import ROLE_GENERIC, ROLE_NO_REPLY, ROLE_STANDARD

    return sorted({*ROLE_GENERIC, *ROLE_NO_REPLY, *ROLE_STANDARD, "mail", "email", "test", "user", "contact"})


def generic_mailbox(local: pl.Expr) -> pl.Expr:
    """Whether a mailbox name is a role or placeholder (info, sales, noreply, test …): shared by
    many people, so no evidence of one."""
    return local.is_in(_generic_locals())


def _address() -> pl.Expr:
    """The canonical address (exact and provider-aware)."""
    import polars as pl

    return pl.col("email_canonical")


def _phone() -> pl.Expr:
    """The E.164 number."""
    import polars as pl

    return pl.col("__phone")


def _mailbox() -> pl.Expr:
    """The mailbox name without dots, dashes or +tag (same name at another or a mistyped domain)."""
    import polars as pl

    local = pl.col("__mailbox")
    return pl.when((local.str.len_chars() >= 5) & ~local.is_in(_generic_locals())).then(local)


def _address_head() -> pl.Expr:
    """The canonical address's first six mailbox characters, its digits and its domain: a typo
    later in the mailbox (andrea_mueller974 / andrea_mueler974) still shares a block, and the
    digits keep the block of a common first name small."""
    import polars as pl

    local = pl.col("email_canonical").str.extract(r"^([^@]*)@", 1)
    digits = local.str.replace_all(r"[^0-9]", "")
    return pl.when(local.str.len_chars() >= 8).then(pl.concat_str(local.str.slice(0, 6), pl.lit("…"), digits, pl.lit("@"), pl.col("__domain")))


def _address_tail() -> pl.Expr:
    """The canonical address's last six mailbox characters and its domain (a typo early in it)."""
    import polars as pl

    local = pl.col("email_canonical").str.extract(r"^([^@]*)@", 1)
    return pl.when(local.str.len_chars() >= 8).then(pl.concat_str(pl.lit("…"), local.str.slice(-6), pl.lit("@"), pl.col("__domain")))


def _address_consonants() -> pl.Expr:
    """The canonical mailbox's consonants and digits, and its domain: a slipped vowel anywhere in it
    (sschnaeider / sschneider, karin.fischekr / karin.fischer) still shares a block."""
    import polars as pl

    local = pl.col("email_canonical").str.extract(r"^([^@]*)@", 1)
    skeleton = local.str.replace_all(r"[aeiouy._\-]", "")
    return pl.when(skeleton.str.len_chars() >= 5).then(pl.concat_str(skeleton, pl.lit("@"), pl.col("__domain")))


def _name() -> pl.Expr:
    """Given-name group and surname, order-free (catches swapped first/last)."""
    import polars as pl

    first = pl.col("__first_key").str.slice(0, 4)
    last = pl.col("__last").str.slice(0, 4)
    both = pl.col("__first_key").is_not_null() & pl.col("__last").is_not_null()
    low = pl.when(first < last).then(first).otherwise(last)
    high = pl.when(first < last).then(last).otherwise(first)
    return pl.when(both).then(pl.concat_str(low, pl.lit("|"), high))


def phonetic(folded: pl.Expr) -> pl.Expr:
    """Soundex of a folded name (Robert, Rupert → r163; Schmidt, Schmitt → s530), so a typo or
    another spelling of a surname still shares a block. Vectorised: letters to their sound
    classes, runs of one class collapsed, vowels dropped after the first letter. Names that are
    not plain Latin letters once folded (Chinese, Japanese, Korean) are kept as they are."""
    import polars as pl

    name = folded.str.replace_all(" ", "")
    classes = {
        **dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"), "l": "4",
        **dict.fromkeys("mn", "5"), "r": "6", **dict.fromkeys("aeiouy", "0"), "h": "", "w": "",
    }  # fmt: skip
    coded = name.str.replace_many(list(classes), list(classes.values()))
    for digit in "0123456":
        coded = coded.str.replace_all(f"{digit}+", digit)
    code = pl.concat_str(name.str.slice(0, 1), coded.str.slice(1).str.replace_all("0", ""), pl.lit("000")).str.slice(0, 4)
    return pl.when(name.str.contains(r"^[a-z]+$")).then(code).otherwise(name)


def _sound_initial() -> pl.Expr:
    """Surname by its sound and the first initial (a typo in the surname, or in the given name)."""
    import polars as pl

    return pl.concat_str(phonetic(pl.col("__last")), pl.lit("|"), pl.col("__first").str.slice(0, 1))


def _surname_postal() -> pl.Expr:
    """Surname and postcode (a different given-name spelling at the same address)."""
    import polars as pl

    return pl.concat_str(pl.col("__last"), pl.lit("|"), pl.col("__postal"))


def _given_postal() -> pl.Expr:
    """Given name (its nickname group) and postcode (a mistyped or changed surname)."""
    import polars as pl

    return pl.concat_str(pl.col("__first_key"), pl.lit("|"), pl.col("__postal"))


def _birth_first() -> pl.Expr:
    """Birth date and the first name's initial (a surname changed or mistyped, a move)."""
    import polars as pl

    return pl.concat_str(pl.col("__dob"), pl.lit("|"), pl.col("__first").str.slice(0, 1))


def _birth_last() -> pl.Expr:
    """Birth date and the surname's initial (a given name mistyped or shortened, a move)."""
    import polars as pl

    return pl.concat_str(pl.col("__dob"), pl.lit("|"), pl.col("__last").str.slice(0, 1))


def _birth_postal() -> pl.Expr:
    """Birth date and postcode (both names changed or mistyped: a marriage and a typo)."""
    import polars as pl

    return pl.concat_str(pl.col("__dob"), pl.lit("|"), pl.col("__postal"))


def _house_postal() -> pl.Expr:
    """The house number and postcode (the same home, names and street spelt differently)."""
    import polars as pl

    return pl.concat_str(pl.col("__street").str.extract(r"(\d+)", 1), pl.lit("|"), pl.col("__postal"))


def _surname_year() -> pl.Expr:
    """Surname by its sound and birth year (a new address and a mistyped birth date)."""
    import polars as pl

    return pl.concat_str(phonetic(pl.col("__last")), pl.lit("|"), pl.col("__birth_year").cast(pl.String))


def _street_initial() -> pl.Expr:
    """Street address and the first name's initial (the same home under another address)."""
    import polars as pl

    return pl.concat_str(pl.col("__street"), pl.lit("|"), pl.col("__first").str.slice(0, 1))


def _phone_digits() -> pl.Expr:
    """A phone's last eight digits, however it was written (02 1234 5678, +61 2 1234 5678)."""
    import polars as pl

    return pl.col("__phone_digits")


BLOCKING_KEYS: tuple[BlockingKey, ...] = (
    BlockingKey("email", _address, MATCH_LEVELS, always_links=True, splits_by_given_name=True, identity="e:", agrees_on=("email",)),
    BlockingKey("phone", _phone, ("canonical", "fuzzy"), always_links=True, identity="p:", agrees_on=("phone",)),
    BlockingKey("local", _mailbox, ("fuzzy",), agrees_on=("email",)),
    BlockingKey("address_head", _address_head, ("fuzzy",), agrees_on=("email",)),
    BlockingKey("address_tail", _address_tail, ("fuzzy",), agrees_on=("email",)),
    BlockingKey("address_consonants", _address_consonants, ("fuzzy",), agrees_on=("email",)),
    BlockingKey("name", _name, ("fuzzy",), agrees_on=("first", "last")),
    BlockingKey("sound_initial", _sound_initial, ("fuzzy",), agrees_on=("first", "last")),
    BlockingKey("surname_postal", _surname_postal, ("fuzzy",), agrees_on=("last", "postcode")),
    BlockingKey("given_postal", _given_postal, ("fuzzy",), agrees_on=("first", "postcode")),
    BlockingKey("birth_first", _birth_first, ("fuzzy",), agrees_on=("birth_date", "first")),
    BlockingKey("birth_last", _birth_last, ("fuzzy",), agrees_on=("birth_date", "last")),
    BlockingKey("birth_postal", _birth_postal, ("fuzzy",), agrees_on=("birth_date", "postcode")),
    BlockingKey("surname_year", _surname_year, ("fuzzy",), agrees_on=("last", "birth_date")),
    BlockingKey("house_postal", _house_postal, ("fuzzy",), agrees_on=("postcode",)),
    BlockingKey("street_initial", _street_initial, ("fuzzy",), agrees_on=("street", "first")),
    BlockingKey("phone_digits", _phone_digits, ("fuzzy",), agrees_on=("phone",)),
)


def keys_for(match: str) -> tuple[BlockingKey, ...]:
    """The keys a --match level blocks on, in registry order."""
    if match not in MATCH_LEVELS:
        raise ValueError(f"unknown match level {match!r}")
    return tuple(key for key in BLOCKING_KEYS if match in key.levels)


def identity_keys() -> tuple[BlockingKey, ...]:
    """The keys a row's identity is made from, in the order they are tried."""
    return tuple(key for key in BLOCKING_KEYS if key.identity)


def identity_expression() -> pl.Expr:
    """A row's identity (what its cluster id is made from): its first identity key, tagged, else its source row."""
    import polars as pl

    tagged = [pl.concat_str(pl.lit(key.identity), key.expression()) for key in identity_keys()]
    return pl.coalesce(*tagged, pl.concat_str(pl.lit("r:"), pl.col("__ref")))


@dataclass
class BlockingReport:
    pairs: int = 0  # distinct pairs
    by_key: dict[str, int] = field(default_factory=dict)  # pairs each key proposed (a pair two keys propose counts for both)
    first_by_key: dict[str, int] = field(default_factory=dict)  # distinct pairs by the first key, in registry order, that proposed them
    skipped_blocks: dict[str, int] = field(default_factory=dict)  # key -> blocks too large to compare
    skipped_rows: dict[str, int] = field(default_factory=dict)


def candidate_pairs(
    features: pl.DataFrame, keys: tuple[BlockingKey, ...], max_block: int, too_large: dict[str, pl.DataFrame] | None = None
) -> tuple[pl.DataFrame, BlockingReport]:
    """Distinct (left, right) row-id pairs, left < right, with the first key that proposed them.

    `too_large` names key values whose blocks are too large in a wider list than these rows
    (per key that does not split by given name, a frame of value — the text, or its hash — and
    len, as count_skipped takes it): they are skipped as if all those rows were here (see against.py and partitioned.py), and
    left out of the report's skipped blocks (the caller counts them once).
    """
    import polars as pl

    report = BlockingReport()
    found: list[pl.DataFrame] = []
    for key in keys:
        name = key.name
        keyed = features.select("__id", key.expression().alias("__key"), pl.col("__first_key")).drop_nulls("__key")
        sizes = keyed.group_by("__key").len()
        if too_large and name in too_large:
            sizes = sizes.with_columns(pl.when(_listed(too_large[name])).then(max_block + 1).otherwise(pl.col("len")).alias("len"))
        keyed = keyed.join(sizes, on="__key")
        if key.splits_by_given_name:
            # A shared address: compare within each given name (and with rows that have none).
            big = keyed.filter(pl.col("len") > max_block)
            refined = big.with_columns(pl.concat_str(pl.col("__key"), pl.lit("|"), pl.col("__first_key").fill_null("")).alias("__key"))
            refined = refined.drop("len").join(refined.group_by("__key").len(), on="__key")
            keyed = pl.concat([keyed.filter(pl.col("len") <= max_block), refined])
        oversized = keyed.filter(pl.col("len") > max_block)
        if too_large and name in too_large:
            oversized = oversized.filter(~_listed(too_large[name]))
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
    report.first_by_key = dict(pairs.group_by("key").len().iter_rows())
    return pairs, report


KEY_HASH_SEED = 7  # the seed a key value is hashed with wherever dedupe in parts keeps keys as 64-bit hashes


def hashed_key(value: pl.Expr) -> pl.Expr:
    """A key value's 64-bit hash (KEY_HASH_SEED); null where it has none (Polars hashes a null too)."""
    import polars as pl

    return pl.when(value.is_not_null()).then(value.hash(seed=KEY_HASH_SEED))


def _listed(blocks: pl.DataFrame) -> pl.Expr:
    """Whether a row's key value is one of `blocks` (values as text, or as their hashes, as dedupe
    in parts notes them: hashed_key)."""
    import polars as pl

    key = pl.col("__key").hash(seed=KEY_HASH_SEED) if blocks["value"].dtype == pl.UInt64 else pl.col("__key")
    return key.is_in(blocks["value"].implode())


def count_skipped(report: BlockingReport, blocks: dict[str, pl.DataFrame]) -> None:
    """Count blocks known to be too large in a wider list (per key: value, len) into the report,
    once: the parts that skipped them left them out (see candidate_pairs' `too_large`)."""
    for name, sizes in blocks.items():
        report.skipped_blocks[name] = report.skipped_blocks.get(name, 0) + sizes.height
        report.skipped_rows[name] = report.skipped_rows.get(name, 0) + int(sizes["len"].sum())
