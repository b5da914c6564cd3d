"""A deterministic contact list with a known history, for decay-report tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl

AS_OF = datetime(2026, 11, 24, tzinfo=timezone.utc)


def history_list(rows: int = 120) -> pl.DataFrame:
    """Signups every few days over two years; every 10th unsubscribes, every 17th bounces,
    every 41st complains (each dated); engagement and consent vary with the row number."""
    records = []
    for i in range(rows):
        signup = AS_OF - timedelta(days=5 + 6 * i)
        status, consent_at, source = "subscribed", signup, "form"
        if i % 10 == 3:
            status, consent_at = "unsubscribed", AS_OF - timedelta(days=3 + 9 * (i % 37))
        elif i % 17 == 5:
            status, consent_at = "bounced", AS_OF - timedelta(days=2 + 11 * (i % 23))
        elif i % 41 == 7:
            status, consent_at = "complained", AS_OF - timedelta(days=4 + 13 * (i % 11))
        elif i % 13 == 0:
            status = "pending"
        if i % 9 == 4:
            source = "purchase"
            consent_at = AS_OF - timedelta(days=700 + i % 60)
        click = AS_OF - timedelta(days=(i * 7) % 400) if i % 3 else None
        opened = AS_OF - timedelta(days=(i * 3) % 50) if i % 2 else None
        records.append(
            {
                "email": f"person{i}@{'firma' if i % 19 else 'gmial'}.pl",
                "first_name": f"P{i}",
                "source": "shop" if i % 4 == 0 else "newsletter",
                "signup_at": signup,
                "consent_status": status,
                "consent_at": consent_at,
                "consent_source": source if i % 8 else None,
                "last_click_at": click,
                "last_open_at": opened,
                "last_purchase_at": AS_OF - timedelta(days=30 + i) if i % 5 == 0 else None,
            }
        )
    return pl.DataFrame(records).with_columns(pl.lit("history.csv").alias("_source_file"), pl.int_range(1, pl.len() + 1).alias("_source_row"))
