"""The decay step: how stale the list is, how fast it decays, and what to sunset.

A chunk at a time: each chunk leaves only a few narrow columns (and its sunset candidates,
written as they are met) behind, so a list larger than memory is measured too. The step's
output is its report (see listclean.decay); the only rows it writes are the sunset candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from listclean.consent import ConsentRules
from listclean.decay import RECENCY_BUCKETS, STATUS_ORDER, DecayOptions
from listclean.errors import UsageError
from listclean.stream.source import expected_rows

if TYPE_CHECKING:
    from listclean.decay import DecayReport
    from listclean.runtime import Runtime
    from listclean.stream.sink import Sink
    from listclean.stream.source import ChunkSource
    from listclean.thresholds import Threshold


def measure_name(key: str) -> str:
    """A report counter's name as --fail-on writes it ("0-30" -> "0_30", ">365" -> "over_365")."""
    return key.replace("-", "_").replace(">", "over_")


# What --fail-on can name: the status mix, sunset candidates, the rates, consent and recency counts.
MEASURES = (
    *STATUS_ORDER, "sunset", "monthly_decay", "bounce_rate", "complaint_rate", "implied_expired", "implied_expiring",
    *(f"recency_{measure_name(bucket)}" for bucket in RECENCY_BUCKETS),
)  # fmt: skip


@dataclass
class DecayStepOptions:
    decay: DecayOptions = field(default_factory=DecayOptions)  # what to measure, as of when (None: the runtime's clock)
    no_validate: bool = False  # do not validate addresses when the input has no email_status column
    thresholds: list[Threshold] = field(default_factory=list)  # --fail-on


def options_from(values: Mapping[str, Any]) -> DecayStepOptions:
    """The step's options from the command's flags, by name (underscored), as the command line and
    a run file's [run.decay-report] give them: percentages as percentages (benchmark = 2.1),
    `fail_on` as threshold texts, `as_of` a datetime. A missing name takes the flag's default.
    The values are checked here, with the flags' names in the messages."""
    from listclean.thresholds import parse_thresholds

    defaults = DecayOptions()
    consent = ConsentRules()

    def value(name: str, default: Any) -> Any:  # noqa: ANN401
        found = values.get(name)
        return default if found is None else found

    months = value("months", defaults.months)
    benchmark = value("benchmark", 100 * defaults.benchmark_monthly)
    bounce_limit = value("bounce_limit", 100 * defaults.bounce_limit)
    complaint_limit = value("complaint_limit", 100 * defaults.complaint_limit)
    days = {
        "sunset_days": value("sunset_days", defaults.sunset_days),
        "sunset_min_age": value("sunset_min_age", defaults.sunset_min_age_days),
        "lapse_days": value("lapse_days", defaults.lapse_days),
        "implied_days": value("implied_days", consent.purchase_days),
        "inquiry_days": value("inquiry_days", consent.inquiry_days),
    }
    if months < 1 or months > 120:
        raise UsageError("--months must be between 1 and 120")
    for name, percent in (("--benchmark", benchmark), ("--bounce-limit", bounce_limit), ("--complaint-limit", complaint_limit)):
        if not 0 < percent < 100:
            raise UsageError(f"{name} is a percentage between 0 and 100, e.g. 2.1")
    for name, count in days.items():
        if count < 0:
            raise UsageError(f"--{name.replace('_', '-')} cannot be negative")
    thresholds = parse_thresholds(values.get("fail_on") or [], MEASURES)
    decay = DecayOptions(
        as_of=values.get("as_of"), months=months, benchmark_monthly=benchmark / 100, sunset_days=days["sunset_days"],
        sunset_min_age_days=days["sunset_min_age"], lapse_days=days["lapse_days"], bounce_limit=bounce_limit / 100,
        complaint_limit=complaint_limit / 100, consent=ConsentRules(purchase_days=days["implied_days"], inquiry_days=days["inquiry_days"]),
    )  # fmt: skip
    return DecayStepOptions(decay=decay, no_validate=bool(values.get("no_validate")), thresholds=thresholds)


@dataclass
class DecayStepReport:
    measured: DecayReport  # the report itself (as_dict() is the --json and the HTML report's data)
    thresholds: list[Threshold] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # thresholds crossed
    quarantined: int = 0  # input rows quarantined on import (a bought-list source): not measured

    def as_dict(self) -> dict[str, Any]:
        return self.measured.as_dict()

    def summary(self, *, inputs: list[str], html: str | None = None, sunset_out: str | None = None) -> dict[str, Any]:
        return {
            "command": "decay-report",
            "inputs": inputs,
            "html": html,
            "sunset_out": sunset_out,
            "quarantined": self.quarantined,
            **self.as_dict(),
            "thresholds_crossed": self.failures,
        }


def decay_step(source: ChunkSource, options: DecayStepOptions, sink: None, runtime: Runtime, *, sunset: Sink | None = None) -> DecayStepReport:
    """Measure the list a chunk at a time; its sunset candidates (every column plus
    sunset_reason) go to `sunset`. `sink` is None: the step's output is its report (the
    parameter keeps the shape every step has)."""
    from listclean.decay import DecayChunk, measure_chunk, report_of
    from listclean.email.validate import validate, with_alternates
    from listclean.thresholds import crossed

    if sink is not None:
        raise ValueError("decay writes no rows but the sunset candidates: pass sink=None and sunset=...")
    measuring = replace(options.decay, as_of=runtime.now(options.decay.as_of).replace(microsecond=0))
    parts: list[DecayChunk] = []
    alternates = False  # whether any chunk's candidates have email_alternates
    rows = 0
    total = expected_rows(source)
    with runtime.reporter.phase("Measuring decay") as progress, runtime.chunks(source) as chunks:
        for chunk in chunks:
            if "email_status" not in chunk.columns and not options.no_validate:
                chunk, _ = validate(chunk)
            part = measure_chunk(chunk, measuring)
            if sunset is not None:
                alternates = alternates or "email_alternates" in part.candidates.columns
                sunset.add(with_alternates(part.candidates))  # as validate writes it: kept when any chunk has some
            part.candidates = part.candidates.head(0)  # written (or not wanted): let the rows go
            parts.append(part)
            rows += part.rows
            progress(log=False, done=rows, total=total)
            del chunk, part
    measured = report_of(parts, measuring)
    if sunset is not None:
        sunset.finish(lambda seen: _sunset_columns(source, [c for c in seen if c != "email_alternates" or alternates]))
    quarantined = _quarantined(source)
    if quarantined:  # never silent: the figures do not include them, and the report says so
        measured.notes.append(f"{quarantined:,} row(s) quarantined on import (their source says the addresses were bought, rented or scraped) are not in these figures")
    counts, rates = measured.metrics()
    failures = crossed(options.thresholds, {measure_name(key): count for key, count in counts.items()}, measured.rows, rates)
    return DecayStepReport(measured=measured, thresholds=options.thresholds, failures=failures, quarantined=quarantined)


def _quarantined(source: ChunkSource) -> int:
    """Rows the source quarantined (a bought, rented or scraped source), once read to its end."""
    from listclean.stream.ledger import rows_with_action

    return rows_with_action(source.rejects(), "quarantined")


def _sunset_columns(source: ChunkSource, seen: list[str]) -> list[str]:
    """The input's columns in listclean's order, then sunset_reason."""
    return [*(column for column in source.output_columns(seen) if column != "sunset_reason"), "sunset_reason"]
