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
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from listclean import schema, source_profiles
from listclean.columns import STREET_FIELDS, ColumnMapping, map_columns
from listclean.source_profiles import SourceProfile
from listclean.text import fold_key_expr
from listclean.errors import InputError
from listclean.io.read import BAD_ROW, EXTRA_FIELDS, ROW, ReadOptions, Source, Workspace, read_source
from listclean.stream.ledger import empty_rejects, reject_schema, rows_as_rejects, rows_with_action
from listclean.stream.ahead import mapped_ahead
from listclean.standardize import DateOrder, StandardizeOptions, apply_opt_out, infer_date_orders, standardize

if TYPE_CHECKING:
    import polars as pl


# Mailchimp's audience export is a zip of one CSV per status, named after it.
_MAILCHIMP_FILE = re.compile(r"(?i)(?:^|[_\-\s])(subscribed|unsubscribed|cleaned|pending|nonsubscribed|transactional)_members_export")
_STATUS_COLUMNS = {"unsub_time": "unsubscribed", "clean_time": "cleaned"}
_EMPTY = "__listclean_empty"
_EMAIL_VALUE = r"^\s*(?:mailto:)?[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+\s*$"
T = TypeVar("T")


@dataclass
class ImportOptions:
    read: ReadOptions = field(default_factory=ReadOptions)
    overrides: dict[str, str | None] = field(default_factory=dict)
    date_order: DateOrder = "auto"
    default_country: str | None = None
    source_name: str | None = None
    # Phrases of a source that says its addresses were bought (None: consent.BOUGHT_SOURCE_PHRASES; ()
    # quarantines nothing): such rows are quarantined.
    quarantine_sources: tuple[str, ...] | None = None
    # The run's clock (Runtime.open_inputs sets it): "today" for the plausible-birth-date rule.
    clock: Callable[[], datetime] | None = None


def reading_options(
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    header: bool | None = None,
    skip_lines: int | None = None,
    on_bad_rows: str = "error",
    mapping: Mapping[str, str | None] | Sequence[str] | None = None,
    date_order: str = "auto",
    default_country: str | None = None,
    source_name: str | None = None,
    quarantine_sources: Sequence[str] | None = None,
) -> ImportOptions:
    """How inputs are read and mapped, from options named like the command-line flags (the CLI,
    `listclean run` and the Python API all build them here). `mapping` is {"Column": "field"}
    (None leaves a column unmapped) or --map's 'Column=field' texts. `quarantine_sources`: the
    phrases of a bought-list source (None: the built-in ones; "none" or an empty list: none)."""
    from listclean.columns import parse_overrides
    from listclean.errors import UsageError
    from listclean.text import fold_key
    from listclean.vocabulary import country_lookup

    if on_bad_rows not in ("error", "skip", "keep"):
        raise UsageError(f"on_bad_rows {on_bad_rows!r}: use error, skip or keep")
    if skip_lines is not None and (isinstance(skip_lines, bool) or not isinstance(skip_lines, int) or skip_lines < 0):
        raise UsageError(f"skip_lines {skip_lines!r}: give a number of lines, 0 or more")
    if date_order not in ("auto", "mdy", "dmy"):
        raise UsageError(f"date_order {date_order!r}: use auto, mdy or dmy")
    country = None
    if default_country:
        country = country_lookup().get(fold_key(default_country))
        if country is None:
            raise UsageError(f"--default-country {default_country!r} is not a country", hint="use an ISO code such as PL or US")
    phrases = None
    if quarantine_sources is not None:
        from listclean.consent import check_source_phrases

        phrases = tuple(text for text in quarantine_sources if text.strip() and text.strip().lower() != "none")
        check_source_phrases(phrases)
    specs = [f"{column}={field or ''}" for column, field in mapping.items()] if isinstance(mapping, Mapping) else list(mapping or [])
    return ImportOptions(
        read=ReadOptions(delimiter=delimiter, encoding=encoding, sheet=sheet, header=header, skip_lines=skip_lines, on_bad_rows=on_bad_rows),  # type: ignore[arg-type]
        overrides=parse_overrides(specs),
        date_order=date_order,  # type: ignore[arg-type]
        default_country=country,
        source_name=source_name,
        quarantine_sources=phrases,
    )


