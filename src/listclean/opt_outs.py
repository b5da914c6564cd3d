"""Opt-out sync: the people who must not be mailed, in the file each platform imports to stop mailing them.

`export --to PLATFORM --suppressions` (and `--exclusion` for an ad audience) writes, instead of
contacts, every address that is opted out anywhere listclean can see:

- rows of the input whose consent status is unsubscribed, complained, bounced or cleaned, or
  that validate marked suppressed (a --suppress list or the store matched them), and every
  other spelling of such an address in the input (a platform keeps each spelling as its own
  contact, so each must be opted out);
- the suppression store's address entries (with their reason and the date they were added);
- the --suppress lists' addresses.

Each distinct address (as validate normalises it: repaired, lower-cased) is written once, with
its strongest reason. Erased people are never written: the store keeps only a keyed hash of
them, and their rows' addresses are not written back as text (delete them in each platform).
Hashed list entries cannot be turned back into addresses: they are counted, not written.

`since` keeps what changed on or after that day: rows by the date of their status
(`consent_at`; a row without one is kept — when it changed is unknown), store entries by the day
they were added; list entries have no date and are always kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from listclean.schema import SUPPRESSING_STATUSES

if TYPE_CHECKING:
    import polars as pl

    from listclean.platforms import Profile
    from listclean.runtime import Runtime
    from listclean.store import SuppressionStore
    from listclean.stream.source import ChunkSource
    from listclean.suppression import SuppressionList

# The strongest reason wins when one address has several (a complaint outranks an unsubscribe).
REASON_RANK = {"erased": 6, "complained": 5, "bounced": 4, "cleaned": 3, "unsubscribed": 2, "suppression_list": 1}
WRITTEN_STATUSES = tuple(sorted(SUPPRESSING_STATUSES - {"erased"}))


@dataclass
class OptOutReport:
    rows_in: int = 0
    opted_out_rows: int = 0  # input rows of people who must not be mailed
    mailable_rows: int = 0  # the other input rows: not opt-outs, not in this file
    erased_rows: int = 0  # rows of erased people: never written as text
    before_since: int = 0  # opt-outs older than --since, left out
    undated: int = 0  # opt-outs of the input without a date, kept under --since
    from_store: int = 0  # addresses the store added (not already from the input)
    from_lists: int = 0  # addresses the --suppress lists added
    hashed_not_written: int = 0  # hashed entries (lists, store) and erasures: cannot be written as addresses
    addresses: int = 0  # distinct addresses written
    by_reason: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "opted_out_rows": self.opted_out_rows, "mailable_rows": self.mailable_rows, "erased_rows": self.erased_rows,
            "before_since": self.before_since, "undated": self.undated, "from_store": self.from_store, "from_lists": self.from_lists,
            "hashed_not_written": self.hashed_not_written, "addresses": self.addresses, "by_reason": self.by_reason,
        }  # fmt: skip


def collect_opt_outs(
    source: ChunkSource, runtime: Runtime, store: SuppressionStore | None, listed: SuppressionList | None, since: datetime | None, report: OptOutReport
) -> pl.DataFrame:
    """Every opted-out address (address, reason, date), one row each, sorted by address."""
    import polars as pl

    parts: list[ChunkOptOuts] = []
    with runtime.chunks(source) as chunks:
        for chunk in chunks:
            parts.append(chunk_opt_outs(chunk, store, listed, since, report))
    found = pl.concat([part.found for part in parts]) if parts else _empty()
    spellings = pl.concat([part.spellings for part in parts]).unique() if parts else None
    erased = pl.concat([part.erased for part in parts]).unique() if parts else None
    table = combined_opt_outs(found, spellings, erased, _from_store(store, since, report), _from_lists(listed, report))
    tally_opt_outs(table.group_by("origin", "reason").agg(pl.len().alias("n")), report)
    return table.drop("origin", "key")


@dataclass
class ChunkOptOuts:
    """One chunk's part of the opt-outs (`chunk_opt_outs`): its opted-out rows (address, key,
    reason, date, origin "input"; in the chunk's order), the (key, address) of its rows that are
    not erased (other spellings of an opted-out address), and the keys of its erased people."""

    found: pl.DataFrame
    spellings: pl.DataFrame
    erased: pl.Series


def chunk_opt_outs(
    chunk: pl.DataFrame, store: SuppressionStore | None, listed: SuppressionList | None, since: datetime | None, report: OptOutReport,
    carry: tuple[str, ...] = (),
) -> ChunkOptOuts:  # fmt: skip
    """A chunk's opted-out rows, spellings and erasures; the report counts its rows (listclean.spark
    runs this on every partition, its opted-out rows `carry`ing the columns that order them)."""
    import polars as pl

    from listclean.export_rules import KEY_COLUMN, address_source, suppressed_mask, with_key
    from listclean.suppression import normalised_address

    report.rows_in += chunk.height
    chunk = with_key(chunk)
    listed_mask = pl.Series([False] * chunk.height, dtype=pl.Boolean)
    if store is not None:
        from listclean.store import apply_store

        chunk, erased, in_store = apply_store(chunk, store)
        report.erased_rows += erased.height
        listed_mask = in_store
    if listed is not None:
        listed_mask = listed_mask | chunk.select(listed.matches(chunk, address_source(chunk))).to_series()
    status = chunk["consent_status"].cast(pl.String) if "consent_status" in chunk.columns else pl.Series([None] * chunk.height, dtype=pl.String)
    erased_rows = (status == "erased").fill_null(False)
    report.erased_rows += int(erased_rows.sum())
    opted = (suppressed_mask(chunk) | listed_mask) & ~erased_rows
    when = chunk["consent_at"] if "consent_at" in chunk.columns else pl.Series([None] * chunk.height, dtype=pl.Datetime("us", "UTC"))
    rows = chunk.select(
        normalised_address(address_source(chunk)).alias("address"),
        pl.col(KEY_COLUMN).alias("key"),
        pl.when(pl.lit(status).is_in(WRITTEN_STATUSES)).then(pl.lit(status)).otherwise(pl.lit("suppression_list")).alias("reason"),
        pl.lit(when).alias("date"),
        *carry,
    )
    spellings = rows.filter(~erased_rows & pl.col("address").is_not_null()).select("key", "address").unique()
    mine = rows.filter(opted & pl.col("address").is_not_null())
    report.opted_out_rows += int(opted.sum())
    report.mailable_rows += int((~opted & ~erased_rows).sum())
    if since is not None:
        undated = mine["date"].is_null()
        report.undated += int(undated.sum())
        recent = (undated | (mine["date"] >= since)).fill_null(True)
        report.before_since += int((~recent).sum())
        mine = mine.filter(recent)
    return ChunkOptOuts(mine.with_columns(pl.lit("input").alias("origin")), spellings, rows.filter(erased_rows)["key"].drop_nulls())


def combined_opt_outs(found: pl.DataFrame, spellings: pl.DataFrame | None, erased: pl.Series | None, stored: pl.DataFrame, lists: pl.DataFrame) -> pl.DataFrame:
    """The opted-out addresses (address, key, reason, date, origin), one row each, sorted by address:
    the input's (`found`, in the input's order), every other spelling of theirs in the input
    (`spellings`: key, address), the store's and the lists' — less every erased person (`erased`
    keys). Whole-list work, but only ever across rows of one suppression key (an address has one):
    listclean.spark runs it on each key's rows."""
    import polars as pl

    table = found
    strength = pl.col("reason").replace_strict(REASON_RANK, default=0, return_dtype=pl.Int8)  # the strongest reason first
    # Every spelling in the input of an opted-out address is opted out too.
    if spellings is not None:
        strongest = table.sort(strength, descending=True).unique("key", keep="first")
        variants = spellings.join(strongest.select("key", "reason", "date"), on="key", how="inner").join(table.select("address"), on="address", how="anti")
        table = pl.concat([table, variants.select("address", "key", "reason", "date", pl.lit("input").alias("origin"))])
    table = pl.concat([table, stored, lists])
    if erased is not None and erased.len():
        table = table.filter(~pl.col("key").is_in(erased.implode()).fill_null(False))
    table = table.sort(strength, descending=True, maintain_order=True)
    return table.unique("address", keep="first", maintain_order=True).sort("address")


