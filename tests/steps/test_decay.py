"""The decay step as a library call: the report over chunks, sunset candidates, options, thresholds."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from listclean.api import source_of
from listclean.decay import DecayOptions
from listclean.errors import UsageError
from listclean.importer import reading_options
from listclean.runtime import Runtime
from listclean.steps.decay import MEASURES, DecayStepOptions, decay_step, options_from
from listclean.stream.sink import FrameSink

sys.path.insert(0, str(Path(__file__).parents[1] / "decay"))
from listdata import AS_OF, history_list  # noqa: E402


def run(data, options: DecayStepOptions, *, sunset: FrameSink | None = None, runtime: Runtime | None = None):
    with runtime or Runtime() as made:
        return decay_step(source_of(data, reading_options(), made), options, None, made, sunset=sunset)


def test_the_report_over_several_inputs_is_the_report_of_the_whole_list(tmp_path):
    history = history_list(300)
    halves = [tmp_path / "a.csv", tmp_path / "b.csv"]
    history.head(120).write_csv(halves[0])
    history.tail(180).write_csv(halves[1])
    options = options_from({"as_of": AS_OF})
    whole, parts = run(history, options), run([str(path) for path in halves], options)
    assert parts.as_dict() == whole.as_dict()
    assert whole.measured.rows == 300 and sum(whole.measured.status.values()) == 300


def test_sunset_candidates_are_written_with_their_reason_last(tmp_path):
    sunset = FrameSink()
    report = run(history_list(), options_from({"as_of": AS_OF}), sunset=sunset)
    candidates = sunset.frame
    assert candidates.height == report.measured.sunset["candidates"] > 0
    assert candidates.columns[-1] == "sunset_reason" and candidates["sunset_reason"].str.starts_with("sunset: mailable").all()
    assert "email_alternates" not in candidates.columns  # no chunk had a cell with two addresses
    assert set(candidates["email"]) <= set(history_list()["email"])


def test_the_summary_is_the_commands_json_with_the_thresholds_crossed():
    options = options_from({"as_of": AS_OF, "fail_on": ["sunset>1", "complaint_rate>50%"]})
    report = run(history_list(), options)
    assert [str(t) for t in report.thresholds] == ["sunset>1", "complaint_rate>50%"]
    assert len(report.failures) == 1 and report.failures[0].startswith("sunset is ")
    summary = report.summary(inputs=["history.csv"], html="r.html", sunset_out=None)
    assert list(summary)[:4] == ["command", "inputs", "html", "sunset_out"] and list(summary)[-1] == "thresholds_crossed"
    assert summary["command"] == "decay-report" and summary["as_of"] == "2026-11-24T00:00:00+00:00"
    assert summary["thresholds_crossed"] == report.failures


def test_every_recency_bucket_and_status_can_be_a_threshold():
    assert set(MEASURES) >= {"mailable", "suppressed_or_erased", "recency_0_30", "recency_over_365", "recency_never", "recency_too_new", "monthly_decay"}
    options_from({"fail_on": [f"{name}>1" for name in MEASURES]})
    with pytest.raises(UsageError, match="unknown counter"):
        options_from({"fail_on": ["decay>3%"]})


def test_the_flags_defaults_are_the_librarys():
    options = options_from({})
    assert options.decay == DecayOptions() and not options.no_validate and options.thresholds == []
    given = options_from({"months": 24, "benchmark": 3.0, "bounce_limit": 2.0, "complaint_limit": 0.2, "implied_days": 365, "inquiry_days": 30})
    assert (given.decay.months, given.decay.benchmark_monthly, given.decay.bounce_limit, given.decay.complaint_limit) == (24, 0.03, 0.02, 0.002)
    assert (given.decay.consent.purchase_days, given.decay.consent.inquiry_days) == (365, 30)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"months": 0}, "--months must be between 1 and 120"),
        ({"months": 121}, "--months must be between 1 and 120"),
        ({"benchmark": 0}, "--benchmark is a percentage"),
        ({"complaint_limit": 100}, "--complaint-limit is a percentage"),
        ({"sunset_min_age": -1}, "--sunset-min-age cannot be negative"),
        ({"inquiry_days": -1}, "--inquiry-days cannot be negative"),
    ],
)
def test_options_out_of_range_are_usage_errors(values, message):
    with pytest.raises(UsageError, match=message):
        options_from(values)


def test_today_is_the_runtimes_clock_to_the_second_unless_as_of_is_given():
    clock = lambda: datetime(2026, 11, 24, 15, 30, 5, 123456, tzinfo=timezone.utc)  # noqa: E731
    report = run(history_list(40), options_from({}), runtime=Runtime(clock=clock))
    assert report.measured.as_of == "2026-11-24T15:30:05+00:00"
    report = run(history_list(40), options_from({"as_of": datetime(2026, 1, 1, tzinfo=timezone.utc)}), runtime=Runtime(clock=clock))
    assert report.measured.as_of == "2026-01-01T00:00:00+00:00"


def test_addresses_are_validated_unless_the_list_was_or_no_validate_is_set():
    frame = pl.DataFrame({"email": ["a@firma.pl", "not an address"], "consent_status": ["subscribed", "subscribed"]})
    checked = run(frame, options_from({"as_of": AS_OF}))
    assert checked.measured.status["invalid"] == 1
    unchecked = run(frame, options_from({"as_of": AS_OF, "no_validate": True}))
    assert unchecked.measured.status["invalid"] == 0 and unchecked.measured.status["mailable"] == 2
    assert any("no email_status column" in note for note in unchecked.measured.notes)


def test_decay_writes_no_rows_but_its_sunset_candidates():
    with pytest.raises(ValueError, match="sink=None"):
        with Runtime() as runtime:
            decay_step(source_of(history_list(10), reading_options(), runtime), DecayStepOptions(), FrameSink(), runtime)
