"""The export step: choose columns, keep suppressed contacts out, make text safe for spreadsheets.

Whatever else an export does, a contact whose consent status says never to mail
them again (unsubscribed, cleaned, bounced, complained, erased) is not written:
such rows go to the rejects table with the reason, and there is no override.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listclean import schema
from listclean.errors import UsageError

if TYPE_CHECKING:
    import polars as pl

# A cell a spreadsheet would evaluate: starts with = + - @ or a tab/CR (OWASP CSV injection).
_FORMULA_START = r"^[=+\-@\t\r]"
# ...unless it is plainly a number: a signed amount or an E.164 phone must survive unchanged.
_PLAIN_NUMBER = r"^[+-]?\d[\d ]*([.,]\d+)?$"


def suppressed_mask(frame: pl.DataFrame) -> pl.Series:
    """Rows never to be mailed: a suppressing consent status, or `validate` said "suppressed"
    (which also covers addresses on a --suppress list)."""
    import polars as pl

    mask = pl.Series("suppressed", [False] * frame.height, dtype=pl.Boolean)
    if "consent_status" in frame.columns:
        mask = mask | frame["consent_status"].cast(pl.String).is_in(sorted(schema.SUPPRESSING_STATUSES)).fill_null(False)
    if "email_status" in frame.columns:
        mask = mask | (frame["email_status"].cast(pl.String) == "suppressed").fill_null(False)
    return mask.alias("suppressed")


def split_suppressed(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(mailable rows, rejects table of the suppressed ones)."""
    import polars as pl

    from listclean.importer import rows_as_rejects

    mask = suppressed_mask(frame)
    excluded = frame.filter(mask)
    rejects = rows_as_rejects(excluded, pl.lit("suppressed"), _suppression_detail(excluded))
    return frame.filter(~mask), rejects


def _suppression_detail(frame: pl.DataFrame) -> pl.Expr:
    import polars as pl

    consent = pl.col("consent_status").cast(pl.String) if "consent_status" in frame.columns else pl.lit(None, dtype=pl.String)
    reasons = (
        pl.col("email_reasons").list.join(", ") if "email_reasons" in frame.columns and frame.schema["email_reasons"] != pl.String
        else pl.col("email_reasons") if "email_reasons" in frame.columns else pl.lit(None, dtype=pl.String)
    )
    return (
        pl.when(consent.is_in(sorted(schema.SUPPRESSING_STATUSES)))
        .then(pl.concat_str(pl.lit("consent_status is "), consent))
        .otherwise(pl.concat_str(pl.lit("email_status is suppressed: "), reasons.fill_null("")))
    )


def select_columns(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Keep the named columns in the given order; an unknown name is an error, not a blank column."""
    unknown = [name for name in columns if name not in frame.columns]
    if unknown:
        raise UsageError(
            f"--columns names a column the input does not have: {unknown[0]!r}",
            hint=f"columns: {', '.join(frame.columns)}",
        )
    return frame.select(columns)


def excel_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text a spreadsheet would run as a formula with an apostrophe."""
    import polars as pl

    def guard(column: pl.Expr) -> pl.Expr:
        risky = column.str.contains(_FORMULA_START) & ~column.str.contains(_PLAIN_NUMBER)
        return pl.when(risky).then(pl.concat_str(pl.lit("'"), column)).otherwise(column)

    exprs = []
    for title, dtype in frame.schema.items():
        if dtype == pl.String:
            exprs.append(guard(pl.col(title)).alias(title))
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            exprs.append(pl.col(title).list.eval(guard(pl.element())).alias(title))
    return frame.with_columns(exprs) if exprs else frame