def tally_opt_outs(counted: pl.DataFrame, report: OptOutReport) -> None:
    """The report's counts of what is written, from the opted-out addresses counted by (origin,
    reason, n): one machine counts its table, Spark its rows (only these counts travel)."""
    import polars as pl

    report.from_store = int(counted.filter(pl.col("origin") == "store")["n"].sum())
    report.from_lists = int(counted.filter(pl.col("origin") == "list")["n"].sum())
    report.addresses = int(counted["n"].sum())
    by_reason = counted.group_by("reason").agg(pl.col("n").sum())
    report.by_reason = {reason: int(n) for reason, n in sorted(by_reason.iter_rows())}


def _empty() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema={"address": pl.String, "key": pl.String, "reason": pl.String, "date": pl.Datetime("us", "UTC"), "origin": pl.String})


def _from_store(store: SuppressionStore | None, since: datetime | None, report: OptOutReport) -> pl.DataFrame:
    """The store's address entries (those added on or after `since`); its hashes are only counted."""
    import polars as pl

    from listclean.suppression import keys_of

    if store is None:
        return _empty()
    plain = [(entry, reason, added) for entry, (reason, added) in sorted(store.entries.items()) if "@" in entry]
    report.hashed_not_written += len(store.entries) - len(plain)
    if since is not None:
        day = since.strftime("%Y-%m-%d")
        plain = [row for row in plain if row[2] >= day]
    plain = [row for row in plain if row[1] != "erased"]
    frame = pl.DataFrame({"address": [r[0] for r in plain], "reason": [r[1] if r[1] in REASON_RANK else "suppression_list" for r in plain], "added": [r[2] for r in plain]}, schema={"address": pl.String, "reason": pl.String, "added": pl.String})
    return frame.select(
        "address", pl.Series("key", keys_of(frame["address"].to_list()), dtype=pl.String), "reason",
        pl.col("added").str.to_datetime("%Y-%m-%d", time_zone="UTC", time_unit="us").alias("date"), pl.lit("store").alias("origin"),
    )  # fmt: skip


