"""How stale is the list, how fast is it decaying, and what to sunset — measured from the list.

Everything is computed with Polars aggregations (no per-row Python), a chunk at a time, into small
tables of counts that add up over the chunks (see TABLES: what the whole-list measures need of
the list, and all that is kept of it); the report is read from the tables added up:
  - status mix: each contact in exactly one category, by precedence (STATUS_ORDER);
  - engagement recency: days since the latest click, purchase or activity — or open, which
    Apple Mail Privacy Protection inflates, so rows that look engaged only through opens are
    counted apart (`opens_only`);
  - growth and churn by month: signups (by source) against unsubscribes, bounces/cleans and
    complaints dated by `consent_at`;
  - the observed monthly decay rate (churned in the month / list size at its start, over the
    window) and a 12-month projection against a benchmark (default 2.1 %/month);
  - a Kaplan-Meier curve of the time from signup to last engagement (a contact "lapses"
    when it has not clicked, bought or been active for `lapse_days`; still-engaged contacts
    are censored at the report date);
  - a cohort table by signup month; sunset candidates by a documented rule;
  - recent bounce and complaint rates against deliverability limits, and consent health.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from listclean.consent import ConsentRules

if TYPE_CHECKING:
    import polars as pl

STATUS_ORDER = ("mailable", "pending", "risky", "invalid", "bounced_or_cleaned", "unsubscribed", "complained", "suppressed_or_erased")
RECENCY_BUCKETS = ("0-30", "31-60", "61-90", "91-180", "181-365", ">365", "never", "too_new")
CHURN_STATUSES = {"unsubscribed": "unsubscribed", "bounced": "bounced", "cleaned": "bounced", "complained": "complained"}
RELIABLE = ("last_click_at", "last_purchase_at", "last_activity_at")
_CONSENT_COUNTS = ("implied", "implied_expired", "implied_expiring", "implied_undated", "express_unproven", "subscribed")


@dataclass
class DecayOptions:
    as_of: datetime | None = None  # the report date; default: now (UTC)
    months: int = 12  # growth/churn and decay window, in calendar months ending with the as-of month
    benchmark_monthly: float = 0.021  # published decay benchmarks: ~22.5-26 % a year
    too_new_days: int = 30  # signed up this recently and never engaged: too new to judge
    lapse_days: int = 180  # survival: no click/purchase/activity for this long = lapsed
    sunset_days: int = 180  # sunset: no click or purchase for this long ...
    sunset_min_age_days: int = 90  # ... and signed up more than this long ago
    bounce_limit: float = 0.01  # deliverability: bounces in the last 30 days / list
    complaint_limit: float = 0.001
    consent: ConsentRules = field(default_factory=ConsentRules)  # implied-consent lifetimes (shared with export)

    def report_date(self) -> datetime:
        return self.as_of or datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class DecayReport:
    as_of: str
    rows: int
    status: dict[str, int]
    engagement: dict[str, Any]
    monthly: list[dict[str, Any]]
    decay: dict[str, Any]
    survival: dict[str, Any]
    cohorts: list[dict[str, Any]]
    sunset: dict[str, Any]
    deliverability: dict[str, Any]
    consent: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    by_source: list[dict[str, Any]] = field(default_factory=list)  # ESP-dashboard style breakdowns
    by_domain: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def metrics(self) -> tuple[dict[str, int], dict[str, float]]:
        """Counters and rates (percent) that --fail-on can name."""
        counts = {**self.status, "sunset": self.sunset["candidates"], **{f"recency_{k}": v for k, v in self.engagement["buckets"].items()}}
        counts["implied_expired"] = self.consent["implied_expired"]
        counts["implied_expiring"] = self.consent["implied_expiring"]
        rates = {
            "monthly_decay": 100 * (self.decay["observed_monthly_rate"] or 0.0),
            "bounce_rate": 100 * self.deliverability["bounce_rate_30d"],
            "complaint_rate": 100 * self.deliverability["complaint_rate_30d"],
        }
        return counts, rates


def _column(frame: pl.DataFrame, name: str, dtype: Any) -> pl.Expr:  # noqa: ANN401
    import polars as pl

    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype)


def prepared(frame: pl.DataFrame, options: DecayOptions) -> pl.DataFrame:
    """The columns every section reads: category, engagement dates, churn event, ages."""
    import polars as pl

    when = pl.Datetime("us", "UTC")
    as_of = options.report_date()
    consent = _column(frame, "consent_status", pl.String).cast(pl.String)
    email_status = _column(frame, "email_status", pl.String).cast(pl.String)
    category = (
        pl.when(consent == "erased").then(pl.lit("suppressed_or_erased"))
        .when(consent == "complained").then(pl.lit("complained"))
        .when(consent == "unsubscribed").then(pl.lit("unsubscribed"))
        .when(consent.is_in(["bounced", "cleaned"])).then(pl.lit("bounced_or_cleaned"))
        # validate's "suppressed" with a consent that allows mailing: the address is on a suppression list
        .when(email_status == "suppressed").then(pl.lit("suppressed_or_erased"))
        .when(email_status == "invalid").then(pl.lit("invalid"))
        .when(email_status == "risky").then(pl.lit("risky"))
        .when(consent == "pending").then(pl.lit("pending"))
        .otherwise(pl.lit("mailable"))
    )  # fmt: skip
    end_of_day = pl.lit(as_of + timedelta(days=1)).cast(when)  # the whole report day is "today", not the future

    def dated(name: str) -> pl.Expr:
        """A date column, a date after the report day read as unknown (noted: see `future_dates`)."""
        value = _column(frame, name, when)
        return pl.when(value < end_of_day).then(value)

    reliable = pl.max_horizontal([dated(name) for name in RELIABLE])
    opened = dated("last_open_at")
    signup = dated("signup_at")
    return frame.select(
        category.cast(pl.Enum(STATUS_ORDER)).alias("category"),  # a byte a contact, not a string
        consent.alias("consent"),
        reliable.alias("reliable"),
        pl.max_horizontal(reliable, opened).alias("engaged"),
        opened.alias("opened"),
        signup.alias("signup"),
        dated("last_click_at").alias("click"),
        dated("last_purchase_at").alias("purchase"),
        dated("consent_at").alias("consent_at"),
        # Categorical: four bytes a contact and one copy of each source or domain, not a string
        # each (the whole list's rows are kept until the report: 10M contacts).
        _column(frame, "source", pl.String).cast(pl.String).fill_null("(none)").cast(pl.Categorical).alias("source"),
        _domain(frame).cast(pl.Categorical).alias("domain"),
    ).with_columns(
        pl.col("consent").replace_strict(CHURN_STATUSES, default=None, return_dtype=pl.Enum(sorted(set(CHURN_STATUSES.values())))).alias("churn"),
    ).drop("consent")  # read into category and churn; a list's worth of text kept for nothing otherwise


DATE_COLUMNS = ("signup_at", "consent_at", "last_open_at", "last_click_at", "last_activity_at", "last_purchase_at")


def _domain(frame: pl.DataFrame) -> pl.Expr:
    """The address's domain, lower-cased (validate's normalised address where there is one)."""
    import polars as pl

    address = pl.coalesce(_column(frame, "email_normalized", pl.String).cast(pl.String), _column(frame, "email", pl.String).cast(pl.String))
    return address.str.extract(r"@([^@\s]+)$", 1).str.to_lowercase().fill_null("(none)")


def future_dates(frame: pl.DataFrame, options: DecayOptions) -> dict[str, int]:
    """Per date column, how many dates fall after the report date (read as unknown, and noted)."""
    import polars as pl

    limit = pl.lit(options.report_date() + timedelta(days=1)).cast(pl.Datetime("us", "UTC"))
    present = [name for name in DATE_COLUMNS if name in frame.columns]
    if not present:
        return {}
    counts = frame.select([(pl.col(name) >= limit).sum().alias(name) for name in present]).row(0, named=True)
    return {name: int(count or 0) for name, count in counts.items()}


def _with_as_of(work: pl.DataFrame, options: DecayOptions) -> pl.DataFrame:
    """The report date as a column, for the sections' date arithmetic (added once, not spooled)."""
    import polars as pl

    return work.with_columns(pl.lit(options.report_date()).cast(pl.Datetime("us", "UTC")).alias("as_of"))


