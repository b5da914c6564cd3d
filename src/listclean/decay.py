"""How stale is the list, how fast is it decaying, and what to sunset — measured from the list.

Everything is computed with Polars aggregations over the whole frame (no per-row Python):
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
    reliable = pl.max_horizontal([_column(frame, name, when) for name in RELIABLE])
    opened = _column(frame, "last_open_at", when)
    signup = _column(frame, "signup_at", when)
    return frame.select(
        category.cast(pl.Enum(STATUS_ORDER)).alias("category"),  # a byte a contact, not a string
        consent.alias("consent"),
        reliable.alias("reliable"),
        pl.max_horizontal(reliable, opened).alias("engaged"),
        opened.alias("opened"),
        signup.alias("signup"),
        _column(frame, "last_click_at", when).alias("click"),
        _column(frame, "last_purchase_at", when).alias("purchase"),
        _column(frame, "consent_at", when).alias("consent_at"),
        _column(frame, "source", pl.String).cast(pl.String).fill_null("(none)").alias("source"),
    ).with_columns(
        pl.col("consent").replace_strict(CHURN_STATUSES, default=None, return_dtype=pl.Enum(sorted(set(CHURN_STATUSES.values())))).alias("churn"),
        ((pl.lit(as_of).cast(when) - pl.col("engaged")).dt.total_days()).alias("recency_days"),
        ((pl.lit(as_of).cast(when) - pl.col("signup")).dt.total_days()).alias("age_days"),
    ).drop("consent")  # read into category and churn; a list's worth of text kept for nothing otherwise


def _with_as_of(work: pl.DataFrame, options: DecayOptions) -> pl.DataFrame:
    """The report date as a column, for the sections' date arithmetic (added once, not spooled)."""
    import polars as pl

    return work.with_columns(pl.lit(options.report_date()).cast(pl.Datetime("us", "UTC")).alias("as_of"))


def _status(work: pl.DataFrame) -> dict[str, int]:
    counts = dict(work.group_by("category").len().iter_rows())
    return {name: int(counts.get(name, 0)) for name in STATUS_ORDER}


def _engagement(work: pl.DataFrame, options: DecayOptions) -> dict[str, Any]:
    import polars as pl

    days = pl.col("recency_days")
    bucket = (
        pl.when(days.is_null() & (pl.col("age_days") < options.too_new_days)).then(pl.lit("too_new"))
        .when(days.is_null()).then(pl.lit("never"))
        .when(days <= 30).then(pl.lit("0-30"))
        .when(days <= 60).then(pl.lit("31-60"))
        .when(days <= 90).then(pl.lit("61-90"))
        .when(days <= 180).then(pl.lit("91-180"))
        .when(days <= 365).then(pl.lit("181-365"))
        .otherwise(pl.lit(">365"))
    )  # fmt: skip
    # Engaged in the last 90 days by an open, and by nothing else in that time.
    recent = pl.col("as_of") - pl.duration(days=90)
    opens_only = (pl.col("opened") >= recent) & (pl.col("reliable").is_null() | (pl.col("reliable") < recent))
    summary = work.select(bucket.alias("bucket"), opens_only.fill_null(False).alias("opens_only"))
    counts = dict(summary.group_by("bucket").len().iter_rows())
    return {
        "buckets": {name: int(counts.get(name, 0)) for name in RECENCY_BUCKETS},
        "opens_only_90d": int(summary["opens_only"].sum()),
        "note": "opens are unreliable since Apple Mail Privacy Protection: opens_only_90d rows look engaged only through opens",
    }