@dataclass
class SourceReport:
    name: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    rows_in: int
    rows_out: int
    rejected: int  # skipped (empty, unreadable) and quarantined rows
    repaired: int
    mapping: ColumnMapping
    notices: list[str]  # things a person should check (guessed encodings, ambiguous dates, ...)
    uninterpretable: dict[str, int]
    notes: list[str] = field(default_factory=list)  # informational: decisions taken from the data
    cleaned_emails: int = 0  # email cells whose text was cleaned (kept as typed in email_raw)
    quarantined: int = 0  # rows from a bought, rented or scraped source (counted in rejected)
    profile: str | None = None  # the platform export the header was recognised as (source_profiles.py)

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
            "quarantined": self.quarantined,
            "profile": self.profile,
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
        return rows_with_action(self.rejects, "skipped", "quarantined")

    @property
    def quarantined(self) -> int:
        return rows_with_action(self.rejects, "quarantined")


def import_sources(paths: list[str], options: ImportOptions, workspace: Workspace) -> ImportResult:
    """Read, map and standardise every source; return the combined table and its rejects."""
    import polars as pl

    stream = ImportStream(paths, options, workspace)
    frames = list(stream)
    combined = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    return ImportResult(combined.select(stream.columns()), stream.rejects(), stream.sources)


def unused_raw_columns(sources: Sequence[SourceReport]) -> set[str]:
    """The `_raw` columns no source needed (every value of the field read, no address cleaned):
    left out of the output, whichever source's chunks carried them."""
    cleaned = sum(report.cleaned_emails for report in sources)
    return {
        f"{name}{schema.RAW_SUFFIX}"
        for name in (*schema.INTERPRETED_FIELDS, "email")
        if not any(report.uninterpretable.get(name) for report in sources) and not (name == "email" and cleaned)
    }


