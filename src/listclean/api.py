"""The Python API: every step on Polars frames or files, without a subprocess.

    import listclean

    contacts, report = listclean.read(["crm.csv", "shop.xlsx"], default_country="PL")
    checked, report = listclean.validate(contacts, fix_typos=True)
    golden, report = listclean.dedupe(checked, match="fuzzy")

Each function takes `data` — a Polars DataFrame or LazyFrame (raw or already canonical), a
path, or a list of paths — runs the same library step the command line runs, and returns the
resulting DataFrame with the step's report. Rows the step kept out of its output are on
`report.rejects` (a DataFrame with the rejects file's columns). Options are the command's
flags as keyword arguments (underscored). Pass `runtime=Runtime(...)` to set the chunk size,
memory budget, clock or a reporter; by default a quiet runtime is made and cleaned up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import polars as pl

from listclean.consent import ConsentRules
from listclean.errors import UsageError
from listclean.importer import ImportOptions, ImportStream, reading_options
from listclean.runtime import Runtime
from listclean.stream.sink import FrameSink

if TYPE_CHECKING:
    from listclean.steps.decay import DecayStepReport
    from listclean.steps.dedupe import DedupeStepReport
    from listclean.steps.export import ExportReport
    from listclean.steps.importing import ImportReport
    from listclean.steps.segment import SegmentReport
    from listclean.steps.validate import ValidateReport

Data = Union[pl.DataFrame, pl.LazyFrame, str, PathLike, Sequence[Union[str, PathLike]]]
FRAME_NAME = "<frame>"  # the _source_file of rows that came from a frame without provenance


def read(
    data: Data,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    header: bool | None = None,
    skip_lines: int | None = None,
    on_bad_rows: str = "error",
    mapping: Mapping[str, str | None] | None = None,
    date_order: str = "auto",
    default_country: str | None = None,
    source_name: str | None = None,
    quarantine_sources: Sequence[str] | None = None,
    store: str | None = None,
    runtime: Runtime | None = None,
) -> tuple[pl.DataFrame, ImportReport]:
    """Read messy exports (files or a frame) into canonical contacts: `listclean import`.

    `mapping` maps input columns to canonical fields ({"E-Mail": "email"}; None leaves a column
    unmapped). Returns the contacts and an `ImportReport` (per-file reports in `.sources`,
    counts in `.counts`, rejected rows in `.rejects`).
    """
    from listclean.steps.importing import ImportStepOptions, import_step

    reading = reading_options(
        delimiter=delimiter, encoding=encoding, sheet=sheet, header=header, skip_lines=skip_lines, on_bad_rows=on_bad_rows,
        mapping=mapping, date_order=date_order, default_country=default_country, source_name=source_name,
        quarantine_sources=quarantine_sources,
    )  # fmt: skip
    with _runtime(runtime) as run, run.scope():
        return _call(import_step, data, ImportStepOptions(store=store), run, reading)


def validate(
    data: Data,
    *,
    fix_typos: bool = False,
    suppress: str | Sequence[str] = (),
    store: str | None = None,
    drop: str | Sequence[str] = (),
    fail_on: str | Sequence[str] = (),
    runtime: Runtime | None = None,
    **reading: Any,
) -> tuple[pl.DataFrame, ValidateReport]:
    """Judge every address (syntax, typos, domain, disposable, role, suppression): `listclean validate`.

    Adds email_normalized, email_status, email_reasons and email_suggestion; rows whose status is
    in `drop` go to `report.rejects`. `fail_on` thresholds ("invalid>5%") are checked and listed
    in `report.failures` (nothing is raised). `suppress` takes suppression-list files.
    """
    from listclean.email.reasons import REASONS, STATUS_ORDER
    from listclean.steps.validate import ValidateStepOptions, validate_step
    from listclean.thresholds import parse_thresholds

    options = ValidateStepOptions(
        fix_typos=fix_typos,
        suppress=_texts(suppress),
        store=store,
        drop=_texts(drop),
        thresholds=parse_thresholds(_texts(fail_on), [*STATUS_ORDER, *REASONS]),
    )
    with _runtime(runtime) as run, run.scope():
        return _call(validate_step, data, options, run, reading_options(**reading))


def dedupe(
    data: Data,
    *,
    match: str = "fuzzy",
    threshold: float = 0.9,
    review_threshold: float = 0.5,
    birth_dates: str = "auto",
    labels: str | None = None,
    review: bool = False,
    model: str | None = None,
    save_model: str | None = None,
    name_threshold: float = 0.88,
    strong_name_threshold: float = 0.93,
    email_threshold: float = 0.9,
    max_block_size: int = 50,
    max_cluster_size: int = 25,
    trust: str | Sequence[str] = (),
    against: Data | None = None,
    explain: bool = False,
    explain_all: bool = False,
    runtime: Runtime | None = None,
    **reading: Any,
) -> tuple[pl.DataFrame, DedupeStepReport]:
    """Find the same person across rows and merge each into one golden record: `listclean dedupe`.

    `match` is exact, canonical or fuzzy. With `against` (an earlier dedupe output: a frame or a
    path) the rows are matched into its clusters, keeping their ids, and the updated master is
    returned. `report.clusters` maps every row (_source_file, _source_row) to its cluster_id and
    is_survivor; with `explain`, `report.pairs` holds the compared pairs with each field's
    agreement and weight, the match probability, rule and reason (`explain_all`: every compared
    pair, not only matches and near misses). Fuzzy matching learns its weights from the list
    (`report.dedupe.model`); pairs at or above `threshold` are one person; with `review`,
    `report.review` holds the pairs between `review_threshold` and `threshold` for a person to
    label, and `labels` (the path of such a file, labelled) decides those pairs and teaches the
    model. `model`: a file an earlier run wrote with `save_model` (its weights are used, not
    learned). `birth_dates`: strict (two different birth dates are two people), weighed, or auto (strict unless
    the list's own duplicates often disagree on them).
    """
    from listclean.steps.dedupe import DedupeStepOptions, dedupe_step

    options = DedupeStepOptions(
        match=match, threshold=threshold, review_threshold=review_threshold, birth_dates=birth_dates, labels=labels, model=model, save_model=save_model,
        name_threshold=name_threshold, strong_name_threshold=strong_name_threshold, email_threshold=email_threshold,
        max_block_size=max_block_size, max_cluster_size=max_cluster_size, trust=_texts(trust), explain_all=explain_all,
    )  # fmt: skip
    with _runtime(runtime) as run, run.scope():
        how = reading_options(**reading)
        source = source_of(data, how, run)
        master = source_of(against, how, run) if against is not None else None
        sink, rejects, clusters = FrameSink(), FrameSink(), FrameSink()
        pairs = FrameSink() if explain or explain_all else None
        uncertain = FrameSink() if review else None
        report = dedupe_step(source, options, sink, run, rejects=rejects, clusters=clusters, explain=pairs, review=uncertain, master=master)
        report.rejects, report.clusters = rejects.frame, clusters.frame
        report.pairs = pairs.frame if pairs is not None else None
        report.review = uncertain.frame if uncertain is not None else None
        return sink.frame, report


def segment(
    data: Data,
    *,
    rules: str | None = None,
    where: str | None = None,
    name: str = "selected",
    multi: bool = False,
    rfm: bool = False,
    lifecycle: bool = False,
    new_days: int = 30,
    active_days: int = 90,
    at_risk_days: int = 180,
    dormant_days: int = 365,
    as_of: date | datetime | str | None = None,
    include_unmailable: bool = False,
    runtime: Runtime | None = None,
    **reading: Any,
) -> tuple[pl.DataFrame, SegmentReport]:
    """Label contacts with segments (a rules file or a `where` SQL expression), RFM scores and
    lifecycle stages: `listclean segment`. Every row is kept; the report holds the counts
    (`report.labels.tables`) and the date they were taken against (`report.as_of`)."""
    from listclean.runtime import parse_as_of
    from listclean.steps.segment import SegmentStepOptions, segment_step

    options = SegmentStepOptions(
        rules=rules, where=where, name=name, multi=multi, rfm=rfm, lifecycle=lifecycle, new_days=new_days, active_days=active_days,
        at_risk_days=at_risk_days, dormant_days=dormant_days, as_of=parse_as_of(as_of), include_unmailable=include_unmailable,
    )  # fmt: skip
    with _runtime(runtime) as run, run.scope():
        return _call(segment_step, data, options, run, reading_options(**reading))


def decay_report(
    data: Data,
    *,
    as_of: date | datetime | str | None = None,
    months: int = 12,
    benchmark: float = 2.1,
    sunset_days: int = 180,
    sunset_min_age: int = 90,
    lapse_days: int = 180,
    bounce_limit: float = 1.0,
    complaint_limit: float = 0.1,
    implied_days: int = ConsentRules.purchase_days,
    inquiry_days: int = ConsentRules.inquiry_days,
    no_validate: bool = False,
    fail_on: str | Sequence[str] = (),
    runtime: Runtime | None = None,
    **reading: Any,
) -> DecayStepReport:
    """How stale the list is and how fast it decays: `listclean decay-report`.

    Percentages as the flags take them (benchmark=2.1 means 2.1 %/month). Returns the report:
    `.as_dict()` is the --json document, `.measured` its typed sections, `.failures` the
    `fail_on` thresholds crossed, `.sunset_candidates` the rows to sunset (with sunset_reason).
    """
    from listclean.runtime import parse_as_of
    from listclean.steps.decay import decay_step, options_from

    values = {
        "months": months, "benchmark": benchmark, "sunset_days": sunset_days, "sunset_min_age": sunset_min_age,
        "lapse_days": lapse_days, "bounce_limit": bounce_limit, "complaint_limit": complaint_limit,
        "implied_days": implied_days, "inquiry_days": inquiry_days, "no_validate": no_validate, "fail_on": _texts(fail_on),
    }  # fmt: skip
    options = options_from(values)
    options.decay.as_of = parse_as_of(as_of)
    with _runtime(runtime) as run, run.scope():
        source = source_of(data, reading_options(**reading), run)
        sunset = FrameSink()
        report = decay_step(source, options, None, run, sunset=sunset)
        report.sunset_candidates = sunset.frame
        return report


def export(
    data: Data,
    *,
    to: str = "csv",
    hash: str | None = None,  # noqa: A002 - the flag's name
    columns: str | Sequence[str] | None = None,
    output: str | PathLike | None = None,
    format: str | None = None,  # noqa: A002 - the flag's name
    force: bool = False,
    max_rows: int | None = None,
    max_mb: int | None = None,
    store: str | None = None,
    suppress: str | Sequence[str] = (),
    implied_days: int = ConsentRules.purchase_days,
    inquiry_days: int = ConsentRules.inquiry_days,
    keep_invalid: bool = False,
    unknown_consent: str = "exclude",
    consent_policy: str | None = None,
    suppressions: bool = False,
    exclusion: bool = False,
    since: date | datetime | str | None = None,
    as_of: date | datetime | str | None = None,
    excel_safe: bool = False,
    runtime: Runtime | None = None,
    **reading: Any,
) -> tuple[pl.DataFrame | None, ExportReport]:
    """The rows that may be mailed, for people, pipelines or a platform (`to`): `listclean export`.

    Suppressed, unsubscribed, bounced, complained and erased people (in any row, on a `suppress`
    list or in the `store`) are never exported; neither is expired implied consent, nor — to a
    platform or an audience — pending or unknown consent (`consent_policy="subscribed+pending"`,
    `"subscribed+unknown"` to export those). `suppressions=True` returns the platform's opt-out
    file instead (`exclusion=True` an ad platform's exclusion audience; `since` keeps what changed
    from that day). Without
    `output` the export is returned as a DataFrame (a platform's or hashed audience's columns
    and values); with `output` it is written there as the command writes it — split into parts
    within the platform's limits and read back to check no suppressed address got in — and the
    frame returned is None (`report.files` names the files).
    """
    from listclean.io.write import prepare_target
    from listclean.runtime import parse_as_of
    from listclean.steps.export import ExportStepOptions, export_step

    options = ExportStepOptions(
        columns=columns if isinstance(columns, str) or not columns else list(columns), to=to, hash=hash, max_rows=max_rows, max_mb=max_mb, store=store,
        suppress=_texts(suppress),
        implied_days=implied_days,
        inquiry_days=inquiry_days,
        keep_invalid=keep_invalid, unknown_consent=unknown_consent, consent_policy=consent_policy, suppressions=suppressions,
        exclusion=exclusion, since=parse_as_of(since), as_of=parse_as_of(as_of), format=format, excel_safe=excel_safe,
    )  # fmt: skip
    with _runtime(runtime) as run, run.scope():
        if output is None:
            if options.opt_outs and reading.get("quarantine_sources") is None:
                reading["quarantine_sources"] = ()
            return _call(export_step, data, options, run, reading_options(**reading))
        if options.opt_outs and reading.get("quarantine_sources") is None:
            reading["quarantine_sources"] = ()  # an opt-out file is never mailed: a bought list's unsubscribes count too
        source = source_of(data, reading_options(**reading), run)
        paths = [str(path) for path in source.paths]
        target = prepare_target(str(output), fmt=options.output_format, force=force, inputs=paths)
        rejects = FrameSink()
        report = export_step(source, options, target, run, rejects=rejects)
        report.rejects = rejects.frame
        return None, report


# --------------------------------------------------------------------------- plumbing


def _texts(values: str | PathLike | Sequence[str | PathLike] | None) -> list[str]:
    """A keyword that takes one value or several: "invalid>5%" is one threshold, not 11 characters."""
    if values is None:
        return []
    if isinstance(values, (str, PathLike)):
        return [str(values)]
    return [str(value) for value in values]


@contextlib.contextmanager
def _runtime(given: Runtime | None) -> Iterator[Runtime]:
    """The caller's runtime (left open), or a quiet one of our own, closed afterwards."""
    if given is not None:
        yield given
        return
    with Runtime() as made:
        yield made


def source_of(data: Data, reading: ImportOptions, runtime: Runtime) -> ImportStream:
    """`data` as a chunk source: files are read as they are; a frame is spooled to Parquet in the
    runtime's work directory (streamed when lazy) and read back like any input, so it gets the
    same mapping, standardisation and provenance (`<frame>` and its row number, unless it
    carries _source_file/_source_row already)."""
    if isinstance(data, (pl.DataFrame, pl.LazyFrame)):
        path = str(runtime.temporary(runtime.workspace.path(".frame.parquet")))
        _spool_frame(_as_read_from_text(data.lazy()), path, runtime)
        return runtime.open_inputs([path], reading, names={path: FRAME_NAME})
    if isinstance(data, (str, PathLike)):
        paths = [data]
    elif isinstance(data, (list, tuple)) and data and all(isinstance(p, (str, PathLike)) for p in data):
        paths = list(data)
    else:
        raise UsageError(
            f"cannot read {type(data).__name__} data", hint="give a Polars DataFrame or LazyFrame, a path, or a list of paths"
        )
    return runtime.open_inputs([p if isinstance(p, str) else str(Path(p)) for p in paths], reading)


def _as_read_from_text(frame: pl.LazyFrame) -> pl.LazyFrame:
    """A raw frame's empty strings as missing values, as a CSV export's empty cells are read
    (so a row of empty cells is an empty row). listclean's own canonical frames pass as they are."""
    from listclean import schema

    columns = frame.collect_schema()
    if schema.is_canonical_schema(columns):
        return frame
    return frame.with_columns(pl.col(name).replace("", None) for name, dtype in columns.items() if dtype == pl.String)


def _spool_frame(frame: pl.LazyFrame, path: str, runtime: Runtime) -> None:
    from listclean.io.write import OutputTarget, sink_parquet, writing

    target = OutputTarget(path, "parquet", force=True)
    with writing(target) as handle:
        sink_parquet(frame, target, handle, runtime.paths)


def _call(step: Any, data: Data, options: Any, runtime: Runtime, reading: ImportOptions, **outputs: Any) -> tuple[pl.DataFrame, Any]:
    """Run one step from `data` into frames: the output, and the rejects on `report.rejects`."""
    source = source_of(data, reading, runtime)
    sink, rejects = FrameSink(), FrameSink()
    report = step(source, options, sink, runtime, rejects=rejects, **outputs)
    report.rejects = rejects.frame
    return sink.frame, report