def _month_starts(as_of: datetime, months: int) -> list[datetime]:
    starts = []
    year, month = as_of.year, as_of.month
    for _ in range(months):
        starts.append(datetime(year, month, 1, tzinfo=timezone.utc))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _monthly(work: pl.DataFrame, options: DecayOptions) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    import polars as pl

    as_of = options.report_date()
    starts = _month_starts(as_of, options.months)
    window_start = starts[0]
    month = lambda column: pl.col(column).dt.truncate("1mo")  # noqa: E731
    added = work.filter(pl.col("signup") >= window_start).group_by(month("signup").alias("month"), "source").len()
    churned = work.filter(pl.col("churn").is_not_null() & (pl.col("consent_at") >= window_start)).group_by(
        month("consent_at").alias("month"), "churn"
    ).len()
    undated_churn = int(work.select((pl.col("churn").is_not_null() & pl.col("consent_at").is_null()).sum()).item())
    # List size at the start of each month: everyone signed up before it (or with no signup date),
    # minus everyone who churned before it.
    # One aggregate query for every month's starting size (sums of conditions, nothing materialised).
    sizes = work.select(
        [
            (
                (pl.col("signup").is_null() | (pl.col("signup") < start)).sum()
                - (pl.col("churn").is_not_null() & (pl.col("consent_at") < start)).sum()
            ).alias(str(index))
            for index, start in enumerate(starts)
        ]
    ).row(0)
    rows: list[dict[str, Any]] = []
    total_churn = total_start = 0
    for index, start in enumerate(starts):
        end = (start + timedelta(days=32)).replace(day=1)
        size_start = int(sizes[index])
        by_source = {source: int(n) for _, source, n in added.filter(pl.col("month") == start).sort("source").iter_rows()}
        churn = {kind: int(n) for _, kind, n in churned.filter(pl.col("month") == start).iter_rows()}
        lost = sum(churn.values())
        gained = sum(by_source.values())
        complete = end <= as_of + timedelta(days=1)
        if complete:
            total_churn += lost
            total_start += size_start
        rows.append(
            {
                "month": start.strftime("%Y-%m"),
                "size_at_start": size_start,
                "added": gained,
                "added_by_source": by_source,
                "unsubscribed": churn.get("unsubscribed", 0),
                "bounced": churn.get("bounced", 0),
                "complained": churn.get("complained", 0),
                "net": gained - lost,
                "decay_rate": round(lost / size_start, 6) if size_start > 0 else None,
                "complete": complete,
            }
        )
    rate = total_churn / total_start if total_start else None
    mailable = int(work.select((pl.col("category") == "mailable").sum()).item())
    annual = 1 - (1 - rate) ** 12 if rate is not None else None
    benchmark_annual = 1 - (1 - options.benchmark_monthly) ** 12
    decay = {
        "observed_monthly_rate": round(rate, 6) if rate is not None else None,
        "months_measured": sum(1 for row in rows if row["complete"]),
        "benchmark_monthly_rate": options.benchmark_monthly,
        "projected_annual_rate": round(annual, 6) if annual is not None else None,
        "benchmark_annual_rate": round(benchmark_annual, 6),
        "mailable_now": mailable,
        "projected_mailable_in_12_months": round(mailable * (1 - annual)) if annual is not None else None,
        "projected_lost_in_12_months": round(mailable * annual) if annual is not None else None,
        "versus_benchmark": None if rate is None else ("above" if rate > options.benchmark_monthly else "at or below"),
        "undated_churn": undated_churn,
    }
    return rows, decay


def kaplan_meier(durations: pl.Series, events: pl.Series) -> pl.DataFrame:
    """Kaplan-Meier survival: columns t, at_risk, events, survival (S just after t).

    S(t) = prod over event times t_i <= t of (1 - d_i / n_i), with n_i the contacts still at
    risk (neither lapsed nor censored) just before t_i.
    """
    import polars as pl

    data = pl.DataFrame({"t": durations, "event": events.cast(pl.Int64)}).drop_nulls()
    total = data.height
    steps = data.group_by("t").agg(pl.col("event").sum().alias("events"), pl.len().alias("leaving")).sort("t")
    steps = steps.with_columns((total - pl.col("leaving").cum_sum().shift(1, fill_value=0)).alias("at_risk"))
    return steps.with_columns((1 - pl.col("events") / pl.col("at_risk")).cum_prod().alias("survival")).select(
        "t", "at_risk", "events", "survival"
    )