class ImportStream:
    """The sources imported a chunk of rows at a time, so a large file never sits in memory whole.

    Iterating yields standardised chunks in input order. Decisions that need the whole
    file (which column holds the addresses, the date order) are taken before the first
    chunk; what a chunk drops (empty rows, bought sources) goes to `rejects()`. After the
    last chunk, `sources` holds the per-file reports and `columns()` the output's columns
    (an `_raw` column no chunk needed is left out).
    """

    def __init__(self, paths: list[str], options: ImportOptions, workspace: Workspace, names: dict[str, str] | None = None) -> None:
        self.paths = paths
        self.options = options
        self.workspace = workspace
        self.names = names or {}  # a display name for a path (the Python API's "<frame>" for a spooled frame)
        self.sources: list[SourceReport] = []
        self._rejects: list[pl.DataFrame] = []
        self._order: list[str] = []
        self._unused_raw: set[str] | None = None

    def __iter__(self) -> Iterator[pl.DataFrame]:
        import polars as pl

        from listclean.consent import no_consent_source

        for path in self.paths:
            source = read_source(path, self.options.read, self.workspace)
            source.name = self.names.get(path, source.name)
            plan = _plan(source, self.options)
            tally = _Tally()
            first_rejects = len(self._rejects)
            # Two chunks are standardised at once (see mapped_ahead); their counts add up in order.
            # listclean's own Parquet needs no standardising: one at a time, one chunk less held.
            def standardise(numbered: tuple[int, pl.LazyFrame], plan: _Plan = plan, source: Source = source) -> tuple[pl.DataFrame, pl.DataFrame, _Tally]:
                return _import_chunk(numbered[1], plan, source, first=numbered[0] == 0)

            with mapped_ahead(standardise, enumerate(source.chunks()), workers=1 if source.canonical else 2) as standardised:
                for table, empty_rows, counts in standardised:
                    tally.add(counts)
                    self._rejects.append(_empty_row_rejects(source.name, empty_rows))
                    # Bought, rented or scraped addresses carry no consent: quarantined, never imported.
                    bought = table.select(no_consent_source(table, self.options.quarantine_sources)).to_series()
                    if bought.any():
                        quarantined = table.filter(bought)
                        detail = pl.concat_str(pl.lit("source '"), pl.col("source").cast(pl.String), pl.lit("' says the addresses were bought, rented or scraped: no consent to mail (--quarantine-source sets the phrases)"))
                        self._rejects.append(rows_as_rejects(quarantined, pl.lit("quarantined_source"), detail).with_columns(pl.lit("quarantined").alias("action")))
                        table = table.filter(~bought)
                        tally.quarantined += quarantined.height
                    for column in table.columns:
                        if column not in self._order:
                            self._order.append(column)
                    yield table.select(schema.column_order(table.columns))
                    del table
            # Bad rows first (a large file's are found as its chunks are read).
            self._rejects.insert(first_rejects, _bad_row_rejects(source))
            self.sources.append(_report(source, plan, tally))
        self._unused_raw = unused_raw_columns(self.sources)

    def expected_rows(self) -> int | None:
        """About how many rows the inputs hold, for a progress display (None: not known for
        one of them: stdin, a compressed file, a spreadsheet); see io.read.estimated_rows."""
        from listclean.io.read.registry import estimated_rows

        total = 0
        for path in self.paths:
            rows = estimated_rows(path)
            if rows is None:
                return None
            total += rows
        return total

    def replayable(self) -> bool:
        """Whether a later pass can read the inputs again (`again`) instead of keeping their rows:
        every input is listclean's own Parquet, read as it is — a read, where keeping a large
        list's rows means writing them to disk and reading them back."""
        from listclean.io.read import is_listclean_parquet

        options = self.options
        reads_as_is = not options.overrides and options.date_order == "auto" and options.default_country is None and options.source_name is None
        return reads_as_is and options.read.format in (None, "parquet") and all(is_listclean_parquet(path) for path in self.paths)

    def again(self) -> ImportStream:
        """A fresh stream over the same inputs: the same chunks, in the same order (see `replayable`)."""
        return ImportStream(self.paths, self.options, self.workspace, self.names)

    def columns(self) -> list[str]:
        """The output's columns, in listclean's order (known once every chunk is read)."""
        return self.output_columns(self._order)

    def output_columns(self, seen: list[str]) -> list[str]:
        """A later step's columns (`seen` over its chunks) in order, less the `_raw` ones no chunk used."""
        if self._unused_raw is None:
            raise RuntimeError("the output's columns are known only after the last chunk")
        return schema.column_order([column for column in seen if column not in self._unused_raw])

    def rejects(self) -> pl.DataFrame:
        import polars as pl

        parts = [part for part in self._rejects if part.height]
        return pl.concat(parts, how="vertical") if parts else empty_rejects()

    @property
    def rows_in(self) -> int:
        """Rows read from every source (after the last chunk)."""
        return sum(source.rows_in for source in self.sources)

    @property
    def rejected(self) -> int:
        """Rows the import kept out of its output: empty, unreadable or quarantined."""
        return rows_with_action(self.rejects(), "skipped", "quarantined")


@dataclass
class InputPlan:
    """How import would read one input, decided from the file before any row is written (what
    `listclean init` shows and writes a starter configuration from)."""

    name: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header: list[str]
    mapping: ColumnMapping
    profile: str | None  # the platform export recognised from the header
    date_orders: dict[str, str]  # date field -> the day/month order its values are read in
    ambiguous_dates: list[str]  # date fields whose values leave the order open (read month-first)
    national_phones: float | None  # share of phone numbers without a country code, when no country column says whose
    notices: list[str]
    notes: list[str]


