"""Small contact frames for dedupe tests."""

from __future__ import annotations

import polars as pl
from hypothesis import strategies as st

FIELDS = ("email", "first_name", "last_name", "phone", "postal_code", "city", "country", "company")


def contacts(*rows: dict, source: str = "list.csv") -> pl.DataFrame:
    """Canonical columns from partial rows; provenance is (source, 1..n)."""
    records = [{name: row.get(name) for name in FIELDS} | {k: v for k, v in row.items() if k not in FIELDS} for row in rows]
    frame = pl.DataFrame(records, infer_schema_length=None)
    for name in FIELDS:
        frame = frame.with_columns(pl.col(name).cast(pl.String))
    return frame.with_columns(
        pl.lit(source).alias("_source_file"), pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_source_row")
    )


def together(result, a: int, b: int) -> bool:
    """Whether input rows a and b (1-based) ended in one cluster."""
    ids = result.clusters.sort("_source_row")["cluster_id"]
    return ids[a - 1] == ids[b - 1]


FIRST = ["Anna", "Ania", "Jan", "Janek", "Ewa", None]
LAST = ["Nowak", "Nowakowska", "Kowalski", None]
MAILBOX = ["anna.nowak", "a.nowak", "jan", "info", "ewa.k", None]
DOMAIN = ["gmail.com", "firma.pl", "gmial.com"]
PHONE = ["+48600100200", "+48600100201", None]
POSTAL = ["30-001", "00-950", None]


def person(draw) -> dict:
    """A contact drawn from small pools: shared addresses, phones, names and typos abound."""
    mailbox = draw(st.sampled_from(MAILBOX))
    return {
        "email": None if mailbox is None else f"{mailbox}@{draw(st.sampled_from(DOMAIN))}",
        "first_name": draw(st.sampled_from(FIRST)),
        "last_name": draw(st.sampled_from(LAST)),
        "phone": draw(st.sampled_from(PHONE)),
        "postal_code": draw(st.sampled_from(POSTAL)),
    }