def _survival(work: pl.DataFrame, options: DecayOptions) -> dict[str, Any]:
    import polars as pl

    known = work.filter(pl.col("signup").is_not_null() & (pl.col("signup") <= pl.col("as_of")))
    silent = (pl.col("as_of") - pl.col("reliable")).dt.total_days()
    lapsed = pl.when(pl.col("reliable").is_null()).then(pl.col("age_days") > options.lapse_days).otherwise(silent > options.lapse_days)
    duration = pl.when(lapsed).then(
        pl.when(pl.col("reliable").is_null()).then(0).otherwise((pl.col("reliable") - pl.col("signup")).dt.total_days().clip(0))
    ).otherwise(pl.col("age_days"))
    data = known.select(duration.alias("t"), lapsed.alias("event"))
    if data.height == 0:
        return {"contacts": 0, "lapsed": 0, "median_days": None, "s90": None, "s180": None, "s365": None, "curve": []}
    curve = kaplan_meier(data["t"], data["event"])

    def at(days: int) -> float | None:
        before = curve.filter(pl.col("t") <= days)
        return round(float(before["survival"][-1]), 6) if before.height else 1.0

    below = curve.filter(pl.col("survival") <= 0.5)
    # A readable curve: the survival at each of up to 60 evenly spaced days (plus day 0).
    horizon = int(curve["t"].max() or 0)
    step = max(1, horizon // 60)
    points = [[day, at(day)] for day in range(0, horizon + 1, step)]
    return {
        "contacts": data.height,
        "lapsed": int(data["event"].sum()),
        "lapse_days": options.lapse_days,
        "median_days": int(below["t"][0]) if below.height else None,
        "s90": at(90),
        "s180": at(180),
        "s365": at(365),
        "curve": points,
    }


def _cohorts(work: pl.DataFrame, options: DecayOptions) -> list[dict[str, Any]]:
    import polars as pl

    recent = pl.col("as_of") - pl.duration(days=90)
    cohorts = (
        work.filter(pl.col("signup").is_not_null())
        .group_by(pl.col("signup").dt.strftime("%Y-%m").alias("cohort"))
        .agg(
            pl.len().alias("size"),
            (pl.col("category") == "mailable").mean().alias("mailable"),
            (pl.col("reliable") >= recent).fill_null(False).mean().alias("engaged_90d"),
            (pl.col("category") == "unsubscribed").mean().alias("unsubscribed"),
            (pl.col("category") == "bounced_or_cleaned").mean().alias("bounced_or_cleaned"),
        )
        .sort("cohort")
        .tail(max(options.months, 12))
    )
    return [{key: (round(value, 4) if isinstance(value, float) else value) for key, value in row.items()} for row in cohorts.iter_rows(named=True)]


def sunset_mask(options: DecayOptions) -> pl.Expr:
    """Mailable, no click or purchase for sunset_days, and signed up more than sunset_min_age_days ago."""
    import polars as pl

    cutoff = pl.col("as_of") - pl.duration(days=options.sunset_days)
    last = pl.max_horizontal(pl.col("click"), pl.col("purchase"))
    quiet = last.is_null() | (last < cutoff)
    old_enough = pl.col("signup").is_null() | (pl.col("age_days") > options.sunset_min_age_days)
    return (pl.col("category") == "mailable") & quiet & old_enough


def sunset_rule(options: DecayOptions) -> str:
    return (
        f"mailable, no click or purchase in the last {options.sunset_days} days (opens do not count), "
        f"and signed up more than {options.sunset_min_age_days} days ago (or signup unknown)"
    )


def _deliverability(work: pl.DataFrame, options: DecayOptions) -> dict[str, Any]:
    import polars as pl

    window = pl.col("as_of") - pl.duration(days=30)
    recent = pl.col("consent_at") >= window
    # The base: contacts that could have been mailed in the window (mailable now, or lost in it).
    bounced, complained, base = (
        int(value)
        for value in work.select(
            ((pl.col("churn") == "bounced") & recent).sum(),
            ((pl.col("churn") == "complained") & recent).sum().alias("c"),
            ((pl.col("category") == "mailable") | (pl.col("churn").is_not_null() & recent.fill_null(False))).sum().alias("b"),
        ).row(0)
    )
    bounce_rate = bounced / base if base else 0.0
    complaint_rate = complained / base if base else 0.0
    return {
        "window_days": 30,
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
        f"consent_source mentions implied/purchase/customer/order/inquiry: valid {rules.purchase_days} days "
        f"after consent_at ({rules.inquiry_days} for an inquiry); expiring = within {rules.warning_days} days"
    )


@dataclass
class DecayChunk:
    """What the report needs of one chunk of the list: kept small, so a list of any length fits."""

    work: pl.DataFrame  # `prepared` columns, one row per contact
    consent: dict[str, int]  # consent-health counts (they add up over chunks)
    candidates: pl.DataFrame  # the chunk's sunset candidates, every column, plus sunset_reason
    columns: list[str]  # the chunk's columns (the notes say what the list lacks)
    sunset_rows: int = 0  # how many candidates (the frame may be let go once written)


def measure_chunk(frame: pl.DataFrame, options: DecayOptions) -> DecayChunk:
    import polars as pl

    work = prepared(frame, options)
    mask = _with_as_of(work, options).select(sunset_mask(options).fill_null(False)).to_series()
    candidates = frame.filter(mask).with_columns(pl.lit(f"sunset: {sunset_rule(options)}").alias("sunset_reason"))
    return DecayChunk(work=work, consent=_consent(frame, options), candidates=candidates, columns=frame.columns, sunset_rows=candidates.height)


def report_of(chunks: Iterable[DecayChunk], options: DecayOptions) -> DecayReport:
    """The report over every chunk of the list (their `work` frames are put together)."""
    import polars as pl

    works, columns, consent, candidates = [], set(), dict.fromkeys(_CONSENT_COUNTS, 0), 0
    for chunk in chunks:
        works.append(chunk.work)
        columns.update(chunk.columns)
        consent = {key: consent[key] + chunk.consent[key] for key in consent}
        candidates += chunk.sunset_rows
    work = _with_as_of(pl.concat(works, how="vertical_relaxed") if len(works) > 1 else works[0], options)
    del works
    notes = []
    if "email_status" not in columns:
        notes.append("no email_status column: addresses were not validated (run listclean validate first for invalid/risky counts)")
    if "signup_at" not in columns:
        notes.append("no signup_at column: growth, cohorts and survival cannot be measured")
    if not any(name in columns for name in (*RELIABLE, "last_open_at")):
        notes.append("no engagement dates (last click/purchase/activity/open): recency and survival cannot be measured")
    monthly, decay = _monthly(work, options)
    return DecayReport(
        as_of=options.report_date().isoformat(),
        rows=work.height,
        status=_status(work),
        engagement=_engagement(work, options),
        monthly=monthly,
        decay=decay,
        survival=_survival(work, options),
        cohorts=_cohorts(work, options),
        sunset={"rule": sunset_rule(options), "candidates": candidates},
        deliverability=_deliverability(work, options),
        consent={**consent, "implied_rule": _consent_rule(options)},
        notes=notes,
    )


def decay_report(frame: pl.DataFrame, options: DecayOptions | None = None) -> tuple[DecayReport, pl.DataFrame]:
    """The report and the frame of sunset candidates (the input's rows, plus `sunset_reason`)."""
    options = options or DecayOptions()
    chunk = measure_chunk(frame, options)
    return report_of([chunk], options), chunk.candidates