def describe_inputs(paths: Sequence[str], options: ImportOptions, workspace: Workspace) -> list[InputPlan]:
    """Per input, how import would read it: format, encoding, delimiter, the column mapping, the
    platform recognised, date orders and what a person should check. Reads the header, a sample
    and (for the date order) the date columns; writes nothing."""
    import polars as pl

    plans = []
    for path in paths:
        source = read_source(path, options.read, workspace)
        plan = _plan(source, options)
        national = None
        phone = plan.mapping.fields.get("phone")
        if phone is not None and "country" not in plan.mapping.fields:
            numbers = source.frame.select(pl.col(phone).cast(pl.String).str.strip_chars()).head(10_000).collect().to_series().drop_nulls()
            numbers = numbers.filter(numbers.str.contains(r"\d"))
            if numbers.len():
                national = float((~numbers.str.contains(r"^(\+|00)")).mean() or 0.0)
        orders = plan.standardize.date_order if plan.standardize is not None else {}
        plans.append(
            InputPlan(
                name=source.name, format=source.format, encoding=source.encoding, delimiter=source.delimiter, sheet=source.sheet,
                header=list(source.header), mapping=plan.mapping, profile=plan.profile.label if plan.profile is not None else None,
                date_orders=dict(orders), ambiguous_dates=list(plan.ambiguous_dates), national_phones=national,
                notices=list(plan.notices), notes=list(plan.notes),
            )  # fmt: skip
        )
    return plans


@dataclass
class _Plan:
    mapping: ColumnMapping
    selected: list[pl.Expr]
    standardize: StandardizeOptions | None  # None: listclean's own Parquet, standard already
    opt_out_columns: list[str]
    notices: list[str]
    notes: list[str]
    profile: SourceProfile | None = None  # the platform export recognised from the header
    signals: list[pl.Expr] = field(default_factory=list)  # per signal column, the status it gives a row
    bad_row_reasons: bool = False  # --on-bad-rows keep on a file with bad records: every chunk carries BAD_ROW
    ambiguous_dates: list[str] = field(default_factory=list)  # date fields whose day/month order the values leave open


@dataclass
class _Tally:
    chunks: int = 0
    rows: int = 0
    empty: int = 0
    uninterpretable: dict[str, int] = field(default_factory=dict)
    cleaned_emails: int = 0
    quarantined: int = 0

    def add(self, other: _Tally) -> None:
        """Another chunk's counts added to these."""
        self.chunks += other.chunks
        self.rows += other.rows
        self.empty += other.empty
        for name, count in other.uninterpretable.items():
            self.uninterpretable[name] = self.uninterpretable.get(name, 0) + count
        self.cleaned_emails += other.cleaned_emails
        self.quarantined += other.quarantined