# ---- The small tables -------------------------------------------------------------------------
# Every whole-list measure is read from a few small tables of counts, made per chunk by
# `measure_tables` and added up over the chunks by `fold_tables` (a group-by sum): the single
# machine folds its chunks' tables with Polars, Spark folds its partitions' tables with a groupBy
# (listclean.spark.decay). Counts only: no row of the list is kept for the report. A table's rows
# are its distinct keys — statuses, recency buckets, months x sources, survival days, signup
# months, sources, domains — so it is as long as the report, never as the list.
TABLES: dict[str, tuple[str, ...]] = {  # table -> its key columns (the other columns are counts)
    "totals": (),  # one row: the list's counts (rows, month sizes, deliverability, notes, consent, ...)
    "status": ("category",),
    "recency": ("bucket",),
    "added": ("month", "source"),  # signups in the window by month and source
    "added_mailable": ("month",),
    "churned": ("month", "churn"),
    "survival": ("t",),  # Kaplan-Meier: lapses (events) and contacts leaving the risk set, per day
    "cohorts": ("signup_month",),
    "by_source": ("source",),
    "by_domain": ("domain",),
}
DOMAIN_ROWS = 15  # by_domain lists the largest this-many domains, the rest as one "(other)" row


def measure_tables(work: pl.DataFrame, options: DecayOptions) -> dict[str, pl.DataFrame]:
    """A chunk's count tables (see TABLES) from its `prepared` columns: keys as text, dates or
    whole days, counts as Int64 (so every chunk's tables, on any engine, have the same types)."""
    import polars as pl

    lazy = _with_as_of(work, options).lazy()
    queries = {
        "totals": lazy.select(pl.len().alias("rows"), *_monthly_counts(options), *_engagement_counts(), *_deliverability_counts(), *_note_counts()),
        "status": lazy.group_by("category").len(),
        "recency": _recency_table(lazy, options),
        **_monthly_tables(lazy, options),
        "survival": _survival_table(lazy, options),
        "cohorts": _cohort_table(lazy),
        "by_source": _breakdown_table(lazy, "source", options),
        "by_domain": _breakdown_table(lazy, "domain", options),
    }
    return {name: _plain_counts(frame, TABLES[name]) for name, frame in zip(queries, pl.collect_all(list(queries.values())), strict=True)}


