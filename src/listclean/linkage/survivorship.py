"""One golden record per cluster, field by field, by documented rules.

Rows of a cluster are ranked (best first) by:
  1. source trust: the order given by ``trusted_sources`` (matched against ``source``,
     then ``_source_file``); unlisted sources come after listed ones;
  2. address quality, when validate has run: valid, risky, unknown, then invalid;
  3. most recent activity (latest of last_activity/click/purchase/open, consent, signup);
  4. completeness: most filled-in canonical fields;
  5. input order (first file, first row), so the result is deterministic.
The best row is the survivor: its ``_source_file``/``_source_row`` are kept. Then:
  - the address and its validate columns come together from the best row with an address;
  - the street address lines, country, region, city and postcode come together from the best
    row with any of them (address_line1/2 travel with their place);
  - birth_date and birth_year come together from the best row with a birth_date, else from
    the best row with a birth_year;
  - first, last and full name: the best row's non-empty value, a bare initial ("J.") only
    when nobody has more;
  - consent: the most restrictive status anywhere (erased > complained > unsubscribed >
    bounced > cleaned > pending > subscribed), with that row's consent date and source;
  - signup_at the earliest; last_*_at the latest;
  - purchase_count, total_spend, bounce_count add up over the cluster's records; the same
    record seen twice (same source, address and value) counts once; total_spend only over the
    rows in the record's own currency (its best row's; a row without one counts), never ¥ + $;
  - tags: the union, sorted;
  - every other column: the best row's non-empty value.
``field_sources`` (JSON) says which row (file:row) each field of a merged record came
from; ``merged_from`` lists every row merged into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from listclean import schema

if TYPE_CHECKING:
    import polars as pl

CONSENT_RESTRICTION = schema.CONSENT_STRENGTH
EMAIL_QUALITY = {"valid": 0, "risky": 1, "unknown": 2, "invalid": 3, "suppressed": 4}
ACTIVITY_FIELDS = ("last_activity_at", "last_click_at", "last_purchase_at", "last_open_at", "consent_at", "signup_at")
LATEST_FIELDS = ("last_open_at", "last_click_at", "last_activity_at", "last_purchase_at")
EARLIEST_FIELDS = ("signup_at",)
SUMMED_FIELDS = ("purchase_count", "total_spend", "bounce_count")
EMAIL_GROUP = ("email", "email_raw", "email_normalized", "email_canonical", "email_status", "email_reasons", "email_suggestion", "email_alternates")
PLACE_GROUP = ("address_line1", "address_line2", "country", "country_raw", "region", "city", "postal_code")
BIRTH_GROUP = ("birth_date", "birth_date_raw", "birth_year", "birth_year_raw")
CONSENT_GROUP = ("consent_status", "consent_status_raw", "consent_at", "consent_source")
NAME_FIELDS = ("first_name", "last_name", "full_name")
ADDED = ("cluster_id", "merged_rows", "merged_from", "merge_reason", "field_sources")


@dataclass(frozen=True)
class SurvivorshipSettings:
    trusted_sources: tuple[str, ...] = ()


def rank_rows(frame: pl.DataFrame, settings: SurvivorshipSettings) -> pl.Series:
    """0 for the best row of the whole frame, upwards; compare within a cluster."""
    import polars as pl

    columns = frame.columns
    keys: list[pl.Expr] = []
    descending: list[bool] = []
    if settings.trusted_sources:
        trust = {name: index for index, name in enumerate(settings.trusted_sources)}
        source = pl.col("source").cast(pl.String) if "source" in columns else pl.lit(None, dtype=pl.String)
        by_source = source.replace_strict(trust, default=None, return_dtype=pl.Int32)
        by_file = pl.col("_source_file").replace_strict(trust, default=None, return_dtype=pl.Int32) if "_source_file" in columns else pl.lit(None, dtype=pl.Int32)
        keys.append(pl.coalesce(by_source, by_file, pl.lit(len(trust))))
        descending.append(False)
    if "email_status" in columns:
        keys.append(pl.col("email_status").replace_strict(EMAIL_QUALITY, default=5, return_dtype=pl.Int8))
        descending.append(False)
    activity = [pl.col(name) for name in ACTIVITY_FIELDS if name in columns]
    if activity:
        keys.append(pl.max_horizontal(activity))
        descending.append(True)
    filled = [pl.col(name).is_not_null().cast(pl.Int16) for name in schema.CANONICAL if name in columns]
    if filled:
        keys.append(pl.sum_horizontal(filled))
        descending.append(True)
    keys.append(pl.col("__id"))
    descending.append(False)
    order = frame.select(pl.col("__id"), *[key.alias(f"__k{i}") for i, key in enumerate(keys)]).sort(
        [f"__k{i}" for i in range(len(keys))], descending=descending, nulls_last=True
    )
    ranks = order.select("__id", pl.int_range(pl.len(), dtype=pl.UInt32).alias("__rank")).sort("__id")
    return ranks["__rank"]


def golden_records(members: pl.DataFrame, reasons: pl.DataFrame) -> pl.DataFrame:
    """One row per cluster of `members` (clusters of two or more rows, with __rank and __ref)."""
    import polars as pl

    columns = [c for c in members.columns if not c.startswith("__") and c not in ADDED]
    # An integer cluster key: sorting and grouping millions of rows by a string costs several times more.
    # Categories of its own (numbered by first appearance, as the global ones were): the global
    # categories never forget a value, and a list deduplicated in parts would add every part's
    # cluster ids to them for good.
    cluster = pl.col("cluster_id").cast(pl.Categorical(pl.Categories.random())).to_physical()
    members = members.with_columns(cluster.alias("__cluster")).sort(["__cluster", "__rank"])
    record = pl.coalesce(pl.col("source").cast(pl.String), pl.col("_source_file")) if "source" in members.columns else pl.col("_source_file")
    summed = [name for name in SUMMED_FIELDS if name in columns]
    members = members.with_columns(
        [
            pl.struct(record.alias("r"), pl.col("email_canonical"), pl.col(name).alias("v")).is_first_distinct().over("__cluster").alias(f"__count_{name}")
            for name in summed
        ]
    )

    # Row-level flags the aggregations share are materialised first: an expression repeated in
    # forty aggregations would otherwise be evaluated forty times.
    flags: dict[str, pl.Expr] = {}
    for flag, group in (("__has_email", ("email",)), ("__has_place", PLACE_GROUP)):
        present = [pl.col(name).is_not_null() for name in group if name in columns]
        if present:
            flags[flag] = pl.any_horizontal(present)
    if "consent_status" in columns:
        flags["__restriction"] = pl.col("consent_status").cast(pl.String).replace_strict(CONSENT_RESTRICTION, default=0, return_dtype=pl.Int8)
    for name in NAME_FIELDS:
        if name in columns:
            flags[f"__weak_{name}"] = pl.col(name).cast(pl.String).str.contains(r"^\s*\w\.?\s*$").fill_null(True) | pl.col(name).is_null()
    members = members.with_columns(**flags) if flags else members

    def anchored(flag: str) -> pl.Expr | None:
        return pl.col(flag) if flag in flags else None

    aggregations: list[pl.Expr] = []
    sources: list[pl.Expr] = []
    handled: set[str] = set()
    groups = {EMAIL_GROUP: anchored("__has_email"), PLACE_GROUP: anchored("__has_place")}
    for group, has_value in groups.items():
        if has_value is None:
            continue
        for name in group:
            if name in columns:
                aggregations.append(pl.col(name).filter(has_value).first())
                sources.append(pl.col("__ref").filter(has_value & pl.col(name).is_not_null()).first().alias(name))
                handled.add(name)
    if "birth_date" in columns or "birth_year" in columns:
        # A full date beats a year alone; within each, the best row.
        # Only columns the frame has: a literal among group-wise sort keys crashes Polars 2.1.
        order = [pl.col(name).is_null() for name in ("birth_date", "birth_year") if name in columns] + [pl.col("__rank")]
        for name in BIRTH_GROUP:
            if name in columns:
                value = pl.col(name).sort_by(order).first()
                aggregations.append(value)
                sources.append(pl.when(value.is_not_null()).then(pl.col("__ref").sort_by(order).first()).alias(name))
                handled.add(name)
    if "consent_status" in columns:
        restriction = pl.col("__restriction")
        for name in CONSENT_GROUP:
            if name in columns:
                aggregations.append(pl.col(name).sort_by([restriction, pl.col("__rank")], descending=[True, False]).first())
                sources.append(pl.col("__ref").sort_by([restriction, pl.col("__rank")], descending=[True, False]).first().alias(name))
                handled.add(name)
    for name in NAME_FIELDS:
        if name in columns:
            order = [pl.col(name).is_null(), pl.col(f"__weak_{name}"), pl.col("__rank")]
            aggregations.append(pl.col(name).sort_by(order).first())
            sources.append(pl.col("__ref").sort_by(order).first().alias(name))
            handled.add(name)
    for name in LATEST_FIELDS + EARLIEST_FIELDS:
        if name in columns and name not in handled:
            pick = pl.col(name).max() if name in LATEST_FIELDS else pl.col(name).min()
            aggregations.append(pick)
            sources.append(pl.col("__ref").filter(pl.col(name) == pick).first().alias(name))
            handled.add(name)
    for name in summed:
        counting = pl.col(f"__count_{name}")
        if name == "total_spend" and "currency" in columns:
            # Amounts in another currency than the record's own (its best row's) are never added to it.
            counting = counting & (pl.col("currency").is_null() | (pl.col("currency") == pl.col("currency").drop_nulls().first()))
        counted = pl.col(name).filter(counting)
        aggregations.append(pl.when(pl.col(name).is_not_null().any()).then(counted.sum()).alias(name))
        sources.append(pl.col("__ref").filter(pl.col(name).is_not_null()).sort().str.join(",").alias(name))
        handled.add(name)
    if "tags" in columns:
        aggregations.append(pl.col("tags").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().unique().sort().alias("tags"))
        sources.append(pl.col("__ref").filter(pl.col("tags").list.len() > 0).sort().str.join(",").alias("tags"))
        handled.add("tags")
    for name in ("_source_file", "_source_row"):
        if name in columns:
            aggregations.append(pl.col(name).first())
            handled.add(name)
    for name in columns:
        if name not in handled:
            aggregations.append(pl.col(name).drop_nulls().first())
            sources.append(pl.col("__ref").filter(pl.col(name).is_not_null()).first().alias(name))

    golden = members.group_by("__cluster", maintain_order=True).agg(
        pl.col("cluster_id").first(),
        *aggregations,
        pl.len().cast(pl.Int64).alias("merged_rows"),
        pl.col("__ref").sort().alias("merged_from"),
        pl.struct(sources).struct.json_encode().alias("field_sources") if sources else pl.lit(None, dtype=pl.String).alias("field_sources"),
    )
    if "tags" in golden.columns:
        golden = golden.with_columns(pl.when(pl.col("tags").list.len() > 0).then(pl.col("tags")).alias("tags"))
    return golden.drop("__cluster").join(reasons, on="cluster_id", how="left", maintain_order="left")