def _plan(source: Source, options: ImportOptions) -> _Plan:
    """What every chunk of the source goes through: decided once, from the whole file."""
    import polars as pl

    notices = list(source.notices)
    notes: list[str] = []
    profile = None if source.has_provenance or source.canonical else source_profiles.detect(source.header)
    overrides = dict(options.overrides)
    if profile is not None:
        overrides = source_profiles.overrides(profile, source.header, overrides)
        notes.append(f"recognised as a {profile.label}: its columns are read as that platform means them")
    overrides, not_consent = _weak_consent(source, overrides, notices)
    mapping = map_columns(source.header, overrides, keep_provenance=source.has_provenance)
    if "email" not in mapping.fields:
        street = [mapping.fields[name] for name in STREET_FIELDS if name in mapping.fields]
        candidates = _email_like_columns(source.frame, [c for c in [*mapping.passthrough, *street] if c not in options.overrides])
        if candidates:
            mapping = map_columns(source.header, overrides, candidates, keep_provenance=source.has_provenance)
            notes.append(f"column {mapping.fields['email']!r} holds email addresses, so it is used as email")
    if "email" not in mapping.fields:
        notices.append("no email column found (map one with --map 'Column=email')")
    if mapping.opt_out_addresses is not None:
        notices.append(f"column {mapping.opt_out_addresses!r} holds the addresses: used as email, and every contact in it is marked unsubscribed")

    data_columns = [column for column in source.header if column not in schema.PROVENANCE]
    # Empty: no value at all, or (in delimited text) a line of blank space, which reads as blank
    # space in the first column. One pass over the columns; the blank-space test only where such a
    # line can be (typed and listclean's own inputs have none; it cost 0.2 GB on a 1M-row Parquet).
    empty = pl.all_horizontal(pl.col(data_columns).is_null())
    if data_columns and source.format in ("csv", "tsv"):
        first, rest = pl.col(data_columns[0]), data_columns[1:]
        only_space = ~first.str.contains(r"\S")  # a regex stops at the first letter: no copy of the column
        empty = (pl.all_horizontal(pl.col(rest).is_null()) if rest else pl.lit(True)) & (first.is_null() | only_space)
    selected = [pl.col(ROW), empty.alias(_EMPTY)]
    selected += [_field_expression(source, profile, mapping, target, column) for target, column in mapping.fields.items()]
    selected += [pl.col(column).cast(pl.Int64) if column == "_source_row" else pl.col(column) for column in mapping.carried]
    selected += [pl.col(column).alias(mapping.renamed.get(column, column)) for column in mapping.passthrough]
    if EXTRA_FIELDS in source.frame.collect_schema().names() and EXTRA_FIELDS not in source.header:
        # (a file listclean wrote with them has the column already: it passes through, once)
        selected.append(pl.col(EXTRA_FIELDS))  # surplus fields of rows repaired with --on-bad-rows keep

    # listclean's own typed Parquet is standard already (standardising is idempotent), unless an
    # option asks to read it differently: skip the work, which is most of a re-read's cost.
    already_standard = source.canonical and not options.overrides and options.date_order == "auto" and (
        options.default_country is None and options.source_name is None
    )
    standardize_options, ambiguous = None, []
    if already_standard:
        notes.append("listclean's own Parquet output: its columns are standard already and were not re-standardised")
    else:
        orders, ambiguous = _date_orders(source.frame.select(selected), mapping, options, notices)
        today = options.clock().date() if options.clock is not None else None
        standardize_options = StandardizeOptions(
            date_order=orders, default_country=options.default_country, source_name=options.source_name, today=today
        )
    opt_out_columns = [mapping.renamed.get(column, column) for column in mapping.opt_out]
    signals = []
    if not_consent is not None and not_consent in mapping.passthrough:  # its unsubscribes and bounces still stop mailing
        signals.append(source_profiles.suppressing_values(mapping.renamed.get(not_consent, not_consent)))
    if profile is not None:
        frame_names = {column: mapping.renamed.get(column, column) for column in mapping.passthrough}
        signals += source_profiles.signal_expressions(profile, frame_names)
        if profile.status_values and "consent_status" in mapping.fields:
            status_words = {source_profiles.fold_key(word): status or "" for word, status in profile.status_values.items()}
            original = pl.col(mapping.fields["consent_status"]).cast(pl.String)
            selected.append(fold_key_expr(original).replace_strict(status_words, default=None, return_dtype=pl.String).alias(_PROFILE_STATUS))
    bad_row_reasons = source.may_have_bad_rows and options.read.on_bad_rows == "keep"
    return _Plan(mapping, selected, standardize_options, opt_out_columns, notices, notes, profile, signals, bad_row_reasons, ambiguous)


_PROFILE_STATUS = "__listclean_profile_status"  # a status word of the platform's own vocabulary ("" = no consent either way)


def _field_expression(source: Source, profile: SourceProfile | None, mapping: ColumnMapping, target: str, column: str) -> pl.Expr:
    """The column that feeds a field: as it is; or, for a profile, the first non-empty of its
    fallback columns row by row, or a multi-value cell split on the platform's separator."""
    import polars as pl

    group = source_profiles.fallback_columns(profile, source.header, mapping.fields).get(target)
    if group:
        texts = [pl.col(name).cast(pl.String) for name in group]
        return pl.coalesce([pl.when(text.str.strip_chars().str.len_chars() > 0).then(text) for text in texts]).alias(target)
    if profile is not None and profile.separator and target in ("tags", "email"):
        parts = pl.col(column).cast(pl.String).str.split(profile.separator)
        if target == "email":  # the first address is the contact's; the cell as typed stays in email_raw
            return parts.list.first().alias(target)
        # Tags: one per part; Google's system groups ("* myContacts", "* starred") are not tags.
        return parts.list.eval(pl.element().filter(~pl.element().str.strip_chars().str.starts_with("*"))).list.join(";").alias(target)
    return pl.col(column).alias(target)


