"""Deterministic generator of realistic contact exports for benchmarks.

    python bench/generate.py 1000000 bench/data/contacts_1m.csv

Same seed, same file. The mix imitates real lists: mostly big consumer providers and
company domains, a few percent of addresses with stray spaces, capitals, display names,
typos, disposable and role addresses, outright garbage, some international ones;
names in several languages; phones in national formats; dates in a few formats.
Random draws come from Python's seeded `random` (C-implemented `choices`), the strings are
built with Polars expressions, so 10M rows take seconds, not minutes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import polars as pl

FIRST = ["anna", "john", "maria", "peter", "sophie", "jürgen", "łukasz", "zoë", "mohammed", "wei", "yuki", "olga", "carlos",
         "emma", "noah", "liam", "olivia", "lucas", "mia", "jan", "eva", "tomasz", "agnieszka", "pierre", "camille", "marco",
         "giulia", "sven", "ingrid", "aiko", "hana", "minjun", "seo-yeon", "ivan", "dmitri", "fatima", "ali", "priya", "raj"]
LAST = ["smith", "nowak", "müller", "schmidt", "kowalski", "garcía", "rossi", "dubois", "jones", "brown", "tanaka", "suzuki",
        "kim", "lee", "ivanov", "petrov", "wang", "li", "zhang", "singh", "patel", "o'brien", "van der berg", "de la cruz",
        "andersson", "nielsen", "novák", "horváth", "wiśniewski", "lewandowski", "martin", "bernard", "weber", "wagner"]
PROVIDERS = ["gmail.com"] * 30 + ["yahoo.com"] * 8 + ["hotmail.com"] * 8 + ["outlook.com"] * 6 + ["icloud.com"] * 4 + \
    ["aol.com", "gmx.de", "web.de", "wp.pl", "o2.pl", "orange.fr", "free.fr", "libero.it", "mail.ru", "yandex.ru", "qq.com",
     "163.com", "naver.com", "yahoo.co.jp", "comcast.net", "btinternet.com", "t-online.de", "seznam.cz", "live.com", "me.com"]
COMPANIES = [f"{word}{suffix}" for word in ("acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne",
             "tyrell", "cyberdyne", "soylent", "wonka", "nowak-design", "kowalski-bud", "müller-gmbh", "rossi-srl")
             for suffix in (".com", ".de", ".pl", ".co.uk", ".fr", ".it", ".io", ".net")]
TYPOS = ["gmial.com", "gmail.con", "gmai.com", "hotmial.com", "yaho.com", "outlok.com", "gmail.co", "yahoo.con", "iclod.com"]
DISPOSABLE = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "trashmail.com"]
ROLES = ["info", "sales", "support", "noreply", "postmaster", "admin", "contact", "office"]
GARBAGE = ["n/a", "none", "-", "test", "asdf@", "@gmail.com", "john..smith@gmail.com", "john smith@gmail.com", "x@y", "a@b@c.com"]
COUNTRIES = ["US", "United States", "PL", "Poland", "Polska", "DE", "Germany", "Deutschland", "GB", "UK", "FR", "France",
             "JP", "Japan", "日本", "CN", "中国", "IT", "ES", "BR", ""]


def generate(rows: int, seed: int = 20261124) -> pl.DataFrame:
    rng = random.Random(seed)
    first = rng.choices(FIRST, k=rows)
    last = rng.choices(LAST, k=rows)
    number = rng.choices(range(1, 100_000), k=rows)
    kind = [rng.random() for _ in range(rows)]
    provider = rng.choices(PROVIDERS, k=rows)
    company = rng.choices(COMPANIES, k=rows)
    frame = pl.DataFrame({"first": first, "last": last, "n": number, "kind": kind, "provider": provider, "company": company})
    local = pl.concat_str(
        pl.col("first").str.replace_all(r"[^a-z]", ""), pl.lit("."), pl.col("last").str.replace_all(r"[^a-z]", ""), pl.col("n").cast(pl.String)
    )
    pick = lambda values: pl.lit(pl.Series(values)).get((pl.col("n") % len(values)).cast(pl.Int64))  # noqa: E731
    email = (
        pl.when(pl.col("kind") < 0.62).then(pl.concat_str(local, pl.lit("@"), pl.col("provider")))
        .when(pl.col("kind") < 0.80).then(pl.concat_str(local, pl.lit("@"), pl.col("company")))
        .when(pl.col("kind") < 0.84).then(pl.concat_str(local.str.to_uppercase(), pl.lit("@"), pl.col("provider").str.to_uppercase()))
        .when(pl.col("kind") < 0.87).then(pl.concat_str(pl.lit(" "), local, pl.lit("@"), pl.col("provider"), pl.lit(" ")))
        .when(pl.col("kind") < 0.88).then(pl.concat_str(pl.col("first"), pl.lit(" <"), local, pl.lit("@"), pl.col("provider"), pl.lit(">")))
        .when(pl.col("kind") < 0.90).then(pl.concat_str(local, pl.lit("@"), pick(TYPOS)))
        .when(pl.col("kind") < 0.91).then(pl.concat_str(local, pl.lit("@"), pick(DISPOSABLE)))
        .when(pl.col("kind") < 0.93).then(pl.concat_str(pick(ROLES), pl.lit("@"), pl.col("company")))
        .when(pl.col("kind") < 0.95).then(pick(GARBAGE))
        .when(pl.col("kind") < 0.96).then(pl.concat_str(pl.col("first"), pl.col("n").cast(pl.String), pl.lit("@"), pl.col("provider")))
        .when(pl.col("kind") < 0.97).then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.concat_str(local, pl.lit("+news@"), pl.col("provider")))
    )
    day = rng.choices(range(3650), k=rows)
    phone = rng.choices(range(100_000_000, 999_999_999), k=rows)
    return frame.with_columns(
        email=email,
        day=pl.Series(day),
        phone=pl.Series(phone),
        country=pl.Series(rng.choices(COUNTRIES, k=rows)),
        status=pl.Series(rng.choices(["subscribed"] * 17 + ["unsubscribed", "cleaned", "pending"], k=rows)),
    ).select(
        pl.col("email").alias("Email Address"),
        pl.col("first").str.to_titlecase().alias("First Name"),
        pl.col("last").str.to_titlecase().alias("Last Name"),
        pl.concat_str(pl.lit("+48 "), pl.col("phone").cast(pl.String)).alias("Phone Number"),
        pl.col("country").alias("Country"),
        (pl.date(2016, 1, 1) + pl.duration(days=pl.col("day"))).dt.strftime("%Y-%m-%d").alias("Signup Date"),
        pl.col("status").alias("Status"),
        pl.col("n").alias("Customer ID"),
    )


if __name__ == "__main__":
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    path = Path(sys.argv[2] if len(sys.argv) > 2 else f"bench/data/contacts_{rows}.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    generate(rows).write_csv(path)
    print(f"{rows:,} rows -> {path}")
