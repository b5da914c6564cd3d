"""Repairs of the address cell before it is judged, each one recorded as a reason code.

All vectorised: the cell goes through a fixed sequence of Polars string expressions,
and every step that changed something adds its code. The repaired address is what
the syntax check judges; the `email` column keeps what was typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listclean.text import INVISIBLE, ODD_SPACES

if TYPE_CHECKING:
    import polars as pl

# An address-looking token, for cells holding several addresses ("a@x.com; b@y.com").
ADDRESS_TOKEN = r"[^\s,;<>()\"']+@[^\s,;<>()\"']+"
_DISPLAY_NAME = r"^[^<>]*<([^<>]*)>$"
_FULLWIDTH_AT = "\uff20\ufe6b"  # ＠ and ﹫
_TRAILING = r"[.,;:]+$"
# A cell no step would change: printable ASCII without spaces, angle brackets, separators or a
# colon (mailto:), and any other character but a space, an invisible one or a full-width @
# (an internationalised address); one @, ending in a letter or digit.
_UNTOUCHED_NON_ASCII = rf"[^\x00-\x7F\s{INVISIBLE}{ODD_SPACES}{_FULLWIDTH_AT}]"
_UNTOUCHED = rf"(?:[!#-'*+\-./0-9=?A-Z^_`a-z{{|}}~]|{_UNTOUCHED_NON_ASCII})"
_NOTHING_TO_REPAIR = rf"^{_UNTOUCHED}+@{_UNTOUCHED}*(?:[A-Za-z0-9]|{_UNTOUCHED_NON_ASCII})$"


def _percent_decoded(values: pl.Series) -> pl.Series:
    from urllib.parse import unquote

    import polars as pl

    return pl.Series([None if value is None else unquote(value) if "%" in value else value for value in values], dtype=pl.String)


def repair(frame: pl.DataFrame, cell: pl.Expr) -> pl.DataFrame:
    """Columns `address` (repaired, null when empty), `repairs` (list of codes) and
    `alternates` (the other addresses of a multi-address cell), one row per row of `frame`.

    Each step is materialised as a column before the next reads it: chained when/then
    expressions that refer to each other would otherwise be re-evaluated many times over.
    """
    import polars as pl

    cells = frame.select(cell.cast(pl.String).alias("cell")).with_row_index("__i")
    # Most cells need no repair; only the others go through the steps.
    clean = cells["cell"].str.contains(_NOTHING_TO_REPAIR).fill_null(False)
    untouched = cells.filter(clean).select(
        "__i",
        pl.col("cell").alias("address"),
        pl.lit([], dtype=pl.List(pl.String)).alias("repairs"),
        pl.lit([], dtype=pl.List(pl.String)).alias("alternates"),
    )
    repaired = _repair_steps(cells.filter(~clean))
    return pl.concat([untouched, repaired], how="vertical").sort("__i").drop("__i")


def _repair_steps(cells: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    from listclean.standardize import on_distinct

    steps = cells.with_columns(
        pl.col("cell").str.replace_all(f"[{INVISIBLE}]", "").str.replace_all(f"[{ODD_SPACES}]", " ").alias("visible")
    )
    steps = steps.with_columns(
        (pl.col("visible") != pl.col("cell")).alias("invisible"),
        # Control characters count as space here (Python's str.strip agrees; Rust's whitespace does not).
        pl.col("visible").str.replace(r"^[\s\x00-\x1f\x7f]+", "").str.replace(r"[\s\x00-\x1f\x7f]+$", "").alias("trimmed"),
    )
    steps = steps.with_columns(
        (pl.col("trimmed") != pl.col("visible")).alias("whitespace"),
        pl.col("trimmed").str.extract_all(ADDRESS_TOKEN).alias("tokens"),
    )
    steps = steps.with_columns((pl.col("tokens").list.len() >= 2).alias("several"))
    steps = steps.with_columns(
        pl.when(pl.col("several")).then(pl.col("tokens").list.first()).otherwise(pl.col("trimmed")).alias("single"),
        pl.when(pl.col("several")).then(pl.col("tokens").list.slice(1)).otherwise(pl.lit([], dtype=pl.List(pl.String))).alias("alternates"),
    )
    steps = steps.with_columns(pl.col("single").str.extract(_DISPLAY_NAME, 1).str.strip_chars().alias("inner"))
    steps = steps.with_columns(
        pl.col("inner").is_not_null().alias("display"),
        pl.coalesce("inner", "single").alias("unwrapped"),
    )
    steps = steps.with_columns(pl.col("unwrapped").str.contains(r"(?i)^mailto:").alias("mailto"))
    steps = steps.with_columns(
        pl.when(pl.col("mailto"))
        .then(pl.col("unwrapped").str.replace(r"(?i)^mailto:\s*", "").str.replace(r"\?.*$", ""))
        .otherwise(pl.col("unwrapped"))
        .alias("no_mailto")
    )
    # A mailto: URI is percent-encoded (RFC 6068): mailto:%20anna%40x.com is " anna@x.com".
    # Decoded once per distinct value, only for the few mailto cells holding an escape.
    escaped = pl.col("mailto").fill_null(False) & pl.col("no_mailto").str.contains(r"%[0-9A-Fa-f]{2}")
    steps = steps.with_columns(
        pl.when(escaped)
        .then(on_distinct(pl.col("no_mailto"), _percent_decoded, pl.String).str.strip_chars())
        .otherwise(pl.col("no_mailto"))
        .alias("no_mailto")
    )
    steps = steps.with_columns(
        pl.col("no_mailto").str.contains(f"[{_FULLWIDTH_AT}]").alias("fullwidth"),
        pl.col("no_mailto").str.replace_all(f"[{_FULLWIDTH_AT}]", "@").alias("with_at"),
    )
    steps = steps.with_columns(
        (pl.col("with_at").str.contains("@", literal=True) & pl.col("with_at").str.contains(_TRAILING)).alias("trailing")
    )
    steps = steps.with_columns(
        pl.when(pl.col("trailing")).then(pl.col("with_at").str.replace(_TRAILING, "")).otherwise(pl.col("with_at")).alias("repaired")
    )
    flags = [
        ("whitespace", "repaired_whitespace"),
        ("invisible", "repaired_invisible"),
        ("several", "multiple_addresses"),
        ("display", "repaired_display_name"),
        ("mailto", "repaired_mailto"),
        ("fullwidth", "repaired_fullwidth_at"),
        ("trailing", "repaired_trailing_dot"),
    ]
    codes = pl.concat_list([pl.when(pl.col(flag).fill_null(False)).then(pl.lit(code)) for flag, code in flags]).list.drop_nulls()
    return steps.select(
        "__i",
        pl.when(pl.col("repaired").str.len_bytes() > 0).then(pl.col("repaired")).alias("address"),
        codes.alias("repairs"),
        pl.col("alternates"),
    )