def _weak_consent(source: Source, overrides: dict[str, str | None], notices: list[str]) -> tuple[dict[str, str | None], str | None]:
    """A column that only a weak generic header (Status, Member Status, State) makes consent is
    consent only when its values are consent words: Stripe's active/canceled/past_due and a CRM's
    Active/Inactive are billing or lifecycle states, and reading them as subscribed would mail
    people who never opted in. Such a column is kept as an unknown column, with a notice, and
    read only for the values that stop mailing (Unsubscribed, Bounced): returns the overrides and
    that column (None when there is none)."""
    import polars as pl

    from listclean.columns import header_key

    mapping = map_columns(source.header, overrides, keep_provenance=source.has_provenance)
    column = mapping.fields.get("consent_status")
    if column is None or column in overrides or header_key(column) not in source_profiles.WEAK_CONSENT_HEADERS:
        return overrides, None
    sample = source.frame.select(pl.col(column)).head(100_000).collect()[column]
    share = source_profiles.consent_values_share(sample)
    if share >= source_profiles.CONSENT_SHARE:
        return overrides, None
    examples = ", ".join(str(value) for value in sample.drop_nulls().unique(maintain_order=True).head(3).to_list())
    notices.append(
        f"column {column!r} is not read as consent: its values ({examples} …) are not consent words, so it is kept as it is"
        f" and only its unsubscribes, bounces and complaints stop mailing (--map '{column}=consent_status' to read it as consent)"
    )
    return {**overrides, column: None}, column


def _import_chunk(chunk: pl.LazyFrame, plan: _Plan, source: Source, *, first: bool) -> tuple[pl.DataFrame, pl.DataFrame, _Tally]:
    """One chunk standardised: (the rows, the empty rows' provenance, its counts). The first
    chunk of a source adds the plan's notices that come from the data."""
    import polars as pl

    tally = _Tally()

    frame = chunk.select(plan.selected)
    if plan.standardize is not None:
        frame = standardize(frame, plan.standardize)
    # Fields the source lacks are added after standardising, already typed: pushing dozens of
    # null columns through the cleaning expressions made the plan several times larger.
    names = frame.collect_schema().names()
    frame = frame.with_columns(
        pl.lit(None, dtype=schema.polars_dtype(schema.CANONICAL_TYPES[name])).alias(name)
        for name in schema.CANONICAL
        if name not in names
    )
    frame = apply_opt_out(frame, plan.opt_out_columns)
    if _PROFILE_STATUS in names:  # the platform's own status words, before the generic reading
        word = pl.col(_PROFILE_STATUS)
        frame = frame.with_columns(
            pl.when(word == "").then(pl.lit(None, dtype=pl.String)).when(word.is_not_null()).then(word).otherwise(pl.col("consent_status")).alias("consent_status")
        ).drop(_PROFILE_STATUS)
    if plan.signals:  # a bounce, a quarantine, a suppression: stronger than what the consent column says
        before, after = pl.col("consent_status"), source_profiles.strongest(pl.col("consent_status"), plan.signals)
        changed = (after.is_not_null() & (before.is_null() | (before != after))).fill_null(False)
        # The status changed: its date is not the consent's any more (undated churn, not misdated).
        frame = frame.with_columns(after.alias("consent_status"), pl.when(changed).then(None).otherwise(pl.col("consent_at")).alias("consent_at"))
    if plan.mapping.opt_out_addresses is not None:  # every address in a "Do Not Email" column is opted out
        status = pl.col("consent_status")
        weaker = status.is_null() | status.is_in(["subscribed", "pending"])
        frame = frame.with_columns(pl.when(pl.col("email").is_not_null() & weaker).then(pl.lit("unsubscribed")).otherwise(status).alias("consent_status"))
    tally.chunks += 1
    frame = _status_from_export_name(frame, source, plan.mapping, plan.notices if first else [])
    if not source.has_provenance:
        frame = frame.with_columns(pl.lit(source.name).alias("_source_file"), pl.col(ROW).alias("_source_row"))
    if plan.bad_row_reasons:  # (a chunk's bad rows are found when it is read, before it gets here)
        frame = _with_bad_row_reasons(frame, source)
    frame = frame.drop(ROW)

    try:
        # In memory: the per-distinct-value UDFs work on whole columns there, on small morsels when streamed.
        table = frame.collect(engine="in-memory")
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot be read ({str(exc).strip().splitlines()[0]})", source=source.name) from None

    empty_rows = table.filter(pl.col(_EMPTY)).select("_source_row")
    table = table.filter(~pl.col(_EMPTY)).drop(_EMPTY)
    tally.rows += table.height
    tally.empty += empty_rows.height
    for name in schema.INTERPRETED_FIELDS:
        raw = f"{name}{schema.RAW_SUFFIX}"
        if raw in table.columns:
            tally.uninterpretable[name] = tally.uninterpretable.get(name, 0) + int(table[raw].is_not_null().sum())
    if "email_raw" in table.columns:
        tally.cleaned_emails += int(table["email_raw"].is_not_null().sum())
    return table, empty_rows, tally


