"""Text folding shared by header matching and vocabulary look-ups.

``fold_key`` (Python) and ``fold_key_expr`` (Polars) must agree exactly: bundled
tables are folded in Python, column values in Polars.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_LETTER_OR_DIGIT = re.compile(r"[^\w]|_", re.UNICODE)

# Characters that are invisible or format-only and end up in exported cells by copy and paste:
# zero-width space/joiners, word joiner, BOM, soft hyphen, bidi marks and isolates.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u180e"
# Unicode spaces that should be an ordinary space: no-break, en/em/thin spaces, ideographic space.
ODD_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def fold_key(text: str) -> str:
    """Lower-case, accents and punctuation removed: "Côte d'Ivoire" -> "cotedivoire"."""
    decomposed = unicodedata.normalize("NFKD", text).lower()
    return "".join(ch for ch in decomposed if ch.isalnum() and unicodedata.category(ch)[0] in "LN")


def fold_key_expr(expr):  # pl.Expr -> pl.Expr
    return expr.str.normalize("NFKD").str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]", "")


def as_text(expr, dtype):  # (pl.Expr, pl.DataType) -> pl.Expr
    """A typed column as the text a person would type: lists joined, structs as JSON, ISO datetimes.

    Readers use it to make every input column text; the standardiser uses it so that an
    already typed (re-read) canonical column is interpreted exactly like fresh text.
    """
    import polars as pl

    from listclean.schema import LIST_SEPARATOR

    if dtype == pl.String:
        return expr
    if isinstance(dtype, (pl.List, pl.Array)):
        return expr.cast(pl.List(pl.String)).list.join(LIST_SEPARATOR)
    if isinstance(dtype, pl.Struct):
        # json_encode writes a missing object as the text "null": it stays missing here.
        return pl.when(expr.is_not_null()).then(expr.struct.json_encode())
    if isinstance(dtype, pl.Datetime):
        return expr.dt.to_string("%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else ""))
    return expr.cast(pl.String)