def _from_lists(listed: SuppressionList | None, report: OptOutReport) -> pl.DataFrame:
    """The --suppress lists' addresses (as their suppression keys); hashes are only counted."""
    import polars as pl

    if listed is None:
        return _empty()
    report.hashed_not_written += len(listed.sha256) + len(listed.md5)
    addresses = sorted(listed.addresses)
    return pl.DataFrame(
        {"address": addresses, "key": addresses, "reason": ["suppression_list"] * len(addresses), "date": [None] * len(addresses), "origin": ["list"] * len(addresses)},
        schema={"address": pl.String, "key": pl.String, "reason": pl.String, "date": pl.Datetime("us", "UTC"), "origin": pl.String},
    )


def opt_out_files(table: pl.DataFrame, profile: Profile | None, exclusion: bool) -> dict[str, pl.DataFrame]:
    """The files to write, by path suffix ("" the output itself): the platform's opt-out file(s),
    an ad platform's exclusion audience, or (no profile) listclean's own list: email, reason, date."""
    import polars as pl

    if profile is None:
        return {"": table.select(pl.col("address").alias("email"), "reason", pl.col("date").dt.strftime("%Y-%m-%d").alias("date"))}
    if exclusion:
        from listclean.platforms import audience_frame

        frame = audience_frame(table.select(pl.col("address").alias("email")), profile)
        return {"": frame}
    assert profile.opt_out is not None
    spec = profile.opt_out
    if not spec.split:
        return {"": table.select(pl.col("address").alias(spec.email_header))}
    files = {}
    for suffix, reasons in spec.split.items():
        files[suffix] = table.filter(pl.col("reason").is_in(list(reasons))).select(pl.col("address").alias(spec.email_header))
    return files