def _plain_counts(table: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """Categories as text and every count as Int64 (group lengths and sums of flags are UInt32)."""
    import polars as pl

    return table.with_columns(
        *(pl.col(key).cast(pl.String) for key in keys if isinstance(table.schema[key], (pl.Enum, pl.Categorical))),
        *(pl.col(name).cast(pl.Int64) for name in table.columns if name not in keys),
    )


def fold_tables(parts: Iterable[dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """The list's tables from its chunks' tables: the counts of the same key added up."""
    import polars as pl

    parts = list(parts)
    folded = {}
    for name, keys in TABLES.items():
        stacked = pl.concat([part[name] for part in parts], how="vertical_relaxed")
        folded[name] = stacked.group_by(list(keys), maintain_order=True).agg(pl.all().sum()) if keys else stacked.sum()
    return folded


def _status(tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    counts = dict(tables["status"].iter_rows())
    return {name: int(counts.get(name, 0)) for name in STATUS_ORDER}


def _recency_table(work: pl.LazyFrame, options: DecayOptions) -> pl.LazyFrame:
    import polars as pl

    # Exact, in fractional days: "within 90 days" means at most 90 x 24 hours ago, for the
    # buckets here as for segment's within_days and lifecycle stages (a click 90.5 days ago is not).
    # Worked out here, not kept with every contact.
    days = (pl.col("as_of") - pl.col("engaged")).dt.total_seconds() / 86_400
    age_days = (pl.col("as_of") - pl.col("signup")).dt.total_seconds() / 86_400
    bucket = (
        pl.when(days.is_null() & (age_days < options.too_new_days)).then(pl.lit("too_new"))
        .when(days.is_null()).then(pl.lit("never"))
        .when(days <= 30).then(pl.lit("0-30"))
        .when(days <= 60).then(pl.lit("31-60"))
        .when(days <= 90).then(pl.lit("61-90"))
        .when(days <= 180).then(pl.lit("91-180"))
        .when(days <= 365).then(pl.lit("181-365"))
        .otherwise(pl.lit(">365"))
    )  # fmt: skip
    return work.group_by(bucket.alias("bucket")).len()


def _engagement_counts() -> list[pl.Expr]:
    import polars as pl

    # Engaged in the last 90 days by an open, and by nothing else in that time.
    recent = pl.col("as_of") - pl.duration(days=90)
    opens_only = (pl.col("opened") >= recent) & (pl.col("reliable").is_null() | (pl.col("reliable") < recent))
    return [opens_only.fill_null(False).sum().alias("opens_only_90d")]


def _engagement(tables: dict[str, pl.DataFrame]) -> dict[str, Any]:
    counts = dict(tables["recency"].iter_rows())
    return {
        "buckets": {name: int(counts.get(name, 0)) for name in RECENCY_BUCKETS},
        "opens_only_90d": int(tables["totals"]["opens_only_90d"][0]),
        "note": "opens are unreliable since Apple Mail Privacy Protection: opens_only_90d rows look engaged only through opens",
    }


def _month_starts(as_of: datetime, months: int) -> list[datetime]:
    starts = []
    year, month = as_of.year, as_of.month
    for _ in range(months):
        starts.append(datetime(year, month, 1, tzinfo=timezone.utc))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _misdated() -> pl.Expr:
    """A churn dated before the contact's own signup (one of the dates is wrong): in no month
    (the contact was never in a month's list size either; noted)."""
    import polars as pl

    return (pl.col("consent_at") < pl.col("signup")).fill_null(False)


def _monthly_tables(work: pl.LazyFrame, options: DecayOptions) -> dict[str, pl.LazyFrame]:
    """Signups in the window by month and source (and the mailable ones by month), churn by month and kind."""
    import polars as pl

    window_start = _month_starts(options.report_date(), options.months)[0]
    month = lambda column: pl.col(column).dt.truncate("1mo")  # noqa: E731
    signed_up = pl.col("signup") >= window_start
    return {
        "added": work.filter(signed_up).group_by(month("signup").alias("month"), "source").len(),
        "added_mailable": work.filter(signed_up & (pl.col("category") == "mailable")).group_by(month("signup").alias("month")).len(),
        "churned": work.filter(pl.col("churn").is_not_null() & (pl.col("consent_at") >= window_start) & ~_misdated())
        .group_by(month("consent_at").alias("month"), "churn")
        .len(),
    }


def _monthly_counts(options: DecayOptions) -> list[pl.Expr]:
    """Every month's starting size (sums of conditions, nothing materialised): in the list at the
    start (signed up before it, not churned before it), with and without the contacts whose churn
    has no date; the undated churn; the mailable contacts now."""
    import polars as pl

    starts = _month_starts(options.report_date(), options.months)
    undated = pl.col("churn").is_not_null() & pl.col("consent_at").is_null()
    present = lambda start: (pl.col("signup").is_null() | (pl.col("signup") < start)) & ~(pl.col("churn").is_not_null() & (pl.col("consent_at") < start)).fill_null(False)  # noqa: E731
    return [
        *((present(start) & ~undated).sum().alias(f"known{index}") for index, start in enumerate(starts)),
        *(present(start).sum().alias(f"all{index}") for index, start in enumerate(starts)),
        undated.sum().alias("undated_churn"),
        (pl.col("category") == "mailable").sum().alias("mailable"),
    ]


def _monthly(tables: dict[str, pl.DataFrame], options: DecayOptions) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Growth and churn by calendar month, and the decay rate over the complete months.

    A month is complete when the report date is on or after the first moment of the next month
    (a report made on 30 November does not count November). List size at a month's start: the
    contacts signed up before it (or without a signup date) and not churned before it. Churn
    without a date cannot be placed in a month: the rate is given both ways — without it (those
    contacts left out of every month's size too) and as if all of it happened in the measured
    months — and compared with the benchmark only when both ends agree.
    """
    import polars as pl

    as_of = options.report_date()
    starts = _month_starts(as_of, options.months)
    added, churned, totals = tables["added"], tables["churned"], tables["totals"].row(0, named=True)
    added_mailable = dict(tables["added_mailable"].iter_rows())
    undated_churn = int(totals["undated_churn"])
    rows: list[dict[str, Any]] = []
    total_churn = total_start = total_start_all = 0
    for index, start in enumerate(starts):
        end = (start + timedelta(days=32)).replace(day=1)
        size_start, size_all = int(totals[f"known{index}"]), int(totals[f"all{index}"])
        by_source = {source: int(n) for _, source, n in added.filter(pl.col("month") == start).sort("source").iter_rows()}
        churn = {kind: int(n) for _, kind, n in churned.filter(pl.col("month") == start).iter_rows()}
        lost = sum(churn.values())
        gained = sum(by_source.values())
        gained_mailable = int(added_mailable.get(start, 0))
        complete = end <= as_of
        if complete:
            total_churn += lost
            total_start += size_start
            total_start_all += size_all
        rows.append(
            {
                "month": start.strftime("%Y-%m"),
                "size_at_start": size_start,
                "added": gained,
                "added_mailable": gained_mailable,
                "added_by_source": by_source,
                "unsubscribed": churn.get("unsubscribed", 0),
                "bounced": churn.get("bounced", 0),
                "complained": churn.get("complained", 0),
                "net": gained - lost,
                "net_mailable": gained_mailable - lost,
                "decay_rate": round(lost / size_start, 6) if size_start > 0 else None,
                "complete": complete,
            }
        )
    return rows, _decay(rows, total_churn, total_start, total_start_all, undated_churn, int(totals["mailable"]), options)


def _decay(rows: list[dict[str, Any]], total_churn: int, total_start: int, total_start_all: int, undated_churn: int, mailable: int, options: DecayOptions) -> dict[str, Any]:
    """The observed monthly decay over the complete months, its projection and the benchmark verdict."""
    rate = total_churn / total_start if total_start else None
    # As if every undated churn happened in the measured months (and those contacts were in the list).
    high = (total_churn + undated_churn) / total_start_all if total_start_all and undated_churn else rate
    annual = 1 - (1 - rate) ** 12 if rate is not None else None
    benchmark_annual = 1 - (1 - options.benchmark_monthly) ** 12
    if rate is None:
        verdict = None
    elif rate > options.benchmark_monthly:
        verdict = "above"
    elif high is not None and high > options.benchmark_monthly:
        verdict = "uncertain"  # the undated churn could put it either side
    else:
        verdict = "at or below"
    months_measured = sum(1 for row in rows if row["complete"])
    return {
        "observed_monthly_rate": round(rate, 6) if rate is not None else None,
        "monthly_rate_with_undated_churn": round(high, 6) if high is not None else None,
        "months_measured": months_measured,
        "benchmark_monthly_rate": options.benchmark_monthly,
        "projected_annual_rate": round(annual, 6) if annual is not None else None,
        "benchmark_annual_rate": round(benchmark_annual, 6),
        "mailable_now": mailable,
        "projected_mailable_in_12_months": round(mailable * (1 - annual)) if annual is not None else None,
        "projected_lost_in_12_months": round(mailable * annual) if annual is not None else None,
        "versus_benchmark": verdict,
        "undated_churn": undated_churn,
        "undated_churn_share": round(undated_churn / (undated_churn + total_churn), 6) if undated_churn else 0.0,
    }


def kaplan_meier(durations: pl.Series, events: pl.Series) -> pl.DataFrame:
    """Kaplan-Meier survival: columns t, at_risk, events, survival (S just after t).

    S(t) = prod over event times t_i <= t of (1 - d_i / n_i), with n_i the contacts still at
    risk (neither lapsed nor censored) just before t_i.
    """
    import polars as pl

    data = pl.DataFrame({"t": durations, "event": events.cast(pl.Int64)}).drop_nulls()
    return _kaplan_meier(data.group_by("t").agg(pl.col("event").sum().alias("events"), pl.len().alias("leaving")))


def _kaplan_meier(steps: pl.DataFrame) -> pl.DataFrame:
    """Kaplan-Meier from a table of distinct times t with their events and contacts leaving (lapsed
    or censored) — all the curve needs, so the list's rows are never gathered for it."""
    import polars as pl

    total = int(steps["leaving"].sum())
    steps = steps.sort("t").with_columns((total - pl.col("leaving").cum_sum().shift(1, fill_value=0)).alias("at_risk"))
    return steps.with_columns((1 - pl.col("events") / pl.col("at_risk")).cum_prod().alias("survival")).select(
        "t", "at_risk", "events", "survival"
    )


def _survival_table(work: pl.LazyFrame, options: DecayOptions) -> pl.LazyFrame:
    """Per whole day t since signup: the contacts lapsing (events) and leaving the risk set then.

    Time runs from signup. A contact lapses `lapse_days` after its last click, purchase or
    activity (after its signup if it never engaged): that moment is its event time, if it has
    come by the report date; otherwise it is censored at the report date (its age). So a
    never-engaged contact lapses at day `lapse_days`, an engaged one at (last engagement −
    signup) + `lapse_days`, and both kinds of time are measured the same way.
    """
    import polars as pl

    known = work.filter(pl.col("signup").is_not_null() & (pl.col("signup") <= pl.col("as_of")))
    last = pl.max_horizontal("reliable", "signup")  # never engaged (or only before signup): from signup
    lapse_at = last + pl.duration(days=options.lapse_days)
    lapsed = lapse_at <= pl.col("as_of")
    duration = pl.when(lapsed).then((lapse_at - pl.col("signup")).dt.total_days()).otherwise((pl.col("as_of") - pl.col("signup")).dt.total_days())
    return known.group_by(duration.alias("t")).agg(lapsed.cast(pl.Int64).sum().alias("events"), pl.len().alias("leaving")).drop_nulls("t")


def _survival(tables: dict[str, pl.DataFrame], options: DecayOptions) -> dict[str, Any]:
    """Kaplan-Meier of engagement, one definition for events and censoring alike (see `_survival_table`)."""
    import polars as pl

    steps = tables["survival"]
    contacts = int(steps["leaving"].sum())
    if contacts == 0:
        return {"contacts": 0, "lapsed": 0, "lapse_days": options.lapse_days, "median_days": None, "s90": None, "s180": None, "s365": None, "curve": []}
    curve = _kaplan_meier(steps)

    def at(days: int) -> float | None:
        before = curve.filter(pl.col("t") <= days)
        return round(float(before["survival"][-1]), 6) if before.height else 1.0

    below = curve.filter(pl.col("survival") <= 0.5)
    # A readable curve: the survival at each of up to 60 evenly spaced days (plus day 0).
    horizon = int(curve["t"].max() or 0)
    step = max(1, horizon // 60)
    points = [[day, at(day)] for day in range(0, horizon + 1, step)]
    return {
        "contacts": contacts,
        "lapsed": int(steps["events"].sum()),
        "lapse_days": options.lapse_days,
        "median_days": int(below["t"][0]) if below.height else None,
        "s90": at(90),
        "s180": at(180),
        "s365": at(365),
        "curve": points,
    }


COHORT_MONTHS = 24  # cohorts of the last this-many signup months get a row each; older ones a row a year
_COHORT_SHARES = ("mailable", "engaged_90d", "unsubscribed", "bounced_or_cleaned")


def _cohort_table(work: pl.LazyFrame) -> pl.LazyFrame:
    """Per signup month: its size and how many of it are mailable, engaged (90 days), unsubscribed, bounced or cleaned."""
    import polars as pl

    recent = pl.col("as_of") - pl.duration(days=90)
    return (
        work.filter(pl.col("signup").is_not_null())
        .group_by(pl.col("signup").dt.strftime("%Y-%m").alias("signup_month"))
        .agg(
            pl.len().alias("size"),
            (pl.col("category") == "mailable").sum().alias("mailable"),
            (pl.col("reliable") >= recent).fill_null(False).sum().alias("engaged_90d"),
            (pl.col("category") == "unsubscribed").sum().alias("unsubscribed"),
            (pl.col("category") == "bounced_or_cleaned").sum().alias("bounced_or_cleaned"),
        )
    )


def _cohorts(tables: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
    """Every signup cohort: a row a month for the last COHORT_MONTHS months of signups, a row a
    year before that (so a list with years of history stays readable and nobody is left out).
    The shares are counts over the cohort's size (the same floats as a mean of the flags)."""
    import polars as pl

    by_month = tables["cohorts"]
    if by_month.height == 0:
        return []
    months = by_month["signup_month"].unique().sort().to_list()
    monthly_from = months[-COHORT_MONTHS] if len(months) > COHORT_MONTHS else months[0]
    month = pl.col("signup_month")
    label = pl.when(month >= monthly_from).then(month).otherwise(month.str.head(-3))  # "%Y-%m" less "-%m": the year
    cohorts = (
        by_month.group_by(label.alias("cohort"))
        .agg(pl.col("size").sum(), *(pl.col(name).sum() for name in _COHORT_SHARES))
        .with_columns(*((pl.col(name) / pl.col("size")).alias(name) for name in _COHORT_SHARES))
        .with_columns(pl.when(pl.col("cohort").str.len_chars() == 4).then(pl.lit("year")).otherwise(pl.lit("month")).alias("period"))
        .sort("cohort")
    )
    return [{key: (round(value, 4) if isinstance(value, float) else value) for key, value in row.items()} for row in cohorts.iter_rows(named=True)]


def sunset_mask(options: DecayOptions) -> pl.Expr:
    """Mailable, no click or purchase for sunset_days, and signed up more than sunset_min_age_days ago."""
    import polars as pl

    cutoff = pl.col("as_of") - pl.duration(days=options.sunset_days)
    last = pl.max_horizontal(pl.col("click"), pl.col("purchase"))
    quiet = last.is_null() | (last < cutoff)
    # Exact: signed up before this moment (whole days would move contacts across the boundary).
    old_enough = pl.col("signup").is_null() | (pl.col("signup") < pl.col("as_of") - pl.duration(days=options.sunset_min_age_days))
    return (pl.col("category") == "mailable") & quiet & old_enough


SUNSET_VERSUS_LIFECYCLE = (
    "segment's lifecycle stage 'active' counts any engagement in 90 days, opens and activity included; sunset counts only clicks "
    "and purchases (opens are inflated by Apple Mail Privacy Protection), so a contact can be 'active' and a sunset candidate at once"
)


def sunset_rule(options: DecayOptions) -> str:
    return (
        f"mailable, no click or purchase in the last {options.sunset_days} days (opens do not count), "
        f"and signed up more than {options.sunset_min_age_days} days ago (or signup unknown)"
    )


def _deliverability_counts() -> list[pl.Expr]:
    """Bounces and complaints dated in the last 30 days, and the base: contacts that could have
    been mailed in the window (mailable now, or lost in it)."""
    import polars as pl

    recent = pl.col("consent_at") >= pl.col("as_of") - pl.duration(days=30)
    return [
        ((pl.col("churn") == "bounced") & recent).sum().alias("bounced_30d"),
        ((pl.col("churn") == "complained") & recent).sum().alias("complained_30d"),
        ((pl.col("category") == "mailable") | (pl.col("churn").is_not_null() & recent.fill_null(False))).sum().alias("mailable_or_lost_30d"),
    ]


def _deliverability(tables: dict[str, pl.DataFrame], options: DecayOptions) -> dict[str, Any]:
    totals = tables["totals"].row(0, named=True)
    bounced, complained, base = (int(totals[name]) for name in ("bounced_30d", "complained_30d", "mailable_or_lost_30d"))
    bounce_rate = bounced / base if base else 0.0
    complaint_rate = complained / base if base else 0.0
    return {
        "window_days": 30,
        # ESPs divide by messages delivered; a list has no sends, so this divides by contacts that could have been mailed.
        "basis": "contacts (a proxy: an ESP divides by messages delivered)",
        "base": base,
        "bounced_30d": bounced,
        "complained_30d": complained,
        "bounce_rate_30d": round(bounce_rate, 6),
        "complaint_rate_30d": round(complaint_rate, 6),
        "bounce_limit": options.bounce_limit,
        "complaint_limit": options.complaint_limit,
        "bounce_ok": bounce_rate < options.bounce_limit,
        "complaint_ok": complaint_rate < options.complaint_limit,
    }


def _consent(frame: pl.DataFrame, options: DecayOptions) -> dict[str, int]:
    import polars as pl

    from listclean.consent import implied, implied_expired, implied_expiring, unproven

    rules = options.consent
    as_of = options.report_date()
    undated = implied(frame) & (pl.col("consent_at").is_null() if "consent_at" in frame.columns else pl.lit(True))
    subscribed = (pl.col("consent_status").cast(pl.String) == "subscribed") if "consent_status" in frame.columns else pl.lit(False)
    flags = frame.select(
        implied(frame).sum().alias("implied"),
        implied_expired(frame, as_of, rules).sum().alias("implied_expired"),
        implied_expiring(frame, as_of, rules).sum().alias("implied_expiring"),
        undated.sum().alias("implied_undated"),
        unproven(frame).sum().alias("express_unproven"),
        subscribed.sum().alias("subscribed"),
    ).row(0, named=True)
    return {key: int(value or 0) for key, value in flags.items()}


def _consent_rule(options: DecayOptions) -> str:
    rules = options.consent
    return (
        f"consent_source mentions implied/purchase/customer/order/transaction/inquiry/enquiry/quote: valid {rules.purchase_days} days "
        f"after consent_at ({rules.inquiry_days} for an inquiry, enquiry or quote); expiring = within {rules.warning_days} days"
    )


@dataclass
class DecayChunk:
    """What the report needs of one chunk of the list: small count tables, so a list of any length fits."""

    tables: dict[str, pl.DataFrame]  # see TABLES: counts that add up over chunks (consent, dates after the report date, candidates in "totals")
    candidates: pl.DataFrame  # the chunk's sunset candidates, every column, plus sunset_reason
    columns: list[str]  # the chunk's columns (the notes say what the list lacks)
    rows: int = 0  # the chunk's contacts

    @property
    def sunset_rows(self) -> int:
        """How many candidates (the frame may be let go once written)."""
        return int(self.tables["totals"]["sunset_candidates"][0])


def measure_chunk(frame: pl.DataFrame, options: DecayOptions) -> DecayChunk:
    import polars as pl

    work = prepared(frame, options)
    mask = _with_as_of(work, options).select(sunset_mask(options).fill_null(False)).to_series()
    candidates = frame.filter(mask).with_columns(pl.lit(f"sunset: {sunset_rule(options)}").alias("sunset_reason"))
    tables = measure_tables(work, options)
    future = future_dates(frame, options)
    chunk_counts = {
        **{f"consent__{name}": count for name, count in _consent(frame, options).items()},
        **{f"future__{name}": future.get(name, 0) for name in DATE_COLUMNS},
        "sunset_candidates": candidates.height,
    }
    tables["totals"] = tables["totals"].with_columns(pl.lit(count, dtype=pl.Int64).alias(name) for name, count in chunk_counts.items())
    return DecayChunk(tables=tables, candidates=candidates, columns=frame.columns, rows=frame.height)


def report_of(chunks: Iterable[DecayChunk], options: DecayOptions) -> DecayReport:
    """The report over every chunk of the list (their tables added up)."""
    parts, columns = [], set()
    for chunk in chunks:
        parts.append(chunk.tables)
        columns.update(chunk.columns)
    return report_from(fold_tables(parts), columns, options)


def report_from(tables: dict[str, pl.DataFrame], columns: Iterable[str], options: DecayOptions) -> DecayReport:
    """The report from the whole list's count tables (`fold_tables`; Spark folds them with a
    groupBy) and the list's columns. by_domain may hold only its first DOMAIN_ROWS + 1 domains
    in `_breakdown`'s order: the "(other)" row is the whole list less the largest domains."""
    totals = tables["totals"].row(0, named=True)
    consent = {name: int(totals[f"consent__{name}"]) for name in _CONSENT_COUNTS}
    future = {name: int(totals[f"future__{name}"]) for name in DATE_COLUMNS}
    candidates = int(totals["sunset_candidates"])
    monthly, decay = _monthly(tables, options)
    return DecayReport(
        as_of=options.report_date().isoformat(),
        rows=int(totals["rows"]),
        status=_status(tables),
        engagement=_engagement(tables),
        monthly=monthly,
        decay=decay,
        survival=_survival(tables, options),
        cohorts=_cohorts(tables),
        sunset={"rule": sunset_rule(options), "candidates": candidates, "versus_lifecycle": SUNSET_VERSUS_LIFECYCLE},
        deliverability=_deliverability(tables, options),
        consent={**consent, "implied_rule": _consent_rule(options)},
        notes=_notes(totals, set(columns), future, decay, candidates, options),
        by_source=_breakdown(tables, "source"),
        by_domain=_breakdown(tables, "domain", limit=DOMAIN_ROWS),
    )


def _note_counts() -> list[pl.Expr]:
    import polars as pl

    return [
        pl.col("signup").is_not_null().sum().alias("signups"),
        pl.col("engaged").is_not_null().sum().alias("engaged"),
        (pl.col("churn").is_not_null() & (pl.col("consent_at") < pl.col("signup"))).sum().alias("churn_before_signup"),
    ]


def _notes(counts: dict[str, Any], columns: set[str], future: dict[str, int], decay: dict[str, Any], candidates: int, options: DecayOptions) -> list[str]:
    """What the figures cannot say, each with its count: what a reader must know before trusting them."""
    notes = []
    rows = counts["rows"]
    if "email_status" not in columns:
        notes.append("no email_status column: addresses were not validated (run listclean validate first for invalid/risky counts)")
    if counts["signups"] == 0:
        notes.append("no signup dates: growth, cohorts and survival cannot be measured")
    elif counts["signups"] < rows:
        notes.append(f"{rows - counts['signups']:,} contact(s) have no signup date: they are in no cohort and not in survival; every month counts them as already on the list")
    if counts["engaged"] == 0:
        notes.append(
            f"no engagement dates in the list (last click, purchase, activity or open are all empty or after the report day): recency and survival cannot be measured, "
            f"and every mailable contact signed up long enough ago is a sunset candidate ({candidates:,} of {counts['mailable']:,})"
        )
    if decay["undated_churn"]:
        rate, high = decay["observed_monthly_rate"], decay["monthly_rate_with_undated_churn"]
        span = "" if rate is None else f": the monthly decay is {100 * rate:.2f}% without it and up to {100 * (high or rate):.2f}% if it all happened in the measured months"
        notes.append(f"{decay['undated_churn']:,} unsubscribe(s), bounce(s) or complaint(s) have no date and cannot be placed in a month{span}")
    late = {name: count for name, count in future.items() if count}
    if late:
        listed = ", ".join(f"{name} {count:,}" for name, count in late.items())
        notes.append(f"{sum(late.values()):,} date(s) after the report day {options.report_date():%Y-%m-%d} ({listed}): read as unknown (not recent, not in any month)")
    if counts["churn_before_signup"]:
        notes.append(f"{counts['churn_before_signup']:,} contact(s) unsubscribed or bounced before their signup date (one of the dates is wrong): in no month's list size or churn")
    return notes




_BREAKDOWN_COUNTS = ("contacts", "signups_in_window", "mailable", "unsubscribed", "bounced_or_cleaned", "complained")


def _breakdown_table(work: pl.LazyFrame, by: str, options: DecayOptions) -> pl.LazyFrame:
    """Per source (or email domain): contacts, signups in the window, and the counts the shares are made of."""
    import polars as pl

    window_start = _month_starts(options.report_date(), options.months)[0]
    return work.group_by(by).agg(
        pl.len().alias("contacts"),
        (pl.col("signup") >= window_start).sum().alias("signups_in_window"),
        (pl.col("category") == "mailable").sum().alias("mailable"),
        (pl.col("category") == "unsubscribed").sum().alias("unsubscribed"),
        (pl.col("category") == "bounced_or_cleaned").sum().alias("bounced_or_cleaned"),
        (pl.col("category") == "complained").sum().alias("complained"),
    )


def _breakdown(tables: dict[str, pl.DataFrame], by: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Per source (or email domain), as the ESP dashboards show it: contacts, signups in the
    window, and the shares mailable, unsubscribed, bounced or cleaned and complained; the
    largest first, ties by name (the `limit` largest, the rest as one "(other)" row: the whole
    list's counts — every contact has one source — less the largest groups')."""
    import polars as pl

    grouped = tables[f"by_{by}"].sort(["contacts", by], descending=[True, False])
    if limit is not None and grouped.height > limit:
        whole, largest = tables["by_source"].select(_BREAKDOWN_COUNTS).sum(), grouped.head(limit).select(_BREAKDOWN_COUNTS).sum()
        rest = whole.select((pl.col(name) - largest[name]).alias(name) for name in _BREAKDOWN_COUNTS).with_columns(pl.lit("(other)").alias(by))
        grouped = pl.concat([grouped.head(limit), rest.select(grouped.columns)])
    rows = []
    for row in grouped.iter_rows(named=True):
        contacts = row["contacts"] or 1
        rows.append({
            by: row[by], "contacts": int(row["contacts"]), "signups_in_window": int(row["signups_in_window"]),
            **{f"{name}_share": round(row[name] / contacts, 4) for name in ("mailable", "unsubscribed", "bounced_or_cleaned", "complained")},
        })  # fmt: skip
    return rows


def decay_report(frame: pl.DataFrame, options: DecayOptions | None = None) -> tuple[DecayReport, pl.DataFrame]:
    """The report and the frame of sunset candidates (the input's rows, plus `sunset_reason`)."""
    options = options or DecayOptions()
    chunk = measure_chunk(frame, options)
    return report_of([chunk], options), chunk.candidates
