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


def repair_expressions(cell: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(repaired address, list of repair codes, list of other addresses in the cell)."""
    import polars as pl

    no_invisible = cell.str.replace_all(f"[{INVISIBLE}]", "").str.replace_all(f"[{ODD_SPACES}]", " ")
    invisible = no_invisible != cell
    trimmed = no_invisible.str.strip_chars()
    whitespace = trimmed != no_invisible

    tokens = trimmed.str.extract_all(ADDRESS_TOKEN)
    several = tokens.list.len() >= 2
    single = pl.when(several).then(tokens.list.first()).otherwise(trimmed)
    alternates = pl.when(several).then(tokens.list.slice(1)).otherwise(pl.lit([], dtype=pl.List(pl.String)))

    inner = single.str.extract(_DISPLAY_NAME, 1)
    display = inner.is_not_null()
    unwrapped = pl.when(display).then(inner.str.strip_chars()).otherwise(single)

    mailto = unwrapped.str.contains(r"(?i)^mailto:")
    no_mailto = pl.when(mailto).then(unwrapped.str.replace(r"(?i)^mailto:\s*", "").str.replace(r"\?.*$", "")).otherwise(unwrapped)

    fullwidth = no_mailto.str.contains(f"[{_FULLWIDTH_AT}]")
    with_at = no_mailto.str.replace_all(f"[{_FULLWIDTH_AT}]", "@")

    trailing = with_at.str.contains("@", literal=True) & with_at.str.contains(_TRAILING)
    repaired = pl.when(trailing).then(with_at.str.replace(_TRAILING, "")).otherwise(with_at)

    flags = [
        (whitespace, "repaired_whitespace"),
        (invisible, "repaired_invisible"),
        (several, "multiple_addresses"),
        (display, "repaired_display_name"),
        (mailto, "repaired_mailto"),
        (fullwidth, "repaired_fullwidth_at"),
        (trailing, "repaired_trailing_dot"),
    ]
    codes = pl.concat_list([pl.when(flag.fill_null(False)).then(pl.lit(code)) for flag, code in flags]).list.drop_nulls()
    empty = repaired.is_null() | (repaired.str.len_bytes() == 0)
    return pl.when(~empty).then(repaired), codes, alternates