def _empty_row_rejects(name: str, empty_rows: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return empty_rows.select(
        pl.lit(name).alias("_source_file"),
        pl.col("_source_row").cast(pl.Int64),
        pl.lit(None, dtype=pl.Int64).alias("_source_line"),
        pl.lit("empty_row").alias("reason"),
        pl.lit("no value in any column").alias("detail"),
        pl.lit("skipped").alias("action"),
        pl.lit("").alias("raw"),
    )


def _with_bad_row_reasons(frame: pl.LazyFrame, source: Source) -> pl.LazyFrame:
    """BAD_ROW on every row --on-bad-rows keep repaired (the reason code the rejects file lists
    beside its raw text), null on the others; a re-read listclean output keeps the reasons it has."""
    import polars as pl

    repaired = {bad.row: bad.reason for bad in source.bad_rows if bad.action == "kept" and bad.row is not None}
    found = pl.col(ROW).replace_strict(repaired, default=None, return_dtype=pl.String) if repaired else pl.lit(None, dtype=pl.String)
    earlier = pl.col(BAD_ROW) if BAD_ROW in frame.collect_schema().names() else pl.lit(None, dtype=pl.String)
    return frame.with_columns(pl.coalesce(found, earlier).alias(BAD_ROW))


def _bad_row_rejects(source: Source) -> pl.DataFrame:
    import polars as pl

    rows = [
        {"_source_file": source.name, "_source_row": bad.row, "_source_line": bad.line, "reason": bad.reason, "detail": bad.detail, "action": bad.action, "raw": bad.raw}
        for bad in source.bad_rows
    ]
    return pl.DataFrame(rows, schema=reject_schema()) if rows else empty_rejects()


def _report(source: Source, plan: _Plan, tally: _Tally) -> SourceReport:
    notices, notes = list(plan.notices), list(plan.notes)
    if tally.cleaned_emails:
        notes.append(f"{tally.cleaned_emails} email cell(s) had stray spaces or invisible characters; cleaned, as typed in email_raw")
    uninterpretable = {name: count for name, count in tally.uninterpretable.items() if count}
    for name, count in uninterpretable.items():
        if name == "consent_status":  # unknown consent: the one uninterpretable value that decides who may be mailed
            notices.append(
                f"{count} consent_status value(s) not understood (unknown consent), kept as typed in consent_status_raw:"
                " never exported to a platform or audience unless export --consent-policy subscribed+unknown"
            )
            continue
        notices.append(f"{count} {name} value(s) could not be interpreted; kept as typed in {name}{schema.RAW_SUFFIX}")
    skipped = tally.empty + sum(1 for bad in source.bad_rows if bad.action == "skipped")
    repaired = sum(1 for bad in source.bad_rows if bad.action == "kept")
    if repaired:
        notices.append(f"{repaired} bad row(s) repaired and kept (listed in the rejects file)")
    return SourceReport(
        name=source.name,
        format=source.format,
        encoding=source.encoding,
        delimiter=source.delimiter,
        sheet=source.sheet,
        rows_in=tally.rows + skipped,
        rows_out=tally.rows - tally.quarantined,
        rejected=skipped + tally.quarantined,
        repaired=repaired,
        mapping=plan.mapping,
        notices=notices,
        uninterpretable=uninterpretable,
        notes=notes,
        cleaned_emails=tally.cleaned_emails,
        quarantined=tally.quarantined,
        profile=plan.profile.name if plan.profile is not None else None,
    )


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


def _date_orders(frame: pl.LazyFrame, mapping: ColumnMapping, options: ImportOptions, notices: list[str]) -> tuple[dict[str, str], list[str]]:
    """Per date field, the day/month order its values are read in, and the fields whose values
    leave it open (read month-first, with a notice)."""
    import polars as pl

    fields = [f for f in (*schema.DATE_FIELDS, *schema.DATETIME_FIELDS) if f in mapping.fields]
    if options.date_order != "auto":
        return {f: options.date_order for f in fields}, []
    # Only text has an order to infer: a typed column (listclean's own Parquet read with another
    # option, a Parquet export with real dates) is a date already.
    types = frame.collect_schema()
    inferred = infer_date_orders(frame, {f: f for f in fields if types[f] in (pl.String, pl.Categorical, pl.Null)})
    orders: dict[str, str] = {}
    ambiguous: list[str] = []
    for target, order in inferred.items():
        if order is None:
            notices.append(
                f"dates in column {mapping.fields[target]!r} could be day- or month-first; read as month/day/year "
                "(pass --date-order dmy if that is wrong)"
            )
            order = "mdy"
            ambiguous.append(target)
        orders[target] = order
    return orders, ambiguous


def _status_from_export_name(frame: pl.LazyFrame, source: Source, mapping: ColumnMapping, notices: list[str]) -> pl.LazyFrame:
    """Mailchimp puts the status in the file name, not a column: fill consent_status from it; else
    a row with an UNSUB_TIME (CLEAN_TIME) is unsubscribed (cleaned). Only a row that has one: a
    members export whose header merely has the column keeps its active members. Either way that
    time, not the opt-in, is the churned row's consent_at."""
    import polars as pl

    from listclean.standardize import parse_datetime

    if "consent_status" in mapping.fields:
        return frame
    names = frame.collect_schema().names()
    churn, when = pl.lit(None, dtype=pl.String), pl.lit(None, dtype=schema.polars_dtype("datetime"))
    found = []
    for column in source.header:
        status = _STATUS_COLUMNS.get(column.lower())
        name = mapping.renamed.get(column, column)
        if status is None or column not in mapping.passthrough or name not in names:
            continue
        text = pl.col(name).cast(pl.String).str.strip_chars()
        dated = (text.str.len_bytes() > 0).fill_null(False)
        churn = pl.when(dated).then(pl.lit(status)).otherwise(churn)
        when = pl.when(dated).then(parse_datetime(text)).otherwise(when)
        found.append(column)
    match = _MAILCHIMP_FILE.search(PurePath(source.name).name)
    if match:
        word = match.group(1).lower()
        # Non-subscribed (transactional) contacts never opted in, nor out: their consent is unknown.
        named = {"nonsubscribed": None, "transactional": None}.get(word, word)
        if named is not None:
            notices.append(f"consent_status set to {named!r} from the Mailchimp export's name")
        status = pl.col("consent_status").fill_null(pl.lit(named, dtype=pl.String))
    elif found:
        notices.append(f"consent_status set from {', '.join(found)} where a row has one (Mailchimp), dated by it")
        status = pl.col("consent_status").fill_null(churn)
    else:
        return frame
    churned = status.is_in(["unsubscribed", "cleaned"]).fill_null(False)
    return frame.with_columns(
        status.alias("consent_status"),
        # The churn's own time is the status's date, not the opt-in the standardiser put there.
        # Without one it is undated, unless the file has a consent date of its own.
        pl.when(churned & when.is_not_null()).then(when)
        .when(churned & pl.lit("consent_at" not in mapping.fields)).then(pl.lit(None, dtype=schema.polars_dtype("datetime")))
        .otherwise(pl.col("consent_at")).alias("consent_at"),
    )


