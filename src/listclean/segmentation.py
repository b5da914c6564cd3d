"""Segments: rule-based (from a TOML file), RFM scores with named segments, lifecycle stages.

Rules are data, never code: conditions are compiled to Polars expressions, and a segment's
optional `where` text is parsed with `pl.sql_expr` — an SQL *expression* over the row's
columns, which has no tables and cannot read files (unlike an SQL context).

Rules file:

    mode = "first"            # first matching segment wins; "all" gives every match (a list)

    [[segment]]
    name = "US, signed up in the last 6 months"
    all = [ { field = "country", equals = "US" }, { field = "signup_at", within_days = 182 } ]

    [[segment]]
    name = "Engaged B2B in Poland"
    where = "country = 'PL' AND company IS NOT NULL"
    any = [ { field = "last_click_at", within_days = 90 }, { field = "last_purchase_at", within_days = 90 } ]
    none = [ { field = "tags", has = "competitor" } ]

A condition is a table with `field` and one operator: equals, not_equals, in, not_in,
contains, starts_with, is_empty (true/false), gt, gte, lt, lte (numbers or dates),
within_days, not_within_days, before, after, between ([from, to]), has (a tag), has_any,
has_all (lists of tags).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from listclean.errors import ConfigError

if TYPE_CHECKING:
    import polars as pl

UNMAILABLE_CONSENT = ("unsubscribed", "bounced", "cleaned", "complained", "erased")
UNMAILABLE_EMAIL = ("suppressed", "invalid")
OPERATORS = (
    "equals", "not_equals", "in", "not_in", "contains", "starts_with", "is_empty", "gt", "gte", "lt", "lte",
    "within_days", "not_within_days", "before", "after", "between", "has", "has_any", "has_all",
)  # fmt: skip

# RFM: rows are recency score 5..1, columns frequency(+monetary) score 1..5.
RFM_GRID = {
    5: ("New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
    4: ("Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Champions"),
    3: ("About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
    1: ("Lost", "Lost", "Hibernating", "At Risk", "Can't Lose Them"),
}
RFM_SEGMENTS = ("Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention", "About to Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost")
LIFECYCLE_STAGES = ("new", "active", "at_risk", "dormant", "lost")
ENGAGEMENT = ("last_click_at", "last_purchase_at", "last_activity_at", "last_open_at")
RFM_INPUTS = ("last_purchase_at", "purchase_count", "total_spend", "currency", "consent_status", "email_status")
RFM_COLUMNS = ("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment")
# What each RFM score ranks (see `rfm_values`): temporary columns, larger is better in each.
RFM_RECENCY, RFM_FREQUENCY, RFM_MONETARY, RFM_CURRENCY = "__rfm_recency", "__rfm_frequency", "__rfm_monetary", "__rfm_currency"


class SegmentError(ConfigError):
    """A rules file that cannot be used: says which segment and which condition."""


@dataclass
class Segment:
    name: str
    all: list[dict[str, Any]] = field(default_factory=list)
    any: list[dict[str, Any]] = field(default_factory=list)
    none: list[dict[str, Any]] = field(default_factory=list)
    where: str | None = None


@dataclass
class Rules:
    segments: list[Segment]
    mode: str = "first"  # first | all


def load_rules(path: str) -> Rules:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SegmentError(f"{path}: no such rules file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SegmentError(f"{path}: cannot be read as TOML ({error})", hint="check the file's syntax") from None
    return parse_rules(data, path)


def parse_rules(data: dict[str, Any], origin: str = "rules") -> Rules:
    mode = data.get("mode", "first")
    if mode not in ("first", "all"):
        raise SegmentError(f"{origin}: mode must be 'first' or 'all', not {mode!r}")
    raw = data.get("segment")
    if not isinstance(raw, list) or not raw:
        raise SegmentError(f"{origin}: no [[segment]] tables", hint="define at least one segment with a name")
    segments = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise SegmentError(f"{origin}: segment #{number} has no name")
        name = item["name"].strip()
        if name in seen:
            raise SegmentError(f"{origin}: segment {name!r} is defined twice")
        seen.add(name)
        unknown = set(item) - {"name", "all", "any", "none", "where"}
        if unknown:
            raise SegmentError(f"{origin}: segment {name!r}: unknown key(s) {', '.join(sorted(unknown))}", hint="use all, any, none and where")
        groups = {}
        for group in ("all", "any", "none"):
            conditions = item.get(group, [])
            if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
                raise SegmentError(f"{origin}: segment {name!r}: '{group}' must be a list of condition tables")
            groups[group] = conditions
        where = item.get("where")
        if where is not None and not isinstance(where, str):
            raise SegmentError(f"{origin}: segment {name!r}: 'where' must be a string")
        segments.append(Segment(name=name, where=where, **groups))
    return Rules(segments=segments, mode=mode)


def _as_datetime(value: Any, where: str) -> datetime:  # noqa: ANN401
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    raise SegmentError(f"{where}: {value!r} is not a date", hint="write dates as YYYY-MM-DD")


def condition_expr(condition: dict[str, Any], schema: dict[str, Any], as_of: datetime, where: str) -> pl.Expr:
    """One condition as a boolean expression (null counts as false)."""
    import polars as pl

    name = condition.get("field")
    if not isinstance(name, str):
        raise SegmentError(f"{where}: no 'field'")
    if name not in schema:
        raise SegmentError(f"{where}: unknown column {name!r}", hint=f"columns: {', '.join(list(schema)[:12])}…")
    operators = [key for key in condition if key != "field"]
    if len(operators) != 1 or operators[0] not in OPERATORS:
        raise SegmentError(f"{where}: needs exactly one operator", hint=f"one of: {', '.join(OPERATORS)}")
    op, value = operators[0], condition[operators[0]]
    column = pl.col(name)
    dtype = schema[name]
    is_list = isinstance(dtype, pl.List)
    is_date = isinstance(dtype, (pl.Datetime, pl.Date))
    text = column.cast(pl.String) if not is_list else column

    def number(v: Any) -> Any:  # noqa: ANN401
        if is_date:
            return pl.lit(_as_datetime(v, where)).cast(dtype)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise SegmentError(f"{where}: {op} needs a number for {name!r}, not {v!r}")
        return v

    def day(v: Any) -> tuple[Any, Any]:  # noqa: ANN401
        """A date literal means the whole day: (its first moment, the next day's first moment); a
        date-time literal is that moment (both bounds the same)."""
        moment = _as_datetime(v, where)
        if isinstance(v, datetime) and (v.hour, v.minute, v.second, v.microsecond) != (0, 0, 0, 0):
            instant = pl.lit(moment).cast(dtype)
            return instant, instant
        return pl.lit(moment).cast(dtype), pl.lit(moment + timedelta(days=1)).cast(dtype)

    def days(v: Any) -> pl.Expr:  # noqa: ANN401
        if not is_date:
            raise SegmentError(f"{where}: {op} needs a date column; {name!r} is {dtype}")
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise SegmentError(f"{where}: {op} takes a whole number of days, not {v!r}")
        return pl.lit(as_of).cast(dtype) - pl.duration(days=v)

    def texts(v: Any) -> list[str]:  # noqa: ANN401
        if not isinstance(v, list) or not v:
            raise SegmentError(f"{where}: {op} takes a non-empty list")
        return [str(item) for item in v]

    if is_date and op in ("equals", "not_equals", "gt", "gte", "lt", "lte", "before", "after", "between"):
        expr = _date_condition(op, column, value, day, where)
    elif op == "equals":
        expr = text.str.to_lowercase() == str(value).lower()
    elif op == "not_equals":
        # A missing value is not equal to anything: kept, as `none = [equals]` keeps it.
        expr = (text.str.to_lowercase() != str(value).lower()).fill_null(True)
    elif op == "in":
        expr = text.str.to_lowercase().is_in([item.lower() for item in texts(value)])
    elif op == "not_in":
        expr = (~text.str.to_lowercase().is_in([item.lower() for item in texts(value)])).fill_null(True)
    elif op == "contains":
        expr = text.str.to_lowercase().str.contains(str(value).lower(), literal=True)
    elif op == "starts_with":
        expr = text.str.to_lowercase().str.starts_with(str(value).lower())
    elif op == "is_empty":
        if not isinstance(value, bool):
            raise SegmentError(f"{where}: is_empty takes true or false")
        empty = column.is_null() | (column.list.len() == 0 if is_list else text.str.strip_chars() == "")
        expr = empty if value else ~empty
    elif op in ("gt", "gte", "lt", "lte"):
        if not is_date and not dtype.is_numeric():
            column = column.cast(pl.Float64, strict=False)
        bound = number(value)
        expr = {"gt": column > bound, "gte": column >= bound, "lt": column < bound, "lte": column <= bound}[op]
    elif op == "within_days":
        # A date after the report date is not "within" anything: it is unknown (a typo, a clock).
        expr = (column >= days(value)) & (column < pl.lit(as_of + timedelta(days=1)).cast(dtype))
    elif op == "not_within_days":
        expr = column.is_null() | (column < days(value))
    elif op in ("before", "after"):
        if not is_date:
            raise SegmentError(f"{where}: {op} needs a date column; {name!r} is {dtype}")
        bound = number(value)
        expr = column < bound if op == "before" else column > bound
    elif op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise SegmentError(f"{where}: between takes [low, high]")
        low, high = number(value[0]), number(value[1])
        expr = (column >= low) & (column <= high)
    else:  # has, has_any, has_all: tags
        if not is_list:
            raise SegmentError(f"{where}: {op} needs a list column such as tags; {name!r} is {dtype}")
        lowered = column.list.eval(pl.element().str.to_lowercase())
        wanted = [str(value).lower()] if op == "has" else [item.lower() for item in texts(value)]
        hits = [lowered.list.contains(item) for item in wanted]
        expr = pl.all_horizontal(hits) if op in ("has", "has_all") else pl.any_horizontal(hits)
    return expr.fill_null(False)


def _date_condition(op: str, column: pl.Expr, value: Any, day: Any, where: str) -> pl.Expr:  # noqa: ANN401
    """A comparison with a date literal, which means the whole day: `lte "2026-11-23"` includes
    that day, `after "2026-06-01"` starts on 2 June, `between [a, b]` includes both days."""
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise SegmentError(f"{where}: between takes [low, high]")
        (low, _), (high_start, high_end) = day(value[0]), day(value[1])
        return (column >= low) & ((column < high_end) if high_end is not high_start else (column <= high_start))
    start, end = day(value)
    whole = end is not start
    if op == "equals":
        return ((column >= start) & (column < end)) if whole else (column == start)
    if op == "not_equals":
        return (~((column >= start) & (column < end)) if whole else (column != start)).fill_null(True)
    if op in ("gte",):
        return column >= start
    if op in ("lt", "before"):
        return column < start
    if op == "lte":
        return (column < end) if whole else (column <= start)
    return (column >= end) if whole else (column > start)  # gt, after


def segment_expr(segment: Segment, schema: dict[str, Any], as_of: datetime, origin: str = "rules") -> pl.Expr:
    import polars as pl

    parts: list[pl.Expr] = []
    for group in ("all", "any", "none"):
        conditions = getattr(segment, group)
        exprs = [
            condition_expr(condition, schema, as_of, f"{origin}: segment {segment.name!r}, {group} condition #{index}")
            for index, condition in enumerate(conditions, start=1)
        ]
        if not exprs:
            continue
        if group == "all":
            parts.append(pl.all_horizontal(exprs))
        elif group == "any":
            parts.append(pl.any_horizontal(exprs))
        else:
            parts.append(~pl.any_horizontal(exprs))
    if segment.where:
        parts.append(where_expr(segment.where, schema, f"{origin}: segment {segment.name!r}, where"))
    return pl.all_horizontal(parts) if parts else pl.lit(True)


def where_expr(text: str, schema: dict[str, Any], where: str) -> pl.Expr:
    """An SQL expression over the row's columns (no tables, no functions that read files)."""
    import polars as pl

    if re.search(r"(?i)\bselect\b|\bfrom\b|;", text):
        raise SegmentError(f"{where}: {text!r} must be an expression, not a query", hint="e.g. country = 'PL' AND total_spend > 100")
    try:
        expr = pl.sql_expr(text)
        pl.DataFrame(schema=schema).select(expr.alias("__check"))
    except Exception as error:  # noqa: BLE001 - Polars raises several kinds; all mean "bad expression"
        message = str(error).strip().splitlines()[0]
        raise SegmentError(f"{where}: {text!r} cannot be used ({message})", hint="use column names of the input and SQL operators") from None
    return expr.cast(pl.Boolean, strict=False).fill_null(False)


def mailable(schema: dict[str, Any]) -> pl.Expr:
    import polars as pl

    ok = pl.lit(True)
    if "consent_status" in schema:
        ok = ok & ~pl.col("consent_status").cast(pl.String).is_in(UNMAILABLE_CONSENT).fill_null(False)
    if "email_status" in schema:
        ok = ok & ~pl.col("email_status").cast(pl.String).is_in(UNMAILABLE_EMAIL).fill_null(False)
    return ok


def apply_rules(frame: pl.DataFrame, rules: Rules, as_of: datetime, include_unmailable: bool = False, origin: str = "rules") -> pl.DataFrame:
    """Add `segment`: the first matching segment's name (mode first) or every match (mode all)."""
    import polars as pl

    schema = dict(frame.schema)
    matches = [segment_expr(segment, schema, as_of, origin).alias(f"__seg{i}") for i, segment in enumerate(rules.segments)]
    allowed = pl.lit(True) if include_unmailable else mailable(schema)
    names = [segment.name for segment in rules.segments]
    work = frame.with_columns(*matches, allowed.alias("__allowed"))
    if rules.mode == "first":
        chain = None
        for i, name in enumerate(names):
            chain = (pl.when(pl.col(f"__seg{i}")) if chain is None else chain.when(pl.col(f"__seg{i}"))).then(pl.lit(name))
        label = chain.otherwise(pl.lit(None, dtype=pl.String))
    else:
        label = pl.concat_list([pl.when(pl.col(f"__seg{i}")).then(pl.lit(name)) for i, name in enumerate(names)]).list.drop_nulls()
        label = pl.when(label.list.len() > 0).then(label)
    out = work.with_columns(pl.when(pl.col("__allowed")).then(label).alias("segment"))
    return out.drop([f"__seg{i}" for i in range(len(names))] + ["__allowed"])


def rfm(frame: pl.DataFrame, as_of: datetime, include_unmailable: bool = False) -> pl.DataFrame:
    """rfm_recency, rfm_frequency, rfm_monetary (1-5; 5 best) and rfm_segment, for buyers.

    A buyer is a contact with a last_purchase_at on or before the report date. Recency is days
    since it (fewer is better); frequency is purchase_count — a buyer without one has bought at
    least once and counts 1; monetary is total_spend. Quintiles by rank among the buyers who may
    be mailed (unsubscribed, bounced, invalid … buyers get no scores and push nobody down; with
    `include_unmailable`, among every buyer); equal values get equal scores (their average rank), so the
    order of the rows never changes a label. Without a total_spend column the grid uses R and F
    only (rfm_monetary stays null).
    """
    import polars as pl

    values = rfm_values(dict(frame.schema), as_of, include_unmailable)
    monetary = RFM_MONETARY in values
    scored = frame.with_columns(*values.values()).with_columns(
        _ranked(RFM_RECENCY).alias("rfm_recency"),
        _ranked(RFM_FREQUENCY).alias("rfm_frequency"),
        (_ranked(RFM_MONETARY, by=RFM_CURRENCY if RFM_CURRENCY in values else None) if monetary else pl.lit(None, dtype=pl.Int8)).alias("rfm_monetary"),
    )
    return scored.with_columns(rfm_segment_expr(monetary)).drop(*values)


def rfm_values(schema: dict[str, Any], as_of: datetime, include_unmailable: bool = False) -> dict[str, pl.Expr]:
    """What the RFM scores rank, per row, by name (RFM_RECENCY, RFM_FREQUENCY, RFM_MONETARY and
    RFM_CURRENCY, the group spend is ranked within): larger is better (recency is minus the days
    since the last purchase), null where the row is not ranked (not a buyer, or may not be mailed).
    Monetary only with a total_spend column, its currency only with a currency column. Each row's
    values depend on that row alone, so any part of the list gives its rows the whole list's values
    (listclean.spark ranks them with Spark's own operations)."""
    import polars as pl

    if "last_purchase_at" not in schema:
        raise SegmentError("--rfm needs a last_purchase_at column", hint="map the column holding the last order date with --map")
    when = schema["last_purchase_at"]
    now = pl.lit(as_of).cast(when)
    buyers = pl.col("last_purchase_at").is_not_null() & (pl.col("last_purchase_at") < pl.lit(as_of + timedelta(days=1)).cast(when))
    if not include_unmailable:
        buyers = buyers & mailable(schema)
    count = pl.col("purchase_count").cast(pl.Float64).fill_null(1.0) if "purchase_count" in schema else pl.lit(1.0)
    values = {
        RFM_RECENCY: pl.when(buyers).then((now - pl.col("last_purchase_at")).dt.total_days() * -1),
        RFM_FREQUENCY: pl.when(buyers).then(count),
    }
    if "total_spend" in schema:
        values[RFM_MONETARY] = pl.when(buyers).then(pl.col("total_spend").cast(pl.Float64))
        if "currency" in schema:
            # Spend is ranked among the buyers who spent in the same currency: ¥12,000 and $120 are not comparable.
            values[RFM_CURRENCY] = pl.col("currency").cast(pl.String).fill_null("")
    return {name: value.alias(name) for name, value in values.items()}


def rfm_segment_expr(monetary: bool) -> pl.Expr:
    """rfm_segment from the rfm_recency, rfm_frequency and rfm_monetary columns: the RFM_GRID cell
    of recency and the rounded mean of frequency and monetary (frequency alone where monetary is
    null, or without spend at all: `monetary` false); null without a recency score."""
    import polars as pl

    fm = pl.col("rfm_frequency") if not monetary else ((pl.col("rfm_frequency") + pl.col("rfm_monetary").fill_null(pl.col("rfm_frequency"))) / 2).round(0, mode="half_away_from_zero").cast(pl.Int8)
    keys = [f"{r}{f}" for r in range(1, 6) for f in range(1, 6)]
    names = [RFM_GRID[int(key[0])][int(key[1]) - 1] for key in keys]
    cell = pl.concat_str(pl.col("rfm_recency").cast(pl.String), fm.cast(pl.String))
    return cell.replace_strict(keys, names, default=None, return_dtype=pl.String).alias("rfm_segment")


def rfm_scores(inputs: pl.DataFrame, as_of: datetime, include_unmailable: bool = False) -> pl.DataFrame:
    """Only the columns `rfm` adds, from a frame of the RFM_INPUTS of every row of the list
    (the quintiles rank the whole list, so a chunked run computes them once, up front)."""
    return rfm(inputs, as_of, include_unmailable).select(RFM_COLUMNS)


def rfm_notes(inputs: pl.DataFrame, as_of: datetime, include_unmailable: bool = False) -> list[str]:
    """What the RFM scores leave out or cannot tell apart, each with its count."""
    return rfm_notes_of(rfm_note_counts(inputs, as_of), include_unmailable) if "last_purchase_at" in inputs.columns else []


def rfm_note_counts(inputs: pl.DataFrame, as_of: datetime) -> dict[str, int]:
    """The counts `rfm_notes` reports, of a frame with a last_purchase_at column: counts of rows,
    so the counts of a list's parts add up to the whole list's."""
    import polars as pl

    tomorrow = pl.lit(as_of + timedelta(days=1)).cast(inputs.schema["last_purchase_at"])
    dated = pl.col("last_purchase_at").is_not_null()
    counts = inputs.select(
        (dated & (pl.col("last_purchase_at") >= tomorrow)).sum().alias("future"),
        (dated & (pl.col("last_purchase_at") < tomorrow) & ~mailable(dict(inputs.schema))).sum().alias("unmailable"),
        ((dated & pl.col("purchase_count").is_null()).sum() if "purchase_count" in inputs.columns else pl.lit(0)).alias("no_count"),
    ).row(0, named=True)
    return {name: int(count) for name, count in counts.items()}


def rfm_notes_of(counts: dict[str, int], include_unmailable: bool = False) -> list[str]:
    """`rfm_notes` from its counts (`rfm_note_counts`, or their sum over a list's parts)."""
    notes = []
    if counts["future"]:
        notes.append(f"{counts['future']:,} last_purchase_at date(s) after the report date: not buyers for RFM (a date that has not happened)")
    if counts["unmailable"] and not include_unmailable:
        notes.append(f"{counts['unmailable']:,} buyer(s) may not be mailed (unsubscribed, bounced, invalid …): no RFM scores, and not ranked (--include-unmailable ranks them)")
    if counts["no_count"]:
        notes.append(f"{counts['no_count']:,} buyer(s) have a last purchase but no purchase_count: counted as one purchase")
    return notes


def unsegmented_note(rows: int) -> str:
    """The report's note on the rows no rule segment takes because they may not be mailed."""
    return f"{rows:,} row(s) may not be mailed (unsubscribed, bounced, complained, erased, suppressed or invalid): in no segment (--include-unmailable segments them)"


def _ranked(column: str, by: str | None = None) -> pl.Expr:
    """Quintile 1-5 of a column among its non-null values, larger being better.

    Score = ceil(5 x rank / n) (`quintile`), ranks from worst (1) to best (n), equal values
    sharing the average rank of their group: two identical buyers always get the same score
    whatever the rows' order, and a value most buyers share lands in the middle, not at the top.
    Null values get no score.
    """
    import polars as pl

    value = pl.col(column)
    present = value.is_not_null()
    ranked = value.rank("average")
    count = present.sum().clip(1)
    if by is not None:  # ranked within each group (a currency) instead of the whole list
        ranked, count = ranked.over(by), count.over(by)
    return pl.when(present).then(quintile(ranked, count))


def quintile(rank: pl.Expr, count: pl.Expr) -> pl.Expr:
    """The RFM score of a (possibly averaged, x.5) rank among `count` ranked values, worst first:
    ceil(5 x rank / n), computed exactly in floating point for any list under 10^14 rows (every
    term is a multiple of 0.5); the best is always 5."""
    import polars as pl

    return ((rank * 5 + count - 1) // count).clip(1, 5).cast(pl.Int8)


def rfm_segment_for(recency: int, frequency_monetary: int) -> str:
    return RFM_GRID[recency][frequency_monetary - 1]


@dataclass(frozen=True)
class LifecycleSettings:
    new_days: int = 30  # signed up at most this long ago (and not engaged since being new)
    active_days: int = 90  # engaged at most this long ago
    at_risk_days: int = 180
    dormant_days: int = 365  # beyond: lost


def lifecycle(frame: pl.DataFrame, as_of: datetime, settings: LifecycleSettings | None = None) -> pl.Expr:
    """lifecycle_stage: new, active, at_risk, dormant or lost, from signup and engagement dates."""
    import polars as pl

    settings = settings or LifecycleSettings()
    when = pl.Datetime("us", "UTC")
    engaged = pl.max_horizontal([pl.col(name).cast(when) for name in ENGAGEMENT if name in frame.columns] or [pl.lit(None, dtype=when)])
    signup = pl.col("signup_at").cast(when) if "signup_at" in frame.columns else pl.lit(None, dtype=when)
    now = pl.lit(as_of).cast(when)
    # Dates after the report day are unknown, not recent (a typo or a wrong clock): never "new" or "active".
    tomorrow = pl.lit(as_of + timedelta(days=1)).cast(when)
    engaged = pl.when(engaged < tomorrow).then(engaged)
    signup = pl.when(signup < tomorrow).then(signup)
    # Exact, in fractional days, as decay's buckets and within_days: 90.5 days ago is not within 90.
    since_engaged = (now - engaged).dt.total_seconds() / 86_400
    since_signup = (now - signup).dt.total_seconds() / 86_400
    return (
        pl.when(since_engaged <= settings.active_days).then(pl.lit("active"))
        .when(since_signup <= settings.new_days).then(pl.lit("new"))
        .when(since_engaged <= settings.at_risk_days).then(pl.lit("at_risk"))
        .when(since_engaged <= settings.dormant_days).then(pl.lit("dormant"))
        .otherwise(pl.lit("lost"))
    ).alias("lifecycle_stage")  # fmt: skip


def slug(name: str) -> str:
    """A file-name-safe version of a segment name."""
    text = re.sub(r"[^\w\-]+", "-", name.strip().lower(), flags=re.UNICODE).strip("-")
    return text or "segment"
