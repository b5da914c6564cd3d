"""The import step: many messy sources in, one canonical contact table out.

For each source: read it as text, map its headers onto the canonical fields,
standardise the fields, add provenance. Rows that are bad or empty go to the
rejects table with a reason; every input row is in exactly one of the two.
Every other command reads its input through ``import_sources`` too, so a raw
export can be piped straight into ``validate`` or ``dedupe``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

from listclean import schema
from listclean.columns import ColumnMapping, map_columns
from listclean.errors import InputError
from listclean.io.read import EXTRA_FIELDS, ROW, ReadOptions, Source, Workspace, read_source
from listclean.standardize import DateOrder, StandardizeOptions, apply_opt_out, infer_date_orders, standardize

if TYPE_CHECKING:
    import polars as pl

REJECT_COLUMNS = ("_source_file", "_source_row", "_source_line", "reason", "detail", "action", "raw")

# Mailchimp's audience export is a zip of one CSV per status, named after it.
_MAILCHIMP_FILE = re.compile(r"(?i)(?:^|[_\-\s])(subscribed|unsubscribed|cleaned|pending|nonsubscribed|transactional)_members_export")
_STATUS_COLUMNS = {"unsub_time": "unsubscribed", "clean_time": "cleaned"}
_EMPTY = "__listclean_empty"
_EMAIL_VALUE = r"^\s*(?:mailto:)?[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+\s*$"


@dataclass
class ImportOptions:
    read: ReadOptions = field(default_factory=ReadOptions)
    overrides: dict[str, str | None] = field(default_factory=dict)
    date_order: DateOrder = "auto"
    default_country: str | None = None
    source_name: str | None = None


@dataclass
class SourceReport:
    name: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    rows_in: int
    rows_out: int
    rejected: int
    repaired: int
    mapping: ColumnMapping
    notices: list[str]  # things a person should check (guessed encodings, ambiguous dates, ...)
    uninterpretable: dict[str, int]
    notes: list[str] = field(default_factory=list)  # informational: decisions taken from the data

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.name,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rejected": self.rejected,
            "repaired": self.repaired,
            "columns": self.mapping.as_dict(),
            "uninterpretable_values": self.uninterpretable,
            "warnings": self.notices,
            "notes": self.notes,
        }


@dataclass
class ImportResult:
    frame: pl.DataFrame
    rejects: pl.DataFrame
    sources: list[SourceReport]

    @property
    def rows_in(self) -> int:
        return sum(source.rows_in for source in self.sources)

    @property
    def rows_out(self) -> int:
        return self.frame.height

    @property
    def rejected(self) -> int:
        return self.rejects.filter(self.rejects["action"].is_in(["skipped", "quarantined"])).height if self.rejects.height else 0

    @property
    def quarantined(self) -> int:
        return self.rejects.filter(self.rejects["action"] == "quarantined").height if self.rejects.height else 0


def import_sources(paths: list[str], options: ImportOptions, workspace: Workspace) -> ImportResult:
    """Read, map and standardise every source; return the combined table and its rejects."""
    import polars as pl

    frames: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    reports: list[SourceReport] = []
    passthrough_order: list[str] = []
    for path in paths:
        source = read_source(path, options.read, workspace)
        frame, rejected, report = _import_one(source, options)
        frames.append(frame)
        rejects.append(rejected)
        reports.append(report)
        for column in frame.columns:
            if column not in passthrough_order:
                passthrough_order.append(column)
    combined = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    combined = combined.select(schema.column_order(combined.columns))
    # Bought, rented or scraped addresses carry no consent: quarantined, never imported.
    from listclean.consent import no_consent_source

    bought = combined.select(no_consent_source(combined)).to_series()
    if bought.any():
        quarantined = combined.filter(bought)
        detail = pl.concat_str(pl.lit("source '"), pl.col("source").cast(pl.String), pl.lit("' is bought, rented or scraped: no consent to mail"))
        rejects.append(rows_as_rejects(quarantined, pl.lit("quarantined_source"), detail).with_columns(pl.lit("quarantined").alias("action")))
        combined = combined.filter(~bought)
    all_rejects = pl.concat(rejects, how="vertical") if rejects else _empty_rejects()
    return ImportResult(combined, all_rejects, reports)


def _import_one(source: Source, options: ImportOptions) -> tuple[pl.DataFrame, pl.DataFrame, SourceReport]:
    import polars as pl

    notices = list(source.notices)
    notes: list[str] = []
    mapping = map_columns(source.header, options.overrides, keep_provenance=source.has_provenance)
    if "email" not in mapping.fields:
        candidates = _email_like_columns(source.frame, [c for c in mapping.passthrough if c not in options.overrides])
        if candidates:
            mapping = map_columns(source.header, options.overrides, candidates, keep_provenance=source.has_provenance)
            notes.append(f"column {mapping.fields['email']!r} holds email addresses, so it is used as email")
    if "email" not in mapping.fields:
        notices.append("no email column found (map one with --map 'Column=email')")

    data_columns = [column for column in source.header if column not in schema.PROVENANCE]
    selected = [pl.col(ROW), pl.all_horizontal(pl.col(data_columns).is_null()).alias(_EMPTY)]
    selected += [pl.col(column).alias(target) for target, column in mapping.fields.items()]
    selected += [pl.col(column).cast(pl.Int64) if column == "_source_row" else pl.col(column) for column in mapping.carried]
    selected += [pl.col(column).alias(mapping.renamed.get(column, column)) for column in mapping.passthrough]
    if EXTRA_FIELDS in source.frame.collect_schema().names():
        selected.append(pl.col(EXTRA_FIELDS))  # surplus fields of rows repaired with --on-bad-rows keep
    frame = source.frame.select(selected)

    # listclean's own typed Parquet is standard already (standardising is idempotent), unless an
    # option asks to read it differently: skip the work, which is most of a re-read's cost.
    already_standard = source.canonical and not options.overrides and options.date_order == "auto" and (
        options.default_country is None and options.source_name is None
    )
    if already_standard:
        notes.append("listclean's own Parquet output: its columns are standard already and were not re-standardised")
    else:
        orders = _date_orders(frame, mapping, options, source.name, notices)
        frame = standardize(
            frame,
            StandardizeOptions(date_order=orders, default_country=options.default_country, source_name=options.source_name),
        )
    # Fields the source lacks are added after standardising, already typed: pushing dozens of
    # null columns through the cleaning expressions made the plan several times larger.
    names = frame.collect_schema().names()
    frame = frame.with_columns(
        pl.lit(None, dtype=schema.polars_dtype(schema.CANONICAL_TYPES[name])).alias(name)
        for name in schema.CANONICAL
        if name not in names
    )
    opt_out_columns = [mapping.renamed.get(column, column) for column in mapping.opt_out]
    frame = apply_opt_out(frame, opt_out_columns)
    frame = _status_from_export_name(frame, source, mapping, notes)
    if not source.has_provenance:
        frame = frame.with_columns(pl.lit(source.name).alias("_source_file"), pl.col(ROW).alias("_source_row"))
    frame = frame.drop(ROW)

    try:
        # In memory: the per-distinct-value UDFs work on whole columns there, on small morsels when streamed.
        table = frame.collect(engine="in-memory")
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot be read ({str(exc).strip().splitlines()[0]})", source=source.name) from None

    empty_rows = table.filter(pl.col(_EMPTY))
    table = table.filter(~pl.col(_EMPTY)).drop(_EMPTY)
    uninterpretable: dict[str, int] = {}
    for name in schema.INTERPRETED_FIELDS:
        raw = f"{name}{schema.RAW_SUFFIX}"
        if raw in table.columns:
            count = table[raw].is_not_null().sum()
            if count:
                uninterpretable[name] = int(count)
            else:
                table = table.drop(raw)
    if "email_raw" in table.columns:
        cleaned_emails = int(table["email_raw"].is_not_null().sum())
        if cleaned_emails:
            notes.append(f"{cleaned_emails} email cell(s) had stray spaces or invisible characters; cleaned, as typed in email_raw")
        else:
            table = table.drop("email_raw")
    for name, count in uninterpretable.items():
        notices.append(f"{count} {name} value(s) could not be interpreted; kept as typed in {name}{schema.RAW_SUFFIX}")

    row_key = "_source_row"
    reject_rows = [
        {
            "_source_file": source.name,
            "_source_row": bad.row,
            "_source_line": bad.line,
            "reason": bad.reason,
            "detail": bad.detail,
            "action": bad.action,
            "raw": bad.raw,
        }
        for bad in source.bad_rows
    ]
    for row in empty_rows.select(row_key).iter_rows():
        reject_rows.append(
            {
                "_source_file": source.name,
                "_source_row": row[0],
                "_source_line": None,
                "reason": "empty_row",
                "detail": "no value in any column",
                "action": "skipped",
                "raw": "",
            }
        )
    rejected = pl.DataFrame(reject_rows, schema=_reject_schema()) if reject_rows else _empty_rejects()
    skipped = sum(1 for row in reject_rows if row["action"] == "skipped")
    repaired = sum(1 for row in reject_rows if row["action"] == "kept")
    if repaired:
        notices.append(f"{repaired} bad row(s) repaired and kept (listed in the rejects file)")
    report = SourceReport(
        name=source.name,
        format=source.format,
        encoding=source.encoding,
        delimiter=source.delimiter,
        sheet=source.sheet,
        rows_in=table.height + skipped,
        rows_out=table.height,
        rejected=skipped,
        repaired=repaired,
        mapping=mapping,
        notices=notices,
        uninterpretable=uninterpretable,
        notes=notes,
    )
    return table, rejected, report


def _email_like_columns(frame: pl.LazyFrame, columns: list[str]) -> list[str]:
    """Columns whose first 1,000 non-empty values are mostly email addresses, best first."""
    if not columns:
        return []
    sample = frame.select(columns).head(1000).collect()
    scored = []
    for column in columns:
        values = sample[column].drop_nulls()
        if values.len() == 0:
            continue
        share = values.str.contains(_EMAIL_VALUE).mean()
        if share is not None and share >= 0.5:
            scored.append((-float(share), columns.index(column), column))
    return [column for _, _, column in sorted(scored)]


def _date_orders(
    frame: pl.LazyFrame, mapping: ColumnMapping, options: ImportOptions, name: str, notices: list[str]
) -> dict[str, str]:
    fields = [f for f in schema.DATETIME_FIELDS if f in mapping.fields]
    if options.date_order != "auto":
        return {f: options.date_order for f in fields}
    inferred = infer_date_orders(frame, {f: f for f in fields})
    orders: dict[str, str] = {}
    for target, order in inferred.items():
        if order is None:
            notices.append(
                f"dates in column {mapping.fields[target]!r} could be day- or month-first; read as month/day/year "
                "(pass --date-order dmy if that is wrong)"
            )
            order = "mdy"
        orders[target] = order
    return orders


def _status_from_export_name(frame: pl.LazyFrame, source: Source, mapping: ColumnMapping, notices: list[str]) -> pl.LazyFrame:
    """Mailchimp puts the status in the file name, not a column: fill consent_status from it."""
    import polars as pl

    if "consent_status" in mapping.fields:
        return frame
    status = None
    match = _MAILCHIMP_FILE.search(PurePath(source.name).name)
    if match:
        word = match.group(1).lower()
        status = {"nonsubscribed": "unsubscribed", "transactional": "unsubscribed"}.get(word, word)
    else:
        lowered = {column.lower() for column in source.header}
        status = next((value for column, value in _STATUS_COLUMNS.items() if column in lowered), None)
    if status is None:
        return frame
    notices.append(f"consent_status set to {status!r} from the Mailchimp export's name/columns")
    return frame.with_columns(pl.col("consent_status").fill_null(pl.lit(status)))


def _reject_schema() -> dict[str, pl.DataType]:
    import polars as pl

    return {
        "_source_file": pl.String,
        "_source_row": pl.Int64,
        "_source_line": pl.Int64,
        "reason": pl.String,
        "detail": pl.String,
        "action": pl.String,
        "raw": pl.String,
    }


def rows_as_rejects(rows: pl.DataFrame, reason: pl.Expr, detail: pl.Expr) -> pl.DataFrame:
    """Rows a step kept out of its output, as rejects-table rows (provenance, reason, detail, the email)."""
    import polars as pl

    def column(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name).cast(dtype) if name in rows.columns else pl.lit(None, dtype=dtype).alias(name)

    return rows.select(
        column("_source_file", pl.String),
        column("_source_row", pl.Int64),
        pl.lit(None, dtype=pl.Int64).alias("_source_line"),
        reason.alias("reason"),
        detail.alias("detail"),
        pl.lit("skipped").alias("action"),
        column("email", pl.String).fill_null("").alias("raw"),
    )


def _empty_rejects() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema=_reject_schema())
