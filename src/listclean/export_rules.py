"""What export decides about rows: choose columns, keep suppressed contacts out, check what was written.

The export step itself (its passes over the data) is listclean.steps.export.

Whatever else an export does, a contact whose consent status says never to mail
them again (unsubscribed, cleaned, bounced, complained, erased) is not written:
such rows go to the rejects table with the reason, and there is no override.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from listclean import schema
from listclean.errors import UsageError

if TYPE_CHECKING:
    import polars as pl

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


KEY_COLUMN = "__listclean_suppression_key"  # a chunk's suppression keys, computed once (never written)
# Whether another row suppresses this row's address, found by the caller beyond the chunk (Spark,
# across partitions: listclean.spark.export); read by separate_suppressed where present (never written).
ELSEWHERE_COLUMN = "__listclean_suppressed_elsewhere"


def address_key(frame: pl.DataFrame) -> pl.Expr:
    """The address as compared for suppression: `suppression.suppression_key` of validate's
    normalised address where there is one, else of the address as typed (judged on the spot:
    repaired, lower-cased, the provider's rules)."""
    import polars as pl

    from listclean.suppression import suppression_key

    if KEY_COLUMN in frame.columns:
        return pl.col(KEY_COLUMN)
    return suppression_key(address_source(frame))


def address_source(frame: pl.DataFrame) -> pl.Expr:
    """validate's normalised address where there is one, else the address as typed."""
    import polars as pl

    typed = pl.col("email").cast(pl.String) if "email" in frame.columns else pl.lit(None, dtype=pl.String)
    normalised = pl.col("email_normalized").cast(pl.String) if "email_normalized" in frame.columns else pl.lit(None, dtype=pl.String)
    return pl.coalesce(normalised, typed)


def with_key(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its suppression keys computed once (KEY_COLUMN); drop it before writing."""
    return frame.with_columns(address_key(frame.drop(KEY_COLUMN, strict=False)).alias(KEY_COLUMN))


def unknown_consent(frame: pl.DataFrame) -> pl.Expr:
    """Rows whose consent_status was present but not understood: null, its text kept in consent_status_raw
    (a word that says no consent was given, such as NEVER_SUBSCRIBED, is understood: unknown consent)."""
    import polars as pl

    if "consent_status_raw" not in frame.columns:
        return pl.lit(False)
    status = pl.col("consent_status").cast(pl.String) if "consent_status" in frame.columns else pl.lit(None, dtype=pl.String)
    raw = pl.col("consent_status_raw").cast(pl.String).str.strip_chars()
    return (status.is_null() & raw.is_not_null() & (raw.str.len_bytes() > 0) & ~says_no_consent(raw)).fill_null(False)


def says_no_consent(raw: pl.Expr) -> pl.Expr:
    """A consent text that says consent was never given either way (NEVER_SUBSCRIBED; vocabulary.NO_CONSENT_WORDS)."""
    from listclean.text import fold_key_expr
    from listclean.vocabulary import no_consent_keys

    return fold_key_expr(raw).is_in(sorted(no_consent_keys())).fill_null(False)


def separate_suppressed(frame: pl.DataFrame, listed: pl.Series | None = None) -> tuple[pl.DataFrame, pl.DataFrame, set[str]]:
    """(mailable rows, rejects table of the suppressed ones, every suppressed address).

    A row is suppressed by its own status, by `listed` (a --suppress list or the store), or
    because its address belongs to a suppressed row elsewhere in the input (the same person
    unsubscribed in one export and still "subscribed" in another must not be mailed). The
    addresses (as `address_key`) are what the written export is checked against.
    """
    import polars as pl

    from listclean.stream.ledger import rows_as_rejects

    mask = suppressing_rows(frame, listed)
    keys = frame.select(address_key(frame).alias("key"))["key"]
    blocked = keys.filter(mask).drop_nulls().unique()
    elsewhere = ~mask & keys.is_in(blocked.implode()).fill_null(False)
    if ELSEWHERE_COLUMN in frame.columns:  # suppressed by a row the caller found beyond this chunk
        elsewhere = elsewhere | (~mask & frame[ELSEWHERE_COLUMN].fill_null(False))
    excluded = frame.filter(mask)
    same_address = frame.filter(elsewhere)
    rejects = pl.concat(
        [
            rows_as_rejects(excluded, pl.lit("suppressed"), _suppression_detail(excluded)),
            rows_as_rejects(same_address, pl.lit("suppressed"), pl.lit("the same address is suppressed in another row")),
        ],
        how="vertical_relaxed",
    )
    return frame.filter(~mask & ~elsewhere), rejects, set(blocked.to_list())


def suppressing_rows(frame: pl.DataFrame, listed: pl.Series | None = None) -> pl.Series:
    """Rows that suppress their address in every row of the input: their own status, or `listed`
    (a --suppress list or the store)."""
    return suppressed_mask(frame) if listed is None else suppressed_mask(frame) | listed


def _suppression_detail(frame: pl.DataFrame) -> pl.Expr:
    import polars as pl

    consent = pl.col("consent_status").cast(pl.String) if "consent_status" in frame.columns else pl.lit(None, dtype=pl.String)
    reasons = (
        pl.col("email_reasons").list.join(", ") if "email_reasons" in frame.columns and frame.schema["email_reasons"] != pl.String
        else pl.col("email_reasons") if "email_reasons" in frame.columns else pl.lit(None, dtype=pl.String)
    )
    status = pl.col("email_status").cast(pl.String) if "email_status" in frame.columns else pl.lit(None, dtype=pl.String)
    return (
        pl.when(consent.is_in(sorted(schema.SUPPRESSING_STATUSES)))
        .then(pl.concat_str(pl.lit("consent_status is "), consent))
        .when(status == "suppressed")
        .then(pl.concat_str(pl.lit("email_status is suppressed: "), reasons.fill_null("")))
        .otherwise(pl.lit("on a --suppress list or in the suppression store"))
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


def verify_no_leak(paths: list[str], fmt: str, header: str, blocked: pl.Series | set[str], hashed: bool = False) -> None:
    """Read the written files back; if any suppressed address is in them, remove them all and fail.

    A last line of defence against a bug anywhere upstream: the check reads what is on disk,
    not what the code meant to write (one column at a time, streamed where the format allows).
    """
    import os

    import polars as pl

    from listclean.errors import OutputError
    from listclean.io.read import read_column

    keys = pl.Series("key", sorted(blocked), dtype=pl.String) if isinstance(blocked, set) else blocked
    if keys.len() == 0:
        return
    wanted = blocked_values(keys, hashed)
    leaked = 0
    for path in paths:
        column = read_column(fmt, path, header)  # each format reads its own files back (io.read.registry)
        values = written_values(pl.col(header), hashed)
        leaked += int(column.select(values.is_in(wanted.implode()).fill_null(False).sum()).collect().item())
    if leaked:
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise OutputError(f"{leaked} suppressed address(es) found in the written export; the files were removed", hint="this is a bug in listclean: please report it")


def written_values(cell: pl.Expr, hashed: bool) -> pl.Expr:
    """A written address cell as the read-back check compares it: a hashed audience's hash as it
    is (lower-cased), an address by its suppression key (any variant of a suppressed one is a leak)."""
    import polars as pl

    from listclean.suppression import suppression_key

    text = cell.cast(pl.String).str.strip_chars().str.strip_prefix("'")
    return text.str.to_lowercase() if hashed else suppression_key(text)


def blocked_values(keys: pl.Series, hashed: bool) -> pl.Series:
    """The suppressed addresses as `written_values` would find them in a file: their hashes for an audience."""
    import polars as pl

    from listclean.suppression import sha256_of

    return pl.Series("key", [sha256_of(key) for key in keys.to_list()], dtype=pl.String) if hashed else keys


def cell_addresses(frame: pl.DataFrame) -> pl.DataFrame:
    """The addresses of the cells that hold several ("a@x.com; b@y.com"): one row per address,
    `__row` (the row's index in `frame`), `t` (the address as typed) and `k` (its suppression key).
    Few rows have such a cell: only those are split."""
    import polars as pl

    from listclean.suppression import ADDRESS_TOKEN, suppression_key

    empty = pl.DataFrame(schema={"__row": pl.Int64, "t": pl.String, "k": pl.String})
    if "email" not in frame.columns or not frame.height:
        return empty
    cells = frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("__row"), pl.col("email").cast(pl.String).alias("t"))
    cells = cells.filter(pl.col("t").str.count_matches("@", literal=True) >= 2)  # a cheap first look
    if not cells.height:
        return empty
    tokens = cells.with_columns(pl.col("t").str.extract_all(ADDRESS_TOKEN))
    rows = tokens.filter(pl.col("t").list.len() >= 2).explode("t")
    return rows.with_columns(suppression_key(pl.col("t")).alias("k"))


def another_address_suppressed(frame: pl.DataFrame, blocked: pl.Series | set[str], store: Any = None, listed: Any = None) -> pl.Series:
    """Rows whose email cell holds several addresses ("a@x.com; b@y.com") one of which — not only
    the first, which the row is judged by — is suppressed: its suppression key is `blocked` (by
    another row), or the `store` or a --suppress list (`listed`) holds it. Few rows have such a
    cell: only those are split and compared."""
    import polars as pl

    none = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias("other")
    keyed = cell_addresses(frame)
    if not keyed.height:
        return none
    keys = blocked if isinstance(blocked, pl.Series) else pl.Series("key", sorted(blocked), dtype=pl.String)
    hit = keyed["k"].is_in(keys.implode()).fill_null(False)
    if store is not None:
        hit = hit | store.reasons(keyed, pl.col("k"), pl.col("t")).is_not_null()
    if listed is not None:
        hit = hit | keyed.select(listed.matches(keyed, pl.col("t"))).to_series()
    return pl.int_range(frame.height, eager=True).is_in(keyed.filter(hit)["__row"].implode()).alias("other")
